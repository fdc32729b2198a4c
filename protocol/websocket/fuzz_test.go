package websocket

import (
	"bytes"
	"encoding/binary"
	"errors"
	"testing"

	"github.com/gobwas/ws"
)

func FuzzParseHeader(f *testing.F) {
	for _, s := range []string{
		"81 85 37 fa 21 3d 7f 9f 4d 51 58",
		"82 fe 01 00 01 02 03 04",
		"82 ff 00 00 00 00 00 01 00 00 01 02 03 04",
		"82 fe 00 7d 01 02 03 04",
		"81 05 48 65 6c 6c 6f",
		"c1 80 01 02 03 04",
		"89 fe 00 7e 01 02 03 04",
		"0b 80 01 02 03 04",
		"82 ff",
	} {
		f.Add(hx(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		orig := bytes.Clone(b)
		h, n, err := ParseHeader(b)
		if !bytes.Equal(b, orig) {
			t.Fatal("ParseHeader modified its input")
		}
		// The size the header needs, worked out independently.
		need := 2
		if len(b) >= 2 {
			switch b[1] & 0x7f {
			case 126:
				need = 4
			case 127:
				need = 10
			}
			if b[1]&0x80 != 0 {
				need += 4
			}
		}
		if err != nil {
			if n != 0 {
				t.Fatalf("n = %d with error %v", n, err)
			}
			if err == ErrShort {
				if len(b) >= need {
					t.Fatalf("ErrShort with %d bytes, header needs %d", len(b), need)
				}
				return
			}
			if !errors.Is(err, ErrProtocol) {
				t.Fatalf("unexpected error %v", err)
			}
			return
		}
		if n != need || n > len(b) || n > MaxHeaderSize {
			t.Fatalf("n = %d, need %d, len %d", n, need, len(b))
		}
		if !h.Masked || h.Rsv != 0 || h.OpCode.IsReserved() || h.Length < 0 ||
			(h.OpCode.IsControl() && (!h.Fin || h.Length > 125)) {
			t.Fatalf("accepted %+v", h)
		}
		if h.Fin != (b[0]&0x80 != 0) || byte(h.OpCode) != b[0]&0xf || h.Mask != [4]byte(b[n-4:n]) {
			t.Fatalf("header %+v from % x", h, b[:n])
		}
		switch l := b[1] & 0x7f; {
		case l < 126:
			if n != 6 || h.Length != int64(l) {
				t.Fatalf("7-bit length %d: %+v n=%d", l, h, n)
			}
		case l == 126:
			if n != 8 || h.Length < 126 || h.Length > 0xffff || h.Length != int64(binary.BigEndian.Uint16(b[2:])) {
				t.Fatalf("16-bit length: %+v n=%d", h, n)
			}
		default:
			if n != 14 || h.Length <= 0xffff || uint64(h.Length) != binary.BigEndian.Uint64(b[2:]) {
				t.Fatalf("64-bit length: %+v n=%d", h, n)
			}
		}
		// Minimal encoding: re-encoding yields the same bytes.
		enc := AppendHeader(nil, h.Fin, h.OpCode, int(h.Length))
		enc[1] |= 0x80
		enc = append(enc, h.Mask[:]...)
		if !bytes.Equal(enc, b[:n]) {
			t.Fatalf("re-encoded % x, input % x", enc, b[:n])
		}
		if gw := clientHeader(t, h); !bytes.Equal(gw, b[:n]) {
			t.Fatalf("ws.WriteHeader % x, input % x", gw, b[:n])
		}
		if back, err := ws.ReadHeader(bytes.NewReader(b)); err != nil || back != h {
			t.Fatalf("ws.ReadHeader = %+v, %v; ParseHeader %+v", back, err, h)
		}
		// Every proper prefix is short; the exact header parses alike.
		for i := range n {
			if _, _, err := ParseHeader(b[:i]); err != ErrShort {
				t.Fatalf("prefix %d of % x: %v", i, b[:n], err)
			}
		}
		if h2, n2, err := ParseHeader(b[:n]); err != nil || h2 != h || n2 != n {
			t.Fatalf("exact header: %+v %d %v", h2, n2, err)
		}
	})
}
