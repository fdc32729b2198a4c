package engineio

import (
	"encoding/json"
	"reflect"
	"testing"
)

func TestAppendOpen(t *testing.T) {
	cases := []struct {
		name string
		dst  string
		h    Handshake
		want string
	}{
		{
			// The example of docs/engine.io-protocol/v4-current.md.
			name: "doc",
			h:    Handshake{SID: "lv_VI97HAXpY6yYWAAAC", Upgrades: []string{"websocket"}, PingInterval: 25000, PingTimeout: 20000, MaxPayload: 1000000},
			want: `0{"sid":"lv_VI97HAXpY6yYWAAAC","upgrades":["websocket"],"pingInterval":25000,"pingTimeout":20000,"maxPayload":1000000}`,
		},
		{
			name: "websocket-only",
			h:    Handshake{SID: "abc", PingInterval: 25000, PingTimeout: 5000, MaxPayload: 1e6},
			want: `0{"sid":"abc","upgrades":[],"pingInterval":25000,"pingTimeout":5000,"maxPayload":1000000}`,
		},
		{
			name: "empty-upgrades",
			h:    Handshake{SID: "abc", Upgrades: []string{}},
			want: `0{"sid":"abc","upgrades":[],"pingInterval":0,"pingTimeout":0,"maxPayload":0}`,
		},
		{
			name: "two-upgrades",
			h:    Handshake{SID: "s", Upgrades: []string{"websocket", "webtransport"}, PingInterval: 1, PingTimeout: 2, MaxPayload: 3},
			want: `0{"sid":"s","upgrades":["websocket","webtransport"],"pingInterval":1,"pingTimeout":2,"maxPayload":3}`,
		},
		{
			name: "escapes",
			h:    Handshake{SID: `a"b\c/é`, Upgrades: []string{"websocket"}},
			want: `0{"sid":"a\"b\\c/é","upgrades":["websocket"],"pingInterval":0,"pingTimeout":0,"maxPayload":0}`,
		},
		{
			name: "append",
			dst:  "4x\x1e",
			h:    Handshake{SID: "s"},
			want: "4x\x1e" + `0{"sid":"s","upgrades":[],"pingInterval":0,"pingTimeout":0,"maxPayload":0}`,
		},
	}
	for _, c := range cases {
		got := AppendOpen([]byte(c.dst), c.h)
		if string(got) != c.want {
			t.Errorf("%s: AppendOpen = %s\nwant %s", c.name, got, c.want)
		}
	}
}

type openJSON struct {
	SID          string   `json:"sid"`
	Upgrades     []string `json:"upgrades"`
	PingInterval int      `json:"pingInterval"`
	PingTimeout  int      `json:"pingTimeout"`
	MaxPayload   int      `json:"maxPayload"`
}

// TestAppendOpenJSON checks that the open packet of realistic handshakes is
// JSON that decodes back to the handshake.
func TestAppendOpenJSON(t *testing.T) {
	hs := []Handshake{
		{SID: "lv_VI97HAXpY6yYWAAAC", Upgrades: []string{"websocket"}, PingInterval: 25000, PingTimeout: 20000, MaxPayload: 1000000},
		{SID: "AAAAAAAAAAAAAAAAAAAA", Upgrades: []string{}, PingInterval: 1 << 30, PingTimeout: 0, MaxPayload: 100 << 20},
		{SID: "-_-_-_", Upgrades: []string{"websocket", "polling"}, PingInterval: -1},
		{SID: "", Upgrades: []string{""}},
		{SID: "quote\"back\\slash", Upgrades: []string{"a b"}},
	}
	for _, h := range hs {
		b := AppendOpen(nil, h)
		if b[0] != '0' {
			t.Fatalf("type byte %q", b[0])
		}
		var got openJSON
		if err := json.Unmarshal(b[1:], &got); err != nil {
			t.Errorf("AppendOpen(%+v) = %s: invalid JSON: %v", h, b, err)
			continue
		}
		want := openJSON{h.SID, h.Upgrades, h.PingInterval, h.PingTimeout, h.MaxPayload}
		if want.Upgrades == nil {
			want.Upgrades = []string{}
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("AppendOpen(%+v) decodes to %+v", h, got)
		}
		// The packet decodes as an open packet.
		_, p, err := DecodeText(nil, b)
		if err != nil || p.Type != Open || string(p.Data) != string(b[1:]) {
			t.Errorf("DecodeText(AppendOpen) = %+v, %v", p, err)
		}
	}
}
