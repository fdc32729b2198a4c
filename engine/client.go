package engine

import (
	"errors"
	"fmt"

	"github.com/heraldrt/herald/engine/eio"
	"github.com/heraldrt/herald/protocol/socketio"
)

// client is the Socket.IO side of one Engine.IO session: the sockets it
// carries, one per namespace, and the packet being reassembled. It lives on
// the session's home loop.
type client struct {
	srv     *Server
	sess    *eio.Session
	socks   []*Socket
	pending []string // namespaces whose middleware is running
	re      *socketio.Reassembler
	timer   eio.Timer
	closed  bool
}

// post runs fn on the client's home loop.
func (c *client) post(fn func()) {
	c.sess.Loop().Post(eio.TaskFunc(func(*eio.Loop) { fn() }))
}

func (c *client) postLoop(fn func(l *eio.Loop)) {
	c.sess.Loop().Post(eio.TaskFunc(fn))
}

func (c *client) send(m *eio.Message) { c.sess.Deliver(c.sess.Loop(), m) }

func (c *client) socketFor(nsp []byte) *Socket {
	for _, s := range c.socks {
		if s.ns.name == string(nsp) {
			return s
		}
	}
	return nil
}

// onMessage handles one Engine.IO message. data is valid during the call.
func (c *client) onMessage(data []byte, binary bool) {
	if c.closed {
		return
	}
	if binary {
		if c.re == nil {
			c.fail(socketio.ErrUnexpectedBinary)
			return
		}
		done, err := c.re.Add(data)
		if err != nil {
			c.fail(err)
			return
		}
		if done {
			p, atts := c.re.Packet()
			c.re = nil
			c.onPacket(p, atts, true)
		}
		return
	}
	if c.re != nil {
		c.fail(errors.New("engine: text packet while binary attachments were expected"))
		return
	}
	p, err := socketio.Decode(data, c.srv.cfg.MaxAttachments)
	if err != nil {
		c.fail(err)
		return
	}
	if p.Attachments > 0 {
		c.re = &socketio.Reassembler{}
		c.re.Start(p)
		return
	}
	c.onPacket(p, nil, false)
}

// onPacket routes a packet to its namespace's socket. owned reports that
// the packet's bytes outlive the call.
func (c *client) onPacket(p socketio.Packet, atts [][]byte, owned bool) {
	s := c.socketFor(p.Namespace)
	switch {
	case s == nil && p.Type == socketio.Connect:
		c.connect(string(p.Namespace), p.Data)
	case s != nil && p.Type != socketio.Connect && p.Type != socketio.ConnectError:
		s.onPacket(p, atts, owned)
	default:
		c.srv.log.Info("engine: closing connection after packet for a namespace it is not connected to",
			"sid", c.sess.ID(), "type", p.Type.String(), "nsp", string(p.Namespace))
		c.closeWith(ReasonForcedServerClose)
	}
}

// fail closes the connection after a malformed packet.
func (c *client) fail(err error) {
	c.srv.log.Info("engine: closing connection after a malformed packet", "sid", c.sess.ID(), "err", err)
	c.closeWith(ReasonParseError)
}

// closeWith closes the connection; its sockets disconnect with reason.
func (c *client) closeWith(reason string) {
	c.sess.CloseFrom(c.sess.Loop(), reason)
}

// connect starts connecting a socket to the namespace name.
func (c *client) connect(name string, auth []byte) {
	for _, p := range c.pending {
		if p == name {
			c.srv.log.Info("engine: closing connection that sent CONNECT twice", "sid", c.sess.ID(), "nsp", name)
			c.closeWith(ReasonForcedServerClose)
			return
		}
	}
	ns := c.srv.namespaceFor(name, auth)
	if ns == nil {
		c.send(packetMessage(socketio.ConnectError, name, 0, 0, false, []byte(`{"message":"Invalid namespace"}`), nil))
		return
	}
	s := &Socket{id: eioID(), ns: ns, cl: c, sess: c.sess, auth: emptyAuth}
	if auth != nil {
		s.auth = append([]byte(nil), auth...)
	}
	s.q = serial{w: c.srv.pool, inline: c.srv.cfg.InlineHandlers}
	c.pending = append(c.pending, name)
	mw, _ := ns.connectHandlers()
	s.q.do(func() {
		err := runMiddleware(s, mw)
		c.post(func() { c.finishConnect(s, err) })
	}, 0)
}

// emptyAuth is the auth payload of a CONNECT that carries none; the
// reference server treats it as an empty object.
var emptyAuth = []byte("{}")

func runMiddleware(s *Socket, mw []Middleware) (err error) {
	defer func() {
		if r := recover(); r != nil {
			s.ns.srv.log.Error("engine: middleware panicked", "nsp", s.ns.name, "panic", r)
			err = errors.New("internal error")
		}
	}()
	for _, fn := range mw {
		if err := fn(s); err != nil {
			return err
		}
	}
	return nil
}

// finishConnect completes or refuses a connection once middleware ran.
func (c *client) finishConnect(s *Socket, err error) {
	for i, p := range c.pending {
		if p == s.ns.name {
			c.pending = append(c.pending[:i], c.pending[i+1:]...)
			break
		}
	}
	if c.closed || err != nil {
		s.mu.Lock()
		s.left = true
		s.mu.Unlock()
		c.srv.release(s.ns)
	}
	if c.closed {
		return
	}
	if err != nil {
		c.send(packetMessage(socketio.ConnectError, s.ns.name, 0, 0, false, connectErrorJSON(err), nil))
		return
	}
	c.socks = append(c.socks, s)
	l := c.sess.Loop()
	l.Cancel(&c.timer)
	s.ns.add(s, l)
	c.send(packetMessage(socketio.Connect, s.ns.name, 0, 0, false, fmt.Appendf(nil, `{"sid":%q}`, s.id), nil))
	_, on := s.ns.connectHandlers()
	if len(on) > 0 {
		s.q.do(func() {
			for _, fn := range on {
				fn(s)
			}
		}, 0)
	}
}

func connectErrorJSON(err error) []byte {
	var ce *ConnectError
	if errors.As(err, &ce) {
		b := appendJSONObject(nil, "message", ce.Message)
		if ce.Data != nil {
			// {"message":...,"data":...}, in the reference's key order.
			if data, atts, e := encodeArgs(nil, []any{ce.Data}); e == nil && len(atts) == 0 {
				b = append(b[:len(b)-1], `,"data":`...)
				b = append(b, data...)
				b = append(b, '}')
			}
		}
		return b
	}
	return appendJSONObject(nil, "message", err.Error())
}

func appendJSONObject(dst []byte, key, value string) []byte {
	dst = append(dst, '{')
	dst = socketio.AppendQuoted(dst, key)
	dst = append(dst, ':')
	dst = socketio.AppendQuoted(dst, value)
	return append(dst, '}')
}

// onConnectTimeout closes a connection that joined no namespace in time.
func (c *client) onConnectTimeout() {
	if len(c.socks) == 0 && !c.closed {
		c.srv.log.Debug("engine: connect timeout", "sid", c.sess.ID())
		c.closeWith(ReasonForcedServerClose)
	}
}

// onClose disconnects every socket when the connection is gone.
func (c *client) onClose(reason string) {
	c.closed = true
	c.sess.Loop().Cancel(&c.timer)
	c.re = nil
	socks := c.socks
	c.socks = nil
	for _, s := range socks {
		s.close(reason)
	}
}

// disconnectAll disconnects every socket, telling the client, then closes
// the connection.
func (c *client) disconnectAll() {
	socks := c.socks
	c.socks = nil
	for _, s := range socks {
		c.send(packetMessage(socketio.Disconnect, s.ns.name, 0, 0, false, nil, nil))
		s.close(ReasonServerNamespaceDisconnect)
	}
	c.closeWith(ReasonForcedServerClose)
}

func (c *client) remove(s *Socket) {
	for i, x := range c.socks {
		if x == s {
			c.socks = append(c.socks[:i], c.socks[i+1:]...)
			return
		}
	}
}

// onPacket handles a packet for this connected socket. Home loop only.
func (s *Socket) onPacket(p socketio.Packet, atts [][]byte, owned bool) {
	switch p.Type {
	case socketio.Event, socketio.BinaryEvent:
		nb, raw, err := p.EventBytes()
		if err != nil {
			s.cl.fail(err)
			return
		}
		name, ok := s.ns.handlerSet.name(nb)
		if !ok && s.ns.parent != nil {
			name, ok = s.ns.parent.name(nb)
		}
		if !ok {
			name = string(nb)
		}
		args := Args{raw: raw, atts: atts}
		if !owned {
			args = ownArgs(raw, atts)
		}
		e := &Event{Name: name, Args: args, socket: s, id: p.ID, hasAck: p.HasID}
		if s.q.inline {
			s.dispatch(e)
			return
		}
		cfg := &s.ns.srv.cfg
		if !s.q.doWeighted(func() { s.dispatch(e) }, eventWeight(e), cfg.MaxPendingEvents, cfg.MaxPendingBytes) {
			s.ns.srv.log.Warn("engine: closing connection whose events pile up faster than handlers run",
				"sid", s.sess.ID(), "nsp", s.ns.name, "max_events", cfg.MaxPendingEvents, "max_bytes", cfg.MaxPendingBytes)
			s.cl.closeWith(ReasonForcedServerClose)
		}
	case socketio.Ack, socketio.BinaryAck:
		if s.acks[p.ID] == nil {
			return
		}
		raw, err := p.AckArgs()
		if err != nil {
			s.cl.fail(err)
			return
		}
		args := Args{raw: raw, atts: atts}
		if !owned {
			args = ownArgs(raw, atts)
		}
		s.onAck(p.ID, args)
	case socketio.Disconnect:
		s.cl.remove(s)
		s.close(ReasonClientNamespaceDisconnect)
	}
}

// eventWeight is what a queued event costs in memory, roughly: its
// arguments and attachments, and its bookkeeping.
func eventWeight(e *Event) int {
	return 128 + len(e.Name) + e.Args.Size()
}

// close disconnects the socket. Home loop only. The disconnecting
// listeners run while the socket is still in its rooms; then the socket
// leaves them and the disconnect listeners run.
func (s *Socket) close(reason string) {
	if !s.onLoop {
		return
	}
	s.onLoop = false
	s.mu.Lock()
	s.left = true
	s.connected.Store(false)
	s.mu.Unlock()
	s.cl.remove(s)
	s.failAcks()
	l := s.sess.Loop()
	s.mu.Lock()
	leaving := len(s.onLeaving) > 0
	s.mu.Unlock()
	// Listeners are read in the socket's queue, behind the connection
	// handlers queued before this close, which may still add some.
	notify := func(disconnecting bool) {
		s.q.do(func() {
			s.mu.Lock()
			early, left := s.onLeaving, s.onLeave
			s.mu.Unlock()
			if disconnecting {
				for _, fn := range early {
					fn(reason)
				}
			}
			for _, fn := range left {
				fn(reason)
			}
		}, 0)
	}
	if !leaving {
		// Nothing wants to see the socket still in its rooms: leave them
		// now rather than behind the socket's queued handlers. Disconnecting
		// listeners added meanwhile still run, before disconnect ones.
		s.ns.remove(s, l)
		s.cl.srv.release(s.ns)
		notify(true)
		return
	}
	s.q.do(func() {
		s.mu.Lock()
		early := s.onLeaving
		s.mu.Unlock()
		for _, fn := range early {
			fn(reason)
		}
		s.cl.post(func() {
			s.ns.remove(s, l)
			s.cl.srv.release(s.ns)
			notify(false)
		})
	}, 0)
}
