package eio

import (
	"sync"

	"github.com/gobwas/ws"

	"github.com/heraldrt/herald/protocol/engineio"
	"github.com/heraldrt/herald/protocol/websocket"
)

// Message is an immutable, pre-encoded unit of output: one or more Engine.IO
// packets, ready to write as WebSocket frames and, lazily, as a long-polling
// payload fragment. One Message can be handed to any number of sessions; no
// recipient copies or re-encodes it.
type Message struct {
	frames []byte  // WebSocket frames, concatenated
	parts  []part  // where each packet sits in frames
	one    [1]part // parts' storage when there is one packet, the usual case

	pollOnce sync.Once
	poll     []byte // polling form, built on first use
}

type part struct {
	off, n int // payload position in frames
	binary bool
}

// MessageBuilder assembles a Message from packets. The zero value is ready.
type MessageBuilder struct {
	frames []byte
	parts  []part
	first  [4]part // parts' storage for up to four packets
}

func (b *MessageBuilder) addPart(p part) {
	if b.parts == nil {
		b.parts = b.first[:0]
	}
	b.parts = append(b.parts, p)
}

// Text adds a text packet of type t.
func (b *MessageBuilder) Text(t engineio.Type, data []byte) *MessageBuilder {
	return b.TextParts(t, data, nil)
}

// TextParts adds a text packet of type t whose data is head followed by
// body, so that callers need not join them first.
func (b *MessageBuilder) TextParts(t engineio.Type, head, body []byte) *MessageBuilder {
	n := 1 + len(head) + len(body)
	b.frames = websocket.AppendHeader(b.frames, true, ws.OpText, n)
	off := len(b.frames)
	b.frames = append(b.frames, t.Char())
	b.frames = append(b.frames, head...)
	b.frames = append(b.frames, body...)
	b.addPart(part{off: off, n: n})
	return b
}

// Binary adds a binary message packet.
func (b *MessageBuilder) Binary(data []byte) *MessageBuilder {
	b.frames = websocket.AppendHeader(b.frames, true, ws.OpBinary, len(data))
	off := len(b.frames)
	b.frames = append(b.frames, data...)
	b.addPart(part{off: off, n: len(data), binary: true})
	return b
}

// Grow makes room for n more payload bytes, to avoid regrowth when the
// caller knows the packet sizes.
func (b *MessageBuilder) Grow(n int) *MessageBuilder {
	if cap(b.frames)-len(b.frames) < n+16 {
		f := make([]byte, len(b.frames), len(b.frames)+n+16)
		copy(f, b.frames)
		b.frames = f
	}
	return b
}

// Message returns the built Message and resets the builder.
func (b *MessageBuilder) Message() *Message {
	m := &Message{frames: b.frames}
	if len(b.parts) == 1 {
		m.one[0] = b.parts[0]
		m.parts = m.one[:]
	} else {
		m.parts = append([]part(nil), b.parts...)
	}
	*b = MessageBuilder{}
	if len(m.parts) == 1 && !m.parts[0].binary {
		p := m.parts[0]
		m.poll = m.frames[p.off : p.off+p.n : p.off+p.n]
		m.pollOnce.Do(func() {})
	}
	return m
}

// NewTextMessage is a Message holding one message packet with text data.
func NewTextMessage(data []byte) *Message {
	var b MessageBuilder
	return b.Grow(len(data)+1).Text(engineio.Message, data).Message()
}

// NewBinaryMessage is a Message holding one message packet with binary data.
func NewBinaryMessage(data []byte) *Message {
	var b MessageBuilder
	return b.Grow(len(data)).Binary(data).Message()
}

func newPacketMessage(t engineio.Type, data string) *Message {
	var b MessageBuilder
	return b.Text(t, []byte(data)).Message()
}

// Frames are the WebSocket frames of m. Callers must not modify them.
func (m *Message) Frames() []byte { return m.frames }

// Len is the size of m's WebSocket form.
func (m *Message) Len() int { return len(m.frames) }

// Packets is the number of Engine.IO packets in m.
func (m *Message) Packets() int { return len(m.parts) }

// Polling returns m as a long-polling payload fragment: its packets joined
// by the record separator, binary ones base64 encoded.
func (m *Message) Polling() []byte {
	m.pollOnce.Do(func() {
		var dst []byte
		for _, p := range m.parts {
			data := m.frames[p.off : p.off+p.n]
			if p.binary {
				dst = engineio.AppendPayloadBinary(dst, data)
				continue
			}
			if len(dst) > 0 {
				dst = append(dst, engineio.Separator)
			}
			dst = append(dst, data...)
		}
		m.poll = dst
	})
	return m.poll
}

// Static control packets, shared by every session.
var (
	pingMessage  = newPacketMessage(engineio.Ping, "")
	noopMessage  = newPacketMessage(engineio.Noop, "")
	closeMessage = newPacketMessage(engineio.Close, "")
	probeMessage = newPacketMessage(engineio.Pong, "probe")
)
