package engine

import (
	"context"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/heraldrt/herald/engine/eio"
)

// Middleware vets a socket before it connects to a namespace. Returning an
// error refuses the connection: a *ConnectError passes its message and data
// to the client, any other error its text.
type Middleware func(s *Socket) error

// RoomEventKind says what happened to a room.
type RoomEventKind uint8

// Room events, as the reference adapter names them: create-room,
// delete-room, join-room and leave-room.
const (
	RoomCreated RoomEventKind = iota
	RoomDeleted
	SocketJoined
	SocketLeft
)

func (k RoomEventKind) String() string {
	return [...]string{"create-room", "delete-room", "join-room", "leave-room"}[k]
}

// RoomEvent reports a change of room membership on this node.
type RoomEvent struct {
	Kind     RoomEventKind
	Room     string
	SocketID string
}

// Namespace is a communication channel that multiplexes one connection:
// sockets connect to it, and it holds their rooms and handlers.
type Namespace struct {
	name   string
	srv    *Server
	parent *ParentNamespace

	handlerSet

	mu         sync.RWMutex
	sockets    map[string]*Socket
	rooms      map[string]int
	roomEvents []func(RoomEvent)

	loopsMu sync.Mutex
	loops   atomic.Pointer[[]*loopIndex]

	adapter Adapter
	ackIDs  atomic.Uint64

	// users counts the sockets connecting to or connected to a child
	// namespace, under srv.mu, when Config.CleanupEmptyChildNamespaces
	// removes empty ones, so that a removal never races a CONNECT.
	users int
}

func newNamespace(srv *Server, name string, parent *ParentNamespace) *Namespace {
	ns := &Namespace{
		name:    name,
		srv:     srv,
		parent:  parent,
		sockets: make(map[string]*Socket),
		rooms:   make(map[string]int),
	}
	ns.handlers = make(map[string]EventHandler)
	ns.loops.Store(new([]*loopIndex))
	ns.adapter = srv.cfg.Adapter(ns)
	return ns
}

// Name is the namespace's name, such as "/" or "/chat".
func (ns *Namespace) Name() string { return ns.name }

// Server is the server the namespace belongs to.
func (ns *Namespace) Server() *Server { return ns.srv }

// Adapter is the adapter that carries the namespace's operations to other
// nodes; the in-memory one when the server runs alone.
func (ns *Namespace) Adapter() Adapter { return ns.adapter }

// OnRoomEvent adds a listener for room changes on this node.
func (ns *Namespace) OnRoomEvent(fn func(RoomEvent)) {
	ns.mu.Lock()
	ns.roomEvents = append(ns.roomEvents, fn)
	ns.mu.Unlock()
}

// Sockets returns the sockets connected to the namespace on this node.
func (ns *Namespace) Sockets() []*Socket {
	ns.mu.RLock()
	out := make([]*Socket, 0, len(ns.sockets))
	for _, s := range ns.sockets {
		if s.Connected() {
			out = append(out, s)
		}
	}
	ns.mu.RUnlock()
	return out
}

// Socket returns the socket with id connected to this node, or nil.
func (ns *Namespace) Socket(id string) *Socket {
	ns.mu.RLock()
	s := ns.sockets[id]
	ns.mu.RUnlock()
	if s == nil || !s.Connected() {
		return nil
	}
	return s
}

// SocketCount is the number of sockets connected on this node.
func (ns *Namespace) SocketCount() int {
	ns.mu.RLock()
	n := len(ns.sockets)
	ns.mu.RUnlock()
	return n
}

// Rooms returns every room on this node with its member count. Sockets'
// own rooms are not listed.
func (ns *Namespace) Rooms() map[string]int {
	ns.mu.RLock()
	out := make(map[string]int, len(ns.rooms))
	for r, n := range ns.rooms {
		out[r] = n
	}
	ns.mu.RUnlock()
	return out
}

func (ns *Namespace) nextAckID() uint64 { return ns.ackIDs.Add(1) - 1 }

// index returns the namespace's index for loop l, creating it on first use.
func (ns *Namespace) index(l *eio.Loop) *loopIndex {
	i := l.Index()
	if loops := *ns.loops.Load(); i < len(loops) && loops[i] != nil {
		return loops[i]
	}
	ns.loopsMu.Lock()
	defer ns.loopsMu.Unlock()
	loops := *ns.loops.Load()
	if i < len(loops) && loops[i] != nil {
		return loops[i]
	}
	grown := make([]*loopIndex, max(len(loops), i+1))
	copy(grown, loops)
	grown[i] = &loopIndex{}
	ns.loops.Store(&grown)
	return grown[i]
}

// peekIndex returns l's index, or nil when no socket ever lived there.
func (ns *Namespace) peekIndex(l *eio.Loop) *loopIndex {
	if loops := *ns.loops.Load(); l.Index() < len(loops) {
		return loops[l.Index()]
	}
	return nil
}

// connectHandlers returns the middleware and connection handlers for a
// new socket: the parent's first.
func (ns *Namespace) connectHandlers() ([]Middleware, []func(*Socket)) {
	var mw []Middleware
	var on []func(*Socket)
	if p := ns.parent; p != nil {
		mw, on = p.handlerSet.connect(mw, on)
	}
	return ns.handlerSet.connect(mw, on)
}

// handler finds the handler of event: the namespace's, its parent's, then
// their defaults.
func (ns *Namespace) handler(event string) EventHandler {
	h, fallback := ns.handlerSet.lookup(event)
	if h == nil && ns.parent != nil {
		var pf EventHandler
		h, pf = ns.parent.handlerSet.lookup(event)
		if fallback == nil {
			fallback = pf
		}
	}
	if h == nil {
		return fallback
	}
	return h
}

// add registers a socket that passed its middleware, with the rooms its
// middleware joined. Home loop only.
func (ns *Namespace) add(s *Socket, l *eio.Loop) {
	s.onLoop = true
	s.mu.Lock()
	s.connected.Store(true)
	rooms := make([]string, 0, len(s.rooms))
	for r := range s.rooms {
		rooms = append(rooms, r)
	}
	events := append([]RoomEvent{{RoomCreated, s.id, ""}, {SocketJoined, s.id, s.id}}, ns.count(s, rooms, +1)...)
	s.mu.Unlock()
	ns.mu.Lock()
	ns.sockets[s.id] = s
	ns.mu.Unlock()
	x := ns.index(l)
	x.all.add(s)
	for _, r := range rooms {
		x.join(s, r)
	}
	ns.fire(events)
}

// remove forgets a disconnected socket and its rooms. Home loop only.
func (ns *Namespace) remove(s *Socket, l *eio.Loop) {
	s.mu.Lock()
	rooms := make([]string, 0, len(s.rooms))
	for r := range s.rooms {
		rooms = append(rooms, r)
	}
	s.rooms = nil
	events := ns.count(s, rooms, -1)
	s.mu.Unlock()
	x := ns.index(l)
	for _, r := range rooms {
		x.leave(s, r)
	}
	x.all.remove(s)
	ns.mu.Lock()
	if ns.sockets[s.id] == s {
		delete(ns.sockets, s.id)
	}
	ns.mu.Unlock()
	events = append(events, RoomEvent{SocketLeft, s.id, s.id}, RoomEvent{RoomDeleted, s.id, ""})
	ns.fire(events)
}

func (ns *Namespace) join(s *Socket, rooms []string) {
	var added []string
	s.mu.Lock()
	if s.left {
		s.mu.Unlock()
		return
	}
	connecting := !s.connected.Load()
	for _, r := range rooms {
		if r == s.id {
			continue
		}
		if _, ok := s.rooms[r]; ok {
			continue
		}
		if s.rooms == nil {
			s.rooms = make(map[string]struct{})
		}
		s.rooms[r] = struct{}{}
		added = append(added, r)
	}
	if connecting {
		// Middleware joins apply when the socket connects (see add).
		s.mu.Unlock()
		return
	}
	events := ns.count(s, added, +1)
	s.mu.Unlock()
	if len(added) == 0 {
		return
	}
	s.cl.postLoop(func(l *eio.Loop) {
		if !s.onLoop {
			return
		}
		x := ns.index(l)
		for _, r := range added {
			x.join(s, r)
		}
	})
	ns.fire(events)
}

func (ns *Namespace) leave(s *Socket, rooms []string) {
	var removed []string
	s.mu.Lock()
	if s.left {
		// Disconnected: the cleanup leaves every room.
		s.mu.Unlock()
		return
	}
	for _, r := range rooms {
		if _, ok := s.rooms[r]; ok {
			delete(s.rooms, r)
			removed = append(removed, r)
		}
	}
	if !s.connected.Load() {
		// Connecting: nothing is counted or indexed yet.
		s.mu.Unlock()
		return
	}
	events := ns.count(s, removed, -1)
	s.mu.Unlock()
	if len(removed) == 0 {
		return
	}
	s.cl.postLoop(func(l *eio.Loop) {
		x := ns.index(l)
		for _, r := range removed {
			x.leave(s, r)
		}
	})
	ns.fire(events)
}

// count updates the node-wide room sizes and returns the events to fire.
// The caller holds s.mu, so that one socket's changes apply in order.
func (ns *Namespace) count(s *Socket, rooms []string, delta int) []RoomEvent {
	if len(rooms) == 0 {
		return nil
	}
	events := make([]RoomEvent, 0, 2*len(rooms))
	ns.mu.Lock()
	for _, r := range rooms {
		n := ns.rooms[r]
		switch {
		case delta > 0:
			if n == 0 {
				events = append(events, RoomEvent{RoomCreated, r, ""})
			}
			ns.rooms[r] = n + 1
			events = append(events, RoomEvent{SocketJoined, r, s.id})
		case n <= 1:
			delete(ns.rooms, r)
			events = append(events, RoomEvent{SocketLeft, r, s.id}, RoomEvent{RoomDeleted, r, ""})
		default:
			ns.rooms[r] = n - 1
			events = append(events, RoomEvent{SocketLeft, r, s.id})
		}
	}
	ns.mu.Unlock()
	return events
}

func (ns *Namespace) fire(events []RoomEvent) {
	if len(events) == 0 {
		return
	}
	ns.mu.RLock()
	fns := ns.roomEvents
	ns.mu.RUnlock()
	for _, fn := range fns {
		for _, e := range events {
			fn(e)
		}
	}
}

// op is the namespace's empty broadcast operator.
func (ns *Namespace) op() BroadcastOperator { return BroadcastOperator{ns: ns} }

// To returns a broadcast operator for the sockets in rooms.
func (ns *Namespace) To(rooms ...string) BroadcastOperator { return ns.op().To(rooms...) }

// In is To.
func (ns *Namespace) In(rooms ...string) BroadcastOperator { return ns.op().To(rooms...) }

// Except returns a broadcast operator for every socket but those in rooms.
func (ns *Namespace) Except(rooms ...string) BroadcastOperator { return ns.op().Except(rooms...) }

// Volatile returns a broadcast operator that drops the event for sockets
// that cannot take it at once.
func (ns *Namespace) Volatile() BroadcastOperator { return ns.op().Volatile() }

// Local returns a broadcast operator that reaches this node only.
func (ns *Namespace) Local() BroadcastOperator { return ns.op().Local() }

// Timeout returns a broadcast operator whose EmitWithAck waits at most d.
func (ns *Namespace) Timeout(d time.Duration) BroadcastOperator { return ns.op().Timeout(d) }

// Emit sends an event to every socket of the namespace.
func (ns *Namespace) Emit(event string, args ...any) error { return ns.op().Emit(event, args...) }

// FetchSockets describes every socket of the namespace, on every node.
func (ns *Namespace) FetchSockets(ctx context.Context) ([]*RemoteSocket, error) {
	return ns.op().FetchSockets(ctx)
}

// DisconnectSockets disconnects every socket of the namespace.
func (ns *Namespace) DisconnectSockets(close bool) error { return ns.op().DisconnectSockets(close) }

// SocketsJoin makes every socket of the namespace join rooms.
func (ns *Namespace) SocketsJoin(rooms ...string) error { return ns.op().SocketsJoin(rooms...) }

// SocketsLeave makes every socket of the namespace leave rooms.
func (ns *Namespace) SocketsLeave(rooms ...string) error { return ns.op().SocketsLeave(rooms...) }

// ParentNamespace stands for every namespace whose name a pattern
// accepts; children are created when a client first connects to them, and
// share the parent's middleware and handlers.
type ParentNamespace struct {
	srv   *Server
	match func(name string, auth []byte) bool

	handlerSet

	mu       sync.RWMutex
	children []*Namespace
}

// Children returns the child namespaces created so far.
func (p *ParentNamespace) Children() []*Namespace {
	p.mu.RLock()
	defer p.mu.RUnlock()
	return append([]*Namespace(nil), p.children...)
}

// Emit sends an event to every socket of every child.
func (p *ParentNamespace) Emit(event string, args ...any) error {
	for _, ns := range p.Children() {
		if err := ns.Emit(event, args...); err != nil {
			return err
		}
	}
	return nil
}

func validNamespaceName(name string) bool {
	return strings.HasPrefix(name, "/")
}
