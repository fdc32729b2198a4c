package engine

import (
	"context"
	"errors"
	"slices"
	"sync/atomic"
	"time"

	"github.com/heraldrt/herald/engine/eio"
)

// BroadcastOptions select the sockets of a namespace that an operation
// reaches, and how.
type BroadcastOptions struct {
	// Rooms limits the operation to sockets in any of them; empty means
	// every socket.
	Rooms []string
	// Except leaves out sockets in any of these rooms (a socket id is a
	// room holding that socket).
	Except []string
	// Volatile drops the packet for sockets that cannot take it at once.
	Volatile bool
	// Compress is accepted for compatibility; Herald does not compress.
	Compress bool
	// Local keeps the operation on this node.
	Local bool
}

// BroadcastOperator is an immutable description of a broadcast: its
// rooms, exceptions and flags. Each method returns a new operator.
type BroadcastOperator struct {
	ns      *Namespace
	opts    BroadcastOptions
	timeout time.Duration
}

// To adds rooms to broadcast to.
func (b BroadcastOperator) To(rooms ...string) BroadcastOperator {
	b.opts.Rooms = appendNew(b.opts.Rooms, rooms)
	return b
}

// In is To.
func (b BroadcastOperator) In(rooms ...string) BroadcastOperator { return b.To(rooms...) }

// Except adds rooms whose sockets are left out.
func (b BroadcastOperator) Except(rooms ...string) BroadcastOperator {
	b.opts.Except = appendNew(b.opts.Except, rooms)
	return b
}

// Volatile sets the volatile flag.
func (b BroadcastOperator) Volatile() BroadcastOperator { b.opts.Volatile = true; return b }

// Local keeps the broadcast on this node.
func (b BroadcastOperator) Local() BroadcastOperator { b.opts.Local = true; return b }

// Compress sets the compress flag, kept for compatibility.
func (b BroadcastOperator) Compress(c bool) BroadcastOperator { b.opts.Compress = c; return b }

// Timeout bounds how long EmitWithAck waits.
func (b BroadcastOperator) Timeout(d time.Duration) BroadcastOperator { b.timeout = d; return b }

// Options returns the operator's selection and flags.
func (b BroadcastOperator) Options() BroadcastOptions { return b.opts }

// appendNew copies, so that operators never share a backing array.
func appendNew(dst, add []string) []string {
	out := make([]string, 0, len(dst)+len(add))
	out = append(out, dst...)
	for _, r := range add {
		if !slices.Contains(out, r) {
			out = append(out, r)
		}
	}
	return out
}

// Emit encodes the event once and sends it to every selected socket.
func (b BroadcastOperator) Emit(event string, args ...any) error {
	p, err := NewEventPacket(b.ns.name, event, args...)
	if err != nil {
		return err
	}
	return b.adapter().Broadcast(p, b.opts)
}

// EmitCount is Emit that also reports how many clients the event was
// queued for, once every node has delivered it. It needs an adapter that
// implements CountingAdapter, as the in-memory one does.
func (b BroadcastOperator) EmitCount(ctx context.Context, event string, args ...any) (int, error) {
	p, err := NewEventPacket(b.ns.name, event, args...)
	if err != nil {
		return 0, err
	}
	ca, ok := b.adapter().(CountingAdapter)
	if !ok {
		return 0, errors.New("engine: the adapter cannot count recipients")
	}
	return ca.BroadcastCount(ctx, p, b.opts)
}

// EmitWithAck sends the event and collects every recipient's answer. It
// returns when all answered, or with an *AckTimeoutError holding the
// answers so far when the timeout passes first. Answers beyond
// Config.MaxAckBytes are counted but not kept, and reported with an
// *AckLimitError (or in the AckTimeoutError). Do not call it from a
// handler running on an event loop.
func (b BroadcastOperator) EmitWithAck(ctx context.Context, event string, args ...any) ([]Args, error) {
	p, err := NewEventPacket(b.ns.name, event, args...)
	if err != nil {
		return nil, err
	}
	p.ID, p.HasID = b.ns.nextAckID(), true
	acks := NewAckCollector(0)
	acks.timeout = b.timeout
	acks.maxBytes = b.ns.srv.cfg.MaxAckBytes
	if err := b.adapter().BroadcastWithAck(p, b.opts, acks); err != nil {
		return nil, err
	}
	res, err := acks.Wait(b.timeout, ctx.Done())
	if err != nil && ctx.Err() != nil {
		return res, ctx.Err()
	}
	return res, err
}

// FetchSockets returns the selected sockets, from every node.
func (b BroadcastOperator) FetchSockets(ctx context.Context) ([]*RemoteSocket, error) {
	return b.adapter().FetchSockets(ctx, b.opts)
}

// SocketsJoin makes the selected sockets join rooms.
func (b BroadcastOperator) SocketsJoin(rooms ...string) error {
	return b.adapter().AddSockets(b.opts, rooms)
}

// SocketsLeave makes the selected sockets leave rooms.
func (b BroadcastOperator) SocketsLeave(rooms ...string) error {
	return b.adapter().DelSockets(b.opts, rooms)
}

// DisconnectSockets disconnects the selected sockets; with close set it
// closes their whole connections.
func (b BroadcastOperator) DisconnectSockets(close bool) error {
	return b.adapter().DisconnectSockets(b.opts, close)
}

func (b BroadcastOperator) adapter() Adapter {
	if b.opts.Local {
		return memoryAdapter{b.ns}
	}
	return b.ns.adapter
}

// delivery is one broadcast on its way: a single task object run once on
// every loop, each of which sends the shared message to its own members.
type delivery struct {
	ns   *Namespace
	p    *Packet
	msg  *eio.Message
	opts BroadcastOptions
	acks *AckCollector
	done func(n int)

	left  atomic.Int32
	total atomic.Int64
}

// Run delivers to the members homed on l.
func (d *delivery) Run(l *eio.Loop) {
	n := 0
	if x := d.ns.peekIndex(l); x != nil {
		n = d.deliver(l, x)
	}
	d.loopDone(n)
}

// Drop counts a stopped loop as reaching nobody, so that a sender waiting
// for the count is not left waiting.
func (d *delivery) Drop(*eio.Loop) { d.loopDone(0) }

func (d *delivery) loopDone(n int) {
	d.total.Add(int64(n))
	if d.left.Add(-1) == 0 && d.done != nil {
		d.done(int(d.total.Load()))
	}
}

func (d *delivery) deliver(l *eio.Loop, x *loopIndex) int {
	n := 0
	send := func(s *Socket) {
		for _, r := range d.opts.Except {
			if x.inRoom(s, r) {
				return
			}
		}
		if !s.onLoop || (d.opts.Volatile && !s.sess.Writable()) {
			return
		}
		if d.acks != nil {
			s.addAck(d.p.ID, &pendingAck{bc: d.acks}, d.acks.timeout)
		}
		s.sess.Deliver(l, d.msg)
		n++
	}
	if len(d.opts.Rooms) == 0 {
		for _, s := range x.all.list {
			send(s)
		}
		return n
	}
	for i, r := range d.opts.Rooms {
		var members []*Socket
		if m := x.rooms[r]; m != nil {
			members = m.list
		} else if s := d.ns.Socket(r); s != nil && s.sess.Loop() == l {
			members = []*Socket{s}
		}
	member:
		for _, s := range members {
			for _, prev := range d.opts.Rooms[:i] {
				if x.inRoom(s, prev) {
					continue member
				}
			}
			send(s)
		}
	}
	return n
}
