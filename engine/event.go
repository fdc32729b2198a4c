package engine

import (
	"sync/atomic"

	"github.com/heraldrt/herald/engine/eio"
	"github.com/heraldrt/herald/protocol/engineio"
	"github.com/heraldrt/herald/protocol/socketio"
)

// Event is one event a client sent.
type Event struct {
	// Name is the event name.
	Name string
	// Args are the event's arguments, the ack callback excluded.
	Args Args

	socket *Socket
	id     uint64
	hasAck bool
	acked  atomic.Bool
}

// Socket is the socket the event came from.
func (e *Event) Socket() *Socket { return e.socket }

// WantsAck reports whether the client asked for an acknowledgement.
func (e *Event) WantsAck() bool { return e.hasAck }

// Ack answers the event with args. A client gets at most one answer per
// event; later calls return ErrAlreadyAcked. An Args value as the only
// argument is sent as it came, without re-encoding.
func (e *Event) Ack(args ...any) error {
	if !e.hasAck {
		return ErrNoAck
	}
	if !e.acked.CompareAndSwap(false, true) {
		return ErrAlreadyAcked
	}
	s := e.socket
	if len(args) == 1 {
		if a, ok := args[0].(Args); ok && len(a.atts) == 0 {
			// Forwarding what came in, the usual echo: no encoding, one copy.
			var head [64]byte
			hdr := socketio.AppendHeader(head[:0], socketio.Ack, s.ns.name, 0, e.id, true)
			var b eio.MessageBuilder
			b.Grow(len(hdr) + len(a.raw) + 2)
			b.TextParts(engineio.Message, hdr, openBracket, a.raw, closeBracket)
			s.sess.Send(b.Message())
			return nil
		}
	}
	data := make([]byte, 0, 32)
	data = append(data, '[')
	data, atts, err := encodeArgs(data, args)
	if err != nil {
		e.acked.Store(false)
		return err
	}
	data = append(data, ']')
	t := socketio.Ack
	if len(atts) > 0 {
		t = socketio.BinaryAck
	}
	s.sess.Send(packetMessage(t, s.ns.name, len(atts), e.id, true, data, atts))
	return nil
}

var openBracket, closeBracket = []byte{'['}, []byte{']'}

// dispatch runs the socket's packet middleware and handlers for e.
func (s *Socket) dispatch(e *Event) {
	s.mu.Lock()
	mws, any, h := s.middleware, s.anyIn, s.handlers[e.Name]
	s.mu.Unlock()
	for _, mw := range mws {
		if err := mw(e); err != nil {
			s.mu.Lock()
			fns := s.onError
			s.mu.Unlock()
			for _, fn := range fns {
				fn(err)
			}
			return
		}
	}
	for _, fn := range any {
		fn(e)
	}
	if h == nil {
		h = s.ns.handler(e.Name)
	}
	if h != nil {
		h(e)
	}
}
