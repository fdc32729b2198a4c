package engine

import (
	"context"

	"github.com/heraldrt/herald/engine/eio"
)

// Adapter carries a namespace's operations to every node of a cluster. Each
// method applies the operation to this node's sockets through Local and
// forwards it to the other nodes; the in-memory adapter only does the
// former. Implementations follow @socket.io/redis-adapter 8.x semantics.
type Adapter interface {
	// Broadcast sends p to the selected sockets.
	Broadcast(p *Packet, opts BroadcastOptions) error
	// BroadcastWithAck sends p, which carries an ack id, and reports to
	// acks how many clients each node reached and what they answered.
	BroadcastWithAck(p *Packet, opts BroadcastOptions, acks *AckCollector) error
	// AddSockets and DelSockets change the rooms of the selected sockets.
	AddSockets(opts BroadcastOptions, rooms []string) error
	DelSockets(opts BroadcastOptions, rooms []string) error
	// DisconnectSockets disconnects the selected sockets.
	DisconnectSockets(opts BroadcastOptions, close bool) error
	// FetchSockets describes the selected sockets of every node.
	FetchSockets(ctx context.Context, opts BroadcastOptions) ([]*RemoteSocket, error)
	// ServerCount is the number of nodes, this one included.
	ServerCount(ctx context.Context) (int, error)
	// Close releases the adapter when its namespace goes away.
	Close() error
}

// CountingAdapter is an Adapter that can report how many clients a
// broadcast reached across the cluster.
type CountingAdapter interface {
	Adapter
	// BroadcastCount is Broadcast that waits for every node's count.
	BroadcastCount(ctx context.Context, p *Packet, opts BroadcastOptions) (int, error)
}

// AdapterFactory makes the adapter of a namespace.
type AdapterFactory func(ns *Namespace) Adapter

// MemoryAdapter is the AdapterFactory of a server that runs alone.
func MemoryAdapter(ns *Namespace) Adapter { return memoryAdapter{ns} }

type memoryAdapter struct{ ns *Namespace }

func (a memoryAdapter) Broadcast(p *Packet, opts BroadcastOptions) error {
	a.ns.Node().Broadcast(p, opts, nil, nil)
	return nil
}

func (a memoryAdapter) BroadcastCount(ctx context.Context, p *Packet, opts BroadcastOptions) (int, error) {
	ch := make(chan int, 1)
	a.ns.Node().Broadcast(p, opts, nil, func(n int) { ch <- n })
	select {
	case n := <-ch:
		return n, nil
	case <-ctx.Done():
		return 0, ctx.Err()
	}
}

func (a memoryAdapter) BroadcastWithAck(p *Packet, opts BroadcastOptions, acks *AckCollector) error {
	acks.AddSources(1)
	a.ns.Node().Broadcast(p, opts, acks, acks.Count)
	return nil
}

func (a memoryAdapter) AddSockets(opts BroadcastOptions, rooms []string) error {
	a.ns.Node().AddSockets(opts, rooms)
	return nil
}

func (a memoryAdapter) DelSockets(opts BroadcastOptions, rooms []string) error {
	a.ns.Node().DelSockets(opts, rooms)
	return nil
}

func (a memoryAdapter) DisconnectSockets(opts BroadcastOptions, close bool) error {
	a.ns.Node().DisconnectSockets(opts, close)
	return nil
}

func (a memoryAdapter) FetchSockets(_ context.Context, opts BroadcastOptions) ([]*RemoteSocket, error) {
	return a.ns.Node().FetchSockets(opts), nil
}

func (a memoryAdapter) ServerCount(context.Context) (int, error) { return 1, nil }

func (a memoryAdapter) Close() error { return nil }

// Node applies a namespace's operations to the sockets of this node only.
// Adapters call it for their own node and for requests from other nodes.
type Node struct{ ns *Namespace }

// Node returns the namespace's local operations.
func (ns *Namespace) Node() Node { return Node{ns} }

// Broadcast delivers p to the selected sockets of this node: one task per
// event loop, the packet encoded once. With acks, each recipient's answer
// goes to acks; done, when set, gets the number of recipients once every
// loop has delivered.
func (n Node) Broadcast(p *Packet, opts BroadcastOptions, acks *AckCollector, done func(int)) {
	loops := n.ns.srv.loops()
	d := &delivery{ns: n.ns, p: p, msg: p.Message(), opts: opts, acks: acks, done: done}
	if len(loops) == 0 {
		if done != nil {
			done(0)
		}
		return
	}
	d.left.Store(int32(len(loops)))
	for _, l := range loops {
		l.Post(d)
	}
}

// Select returns the connected sockets of this node that opts selects.
func (n Node) Select(opts BroadcastOptions) []*Socket {
	var out []*Socket
	for _, s := range n.ns.Sockets() {
		if matches(s, opts) {
			out = append(out, s)
		}
	}
	return out
}

func matches(s *Socket, opts BroadcastOptions) bool {
	for _, r := range opts.Except {
		if s.InRoom(r) {
			return false
		}
	}
	if len(opts.Rooms) == 0 {
		return true
	}
	for _, r := range opts.Rooms {
		if s.InRoom(r) {
			return true
		}
	}
	return false
}

// AddSockets makes the selected sockets join rooms.
func (n Node) AddSockets(opts BroadcastOptions, rooms []string) {
	for _, s := range n.Select(opts) {
		s.Join(rooms...)
	}
}

// DelSockets makes the selected sockets leave rooms.
func (n Node) DelSockets(opts BroadcastOptions, rooms []string) {
	for _, s := range n.Select(opts) {
		s.Leave(rooms...)
	}
}

// DisconnectSockets disconnects the selected sockets.
func (n Node) DisconnectSockets(opts BroadcastOptions, close bool) {
	for _, s := range n.Select(opts) {
		s.Disconnect(close)
	}
}

// FetchSockets describes the selected sockets.
func (n Node) FetchSockets(opts BroadcastOptions) []*RemoteSocket {
	sel := n.Select(opts)
	out := make([]*RemoteSocket, len(sel))
	for i, s := range sel {
		out[i] = describe(s)
	}
	return out
}

// RemoteSocket describes a socket on this or another node, as FetchSockets
// returns it; its methods act on the socket wherever it lives.
type RemoteSocket struct {
	ID        string         `json:"id"`
	Handshake *Handshake     `json:"handshake"`
	Rooms     []string       `json:"rooms"`
	Data      map[string]any `json:"data"`
	// Transport is the connection's transport now, when the adapter knows
	// it (empty for a socket on a node that did not say).
	Transport string `json:"transport,omitempty"`

	ns *Namespace
}

// NewRemoteSocket binds a socket description from another node to ns, so
// that its methods work; adapters call it.
func NewRemoteSocket(ns *Namespace, id string, hs *Handshake, rooms []string, data map[string]any) *RemoteSocket {
	return &RemoteSocket{ID: id, Handshake: hs, Rooms: rooms, Data: data, ns: ns}
}

func describe(s *Socket) *RemoteSocket {
	r := NewRemoteSocket(s.ns, s.id, s.Handshake(), s.Rooms(), s.Data())
	r.Transport = s.Transport()
	return r
}

// Emit sends an event to the socket.
func (r *RemoteSocket) Emit(event string, args ...any) error {
	return r.ns.To(r.ID).Emit(event, args...)
}

// Join makes the socket join rooms.
func (r *RemoteSocket) Join(rooms ...string) error { return r.ns.In(r.ID).SocketsJoin(rooms...) }

// Leave makes the socket leave rooms.
func (r *RemoteSocket) Leave(rooms ...string) error { return r.ns.In(r.ID).SocketsLeave(rooms...) }

// Disconnect disconnects the socket.
func (r *RemoteSocket) Disconnect(close bool) error {
	return r.ns.In(r.ID).DisconnectSockets(close)
}

var _ eio.Dropper = (*delivery)(nil)
