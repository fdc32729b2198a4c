package websocket

import (
	"testing"

	"github.com/gobwas/ws"
)

func BenchmarkParseHeader(b *testing.B) {
	for _, c := range []struct {
		name string
		hdr  []byte
	}{
		{"7bit", hx("81 85 37 fa 21 3d")},
		{"16bit", hx("82 fe 01 00 37 fa 21 3d")},
		{"64bit", hx("82 ff 00 00 00 00 00 01 00 00 37 fa 21 3d")},
	} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, _, err := ParseHeader(c.hdr); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkAppendFrame(b *testing.B) {
	for _, c := range []struct {
		name string
		size int
	}{
		{"64B", 64},
		{"1KiB", 1 << 10},
		{"64KiB", 64 << 10},
	} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(c.size))
			payload := make([]byte, c.size)
			buf := make([]byte, 0, c.size+MaxHeaderSize)
			for b.Loop() {
				buf = AppendFrame(buf[:0], ws.OpText, payload)
			}
		})
	}
}
