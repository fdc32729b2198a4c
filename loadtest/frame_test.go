package loadtest

import (
	"bytes"
	"encoding/binary"
	"errors"
	"testing"

	"github.com/gobwas/ws"
)

// serverFrame builds an unmasked frame as a server sends it.
func serverFrame(fin bool, op byte, p []byte) []byte {
	b0 := op
	if fin {
		b0 |= 0x80
	}
	out := []byte{b0}
	switch n := len(p); {
	case n < 126:
		out = append(out, byte(n))
	case n <= 0xffff:
		out = append(out, 126, byte(n>>8), byte(n))
	default:
		out = append(out, 127)
		out = binary.BigEndian.AppendUint64(out, uint64(n))
	}
	return append(out, p...)
}

func TestParseFrameSizes(t *testing.T) {
	for _, size := range []int{0, 1, 125, 126, 127, 65535, 65536, 200000} {
		p := bytes.Repeat([]byte{'a'}, size)
		b := serverFrame(true, opText, p)
		f, n, err := parseFrame(b, maxFrame)
		if err != nil || n != len(b) || !f.fin || f.op != opText || !bytes.Equal(f.payload, p) {
			t.Fatalf("size %d: n=%d err=%v fin=%v op=%d len=%d", size, n, err, f.fin, f.op, len(f.payload))
		}
		// Every strict prefix is incomplete, not an error.
		for _, cut := range []int{0, 1, 2, 3, 9, len(b) - 1} {
			if cut < 0 || cut >= len(b) {
				continue
			}
			if _, n, err := parseFrame(b[:cut], maxFrame); n != 0 || err != nil {
				t.Fatalf("size %d cut %d: n=%d err=%v", size, cut, n, err)
			}
		}
	}
}

func TestParseFrameSequence(t *testing.T) {
	var b []byte
	for _, s := range []string{"2", `42["msg",{"t":1}]`, "6"} {
		b = append(b, serverFrame(true, opText, []byte(s))...)
	}
	var got []string
	for len(b) > 0 {
		f, n, err := parseFrame(b, maxFrame)
		if err != nil || n == 0 {
			t.Fatalf("n=%d err=%v", n, err)
		}
		got = append(got, string(f.payload))
		b = b[n:]
	}
	if len(got) != 3 || got[1] != `42["msg",{"t":1}]` {
		t.Fatalf("got %q", got)
	}
}

func TestParseFrameErrors(t *testing.T) {
	tests := []struct {
		name string
		b    []byte
		want error
	}{
		{"masked", []byte{0x81, 0x81, 1, 2, 3, 4, 'x'}, errMaskedFrame},
		{"rsv", []byte{0xC1, 0x00}, errReservedBits},
		{"opcode", []byte{0x83, 0x00}, errBadOpcode},
		{"long ping", serverFrame(true, opPing, make([]byte, 126)), errControlFrame},
		{"fragmented close", []byte{0x08, 0x00}, errControlFrame},
		{"too large", serverFrame(true, opText, make([]byte, 2000)), errFrameTooLarge},
		{"huge length", []byte{0x81, 127, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}, errFrameTooLarge},
	}
	for _, tt := range tests {
		_, _, err := parseFrame(tt.b, 1000)
		if !errors.Is(err, tt.want) {
			t.Errorf("%s: err %v, want %v", tt.name, err, tt.want)
		}
	}
}

// TestAppendFrameRoundTrip unmasks what the client sends with gobwas/ws, an
// independent implementation.
func TestAppendFrameRoundTrip(t *testing.T) {
	for _, size := range []int{0, 5, 125, 126, 70000} {
		p := bytes.Repeat([]byte("xyz"), size/3+1)[:size]
		b := appendFrame([]byte("prefix"), opText, p)
		if !bytes.HasPrefix(b, []byte("prefix")) {
			t.Fatal("dst prefix lost")
		}
		r := bytes.NewReader(b[len("prefix"):])
		h, err := ws.ReadHeader(r)
		if err != nil {
			t.Fatalf("size %d: %v", size, err)
		}
		if !h.Fin || h.OpCode != ws.OpText || !h.Masked || h.Length != int64(size) {
			t.Fatalf("size %d: header %+v", size, h)
		}
		body := make([]byte, h.Length)
		if _, err := r.Read(body); err != nil && size > 0 {
			t.Fatal(err)
		}
		ws.Cipher(body, h.Mask, 0)
		if !bytes.Equal(body, p) {
			t.Fatalf("size %d: payload mismatch", size)
		}
		if r.Len() != 0 {
			t.Fatalf("size %d: %d trailing bytes", size, r.Len())
		}
	}
}

func TestAssembler(t *testing.T) {
	var a assembler
	op, msg, done, err := a.add(frame{fin: true, op: opText, payload: []byte("whole")}, 100)
	if err != nil || !done || op != opText || string(msg) != "whole" {
		t.Fatalf("unfragmented: %v %v %q", err, done, msg)
	}
	steps := []frame{
		{fin: false, op: opText, payload: []byte("42[")},
		{fin: false, op: opContinuation, payload: []byte(`"msg"`)},
		{fin: true, op: opContinuation, payload: []byte("]")},
	}
	for i, f := range steps {
		op, msg, done, err = a.add(f, 100)
		if err != nil || done != (i == 2) {
			t.Fatalf("step %d: done %v err %v", i, done, err)
		}
	}
	if op != opText || string(msg) != `42["msg"]` {
		t.Fatalf("assembled %d %q", op, msg)
	}
	if _, _, _, err := a.add(frame{fin: true, op: opContinuation}, 100); !errors.Is(err, errUnexpectedCont) {
		t.Fatalf("stray continuation: %v", err)
	}
	_, _, _, _ = a.add(frame{fin: false, op: opBinary, payload: []byte("a")}, 100)
	if _, _, _, err := a.add(frame{fin: true, op: opText}, 100); !errors.Is(err, errNestedMessage) {
		t.Fatalf("nested message: %v", err)
	}
	var b assembler
	_, _, _, _ = b.add(frame{fin: false, op: opText, payload: make([]byte, 60)}, 100)
	if _, _, _, err := b.add(frame{fin: true, op: opContinuation, payload: make([]byte, 60)}, 100); !errors.Is(err, errFrameTooLarge) {
		t.Fatalf("oversized message: %v", err)
	}
}

func TestCheckUpgrade(t *testing.T) {
	accept := []byte("s3pPLMBiTxaQ9kYGzzhZRbK+xOo=")
	ok := "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nsec-websocket-accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo="
	if err := checkUpgrade([]byte(ok), accept); err != nil {
		t.Fatal(err)
	}
	if err := checkUpgrade([]byte("HTTP/1.1 400 Bad Request\r\nContent-Length: 0"), accept); !errors.Is(err, errUpgradeStatus) {
		t.Fatalf("400: %v", err)
	}
	if err := checkUpgrade([]byte("HTTP/1.1 101 OK\r\nSec-WebSocket-Accept: nope"), accept); !errors.Is(err, errUpgradeAccept) {
		t.Fatalf("wrong accept: %v", err)
	}
	if err := checkUpgrade([]byte("HTTP/1.1 101 OK\r\nUpgrade: websocket"), accept); !errors.Is(err, errUpgradeAccept) {
		t.Fatalf("no accept: %v", err)
	}
}

func BenchmarkParseFrame(b *testing.B) {
	buf := serverFrame(true, opText, []byte(`42["msg",{"t":1764121000000000000,"p":"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"}]`))
	b.ReportAllocs()
	b.SetBytes(int64(len(buf)))
	for b.Loop() {
		if _, n, err := parseFrame(buf, maxFrame); n == 0 || err != nil {
			b.Fatal(n, err)
		}
	}
}

func BenchmarkAppendFrame(b *testing.B) {
	p := []byte(`42["publish","bench",{"t":1764121000000000000,"p":"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"}]`)
	dst := make([]byte, 0, 256)
	b.ReportAllocs()
	for b.Loop() {
		dst = appendFrame(dst[:0], opText, p)
	}
}
