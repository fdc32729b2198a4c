package loadtest

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math/rand/v2"

	"github.com/gobwas/ws"
)

// WebSocket opcodes (RFC 6455 §5.2).
const (
	opContinuation = 0x0
	opText         = 0x1
	opBinary       = 0x2
	opClose        = 0x8
	opPing         = 0x9
	opPong         = 0xA
)

// Frame parsing errors. A server that sends any of these is broken, and the
// connection is dropped and counted.
var (
	errMaskedFrame    = errors.New("websocket: server frame is masked")
	errReservedBits   = errors.New("websocket: reserved bits set")
	errBadOpcode      = errors.New("websocket: unknown opcode")
	errControlFrame   = errors.New("websocket: control frame fragmented or longer than 125 bytes")
	errFrameTooLarge  = errors.New("websocket: frame larger than the limit")
	errUnexpectedCont = errors.New("websocket: continuation without a message in progress")
	errNestedMessage  = errors.New("websocket: new message inside a fragmented one")
)

// frame is one WebSocket frame from the server. Its payload aliases the
// buffer it was parsed from, so it is valid only until that buffer is
// discarded: the receive path copies nothing.
type frame struct {
	fin     bool
	op      byte
	payload []byte
}

// parseFrame parses the frame at the start of b. It returns n == 0 and no
// error when b holds only part of a frame, so that the caller waits for more
// bytes without copying the part it has. Frames whose payload exceeds limit
// are rejected before they are buffered.
func parseFrame(b []byte, limit int) (f frame, n int, err error) {
	if len(b) < 2 {
		return frame{}, 0, nil
	}
	b0, b1 := b[0], b[1]
	if b0&0x70 != 0 {
		return frame{}, 0, errReservedBits
	}
	if b1&0x80 != 0 {
		return frame{}, 0, errMaskedFrame
	}
	f.fin = b0&0x80 != 0
	f.op = b0 & 0x0f
	switch f.op {
	case opContinuation, opText, opBinary:
	case opClose, opPing, opPong:
		if !f.fin || b1&0x7f > 125 {
			return frame{}, 0, errControlFrame
		}
	default:
		return frame{}, 0, fmt.Errorf("%w %#x", errBadOpcode, f.op)
	}
	hdr := 2
	var size uint64
	switch l := b1 & 0x7f; l {
	case 126:
		if len(b) < 4 {
			return frame{}, 0, nil
		}
		size, hdr = uint64(binary.BigEndian.Uint16(b[2:])), 4
	case 127:
		if len(b) < 10 {
			return frame{}, 0, nil
		}
		size, hdr = binary.BigEndian.Uint64(b[2:]), 10
	default:
		size = uint64(l)
	}
	if size > uint64(limit) {
		return frame{}, 0, fmt.Errorf("%w: %d > %d bytes", errFrameTooLarge, size, limit)
	}
	end := hdr + int(size)
	if len(b) < end {
		return frame{}, 0, nil
	}
	f.payload = b[hdr:end:end]
	return f, end, nil
}

// appendFrame appends to dst a final client frame carrying p, masked as RFC
// 6455 §5.3 requires of clients. The mask comes from the runtime's fast
// random source: it defeats proxy cache poisoning, which is all masking is
// for, and costs no lock.
func appendFrame(dst []byte, op byte, p []byte) []byte {
	dst = append(dst, 0x80|op)
	switch n := len(p); {
	case n < 126:
		dst = append(dst, 0x80|byte(n))
	case n <= 0xffff:
		dst = append(dst, 0x80|126, byte(n>>8), byte(n))
	default:
		dst = append(dst, 0x80|127)
		dst = binary.BigEndian.AppendUint64(dst, uint64(n))
	}
	var mask [4]byte
	binary.LittleEndian.PutUint32(mask[:], rand.Uint32())
	dst = append(dst, mask[:]...)
	start := len(dst)
	dst = append(dst, p...)
	ws.Cipher(dst[start:], mask, 0)
	return dst
}

// assembler joins a fragmented message. Servers rarely fragment, so its
// buffer is nil until they do and is dropped once the message is complete.
type assembler struct {
	buf    []byte
	op     byte
	active bool
}

// add feeds one data frame. When f ends a message it returns the message's
// opcode, its payload (aliasing f's when f was not fragmented) and true. A
// message longer than limit is an error.
func (a *assembler) add(f frame, limit int) (op byte, msg []byte, done bool, err error) {
	switch {
	case f.op == opContinuation && !a.active:
		return 0, nil, false, errUnexpectedCont
	case f.op != opContinuation && a.active:
		return 0, nil, false, errNestedMessage
	case f.op != opContinuation && f.fin:
		return f.op, f.payload, true, nil
	case f.op != opContinuation:
		a.op = f.op
	}
	if len(a.buf)+len(f.payload) > limit {
		return 0, nil, false, fmt.Errorf("%w: fragmented message", errFrameTooLarge)
	}
	a.buf = append(a.buf, f.payload...)
	a.active = !f.fin
	if a.active {
		return 0, nil, false, nil
	}
	msg = a.buf
	a.buf = nil
	return a.op, msg, true, nil
}
