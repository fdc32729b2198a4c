package websocket

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/gobwas/ws"
)

var testMask = [4]byte{0x37, 0xfa, 0x21, 0x3d} // the mask of the RFC 6455 §5.7 examples

func hx(s string) []byte {
	var b []byte
	for _, f := range strings.Fields(s) {
		var v byte
		if _, err := fmt.Sscanf(f, "%02x", &v); err != nil {
			panic(err)
		}
		b = append(b, v)
	}
	return b
}

// clientHeader encodes a masked client header with gobwas/ws.
func clientHeader(t testing.TB, h ws.Header) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := ws.WriteHeader(&buf, h); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// clientFrame builds a masked client frame by hand.
func clientFrame(fin bool, op ws.OpCode, mask [4]byte, payload []byte) []byte {
	b := AppendHeader(nil, fin, op, len(payload))
	b[1] |= 0x80
	b = append(b, mask[:]...)
	start := len(b)
	b = append(b, payload...)
	ws.Cipher(b[start:], mask, 0)
	return b
}

// TestRFCExamples uses the frames of RFC 6455 §5.7.
func TestRFCExamples(t *testing.T) {
	// A single-frame masked text message containing "Hello".
	masked := hx("81 85 37 fa 21 3d 7f 9f 4d 51 58")
	h, n, err := ParseHeader(masked)
	if err != nil || n != 6 {
		t.Fatalf("ParseHeader = %d, %v", n, err)
	}
	want := ws.Header{Fin: true, OpCode: ws.OpText, Masked: true, Mask: testMask, Length: 5}
	if h != want {
		t.Errorf("header %+v, want %+v", h, want)
	}
	payload := bytes.Clone(masked[n:])
	Unmask(payload, h.Mask)
	if string(payload) != "Hello" {
		t.Errorf("unmasked %q", payload)
	}
	if got := clientFrame(true, ws.OpText, testMask, []byte("Hello")); !bytes.Equal(got, masked) {
		t.Errorf("clientFrame = % x, want % x", got, masked)
	}

	// Unmasked server frames.
	server := []struct {
		name string
		got  []byte
		want []byte
	}{
		{"text Hello", AppendFrame(nil, ws.OpText, []byte("Hello")), hx("81 05 48 65 6c 6c 6f")},
		{"first fragment", append(AppendHeader(nil, false, ws.OpText, 3), "Hel"...), hx("01 03 48 65 6c")},
		{"last fragment", append(AppendHeader(nil, true, ws.OpContinuation, 2), "lo"...), hx("80 02 6c 6f")},
		{"ping Hello", AppendFrame(nil, ws.OpPing, []byte("Hello")), hx("89 05 48 65 6c 6c 6f")},
		{"256 bytes binary", AppendHeader(nil, true, ws.OpBinary, 256), hx("82 7e 01 00")},
		{"64KiB binary", AppendHeader(nil, true, ws.OpBinary, 65536), hx("82 7f 00 00 00 00 00 01 00 00")},
	}
	for _, c := range server {
		if !bytes.Equal(c.got, c.want) {
			t.Errorf("%s: % x, want % x", c.name, c.got, c.want)
		}
	}

	// A masked pong of "Hello" (the RFC shows the unmasked ping; the client's
	// answer must be masked).
	pong := hx("8a 85 37 fa 21 3d 7f 9f 4d 51 58")
	h, n, err = ParseHeader(pong)
	if err != nil || n != 6 || h.OpCode != ws.OpPong || h.Length != 5 {
		t.Errorf("masked pong: %+v %d %v", h, n, err)
	}
}

func TestParseHeaderLengths(t *testing.T) {
	cases := []struct {
		name   string
		in     []byte
		length int64
		n      int
	}{
		{"0", hx("81 80 01 02 03 04"), 0, 6},
		{"1", hx("82 81 01 02 03 04"), 1, 6},
		{"125", hx("82 fd 01 02 03 04"), 125, 6},
		{"126", hx("82 fe 00 7e 01 02 03 04"), 126, 8},
		{"256", hx("82 fe 01 00 01 02 03 04"), 256, 8},
		{"65535", hx("82 fe ff ff 01 02 03 04"), 65535, 8},
		{"65536", hx("82 ff 00 00 00 00 00 01 00 00 01 02 03 04"), 65536, 14},
		{"2^32", hx("82 ff 00 00 00 01 00 00 00 00 01 02 03 04"), 1 << 32, 14},
		{"2^63-1", hx("82 ff 7f ff ff ff ff ff ff ff 01 02 03 04"), 1<<63 - 1, 14},
	}
	for _, c := range cases {
		// Trailing payload bytes are not part of the header.
		in := append(bytes.Clone(c.in), "payload"...)
		h, n, err := ParseHeader(in)
		if err != nil {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		want := ws.Header{Fin: true, OpCode: ws.OpCode(c.in[0] & 0xf), Masked: true, Mask: [4]byte{1, 2, 3, 4}, Length: c.length}
		if h != want || n != c.n {
			t.Errorf("%s: %+v n=%d, want %+v n=%d", c.name, h, n, want, c.n)
		}
		if n != ws.HeaderSize(h) {
			t.Errorf("%s: n=%d, ws.HeaderSize %d", c.name, n, ws.HeaderSize(h))
		}
	}
}

func TestParseHeaderErrors(t *testing.T) {
	cases := []struct {
		name string
		in   []byte
		err  error
	}{
		{"16-bit 0", hx("82 fe 00 00 01 02 03 04"), ErrLengthEncoded},
		{"16-bit 125", hx("82 fe 00 7d 01 02 03 04"), ErrLengthEncoded},
		{"64-bit 0", hx("82 ff 00 00 00 00 00 00 00 00 01 02 03 04"), ErrLengthEncoded},
		{"64-bit 125", hx("82 ff 00 00 00 00 00 00 00 7d 01 02 03 04"), ErrLengthEncoded},
		{"64-bit 126", hx("82 ff 00 00 00 00 00 00 00 7e 01 02 03 04"), ErrLengthEncoded},
		{"64-bit 65535", hx("82 ff 00 00 00 00 00 00 ff ff 01 02 03 04"), ErrLengthEncoded},
		{"64-bit msb", hx("82 ff 80 00 00 00 00 00 00 00 01 02 03 04"), ErrLengthEncoded},
		{"64-bit all ones", hx("82 ff ff ff ff ff ff ff ff ff 01 02 03 04"), ErrLengthEncoded},
		// Non-minimal lengths are refused before the mask is read.
		{"16-bit 0 no mask yet", hx("82 fe 00 00"), ErrLengthEncoded},
		{"64-bit 1 no mask yet", hx("82 ff 00 00 00 00 00 00 00 01"), ErrLengthEncoded},

		{"unmasked text", hx("81 05 48 65 6c 6c 6f"), ErrUnmasked},
		{"unmasked empty", hx("81 00"), ErrUnmasked},
		{"unmasked 16-bit", hx("82 7e 01 00"), ErrUnmasked},
		{"unmasked 64-bit", hx("82 7f 00 00 00 00 00 01 00 00"), ErrUnmasked},
		{"unmasked close", hx("88 00"), ErrUnmasked},

		{"rsv1", hx("c1 80 01 02 03 04"), ErrReservedBits},
		{"rsv2", hx("a1 80 01 02 03 04"), ErrReservedBits},
		{"rsv3", hx("91 80 01 02 03 04"), ErrReservedBits},
		{"rsv all", hx("f1 80 01 02 03 04"), ErrReservedBits},
		{"rsv1 continuation", hx("40 80 01 02 03 04"), ErrReservedBits},

		{"ping not fin", hx("09 80 01 02 03 04"), ErrControlFrame},
		{"pong not fin", hx("0a 80 01 02 03 04"), ErrControlFrame},
		{"close not fin", hx("08 82 01 02 03 04 00 00"), ErrControlFrame},
		{"ping 126", hx("89 fe 00 7e 01 02 03 04"), ErrControlFrame},
		{"close 126", hx("88 fe 00 7e 01 02 03 04"), ErrControlFrame},
		{"pong 65536", hx("8a ff 00 00 00 00 00 01 00 00 01 02 03 04"), ErrControlFrame},
	}
	for op := ws.OpCode(3); op <= 7; op++ {
		cases = append(cases, struct {
			name string
			in   []byte
			err  error
		}{fmt.Sprintf("opcode %#x", byte(op)), []byte{0x80 | byte(op), 0x80, 1, 2, 3, 4}, ErrReservedOp})
	}
	for op := ws.OpCode(0xb); op <= 0xf; op++ {
		cases = append(cases, struct {
			name string
			in   []byte
			err  error
		}{fmt.Sprintf("opcode %#x", byte(op)), []byte{0x80 | byte(op), 0x80, 1, 2, 3, 4}, ErrReservedOp})
	}
	for _, c := range cases {
		_, n, err := ParseHeader(c.in)
		if err != c.err || n != 0 {
			t.Errorf("%s: n=%d err=%v, want %v", c.name, n, err, c.err)
		}
		if !errors.Is(err, ErrProtocol) {
			t.Errorf("%s: %v does not wrap ErrProtocol", c.name, err)
		}
	}
}

// TestParseHeaderValid accepts every opcode RFC 6455 defines, fragmented
// data frames and control frames up to 125 bytes.
func TestParseHeaderValid(t *testing.T) {
	cases := []struct {
		fin    bool
		op     ws.OpCode
		length int64
	}{
		{true, ws.OpText, 10},
		{false, ws.OpText, 10},
		{true, ws.OpBinary, 70000},
		{false, ws.OpBinary, 300},
		{false, ws.OpContinuation, 0},
		{true, ws.OpContinuation, 1},
		{true, ws.OpClose, 0},
		{true, ws.OpClose, 2},
		{true, ws.OpClose, 125},
		{true, ws.OpPing, 0},
		{true, ws.OpPing, 125},
		{true, ws.OpPong, 125},
	}
	for _, c := range cases {
		want := ws.Header{Fin: c.fin, OpCode: c.op, Masked: true, Mask: testMask, Length: c.length}
		b := clientHeader(t, want)
		h, n, err := ParseHeader(b)
		if err != nil || h != want || n != len(b) {
			t.Errorf("%+v: got %+v n=%d err=%v", want, h, n, err)
		}
	}
}

// TestParseHeaderShort checks that every proper prefix of a valid header
// asks for more bytes.
func TestParseHeaderShort(t *testing.T) {
	for _, length := range []int64{0, 5, 125, 126, 1000, 65535, 65536, 1 << 40} {
		for _, op := range []ws.OpCode{ws.OpText, ws.OpBinary, ws.OpContinuation, ws.OpPing} {
			if op.IsControl() && length > 125 {
				continue
			}
			b := clientHeader(t, ws.Header{Fin: true, OpCode: op, Masked: true, Mask: testMask, Length: length})
			for i := range len(b) {
				if _, n, err := ParseHeader(b[:i]); err != ErrShort || n != 0 {
					t.Errorf("length %d op %v prefix %d/%d: n=%d err=%v, want ErrShort", length, op, i, len(b), n, err)
				}
			}
			if _, n, err := ParseHeader(b); err != nil || n != len(b) {
				t.Errorf("length %d op %v: n=%d err=%v", length, op, n, err)
			}
		}
	}
	if errors.Is(ErrShort, ErrProtocol) {
		t.Error("ErrShort wraps ErrProtocol")
	}
}

// TestParseHeaderMatchesGobwas decodes headers written by gobwas/ws.
func TestParseHeaderMatchesGobwas(t *testing.T) {
	lengths := []int64{0, 1, 124, 125, 126, 127, 255, 256, 65534, 65535, 65536, 65537, 1 << 31, 1<<63 - 1}
	for _, op := range []ws.OpCode{ws.OpContinuation, ws.OpText, ws.OpBinary} {
		for _, fin := range []bool{true, false} {
			for _, l := range lengths {
				want := ws.Header{Fin: fin, OpCode: op, Masked: true, Mask: [4]byte{byte(l), 0xff, 0, byte(op)}, Length: l}
				b := clientHeader(t, want)
				h, n, err := ParseHeader(b)
				if err != nil || h != want || n != ws.HeaderSize(want) {
					t.Errorf("%+v: got %+v n=%d err=%v", want, h, n, err)
				}
				// gobwas/ws reads back the same header.
				back, err := ws.ReadHeader(bytes.NewReader(b))
				if err != nil || back != want {
					t.Errorf("ws.ReadHeader: %+v %v", back, err)
				}
			}
		}
	}
}

func TestHeaderLenAppendHeader(t *testing.T) {
	cases := []struct {
		fin  bool
		op   ws.OpCode
		n    int
		want []byte
	}{
		{true, ws.OpText, 0, hx("81 00")},
		{true, ws.OpText, 125, hx("81 7d")},
		{true, ws.OpBinary, 126, hx("82 7e 00 7e")},
		{false, ws.OpBinary, 65535, hx("02 7e ff ff")},
		{false, ws.OpContinuation, 65536, hx("00 7f 00 00 00 00 00 01 00 00")},
		{true, ws.OpContinuation, 1 << 32, hx("80 7f 00 00 00 01 00 00 00 00")},
		{true, ws.OpClose, 2, hx("88 02")},
		{true, ws.OpPing, 0, hx("89 00")},
		{true, ws.OpPong, 4, hx("8a 04")},
	}
	for _, c := range cases {
		got := AppendHeader([]byte("x"), c.fin, c.op, c.n)
		if !bytes.Equal(got[1:], c.want) || got[0] != 'x' {
			t.Errorf("AppendHeader(%v, %v, %d) = % x, want % x", c.fin, c.op, c.n, got[1:], c.want)
		}
		if HeaderLen(c.n) != len(c.want) {
			t.Errorf("HeaderLen(%d) = %d, want %d", c.n, HeaderLen(c.n), len(c.want))
		}
		// The same bytes as gobwas/ws for an unmasked header.
		gw := clientHeader(t, ws.Header{Fin: c.fin, OpCode: c.op, Length: int64(c.n)})
		if !bytes.Equal(gw, c.want) {
			t.Errorf("ws.WriteHeader = % x, AppendHeader % x", gw, c.want)
		}
	}
	for _, n := range []int{0, 125, 126, 65535, 65536, 1 << 20} {
		if h := AppendHeader(nil, true, ws.OpBinary, n); len(h) != HeaderLen(n) {
			t.Errorf("len(AppendHeader(%d)) = %d, HeaderLen %d", n, len(h), HeaderLen(n))
		}
	}
	if MaxHeaderSize != ws.MaxHeaderSize {
		t.Errorf("MaxHeaderSize = %d, ws.MaxHeaderSize %d", MaxHeaderSize, ws.MaxHeaderSize)
	}
}

// TestAppendFrameRoundTrip writes server frames, reads them back with
// gobwas/ws, and, once turned into masked client frames, with ParseHeader.
func TestAppendFrameRoundTrip(t *testing.T) {
	for _, op := range []ws.OpCode{ws.OpText, ws.OpBinary, ws.OpPing, ws.OpPong, ws.OpClose} {
		for _, size := range []int{0, 1, 125, 126, 127, 1000, 65535, 65536, 70000} {
			if op.IsControl() && size > 125 {
				continue
			}
			payload := make([]byte, size)
			for i := range payload {
				payload[i] = byte(i*7 + size)
			}
			frame := AppendFrame([]byte("prefix"), op, payload)[len("prefix"):]
			if len(frame) != HeaderLen(size)+size {
				t.Fatalf("%v %d: frame of %d bytes", op, size, len(frame))
			}

			// Servers do not mask, so ParseHeader (client frames) refuses it.
			if _, _, err := ParseHeader(frame); err != ErrUnmasked {
				t.Errorf("%v %d: ParseHeader of a server frame: %v, want ErrUnmasked", op, size, err)
			}

			f, err := ws.ReadFrame(bytes.NewReader(frame))
			if err != nil || f.Header.OpCode != op || !f.Header.Fin || f.Header.Masked || f.Header.Rsv != 0 ||
				f.Header.Length != int64(size) || !bytes.Equal(f.Payload, payload) {
				t.Errorf("%v %d: ws.ReadFrame %+v %v", op, size, f.Header, err)
			}

			// The same frame as a client would send it.
			masked := ws.MaskFrameWith(ws.NewFrame(op, true, payload), testMask)
			cb, err := ws.CompileFrame(masked)
			if err != nil {
				t.Fatal(err)
			}
			h, n, err := ParseHeader(cb)
			if err != nil || h.OpCode != op || !h.Fin || h.Length != int64(size) || h.Mask != testMask || n != len(frame)-size+4 {
				t.Errorf("%v %d: ParseHeader %+v n=%d err=%v", op, size, h, n, err)
				continue
			}
			if !bytes.Equal(cb, clientFrame(true, op, testMask, payload)) {
				t.Errorf("%v %d: hand-built client frame differs from gobwas/ws", op, size)
			}
			body := cb[n : n+int(h.Length)]
			Unmask(body, h.Mask)
			if !bytes.Equal(body, payload) {
				t.Errorf("%v %d: unmasked payload differs", op, size)
			}
		}
	}
}

func TestUnmask(t *testing.T) {
	p := hx("7f 9f 4d 51 58")
	Unmask(p, testMask)
	if string(p) != "Hello" {
		t.Errorf("Unmask = %q", p)
	}
	// Unmasking twice restores the input; long payloads use every mask byte.
	orig := bytes.Repeat([]byte("0123456789"), 100)
	q := bytes.Clone(orig)
	Unmask(q, testMask)
	for i := range q {
		if q[i] != orig[i]^testMask[i%4] {
			t.Fatalf("byte %d: %#x, want %#x", i, q[i], orig[i]^testMask[i%4])
		}
	}
	Unmask(q, testMask)
	if !bytes.Equal(q, orig) {
		t.Error("Unmask is not an involution")
	}
	Unmask(nil, testMask)
}

func TestAppendClose(t *testing.T) {
	long := strings.Repeat("r", 200)
	cases := []struct {
		code   ws.StatusCode
		reason string
		want   []byte
	}{
		{ws.StatusNormalClosure, "", hx("88 02 03 e8")},
		{ws.StatusGoingAway, "bye", hx("88 05 03 e9 62 79 65")},
		{ws.StatusProtocolError, "", hx("88 02 03 ea")},
		{ws.StatusMessageTooBig, "", hx("88 02 03 f1")},
		{4000, "x", hx("88 03 0f a0 78")},
		{ws.StatusNormalClosure, strings.Repeat("r", 123), append(hx("88 7d 03 e8"), strings.Repeat("r", 123)...)},
		{ws.StatusNormalClosure, long, append(hx("88 7d 03 e8"), long[:123]...)},
	}
	for _, c := range cases {
		got := AppendClose([]byte{0xee}, c.code, c.reason)
		if got[0] != 0xee || !bytes.Equal(got[1:], c.want) {
			t.Errorf("AppendClose(%d, %q) = % x, want % x", c.code, c.reason, got[1:], c.want)
			continue
		}
		f, err := ws.ReadFrame(bytes.NewReader(got[1:]))
		if err != nil || f.Header.OpCode != ws.OpClose || len(f.Payload) > 125 {
			t.Errorf("ws.ReadFrame: %+v %v", f.Header, err)
			continue
		}
		code, err := ParseClose(f.Payload)
		if err != nil || code != c.code {
			t.Errorf("ParseClose(AppendClose(%d)) = %d, %v", c.code, code, err)
		}
		if want := ws.NewCloseFrameBody(c.code, c.reason); !bytes.Equal(f.Payload, want) {
			t.Errorf("body % x, ws.NewCloseFrameBody % x", f.Payload, want)
		}
	}
}

func TestParseClose(t *testing.T) {
	valid := []ws.StatusCode{1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 3000, 3001, 3999, 4000, 4999}
	invalid := []ws.StatusCode{0, 1, 999, 1004, 1005, 1006, 1015, 1016, 1100, 2000, 2999, 5000, 65535}
	for _, code := range valid {
		for _, reason := range []string{"", "bye", "\xff"} {
			body := binary.BigEndian.AppendUint16(nil, uint16(code))
			body = append(body, reason...)
			got, err := ParseClose(body)
			if err != nil || got != code {
				t.Errorf("ParseClose(% x) = %d, %v; want %d", body, got, err, code)
			}
		}
	}
	for _, code := range invalid {
		body := binary.BigEndian.AppendUint16(nil, uint16(code))
		if got, err := ParseClose(body); !errors.Is(err, ErrProtocol) || got != 0 {
			t.Errorf("ParseClose(%d) = %d, %v; want a protocol error", code, got, err)
		}
	}
	if got, err := ParseClose(nil); err != nil || got != ws.StatusNoStatusRcvd {
		t.Errorf("ParseClose(empty) = %d, %v; want 1005", got, err)
	}
	if got, err := ParseClose([]byte{0x03}); !errors.Is(err, ErrProtocol) || got != 0 {
		t.Errorf("ParseClose(one byte) = %d, %v; want a protocol error", got, err)
	}
}

func TestZeroAllocs(t *testing.T) {
	if raceEnabled || testing.CoverMode() != "" {
		t.Skip("instrumentation changes allocation counts")
	}
	hdr := hx("82 fe 01 00 01 02 03 04")
	payload := make([]byte, 256)
	buf := make([]byte, 0, 512)
	body := hx("03 e8 62 79 65")
	key := []byte("dGhlIHNhbXBsZSBub25jZQ==")
	cases := []struct {
		name string
		fn   func()
	}{
		{"ParseHeader", func() { _, _, _ = ParseHeader(hdr) }},
		{"ParseHeaderShort", func() { _, _, _ = ParseHeader(hdr[:3]) }},
		{"AppendHeader", func() { buf = AppendHeader(buf[:0], true, ws.OpText, 300) }},
		{"AppendFrame", func() { buf = AppendFrame(buf[:0], ws.OpBinary, payload) }},
		{"AppendClose", func() { buf = AppendClose(buf[:0], ws.StatusGoingAway, "bye") }},
		{"ParseClose", func() { _, _ = ParseClose(body) }},
		{"Unmask", func() { Unmask(payload, testMask) }},
		{"ValidKey", func() { _ = ValidKey(key) }},
		{"AppendAccept", func() { buf = AppendAccept(buf[:0], key) }},
	}
	for _, c := range cases {
		if n := testing.AllocsPerRun(100, c.fn); n != 0 {
			t.Errorf("%s: %v allocs, want 0", c.name, n)
		}
	}
}
