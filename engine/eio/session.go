package eio

import (
	"errors"
	"sync/atomic"
	"time"

	"github.com/gobwas/ws"

	"github.com/heraldrt/herald/protocol/engineio"
)

// Transport-level errors a session can close with.
var (
	errOverlapGet       = errors.New("eio: overlapping poll requests from client")
	errOverlapPost      = errors.New("eio: overlapping data requests from client")
	errPollClosed       = errors.New("eio: poll connection closed prematurely")
	errPostClosed       = errors.New("eio: data request connection closed prematurely")
	errInvalidContent   = errors.New("eio: binary polling body is not Engine.IO v4")
	errHeartbeat        = errors.New("eio: invalid heartbeat direction: client sent ping")
	errPollQueueTooLong = errors.New("eio: polling queue over its bound")
)

type sessionState uint8

const (
	stateOpen sessionState = iota
	stateClosing
	stateClosed
)

// pollCloseTimeout is how long a closing polling session waits for the
// client's next GET to deliver the close packet, as the reference does.
const pollCloseTimeout = 30 * time.Second

// Session is one Engine.IO session. Its state lives on its home loop: the
// loop of the connection that opened it. Methods without a Loop argument
// are safe from any goroutine.
type Session struct {
	id   string
	srv  *Server
	home *Loop
	req  *Request

	upgradedFlag atomic.Bool
	posting      atomic.Bool
	closedFlag   atomic.Bool

	// Home-loop state.
	state        sessionState
	ws           *conn // WebSocket transport, possibly on another loop
	probe        *conn // connection being upgraded to
	probed       bool  // the probe exchanged 2probe/3probe
	pollConn     *conn // held GET
	pollExtra    []byte
	queue        []*Message
	queueBytes   int
	awaitingPong bool
	hb           timer
	hbDue        time.Time // when hb is meant to fire
	aux          timer     // upgrade timeout, or the close wait of a polling session
	noopT        timer     // releases a poll held during an upgrade
	pingFn       func()
	closing      string // the reason a closing polling session will close with

	ctx any
}

func newSession(srv *Server, home *Loop, req *Request) *Session {
	s := &Session{id: newID(), srv: srv, home: home, req: req}
	s.pingFn = s.onHeartbeat
	return s
}

// ID is the session id.
func (s *Session) ID() string { return s.id }

// Transport is the name of the transport the session uses now.
func (s *Session) Transport() string {
	if s.upgradedFlag.Load() {
		return WebSocket
	}
	return Polling
}

// Request is the request that opened the session.
func (s *Session) Request() *Request { return s.req }

// Loop is the session's home loop.
func (s *Session) Loop() *Loop { return s.home }

// Server is the server the session belongs to.
func (s *Session) Server() *Server { return s.srv }

// Closed reports whether the session has closed.
func (s *Session) Closed() bool { return s.closedFlag.Load() }

// Context returns the value stored with SetContext.
func (s *Session) Context() any { return s.ctx }

// SetContext stores a value for the layer above. Set it from OnOpen, or
// otherwise on the home loop, before other goroutines read it.
func (s *Session) SetContext(v any) { s.ctx = v }

// Send queues m for the session from any goroutine. Messages sent from one
// goroutine arrive in order.
func (s *Session) Send(m *Message) { s.home.push(item{s: s, m: m}) }

// SendText sends data as a text message.
func (s *Session) SendText(data []byte) { s.Send(NewTextMessage(data)) }

// SendBinary sends data as a binary message.
func (s *Session) SendBinary(data []byte) { s.Send(NewBinaryMessage(data)) }

// Deliver queues m from code running on loop l. On the home loop it skips
// the mailbox; elsewhere it is Send.
func (s *Session) Deliver(l *Loop, m *Message) {
	if l != s.home {
		s.Send(m)
		return
	}
	s.deliver(l, m)
}

// Close closes the session from any goroutine, with reason "forced close"
// once queued output is written.
func (s *Session) Close() { s.closeAsync(ReasonForcedClose) }

// CloseFrom closes the session from loop l with the given reason.
func (s *Session) CloseFrom(l *Loop, reason string) {
	s.onHome(l, func() { s.close(reason, nil) })
}

func (s *Session) closeAsync(reason string) {
	s.home.Post(TaskFunc(func(*Loop) { s.close(reason, nil) }))
}

func (s *Session) closeFrom(l *Loop, reason string, err error) {
	s.onHome(l, func() { s.close(reason, err) })
}

// onHome runs fn on the home loop: now when l is the home loop.
func (s *Session) onHome(l *Loop, fn func()) {
	if l == s.home {
		fn()
		return
	}
	s.home.Post(TaskFunc(func(*Loop) { fn() }))
}

func (s *Session) openMessage() *Message {
	var b MessageBuilder
	data := engineio.AppendOpen(nil, s.srv.handshake(s.id, s.ws != nil))
	return b.Text(engineio.Open, data[1:]).Message()
}

// opened starts the heartbeat and tells the handler.
func (s *Session) opened() {
	s.armHeartbeat(time.Now(), s.srv.cfg.PingInterval)
	s.srv.cfg.Handler.OnOpen(s)
}

func (s *Session) attachWebSocket(c *conn) {
	c.s = s
	s.ws = c
	s.upgradedFlag.Store(true)
}

// deliver queues m on the session's transport. Home loop only.
func (s *Session) deliver(_ *Loop, m *Message) {
	if s.state != stateOpen {
		return
	}
	if s.ws != nil {
		s.writeWS(m.frames)
		return
	}
	s.queue = append(s.queue, m)
	s.queueBytes += m.Len()
	if s.queueBytes > s.srv.r.cfg.MaxOutboundBytes {
		// Close from a task of its own: the caller may be iterating over
		// sessions that the close handler would change.
		s.srv.r.stats.slowConsumers.Add(1)
		s.state, s.closing = stateClosing, ReasonTransportError
		s.home.Post(TaskFunc(func(*Loop) { s.close(ReasonTransportError, errPollQueueTooLong) }))
		return
	}
	if s.pollConn != nil {
		s.flushPoll()
	}
}

func (s *Session) writeWS(frames []byte) {
	c := s.ws
	if c.l == s.home {
		c.write(frames)
		return
	}
	c.l.Post(TaskFunc(func(*Loop) { c.write(frames) }))
}

// armHeartbeat arms the heartbeat timer for from+d.
func (s *Session) armHeartbeat(from time.Time, d time.Duration) {
	s.hbDue = from.Add(d)
	s.home.after(&s.hb, max(0, time.Until(s.hbDue)), s.pingFn)
}

// onHeartbeat fires at the ping interval, then at the pong deadline.
func (s *Session) onHeartbeat() {
	if s.state == stateClosed {
		return
	}
	if s.awaitingPong {
		s.close(ReasonPingTimeout, nil)
		return
	}
	s.awaitingPong = true
	s.deliver(s.home, pingMessage)
	// Count the pong deadline from when the ping was due, not from when a
	// busy loop got to it, so that lateness does not add up.
	s.armHeartbeat(s.hbDue, s.srv.cfg.PingTimeout)
}

// onPacket handles one packet from the active transport. Home loop only.
// It reports false when the session closed.
func (s *Session) onPacket(p engineio.Packet) bool {
	if s.state != stateOpen {
		return false
	}
	switch p.Type {
	case engineio.Pong:
		s.awaitingPong = false
		s.armHeartbeat(time.Now(), s.srv.cfg.PingInterval)
	case engineio.Ping:
		s.close(ReasonTransportError, errHeartbeat)
		return false
	case engineio.Message:
		s.srv.cfg.Handler.OnMessage(s, p.Data, p.Binary)
	case engineio.Close:
		if s.pollConn != nil {
			s.respondPoll(noopMessage.Polling())
		}
		s.close(ReasonTransportClose, nil)
		return false
	}
	return s.state == stateOpen
}

// onTransportMessage receives a WebSocket message from c, which runs on
// loop l. data is valid only during the call.
func (s *Session) onTransportMessage(l *Loop, c *conn, data []byte, binary bool) {
	if l != s.home {
		cp := append([]byte(nil), data...)
		s.home.Post(TaskFunc(func(h *Loop) { s.handleWSMessage(h, c, cp, binary) }))
		return
	}
	s.handleWSMessage(l, c, data, binary)
}

func (s *Session) handleWSMessage(l *Loop, c *conn, data []byte, binary bool) {
	if s.state == stateClosed {
		return
	}
	var p engineio.Packet
	var err error
	if binary {
		p = engineio.BinaryMessage(data)
	} else {
		l.scratch, p, err = engineio.DecodeText(l.scratch[:0], data)
	}
	switch {
	case c == s.probe:
		if err != nil {
			s.abortUpgrade()
			return
		}
		s.onProbePacket(p)
	case c == s.ws:
		if err != nil {
			s.close(ReasonParseError, err)
			return
		}
		s.onPacket(p)
	}
}

// transportClosed is called on c's loop when c is gone.
func (s *Session) transportClosed(l *Loop, c *conn, _ error) {
	s.onHome(l, func() {
		switch c {
		case s.ws:
			s.ws = nil
			s.close(ReasonTransportClose, nil)
		case s.probe:
			s.abortUpgrade()
		}
	})
}

// transportError records why c is about to close.
func (s *Session) transportError(l *Loop, c *conn, err error) {
	s.onHome(l, func() {
		switch c {
		case s.ws:
			s.close(ReasonTransportError, err)
		case s.probe:
			s.abortUpgrade()
		}
	})
}

// close ends the session. Home loop only. A server-initiated close of a
// polling session with no poll held waits, as the reference does, for the
// client's next poll to deliver the close packet (or pollCloseTimeout).
func (s *Session) close(reason string, err error) {
	if s.state == stateClosed {
		return
	}
	if s.state == stateClosing && !failure(reason) {
		return
	}
	graceful := !failure(reason)
	// A shutdown does not wait for the next poll: the draining reactor
	// refuses the connection it would come on, and the reference discards
	// the transport too.
	if graceful && reason != ReasonServerShutdown && s.ws == nil && s.pollConn == nil && s.state == stateOpen {
		// A pending upgrade ends here: its timer is the one the close
		// wait takes over, and a session on its way out moves nowhere.
		s.abortUpgrade()
		s.state = stateClosing
		s.closing = reason
		s.queue = append(s.queue, closeMessage)
		s.home.stop(&s.hb)
		s.home.after(&s.aux, pollCloseTimeout, func() { s.finish(reason, nil) })
		return
	}
	if s.pollConn != nil {
		switch {
		case graceful:
			s.queue = append(s.queue, closeMessage)
		case s.state == stateOpen:
			s.queue = append(s.queue[:0], closeMessage)
		}
		s.flushPoll()
	}
	// Detach the transport before closing it, so that its close, which
	// may run right now on this loop, does not close the session again
	// with another reason.
	c := s.ws
	s.ws = nil
	s.finish(reason, err)
	if c != nil {
		c.post(s.home, func() {
			c.s = nil
			c.wsCloseWith(ws.StatusNormalClosure, "")
		})
	}
}

// failure reports whether reason means the session is broken, so that
// queued output is dropped rather than delivered.
func failure(reason string) bool {
	switch reason {
	case ReasonTransportClose, ReasonTransportError, ReasonPingTimeout, ReasonParseError:
		return true
	}
	return false
}

// finish marks the session closed and tells the handler.
func (s *Session) finish(reason string, err error) {
	if s.state == stateClosed {
		return
	}
	s.state = stateClosed
	s.closedFlag.Store(true)
	s.home.stop(&s.hb)
	s.home.stop(&s.aux)
	s.home.stop(&s.noopT)
	if s.probe != nil {
		p := s.probe
		s.probe = nil
		p.post(s.home, func() { p.wsCloseWith(ws.StatusNormalClosure, "") })
	}
	clear(s.queue)
	s.queue, s.queueBytes = nil, 0
	s.srv.unregister(s)
	s.srv.r.stats.sessions.Add(-1)
	s.srv.cfg.Handler.OnClose(s, reason, err)
}

// Writable reports whether a packet delivered now would go out at once:
// a WebSocket with nothing backed up, or a held poll. Volatile packets are
// dropped when it is false. Home loop only.
func (s *Session) Writable() bool {
	if s.state != stateOpen {
		return false
	}
	if s.ws != nil {
		return s.ws.l != s.home || s.ws.gc.OutboundBuffered() == 0
	}
	return s.pollConn != nil
}
