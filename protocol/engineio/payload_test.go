package engineio

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"testing"
)

type pkt struct {
	typ    Type
	data   string
	binary bool
}

func (p pkt) String() string {
	if p.binary {
		return fmt.Sprintf("bin(%q)", p.data)
	}
	return fmt.Sprintf("%v(%q)", p.typ, p.data)
}

func decodeAll(body string) ([]pkt, error) {
	var out []pkt
	_, err := DecodePayload([]byte(body), nil, func(p Packet) error {
		out = append(out, pkt{p.Type, string(p.Data), p.Binary})
		return nil
	})
	return out, err
}

func TestDecodePayload(t *testing.T) {
	cases := []struct {
		body string
		want []pkt
		err  error
	}{
		// Examples of docs/engine.io-protocol/v4-current.md.
		{body: "4hello\x1e2\x1e4world", want: []pkt{{Message, "hello", false}, {Ping, "", false}, {Message, "world", false}}},
		{body: "4hello\x1ebAQIDBA==", want: []pkt{{Message, "hello", false}, {Message, "\x01\x02\x03\x04", true}}},

		{body: "4hello", want: []pkt{{Message, "hello", false}}},
		{body: "3", want: []pkt{{Pong, "", false}}},
		{body: "1", want: []pkt{{Close, "", false}}},
		{body: "b", want: []pkt{{Message, "", true}}},
		{body: "bAQ==\x1ebAg==\x1ebAw==", want: []pkt{{Message, "\x01", true}, {Message, "\x02", true}, {Message, "\x03", true}}},
		{body: "4€\x1e4\n", want: []pkt{{Message, "€", false}, {Message, "\n", false}}},
		{body: "6\x1e6", want: []pkt{{Noop, "", false}, {Noop, "", false}}},

		{body: "", err: ErrEmpty},
		{body: "\x1e", err: ErrEmpty},
		{body: "4a\x1e", want: []pkt{{Message, "a", false}}, err: ErrEmpty},
		{body: "\x1e4a", err: ErrEmpty},
		{body: "4a\x1e\x1e4b", want: []pkt{{Message, "a", false}}, err: ErrEmpty},
		{body: "4a\x1e9", want: []pkt{{Message, "a", false}}, err: ErrUnknownType},
		{body: "x", err: ErrUnknownType},
		{body: "4a\x1eb!!", want: []pkt{{Message, "a", false}}, err: ErrBase64},
		{body: "bAQ\x1e4a", err: ErrBase64},
		// The v3 length-prefixed framing is not recognised: "6:4hello" is a
		// noop with data in v4 framing.
		{body: "6:4hello", want: []pkt{{Noop, ":4hello", false}}},
	}
	for _, c := range cases {
		got, err := decodeAll(c.body)
		if err != c.err {
			t.Errorf("DecodePayload(%q) err = %v, want %v", c.body, err, c.err)
		}
		if fmt.Sprint(got) != fmt.Sprint(c.want) {
			t.Errorf("DecodePayload(%q) = %v, want %v", c.body, got, c.want)
		}
	}
}

func TestDecodePayloadCallbackError(t *testing.T) {
	stop := errors.New("stop")
	calls := 0
	_, err := DecodePayload([]byte("4a\x1e4b\x1e4c"), nil, func(p Packet) error {
		calls++
		if string(p.Data) == "b" {
			return stop
		}
		return nil
	})
	if err != stop || calls != 2 {
		t.Errorf("err = %v after %d calls, want stop after 2", err, calls)
	}
}

func TestDecodePayloadScratch(t *testing.T) {
	body := []byte("4text\x1ebAQIDBA==\x1ebBQYHCA==")
	var datas [][]byte
	scratch, err := DecodePayload(body, make([]byte, 0, 2), func(p Packet) error {
		datas = append(datas, p.Data)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if string(scratch) != "\x01\x02\x03\x04\x05\x06\x07\x08" {
		t.Errorf("scratch = %q", scratch)
	}
	// Each packet keeps its own bytes after later packets were decoded.
	want := []string{"text", "\x01\x02\x03\x04", "\x05\x06\x07\x08"}
	for i, d := range datas {
		if string(d) != want[i] {
			t.Errorf("packet %d data = %q, want %q", i, d, want[i])
		}
	}
	if &datas[0][0] != &body[1] {
		t.Error("text packet does not alias body")
	}

	// Reuse: a second decode into the returned scratch does not allocate a
	// new array when it fits.
	again, err := DecodePayload([]byte("bAQIDBA=="), scratch[:0], func(Packet) error { return nil })
	if err != nil {
		t.Fatal(err)
	}
	if &again[0] != &scratch[0] {
		t.Error("scratch with room was not reused")
	}
}

func TestAppendPayload(t *testing.T) {
	var b []byte
	b = AppendPayloadText(b, Message, []byte("hello"))
	b = AppendPayloadText(b, Ping, nil)
	b = AppendPayloadText(b, Message, []byte("world"))
	if want := "4hello\x1e2\x1e4world"; string(b) != want {
		t.Errorf("payload = %q, want %q", b, want)
	}

	b = AppendPayloadText(nil, Message, []byte("hello"))
	b = AppendPayloadBinary(b, []byte{1, 2, 3, 4})
	if want := "4hello\x1ebAQIDBA=="; string(b) != want {
		t.Errorf("payload = %q, want %q", b, want)
	}

	cases := []struct {
		data []byte
		want string
	}{
		{nil, "b"},
		{[]byte{0}, "bAA=="},
		{[]byte{0xff, 0xfe}, "b//4="},
		{[]byte{0xfb, 0xff, 0xbf}, "b+/+/"},
		{[]byte{1, 2, 3, 4}, "bAQIDBA=="},
	}
	for _, c := range cases {
		got := AppendPayloadBinary(nil, c.data)
		if string(got) != c.want {
			t.Errorf("AppendPayloadBinary(%x) = %q, want %q", c.data, got, c.want)
		}
		if n := PayloadBinaryLen(len(c.data)); n != len(got) {
			t.Errorf("PayloadBinaryLen(%d) = %d, want %d", len(c.data), n, len(got))
		}
		withSep := AppendPayloadBinary([]byte("2"), c.data)
		if string(withSep) != "2\x1e"+c.want {
			t.Errorf("AppendPayloadBinary after a packet = %q", withSep)
		}
	}
	for n := range 50 {
		got := AppendPayloadBinary(nil, bytes.Repeat([]byte{7}, n))
		if PayloadBinaryLen(n) != len(got) {
			t.Errorf("PayloadBinaryLen(%d) = %d, want %d", n, PayloadBinaryLen(n), len(got))
		}
	}
}

func TestPayloadRoundTrip(t *testing.T) {
	in := []pkt{
		{Open, `{"sid":"x"}`, false},
		{Message, "hello", false},
		{Message, "\x00\x01\xff", true},
		{Ping, "probe", false},
		{Message, "", true},
		{Message, strings.Repeat("€", 100), false},
		{Message, strings.Repeat("\xaa", 1000), true},
		{Noop, "", false},
	}
	var b []byte
	for _, p := range in {
		if p.binary {
			b = AppendPayloadBinary(b, []byte(p.data))
		} else {
			b = AppendPayloadText(b, p.typ, []byte(p.data))
		}
	}
	got, err := decodeAll(string(b))
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(got) != fmt.Sprint(in) {
		t.Errorf("round trip = %v, want %v", got, in)
	}
}

func TestZeroAllocs(t *testing.T) {
	if raceEnabled || testing.CoverMode() != "" {
		t.Skip("instrumentation changes allocation counts")
	}
	body := []byte("4hello\x1e2\x1e4world\x1ebAQIDBA==")
	scratch := make([]byte, 0, 64)
	buf := make([]byte, 0, 256)
	h := Handshake{SID: "lv_VI97HAXpY6yYWAAAC", Upgrades: []string{"websocket"}, PingInterval: 25000, PingTimeout: 20000, MaxPayload: 1000000}
	noop := func(Packet) error { return nil }
	cases := []struct {
		name string
		fn   func()
	}{
		{"DecodePayload", func() { scratch, _ = DecodePayload(body, scratch[:0], noop) }},
		{"DecodeText", func() { scratch, _, _ = DecodeText(scratch[:0], body[:6]) }},
		{"DecodeTextBinary", func() { scratch, _, _ = DecodeText(scratch[:0], []byte("bAQIDBA==")) }},
		{"AppendText", func() { buf = AppendText(buf[:0], Message, body) }},
		{"AppendPayloadText", func() { buf = AppendPayloadText(AppendPayloadText(buf[:0], Ping, nil), Message, body) }},
		{"AppendPayloadBinary", func() { buf = AppendPayloadBinary(buf[:0], body) }},
		{"AppendOpen", func() { buf = AppendOpen(buf[:0], h) }},
	}
	for _, c := range cases {
		if n := testing.AllocsPerRun(100, c.fn); n != 0 {
			t.Errorf("%s: %v allocs, want 0", c.name, n)
		}
	}
}
