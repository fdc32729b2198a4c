package engine

import (
	"context"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/heraldrt/herald/engine/eio"
	"github.com/heraldrt/herald/protocol/socketio"
)

// EventHandler handles one event from a client.
type EventHandler func(e *Event)

// AckFunc receives the client's answer to an emit, or the error that ended
// the wait (ErrAckTimeout, ErrDisconnected). Passed as the last argument of
// Emit, it asks the client for an acknowledgement.
type AckFunc func(args Args, err error)

// Socket is one client connected to one namespace.
type Socket struct {
	id   string
	ns   *Namespace
	cl   *client
	sess *eio.Session
	auth []byte
	q    serial

	connected atomic.Bool
	hs        atomic.Pointer[Handshake]
	ctx       atomic.Value

	// Home-loop state.
	acks   map[uint64]*pendingAck
	onLoop bool // connected, as the home loop sees it

	mu         sync.Mutex
	left       bool // disconnected, or refused by middleware
	rooms      map[string]struct{}
	data       map[string]any
	handlers   map[string]EventHandler
	anyIn      []EventHandler
	anyOut     []func(event string, args []any)
	middleware []func(*Event) error
	onLeaving  []func(reason string)
	onLeave    []func(reason string)
	onError    []func(error)
}

// ID is the socket's id, distinct from its connection's Engine.IO id.
func (s *Socket) ID() string { return s.id }

// Namespace is the namespace the socket is connected to.
func (s *Socket) Namespace() *Namespace { return s.ns }

// Connected reports whether the socket is still connected.
func (s *Socket) Connected() bool { return s.connected.Load() }

// Transport is the name of the connection's current transport.
func (s *Socket) Transport() string { return s.sess.Transport() }

// ConnID is the id of the Engine.IO connection the socket rides on; several
// namespaces' sockets can share it.
func (s *Socket) ConnID() string { return s.sess.ID() }

// Handshake describes the connection's opening request and the CONNECT
// auth payload. It is built on first use and shared afterwards: do not
// modify it.
func (s *Socket) Handshake() *Handshake {
	if h := s.hs.Load(); h != nil {
		return h
	}
	h := s.buildHandshake()
	if !s.hs.CompareAndSwap(nil, h) {
		return s.hs.Load()
	}
	return h
}

// SetContext attaches a value for the embedding application, such as the
// identity its middleware established. Unlike the data map, it is not
// shown to FetchSockets.
func (s *Socket) SetContext(v any) { s.ctx.Store(&v) }

// Context returns the value set with SetContext, or nil.
func (s *Socket) Context() any {
	if p, _ := s.ctx.Load().(*any); p != nil {
		return *p
	}
	return nil
}

// Set stores a value in the socket's data map.
func (s *Socket) Set(key string, v any) {
	s.mu.Lock()
	if s.data == nil {
		s.data = make(map[string]any)
	}
	s.data[key] = v
	s.mu.Unlock()
}

// Get returns a value from the socket's data map.
func (s *Socket) Get(key string) (any, bool) {
	s.mu.Lock()
	v, ok := s.data[key]
	s.mu.Unlock()
	return v, ok
}

// Data returns a copy of the socket's data map.
func (s *Socket) Data() map[string]any {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[string]any, len(s.data))
	for k, v := range s.data {
		out[k] = v
	}
	return out
}

// Rooms returns the rooms the socket is in, its own id first.
func (s *Socket) Rooms() []string {
	s.mu.Lock()
	out := make([]string, 0, len(s.rooms)+1)
	out = append(out, s.id)
	for r := range s.rooms {
		out = append(out, r)
	}
	s.mu.Unlock()
	slices.Sort(out[1:])
	return out
}

// RoomCount is the number of rooms the socket is in, its own included.
func (s *Socket) RoomCount() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.rooms) + 1
}

// InRoom reports whether the socket is in room.
func (s *Socket) InRoom(room string) bool {
	if room == s.id {
		return true
	}
	s.mu.Lock()
	_, ok := s.rooms[room]
	s.mu.Unlock()
	return ok
}

// On sets the handler of one event for this socket, replacing an earlier
// one. It takes precedence over the namespace's handler for that event.
func (s *Socket) On(event string, h EventHandler) {
	s.mu.Lock()
	if s.handlers == nil {
		s.handlers = make(map[string]EventHandler)
	}
	s.handlers[event] = h
	s.mu.Unlock()
}

// OnAny adds a handler that sees every incoming event before its own
// handler does.
func (s *Socket) OnAny(h EventHandler) {
	s.mu.Lock()
	s.anyIn = append(s.anyIn, h)
	s.mu.Unlock()
}

// OnAnyOutgoing adds a listener that sees every event emitted to this
// socket by its own Emit.
func (s *Socket) OnAnyOutgoing(fn func(event string, args []any)) {
	s.mu.Lock()
	s.anyOut = append(s.anyOut, fn)
	s.mu.Unlock()
}

// Use adds a packet middleware: it sees each incoming event before any
// handler, and an error stops the event and is passed to OnError.
func (s *Socket) Use(mw func(e *Event) error) {
	s.mu.Lock()
	s.middleware = append(s.middleware, mw)
	s.mu.Unlock()
}

// OnError adds a listener for errors from packet middleware.
func (s *Socket) OnError(fn func(error)) {
	s.mu.Lock()
	s.onError = append(s.onError, fn)
	s.mu.Unlock()
}

// OnDisconnecting adds a listener called when the socket starts to
// disconnect, while it is still in its rooms.
func (s *Socket) OnDisconnecting(fn func(reason string)) {
	s.mu.Lock()
	s.onLeaving = append(s.onLeaving, fn)
	s.mu.Unlock()
}

// OnDisconnect adds a listener called once the socket has disconnected,
// with one of the Reason constants.
func (s *Socket) OnDisconnect(fn func(reason string)) {
	s.mu.Lock()
	s.onLeave = append(s.onLeave, fn)
	s.mu.Unlock()
}

// Join adds the socket to rooms.
func (s *Socket) Join(rooms ...string) { s.ns.join(s, rooms) }

// Leave removes the socket from rooms.
func (s *Socket) Leave(rooms ...string) { s.ns.leave(s, rooms) }

// Emit sends an event to this client. A last argument of type AckFunc asks
// the client for an acknowledgement, which the AckFunc receives.
func (s *Socket) Emit(event string, args ...any) error {
	return Emitter{s: s}.Emit(event, args...)
}

// EmitWithAck sends an event and waits for the client's acknowledgement.
// Do not call it from a handler running on an event loop.
func (s *Socket) EmitWithAck(ctx context.Context, event string, args ...any) (Args, error) {
	return Emitter{s: s}.EmitWithAck(ctx, event, args...)
}

// Timeout returns an emitter whose acknowledgements fail with ErrAckTimeout
// after d.
func (s *Socket) Timeout(d time.Duration) Emitter { return Emitter{s: s, timeout: d} }

// Volatile returns an emitter whose events are dropped when the connection
// cannot take them at once.
func (s *Socket) Volatile() Emitter { return Emitter{s: s, volatile: true} }

// To returns a broadcast operator for rooms that leaves this socket out.
func (s *Socket) To(rooms ...string) BroadcastOperator {
	return s.Broadcast().To(rooms...)
}

// In is To.
func (s *Socket) In(rooms ...string) BroadcastOperator { return s.To(rooms...) }

// Except returns a broadcast operator to the whole namespace but rooms and
// this socket.
func (s *Socket) Except(rooms ...string) BroadcastOperator {
	return s.Broadcast().Except(rooms...)
}

// Broadcast returns a broadcast operator to every socket of the namespace
// but this one.
func (s *Socket) Broadcast() BroadcastOperator {
	return s.ns.op().Except(s.id)
}

// Disconnect disconnects the socket from its namespace. With close set it
// closes the whole connection, disconnecting the connection's other
// namespaces too.
func (s *Socket) Disconnect(close bool) {
	if close {
		s.cl.post(func() { s.cl.disconnectAll() })
		return
	}
	s.cl.post(func() {
		if !s.onLoop {
			return
		}
		s.cl.send(packetMessage(socketio.Disconnect, s.ns.name, 0, 0, false, nil, nil))
		s.close(ReasonServerNamespaceDisconnect)
	})
}

// Emitter emits to one socket with flags set; see Socket.Timeout.
type Emitter struct {
	s        *Socket
	timeout  time.Duration
	volatile bool
}

// Timeout returns e with an ack timeout.
func (e Emitter) Timeout(d time.Duration) Emitter { e.timeout = d; return e }

// Volatile returns e with the volatile flag.
func (e Emitter) Volatile() Emitter { e.volatile = true; return e }

// Emit is Socket.Emit with e's flags.
func (e Emitter) Emit(event string, args ...any) error {
	var ack AckFunc
	if n := len(args); n > 0 {
		if fn, ok := args[n-1].(AckFunc); ok {
			ack, args = fn, args[:n-1]
		} else if fn, ok := args[n-1].(func(Args, error)); ok {
			ack, args = fn, args[:n-1]
		}
	}
	_, err := e.emit(event, args, ack, false)
	return err
}

// emit sends event; a direct ack runs on the loop, others on a worker. It
// returns the ack id, when there is an ack.
func (e Emitter) emit(event string, args []any, ack AckFunc, direct bool) (uint64, error) {
	s := e.s
	p, err := NewEventPacket(s.ns.name, event, args...)
	if err != nil {
		return 0, err
	}
	s.mu.Lock()
	out := s.anyOut
	s.mu.Unlock()
	for _, fn := range out {
		fn(event, args)
	}
	if ack == nil && !e.volatile {
		s.sess.Send(p.Message())
		return 0, nil
	}
	if ack != nil {
		p.ID, p.HasID = s.ns.nextAckID(), true
	}
	timeout, volatile := e.timeout, e.volatile
	s.cl.post(func() {
		pa := &pendingAck{fn: ack, direct: direct}
		if !s.onLoop {
			if ack != nil {
				s.ns.srv.resolve(pa, Args{}, ErrDisconnected)
			}
			return
		}
		if ack != nil {
			// Registered even when the packet is dropped below, so that
			// the ack still times out, as the reference does.
			s.addAck(p.ID, pa, timeout)
		}
		if volatile && !s.sess.Writable() {
			return
		}
		s.sess.Deliver(s.sess.Loop(), p.Message())
	})
	return p.ID, nil
}

// EmitWithAck is Socket.EmitWithAck with e's flags.
func (e Emitter) EmitWithAck(ctx context.Context, event string, args ...any) (Args, error) {
	type result struct {
		args Args
		err  error
	}
	ch := make(chan result, 1)
	id, err := e.emit(event, args, func(a Args, err error) { ch <- result{a, err} }, true)
	if err != nil {
		return Args{}, err
	}
	select {
	case r := <-ch:
		return r.args, r.err
	case <-ctx.Done():
		// Forget the wait; posted after the emit's own task, so it runs
		// after the ack was registered.
		s := e.s
		s.cl.post(func() { s.dropAck(id) })
		return Args{}, ctx.Err()
	}
}
