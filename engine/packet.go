package engine

import (
	"encoding/json"
	"sync"

	"github.com/heraldrt/herald/engine/eio"
	"github.com/heraldrt/herald/protocol/engineio"
	"github.com/heraldrt/herald/protocol/socketio"
)

// Packet is an outgoing Socket.IO event as adapters see it: the namespace,
// the raw JSON array ["event", args...] with binary attachments as
// placeholders, and the attachments. It is encoded for the wire at most
// once, however many sockets receive it.
type Packet struct {
	Namespace   string
	Data        []byte
	Attachments [][]byte
	// ID is the ack id of a broadcast that expects acknowledgements.
	ID    uint64
	HasID bool

	once sync.Once
	msg  *eio.Message
}

// NewEventPacket encodes event and args into a packet for namespace nsp.
func NewEventPacket(nsp, event string, args ...any) (*Packet, error) {
	if socketio.IsReserved(event) {
		return nil, ErrReservedEvent
	}
	data := make([]byte, 0, max(64, 16+len(event)+argsSizeHint(args)))
	data = append(data, '[')
	data = socketio.AppendQuoted(data, event)
	var atts [][]byte
	if len(args) > 0 {
		var err error
		data = append(data, ',')
		if data, atts, err = encodeArgs(data, args); err != nil {
			return nil, err
		}
	}
	data = append(data, ']')
	return &Packet{Namespace: nsp, Data: data, Attachments: atts}, nil
}

// argsSizeHint is a lower bound of the encoded size of args, from those
// whose size is known without encoding them, so that a broadcast of a
// large payload fills its buffer once instead of regrowing it.
func argsSizeHint(args []any) int {
	n := 0
	for _, a := range args {
		switch v := a.(type) {
		case Args:
			n += len(v.raw)
		case json.RawMessage:
			n += len(v)
		case string:
			n += len(v) + 2
		}
	}
	return n
}

// Message returns the packet encoded as one Engine.IO message, building it
// on first use.
func (p *Packet) Message() *eio.Message {
	p.once.Do(func() {
		t := socketio.Event
		if len(p.Attachments) > 0 {
			t = socketio.BinaryEvent
		}
		p.msg = packetMessage(t, p.Namespace, len(p.Attachments), p.ID, p.HasID, p.Data, p.Attachments)
	})
	return p.msg
}

// packetMessage encodes a Socket.IO packet and its attachments as one
// Engine.IO message.
func packetMessage(t socketio.Type, nsp string, n int, id uint64, hasID bool, data []byte, atts [][]byte) *eio.Message {
	var head [64]byte
	hdr := socketio.AppendHeader(head[:0], t, nsp, n, id, hasID)
	// The exact payload size, so that a small packet such as an ack fits
	// in the Message itself: Grow adds the frame header's room.
	size := len(hdr) + len(data)
	for _, a := range atts {
		size += len(a) + 16
	}
	var b eio.MessageBuilder
	b.Grow(size)
	b.TextParts(engineio.Message, hdr, data)
	for _, a := range atts {
		b.Binary(a)
	}
	return b.Message()
}
