// Package websocket holds the RFC 6455 pieces a server event loop needs as
// pure functions: frame headers parsed from and appended to byte slices, the
// opening handshake's accept key, and close frame bodies. It builds on the
// types of github.com/gobwas/ws.
package websocket

import (
	"encoding/binary"
	"errors"
	"fmt"
	"unicode/utf8"

	"github.com/gobwas/ws"
)

// Errors from ParseHeader. ErrShort means more bytes are needed; the others
// are protocol errors that close the connection with StatusProtocolError.
var (
	ErrShort         = errors.New("websocket: incomplete frame header")
	ErrProtocol      = errors.New("websocket: protocol error")
	ErrUnmasked      = fmt.Errorf("%w: client frame is not masked", ErrProtocol)
	ErrReservedBits  = fmt.Errorf("%w: reserved bits set", ErrProtocol)
	ErrReservedOp    = fmt.Errorf("%w: reserved opcode", ErrProtocol)
	ErrControlFrame  = fmt.Errorf("%w: fragmented or oversized control frame", ErrProtocol)
	ErrLengthEncoded = fmt.Errorf("%w: non-minimal or oversized length", ErrProtocol)
)

// MaxHeaderSize is the largest frame header: 2 bytes, 8 of extended length
// and 4 of mask.
const MaxHeaderSize = 14

// ParseHeader parses the frame header of a client frame at the start of b and
// returns it with its size. It enforces what RFC 6455 requires of a client
// that negotiated no extension: the mask bit, clear reserved bits, known
// opcodes and unfragmented control frames of at most 125 bytes.
func ParseHeader(b []byte) (ws.Header, int, error) {
	var h ws.Header
	if len(b) < 2 {
		return h, 0, ErrShort
	}
	h.Fin = b[0]&0x80 != 0
	h.Rsv = (b[0] & 0x70) >> 4
	h.OpCode = ws.OpCode(b[0] & 0x0f)
	h.Masked = b[1]&0x80 != 0
	n := 2
	switch l := b[1] & 0x7f; l {
	case 126:
		if len(b) < 4 {
			return h, 0, ErrShort
		}
		h.Length = int64(binary.BigEndian.Uint16(b[2:4]))
		if h.Length < 126 {
			return h, 0, ErrLengthEncoded
		}
		n = 4
	case 127:
		if len(b) < 10 {
			return h, 0, ErrShort
		}
		u := binary.BigEndian.Uint64(b[2:10])
		if u>>63 != 0 || u <= 0xffff {
			return h, 0, ErrLengthEncoded
		}
		h.Length = int64(u)
		n = 10
	default:
		h.Length = int64(l)
	}
	if h.Masked {
		if len(b) < n+4 {
			return h, 0, ErrShort
		}
		copy(h.Mask[:], b[n:n+4])
		n += 4
	}
	switch {
	case h.Rsv != 0:
		return h, 0, ErrReservedBits
	case h.OpCode.IsReserved():
		return h, 0, ErrReservedOp
	case h.OpCode.IsControl() && (!h.Fin || h.Length > 125):
		return h, 0, ErrControlFrame
	case !h.Masked:
		return h, 0, ErrUnmasked
	}
	return h, n, nil
}

// Unmask unmasks a client payload in place.
func Unmask(payload []byte, mask [4]byte) { ws.Cipher(payload, mask, 0) }

// HeaderLen is the size of an unmasked server frame header for a payload of
// n bytes.
func HeaderLen(n int) int {
	switch {
	case n < 126:
		return 2
	case n <= 0xffff:
		return 4
	default:
		return 10
	}
}

// AppendHeader appends an unmasked server frame header.
func AppendHeader(dst []byte, fin bool, op ws.OpCode, n int) []byte {
	b0 := byte(op)
	if fin {
		b0 |= 0x80
	}
	switch {
	case n < 126:
		return append(dst, b0, byte(n))
	case n <= 0xffff:
		return append(dst, b0, 126, byte(n>>8), byte(n))
	default:
		dst = append(dst, b0, 127)
		return binary.BigEndian.AppendUint64(dst, uint64(n))
	}
}

// AppendFrame appends a whole unfragmented, unmasked server frame.
func AppendFrame(dst []byte, op ws.OpCode, payload []byte) []byte {
	dst = AppendHeader(dst, true, op, len(payload))
	return append(dst, payload...)
}

// AppendClose appends a close frame with a status code and a reason, the
// reason cut to fit the 125-byte control frame limit.
func AppendClose(dst []byte, code ws.StatusCode, reason string) []byte {
	if len(reason) > 123 {
		i := 123
		for i > 0 && !utf8.RuneStart(reason[i]) {
			i--
		}
		reason = reason[:i]
	}
	dst = AppendHeader(dst, true, ws.OpClose, 2+len(reason))
	dst = binary.BigEndian.AppendUint16(dst, uint16(code))
	return append(dst, reason...)
}

// ParseClose reads the status code of a close frame body. An empty body
// means no status (1005); a one-byte body or a code that may not be sent on
// the wire is a protocol error.
func ParseClose(body []byte) (ws.StatusCode, error) {
	switch {
	case len(body) == 0:
		return ws.StatusNoStatusRcvd, nil
	case len(body) == 1:
		return 0, fmt.Errorf("%w: one-byte close body", ErrProtocol)
	}
	code := ws.StatusCode(binary.BigEndian.Uint16(body))
	if !validCloseCode(code) {
		return 0, fmt.Errorf("%w: close code %d", ErrProtocol, code)
	}
	return code, nil
}

func validCloseCode(c ws.StatusCode) bool {
	switch {
	case c >= 1000 && c <= 1003, c >= 1007 && c <= 1014:
		return true
	case c >= 3000 && c <= 4999:
		return true
	}
	return false
}
