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

	small [smallFrames]byte // frames' storage when they are small, such as an ack
}

// smallFrames is the size up to which a message's frames live in the
// Message itself, one allocation instead of two.
const smallFrames = 96

type part struct {
	off, n int // payload position in frames
	binary bool
}

// MessageBuilder assembles a Message from packets. The zero value is ready.
type MessageBuilder struct {
	m      *Message
	frames []byte
	n      int     // packets added
	first  [4]part // the first packets; no slice into it, so that a
	more   []part  // builder on the stack stays there
}

func (b *MessageBuilder) addPart(p part) {
	if b.n < len(b.first) {
		b.first[b.n] = p
	} else {
		b.more = append(b.more, p)
	}
	b.n++
}

// Text adds a text packet of type t.
func (b *MessageBuilder) Text(t engineio.Type, data []byte) *MessageBuilder {
	return b.TextParts(t, data)
}

// TextParts adds a text packet of type t whose data is the parts joined,
// so that callers need not join them first.
func (b *MessageBuilder) TextParts(t engineio.Type, parts ...[]byte) *MessageBuilder {
	n := 1
	for _, p := range parts {
		n += len(p)
	}
	b.frames = websocket.AppendHeader(b.frames, true, ws.OpText, n)
	off := len(b.frames)
	b.frames = append(b.frames, t.Char())
	for _, p := range parts {
		b.frames = append(b.frames, p...)
	}
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
	if b.m == nil && b.frames == nil && n+16 <= smallFrames {
		b.m = new(Message)
		b.frames = b.m.small[:0]
		return b
	}
	if cap(b.frames)-len(b.frames) < n+16 {
		f := make([]byte, len(b.frames), len(b.frames)+n+16)
		copy(f, b.frames)
		b.frames = f
	}
	return b
}

// Message returns the built Message and resets the builder.
func (b *MessageBuilder) Message() *Message {
	m := b.m // frames may have outgrown m.small: they are set below either way
	if m == nil {
		m = &Message{}
	}
	m.frames = b.frames
	if b.n == 1 {
		m.one[0] = b.first[0]
		m.parts = m.one[:]
	} else {
		m.parts = make([]part, 0, b.n)
		m.parts = append(m.parts, b.first[:min(b.n, len(b.first))]...)
		m.parts = append(m.parts, b.more...)
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
