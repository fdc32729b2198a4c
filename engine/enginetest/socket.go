package enginetest

import (
	"context"
	"errors"
	"sync"

	"encoding/json"

	"github.com/heraldrt/herald/protocol/socketio"
)

// Socket is the client's connection to one namespace.
type Socket struct {
	// ID is the socket id the server assigned.
	ID string

	c      *Client
	nsp    string
	events chan Event

	mu     sync.Mutex
	nextID uint64
	acks   map[uint64]chan Args
	err    error
	done   chan struct{}
}

// Args are event or ack arguments as raw JSON, with binary attachments.
type Args struct {
	Raw         []json.RawMessage
	Attachments [][]byte
}

// Decode unmarshals argument i into v, putting attachments back in place.
func (a Args) Decode(i int, v any) error {
	if i >= len(a.Raw) {
		return errors.New("enginetest: no such argument")
	}
	return socketio.DecodeArgs(a.Raw[i], a.Attachments, v)
}

// String returns argument i as a string, or "" when it is not one.
func (a Args) String(i int) string {
	var s string
	_ = a.Decode(i, &s)
	return s
}

// Event is an event the server sent.
type Event struct {
	Name string
	Args Args
	ack  func(args ...any) error
}

// Ack answers the event, when the server asked for an ack.
func (e Event) Ack(args ...any) error {
	if e.ack == nil {
		return errors.New("enginetest: the server asked for no ack")
	}
	return e.ack(args...)
}

// WantsAck reports whether the server asked for an ack.
func (e Event) WantsAck() bool { return e.ack != nil }

// Emit sends an event.
func (s *Socket) Emit(event string, args ...any) error {
	text, atts, err := socketio.EncodeEvent(s.nsp, 0, false, event, args)
	if err != nil {
		return err
	}
	return s.c.send(text, atts)
}

// EmitWithAck sends an event and waits for the server's ack.
func (s *Socket) EmitWithAck(ctx context.Context, event string, args ...any) (Args, error) {
	ch := make(chan Args, 1)
	s.mu.Lock()
	id := s.nextID
	s.nextID++
	s.acks[id] = ch
	s.mu.Unlock()
	text, atts, err := socketio.EncodeEvent(s.nsp, id, true, event, args)
	if err != nil {
		return Args{}, err
	}
	if err := s.c.send(text, atts); err != nil {
		return Args{}, err
	}
	select {
	case a := <-ch:
		return a, nil
	case <-s.done:
		return Args{}, s.err
	case <-ctx.Done():
		return Args{}, ctx.Err()
	}
}

// Next waits for the next event from the server.
func (s *Socket) Next(ctx context.Context) (Event, error) {
	select {
	case e := <-s.events:
		return e, nil
	case <-s.done:
		select {
		case e := <-s.events:
			return e, nil
		default:
		}
		return Event{}, s.err
	case <-ctx.Done():
		return Event{}, ctx.Err()
	}
}

// Disconnect leaves the namespace.
func (s *Socket) Disconnect() error {
	s.c.mu.Lock()
	delete(s.c.sockets, s.nsp)
	s.c.mu.Unlock()
	s.closeWith(errors.New("enginetest: client namespace disconnect"))
	return s.c.send(socketio.AppendHeader(nil, socketio.Disconnect, s.nsp, 0, 0, false), nil)
}

func (s *Socket) ack(id uint64, args []any) error {
	text, atts, err := socketio.EncodeAck(s.nsp, id, args)
	if err != nil {
		return err
	}
	return s.c.send(text, atts)
}

func (s *Socket) resolve(id uint64, a Args) {
	s.mu.Lock()
	ch := s.acks[id]
	delete(s.acks, id)
	s.mu.Unlock()
	if ch != nil {
		ch <- a
	}
}

func (s *Socket) closeWith(err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	select {
	case <-s.done:
	default:
		if err == nil {
			err = errors.New("enginetest: connection closed")
		}
		s.err = err
		close(s.done)
	}
}
