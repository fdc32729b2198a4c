package loadtest

import (
	"errors"
	"strings"
	"testing"
)

func TestParseSocketIO(t *testing.T) {
	tests := []struct {
		in   string
		typ  byte
		nsp  string
		ack  int64
		data string
	}{
		{`0{"sid":"abc"}`, sioConnect, "", -1, `{"sid":"abc"}`},
		{`2["msg",{"t":1}]`, sioEvent, "", -1, `["msg",{"t":1}]`},
		{`312[true]`, sioAck, "", 12, `[true]`},
		{`3/admin,7["ok"]`, sioAck, "/admin", 7, `["ok"]`},
		{`2/,["x"]`, sioEvent, "", -1, `["x"]`},
		{`0/admin`, sioConnect, "/admin", -1, ``},
		{`51-["up",{"_placeholder":true,"num":0}]`, sioBinaryEvent, "", -1, `["up",{"_placeholder":true,"num":0}]`},
		{`61-/x,4[{"_placeholder":true,"num":0}]`, sioBinaryAck, "/x", 4, `[{"_placeholder":true,"num":0}]`},
		{`1`, sioDisconnect, "", -1, ``},
		{`4{"message":"no"}`, sioConnectError, "", -1, `{"message":"no"}`},
	}
	for _, tt := range tests {
		p, err := parseSocketIO([]byte(tt.in))
		if err != nil {
			t.Errorf("%q: %v", tt.in, err)
			continue
		}
		if p.typ != tt.typ || string(p.nsp) != tt.nsp || p.ack != tt.ack || string(p.data) != tt.data {
			t.Errorf("%q: got typ %c nsp %q ack %d data %q", tt.in, p.typ, p.nsp, p.ack, p.data)
		}
	}
}

func TestParseSocketIOErrors(t *testing.T) {
	for in, want := range map[string]error{
		"":                      errEmptyPacket,
		"9":                     errPacketType,
		"x":                     errPacketType,
		"5[":                    errAttachments,
		"5-[":                   errAttachments,
		"31234567890123456789[": errAckID,
	} {
		if _, err := parseSocketIO([]byte(in)); !errors.Is(err, want) {
			t.Errorf("%q: err %v, want %v", in, err, want)
		}
	}
}

func TestSplitPayload(t *testing.T) {
	var got []string
	err := splitPayload([]byte("0{}\x1e40\x1e2"), func(p []byte) error {
		got = append(got, string(p))
		return nil
	})
	if err != nil || strings.Join(got, "|") != "0{}|40|2" {
		t.Fatalf("got %q, %v", got, err)
	}
	stop := errors.New("stop")
	n := 0
	err = splitPayload([]byte("a\x1eb\x1ec"), func([]byte) error { n++; return stop })
	if !errors.Is(err, stop) || n != 1 {
		t.Fatalf("stop: n=%d err=%v", n, err)
	}
}

func TestScanTime(t *testing.T) {
	for in, want := range map[string]int64{
		`["msg",{"t":1764121000123456789,"p":"x"}]`: 1764121000123456789,
		`[{"t": 42}]`:     42,
		`{"p":"t","t":7}`: 7,
	} {
		if got, ok := scanTime([]byte(in)); !ok || got != want {
			t.Errorf("%s: %d %v, want %d", in, got, ok, want)
		}
	}
	for _, in := range []string{`["msg",{"p":"x"}]`, `{"t":"x"}`, `{"t":99999999999999999999}`, `{"t":9223372036854775808}`, `{"t":`} {
		if v, ok := scanTime([]byte(in)); ok {
			t.Errorf("%s: got %d, want failure", in, v)
		}
	}
}

func TestIsEvent(t *testing.T) {
	for in, want := range map[string]bool{
		`["msg",{}]`:    true,
		`["msg"]`:       true,
		`["msgs",{}]`:   false,
		`["ms"]`:        false,
		`[ "msg",{}]`:   false,
		`{"msg":1}`:     false,
		``:              false,
		`["echo",{}]`:   false,
		`["msg"x`:       false,
		`["msg",`:       true,
		`["msg",{"t":1`: true,
	} {
		if got := isEvent([]byte(in), "msg"); got != want {
			t.Errorf("isEvent(%q) = %v", in, got)
		}
	}
}

func TestScanSIDAndInt(t *testing.T) {
	if sid, ok := scanSID([]byte(`{"sid":"AbC-1","upgrades":[],"pingInterval":25000}`)); !ok || sid != "AbC-1" {
		t.Fatalf("sid %q %v", sid, ok)
	}
	if _, ok := scanSID([]byte(`{"sid":""}`)); ok {
		t.Fatal("empty sid accepted")
	}
	if n, ok := scanInt([]byte(`{"recipients": 5000}`), `"recipients":`); !ok || n != 5000 {
		t.Fatalf("recipients %d %v", n, ok)
	}
}

func TestPackets(t *testing.T) {
	pk, err := newPackets(`be"nch`, 64)
	if err != nil {
		t.Fatal(err)
	}
	const sent = 1764121000123456789
	payload := pk.appendPayload(nil, sent)
	if len(payload) != 64 {
		t.Fatalf("payload %d bytes, want 64: %s", len(payload), payload)
	}
	if string(pk.join) != `420["join","be\"nch"]` {
		t.Fatalf("join %s", pk.join)
	}
	echo := pk.appendEcho(nil, 17, sent)
	p, err := parseSocketIO(echo[1:])
	if err != nil || p.typ != sioEvent || p.ack != 17 || !isEvent(p.data, "echo") {
		t.Fatalf("echo %s: %+v %v", echo, p, err)
	}
	if got, ok := scanTime(p.data); !ok || got != sent {
		t.Fatalf("echo time %d", got)
	}
	pub := pk.appendPublish(nil, sent)
	if !strings.HasPrefix(string(pub), `42["publish","be\"nch",{"t":1764121000123456789,"p":"`) || !strings.HasSuffix(string(pub), `"}]`) {
		t.Fatalf("publish %s", pub)
	}
	push := pk.appendPush(nil, sent)
	if !strings.HasPrefix(string(push), `{"room":"be\"nch","event":"msg","data":{"t":`) || !strings.HasSuffix(string(push), `"}}`) {
		t.Fatalf("push %s", push)
	}
	small, _ := newPackets("r", 10)
	if len(small.pad) != 0 {
		t.Fatalf("pad %d for a payload smaller than the overhead", len(small.pad))
	}
}

func BenchmarkScanTime(b *testing.B) {
	data := []byte(`["msg",{"t":1764121000123456789,"p":"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"}]`)
	b.ReportAllocs()
	for b.Loop() {
		if _, ok := scanTime(data); !ok {
			b.Fatal("no time")
		}
	}
}
