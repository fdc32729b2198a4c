package engineio

import (
	"bytes"
	"testing"
)

func BenchmarkDecodePayload(b *testing.B) {
	cases := []struct {
		name string
		body []byte
	}{
		{"text", []byte("4hello\x1e2\x1e4world\x1e" + `442["chat message",{"text":"hi there","ts":1700000000000}]`)},
		{"binary", AppendPayloadBinary(AppendPayloadText(nil, Message, []byte(`451-["upload",{"_placeholder":true,"num":0}]`)), bytes.Repeat([]byte{0xab}, 1024))},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(c.body)))
			scratch := make([]byte, 0, 2048)
			n := 0
			fn := func(p Packet) error { n += len(p.Data); return nil }
			for b.Loop() {
				var err error
				scratch, err = DecodePayload(c.body, scratch[:0], fn)
				if err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkAppendOpen(b *testing.B) {
	b.ReportAllocs()
	h := Handshake{SID: "lv_VI97HAXpY6yYWAAAC", Upgrades: []string{"websocket"}, PingInterval: 25000, PingTimeout: 20000, MaxPayload: 1000000}
	buf := make([]byte, 0, 256)
	for b.Loop() {
		buf = AppendOpen(buf[:0], h)
	}
}
