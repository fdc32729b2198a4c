package engineio

import (
	"bytes"
	"errors"
	"testing"
)

func TestTypeWire(t *testing.T) {
	cases := []struct {
		t     Type
		char  byte
		name  string
		valid bool
	}{
		{Open, '0', "open", true},
		{Close, '1', "close", true},
		{Ping, '2', "ping", true},
		{Pong, '3', "pong", true},
		{Message, '4', "message", true},
		{Upgrade, '5', "upgrade", true},
		{Noop, '6', "noop", true},
		{7, '7', "Type(7)", false},
		{255, '/', "Type(255)", false}, // '0'+255 wraps to '/'
	}
	for _, c := range cases {
		if got := c.t.Char(); got != c.char {
			t.Errorf("Type(%d).Char() = %q, want %q", byte(c.t), got, c.char)
		}
		if got := c.t.String(); got != c.name {
			t.Errorf("Type(%d).String() = %q, want %q", byte(c.t), got, c.name)
		}
		if got := c.t.Valid(); got != c.valid {
			t.Errorf("Type(%d).Valid() = %v, want %v", byte(c.t), got, c.valid)
		}
	}
}

func TestErrorsWrapErrParse(t *testing.T) {
	for _, err := range []error{ErrEmpty, ErrUnknownType, ErrBase64, ErrTooLarge} {
		if !errors.Is(err, ErrParse) {
			t.Errorf("%v does not wrap ErrParse", err)
		}
	}
}

func TestDecodeText(t *testing.T) {
	cases := []struct {
		in     string
		typ    Type
		data   string
		binary bool
		err    error
	}{
		// Examples of docs/engine.io-protocol/v4-current.md.
		{in: "4hello", typ: Message, data: "hello"},
		{in: "2probe", typ: Ping, data: "probe"},
		{in: "3probe", typ: Pong, data: "probe"},
		{in: "5", typ: Upgrade, data: ""},
		{in: "2", typ: Ping, data: ""},
		{in: "bAQIDBA==", typ: Message, data: "\x01\x02\x03\x04", binary: true},
		{in: `0{"sid":"lv_VI97HAXpY6yYWAAAC","upgrades":["websocket"],"pingInterval":25000,"pingTimeout":20000,"maxPayload":1000000}`,
			typ: Open, data: `{"sid":"lv_VI97HAXpY6yYWAAAC","upgrades":["websocket"],"pingInterval":25000,"pingTimeout":20000,"maxPayload":1000000}`},
		{in: "1", typ: Close},
		{in: "6", typ: Noop},
		{in: "4€ unicode", typ: Message, data: "€ unicode"},
		{in: "44", typ: Message, data: "4"},
		{in: "4b", typ: Message, data: "b"},
		{in: "4\x00\xff", typ: Message, data: "\x00\xff"},
		{in: "b", typ: Message, data: "", binary: true},
		{in: "bAA==", typ: Message, data: "\x00", binary: true},
		{in: "b/w==", typ: Message, data: "\xff", binary: true},
		{in: "bAQID", typ: Message, data: "\x01\x02\x03", binary: true},

		{in: "", err: ErrEmpty},
		{in: "7", err: ErrUnknownType},
		{in: "9x", err: ErrUnknownType},
		{in: "/", err: ErrUnknownType},
		{in: "a", err: ErrUnknownType},
		{in: " 4", err: ErrUnknownType},
		{in: "\x00", err: ErrUnknownType},
		{in: "\xff", err: ErrUnknownType},
		{in: "B", err: ErrUnknownType},
		{in: "bAQ", err: ErrBase64},    // unpadded
		{in: "b====", err: ErrBase64},  // padding only
		{in: "b-_8=", err: ErrBase64},  // URL alphabet
		{in: "bAQID!", err: ErrBase64}, // junk
		{in: "bAQIDBA==4", err: ErrBase64},
	}
	for _, c := range cases {
		_, p, err := DecodeText(nil, []byte(c.in))
		if c.err != nil {
			if err != c.err {
				t.Errorf("DecodeText(%q) err = %v, want %v", c.in, err, c.err)
			}
			if !errors.Is(err, ErrParse) {
				t.Errorf("DecodeText(%q) err = %v does not wrap ErrParse", c.in, err)
			}
			continue
		}
		if err != nil {
			t.Errorf("DecodeText(%q) err = %v", c.in, err)
			continue
		}
		if p.Type != c.typ || string(p.Data) != c.data || p.Binary != c.binary {
			t.Errorf("DecodeText(%q) = {%v %q %v}, want {%v %q %v}", c.in, p.Type, p.Data, p.Binary, c.typ, c.data, c.binary)
		}
	}
}

func TestDecodeTextAliasesInput(t *testing.T) {
	in := []byte("4hello")
	scratch := make([]byte, 0, 8)
	got, p, err := DecodeText(scratch, in)
	if err != nil {
		t.Fatal(err)
	}
	if &p.Data[0] != &in[1] {
		t.Error("text packet data does not alias the input")
	}
	if len(got) != 0 || cap(got) != cap(scratch) {
		t.Errorf("scratch changed by a text packet: len %d cap %d", len(got), cap(got))
	}
}

func TestDecodeTextBinaryUsesScratch(t *testing.T) {
	// Enough room: decoded in place after the existing bytes.
	scratch := append(make([]byte, 0, 64), "keep"...)
	got, p, err := DecodeText(scratch, []byte("bAQIDBA=="))
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != "keep\x01\x02\x03\x04" {
		t.Errorf("scratch = %q", got)
	}
	if &got[0] != &scratch[0] {
		t.Error("scratch with room was reallocated")
	}
	if string(p.Data) != "\x01\x02\x03\x04" || &p.Data[0] != &got[4] {
		t.Errorf("packet data %q does not alias scratch[4:]", p.Data)
	}
	if cap(p.Data) != len(p.Data) {
		t.Errorf("packet data cap %d, want %d (full slice expression)", cap(p.Data), len(p.Data))
	}

	// Too small: grown, prefix kept.
	small := append(make([]byte, 0, 5), "keep"...)
	got, p, err = DecodeText(small, []byte("bAQIDBA=="))
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != "keep\x01\x02\x03\x04" || string(p.Data) != "\x01\x02\x03\x04" {
		t.Errorf("grown scratch = %q, data %q", got, p.Data)
	}

	// An error leaves the scratch length as it was.
	got, _, err = DecodeText(small, []byte("b!!!!"))
	if err != ErrBase64 {
		t.Fatalf("err = %v, want ErrBase64", err)
	}
	if string(got) != "keep" {
		t.Errorf("scratch after error = %q, want %q", got, "keep")
	}
}

func TestBinaryMessage(t *testing.T) {
	data := []byte{1, 2, 3}
	p := BinaryMessage(data)
	if p.Type != Message || !p.Binary || &p.Data[0] != &data[0] || len(p.Data) != 3 {
		t.Errorf("BinaryMessage = %+v", p)
	}
}

func TestAppendText(t *testing.T) {
	cases := []struct {
		dst  string
		t    Type
		data string
		want string
	}{
		{"", Message, "hello", "4hello"},
		{"", Ping, "probe", "2probe"},
		{"", Pong, "", "3"},
		{"", Noop, "", "6"},
		{"x", Close, "", "x1"},
		{"", Message, "€", "4€"},
	}
	for _, c := range cases {
		got := AppendText([]byte(c.dst), c.t, []byte(c.data))
		if string(got) != c.want {
			t.Errorf("AppendText(%q, %v, %q) = %q, want %q", c.dst, c.t, c.data, got, c.want)
		}
	}
}

func TestTextRoundTrip(t *testing.T) {
	for typ := Open; typ <= Noop; typ++ {
		for _, data := range []string{"", "hello", "b", "\x1e", "€", "\x00"} {
			enc := AppendText(nil, typ, []byte(data))
			_, p, err := DecodeText(nil, enc)
			if err != nil || p.Type != typ || !bytes.Equal(p.Data, []byte(data)) || p.Binary {
				t.Errorf("round trip %v %q: got %+v, %v", typ, data, p, err)
			}
		}
	}
}
