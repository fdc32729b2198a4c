package eio

import (
	"errors"
	"sync/atomic"
	"time"

	"github.com/gobwas/ws"
	"github.com/panjf2000/gnet/v2"
)

// ErrSlowConsumer is the transport error of a connection whose unsent
// output exceeded the configured bound: the peer stopped reading.
var ErrSlowConsumer = errors.New("eio: slow consumer: outbound queue over its bound")

type connMode uint8

const (
	modeHTTP connMode = iota
	modeWebSocket
)

// conn is Herald's state for one TCP connection, owned by its loop. It is
// the gnet context of the connection.
type conn struct {
	gc gnet.Conn
	l  *Loop

	mode   connMode
	closed bool
	// busy is set while an HTTP request on this connection awaits its
	// response (a held long-poll or a request forwarded to another loop);
	// later pipelined requests wait in the inbound buffer.
	busy       bool
	closeAfter bool // close once the queued output is flushed
	slow       bool // over its outbound bound: closing as a slow consumer
	keepAlive  bool
	need       int // inbound bytes needed before parsing again

	// HTTP mode: idle closes a connection that makes no progress within
	// IdleTimeout of freeAt, the loop's monotonic time at which it last
	// did (a response written out, a request head complete). idleOut is
	// the unsent output seen by the last check: while it shrinks, the
	// peer is reading a response.
	idle    timer
	freeAt  time.Duration
	idleOut int

	// Output queued during the current callback: a chain of entries in
	// the loop's pending arena, so that an idle connection holds none.
	head, tail int32 // -1 when nothing is queued
	dirty      bool

	pollFor *Session // session whose GET this connection holds
	postFor *Session // session whose POST body this connection is reading

	// WebSocket mode
	s       *Session  // the session this connection carries or probes for
	frag    []byte    // fragmented message being assembled
	fragOp  ws.OpCode // opcode of the first fragment
	wsClose bool      // a close frame has been sent
}

// write queues b for the flush at the end of the current callback. b must
// stay unchanged until then. The bound on unsent output is applied by the
// flush, between writev calls.
func (c *conn) write(b []byte) {
	if c.closed || len(b) == 0 {
		return
	}
	c.l.queue(c, b)
}

const iovMax = 1024

// flush writes the queued output with as few writev calls as it takes.
// gnet copies whatever the socket does not take into its own buffer; each
// call is limited to about the outbound bound, and writing stops once gnet
// holds more than the bound, so that a client that stops reading costs at
// most about twice the bound before it is closed as a slow consumer, while
// a client that reads may receive a burst of any size.
func (c *conn) flush() {
	if c.head < 0 && !c.closeAfter {
		return
	}
	out := c.l.chain(c)
	defer clear(out) // the scratch must not keep the buffers alive
	limit := c.l.r.cfg.MaxOutboundBytes
	for rest := out; len(rest) > 0 && !c.closed; {
		if c.gc.OutboundBuffered() > limit {
			c.slow = true
			break
		}
		n, size := 0, 0
		for n < len(rest) && n < iovMax && (n == 0 || size < limit) {
			size += len(rest[n])
			n++
		}
		batch := rest[:n]
		var err error
		if n == 1 {
			_, err = c.gc.Write(batch[0]) // write(2) is a little cheaper than writev(2)
		} else {
			_, err = c.gc.Writev(batch)
		}
		if err != nil {
			break // gnet has closed the connection and called OnClose
		}
		c.l.r.stats.writes.Add(1)
		rest = rest[n:]
	}
	if c.closeAfter && !c.closed {
		_ = c.l.el.Close(c.gc)
		return
	}
	if !c.closed && (c.slow || c.gc.OutboundBuffered() > limit) {
		c.l.r.stats.slowConsumers.Add(1)
		c.fail(ErrSlowConsumer)
	}
}

// watchIdle starts the idle timer of a new connection.
func (c *conn) watchIdle() {
	c.freeAt = c.l.mono()
	c.l.after(&c.idle, c.l.r.cfg.IdleTimeout, c.checkIdle)
}

// checkIdle closes the connection when it has been free for a request for
// IdleTimeout without completing one, and otherwise looks again when it
// could be. A request in progress (a held poll) is the session's to time.
func (c *conn) checkIdle() {
	if c.closed || c.mode != modeHTTP {
		return
	}
	d := c.l.r.cfg.IdleTimeout
	if out := c.gc.OutboundBuffered(); out != c.idleOut {
		if out > 0 {
			c.freeAt = c.l.mono() // a response is on its way out
		}
		c.idleOut = out
	}
	if !c.busy {
		idle := c.l.mono() - c.freeAt
		if idle >= d {
			c.l.r.log.Debug("eio: closing idle HTTP connection", "remote", c.gc.RemoteAddr(),
				"buffered", c.gc.InboundBuffered(), "idle", idle)
			c.closeNow()
			return
		}
		d -= idle
	}
	c.l.after(&c.idle, d, c.idle.fire)
}

// closeNow closes the connection after flushing what is queued.
func (c *conn) closeNow() {
	if c.closed {
		return
	}
	c.closeAfterFlush()
	c.flush()
}

// fail closes the connection because of a transport error, after telling the
// owner of the connection why.
func (c *conn) fail(err error) {
	if c.closed {
		return
	}
	if c.s != nil {
		c.s.transportError(c.l, c, err)
	}
	if !c.closed {
		_ = c.l.el.Close(c.gc)
	}
}

// post runs fn on c's loop: directly when the caller is already there.
func (c *conn) post(from *Loop, fn func()) {
	if from == c.l {
		fn()
		return
	}
	c.l.Post(TaskFunc(func(*Loop) { fn() }))
}

// stats are the reactor's counters; the API layer exports them.
type stats struct {
	conns         atomic.Int64
	sessions      atomic.Int64
	writes        atomic.Int64
	slowConsumers atomic.Int64
	refused       atomic.Int64
}
