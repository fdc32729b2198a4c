// Package engineio implements the Engine.IO v4 wire format as pure functions
// over byte slices: packets, HTTP long-polling payloads and the handshake.
//
// Nothing here does I/O or keeps state. Decoders alias their input where they
// can, so callers must copy what outlives the input buffer.
package engineio

import (
	"errors"
	"fmt"
)

// Type is the Engine.IO packet type, sent on the wire as one ASCII digit.
type Type byte

// Packet types of Engine.IO v4.
const (
	Open Type = iota
	Close
	Ping
	Pong
	Message
	Upgrade
	Noop
)

var typeNames = [...]string{"open", "close", "ping", "pong", "message", "upgrade", "noop"}

func (t Type) String() string {
	if int(t) < len(typeNames) {
		return typeNames[t]
	}
	return fmt.Sprintf("Type(%d)", byte(t))
}

// Valid reports whether t is one of the seven packet types.
func (t Type) Valid() bool { return t <= Noop }

// Char is the ASCII digit that encodes t on the wire.
func (t Type) Char() byte { return '0' + byte(t) }

// Errors returned by the decoders. All of them wrap ErrParse.
var (
	ErrParse       = errors.New("engineio: parse error")
	ErrEmpty       = fmt.Errorf("%w: empty packet", ErrParse)
	ErrUnknownType = fmt.Errorf("%w: unknown packet type", ErrParse)
	ErrBase64      = fmt.Errorf("%w: invalid base64 in binary packet", ErrParse)
	ErrTooLarge    = fmt.Errorf("%w: payload exceeds maxPayload", ErrParse)
)

// Packet is one decoded Engine.IO packet. Data aliases the decoder's input
// unless the packet was base64 encoded.
type Packet struct {
	Type   Type
	Data   []byte
	Binary bool
}

// DecodeText decodes a packet received as a WebSocket text frame or as one
// element of a polling payload. A 'b' prefix marks a base64 binary message,
// which is decoded into scratch; the grown scratch is returned for reuse.
// Other packets alias b.
func DecodeText(scratch, b []byte) ([]byte, Packet, error) {
	if len(b) > 0 && b[0] == 'b' {
		return decodeBase64(scratch, b[1:])
	}
	p, err := decodeType(b)
	return scratch, p, err
}

func decodeType(b []byte) (Packet, error) {
	if len(b) == 0 {
		return Packet{}, ErrEmpty
	}
	t := Type(b[0] - '0')
	if b[0] < '0' || !t.Valid() {
		return Packet{}, ErrUnknownType
	}
	return Packet{Type: t, Data: b[1:]}, nil
}

// BinaryMessage wraps the payload of a WebSocket binary frame: in Engine.IO v4
// binary frames carry a message packet with no type prefix.
func BinaryMessage(b []byte) Packet {
	return Packet{Type: Message, Data: b, Binary: true}
}

// AppendText appends the text form of a packet (type digit then data).
func AppendText(dst []byte, t Type, data []byte) []byte {
	dst = append(dst, t.Char())
	return append(dst, data...)
}
