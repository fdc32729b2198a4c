package eio

import (
	"errors"
	"time"

	"github.com/heraldrt/herald/protocol/engineio"
)

const pollContentType = "text/plain; charset=UTF-8"

var (
	cacheControl = []byte("cache-control: no-store\r\n")
	okBody       = []byte("ok")
	sepBody      = []byte{engineio.Separator}
)

// respondHandshake answers the request that opened a polling session with
// the open packet, then starts the session. c is on the home loop.
func (s *Session) respondHandshake(c *conn, extra []byte) {
	open := engineio.AppendOpen(nil, s.srv.handshake(s.id, false))
	var cookie []byte
	if s.srv.cfg.Cookie != nil {
		cookie = s.srv.cfg.Cookie.header(s.id)
	}
	head := appendHead(nil, 200, pollContentType, len(open), c.keepAlive, cacheControl, cookie, extra)
	c.respond(head, open)
	s.opened()
}

// pollGet handles a GET for this session arriving on c.
func (s *Session) pollGet(c *conn, extra []byte) {
	c.busy = true
	c.pollFor = s
	s.onHome(c.l, func() {
		if s.state == stateClosed {
			s.answerError(c, CodeUnknownSID, extra)
			return
		}
		if s.pollConn != nil {
			s.answer(c, 400, nil, extra)
			s.close(ReasonTransportError, errOverlapGet)
			return
		}
		if s.ws != nil {
			s.answerError(c, CodeBadRequest, extra)
			return
		}
		s.pollConn, s.pollExtra = c, extra
		switch {
		case s.state == stateClosing:
			// This poll carries the close packet: the session is over.
			s.flushPoll()
			s.finish(s.closing, nil)
		case len(s.queue) > 0:
			s.flushPoll()
		case s.probed:
			// A client finishing its upgrade polls no more; release this
			// stray poll soon, as the reference's upgrade check does,
			// unless the upgrade completes first.
			s.home.after(&s.noopT, upgradeCheckInterval, s.releasePoll)
		}
	})
}

// pollPost handles a POST for this session arriving on c. body aliases c's
// inbound buffer.
func (s *Session) pollPost(c *conn, body []byte, extra []byte) {
	held := c.postFor == s
	c.postFor = nil
	if !held && !s.posting.CompareAndSwap(false, true) {
		s.answer(c, 400, nil, extra)
		s.closeFrom(c.l, ReasonTransportError, errOverlapPost)
		return
	}
	c.busy = true
	if c.l != s.home {
		body = append([]byte(nil), body...)
	}
	s.onHome(c.l, func() {
		// The next POST may come as soon as the client has this one's
		// answer, which another loop may write before this closure ends:
		// free the session for it before answering.
		answer := func(status int, body []byte) {
			s.posting.Store(false)
			s.answer(c, status, body, extra)
		}
		switch s.state {
		case stateClosing:
			// As the reference: the packets of a closing session are
			// dropped, and the client, told "ok", polls for the close.
			answer(200, okBody)
			return
		case stateClosed:
			answer(400, nil)
			return
		}
		var err error
		l := s.home
		l.scratch, err = engineio.DecodePayload(body, l.scratch[:0], func(p engineio.Packet) error {
			if !s.onPacket(p) {
				return errStop
			}
			return nil
		})
		switch {
		case errors.Is(err, errStop), err == nil:
			answer(200, okBody)
		default:
			s.srv.log.Info("eio: closing session after malformed polling payload", "sid", s.id, "err", err)
			answer(400, nil)
			s.close(ReasonParseError, err)
		}
	})
}

var errStop = errors.New("eio: stop")

// answer sends a small response to a polling request on c, from the home
// loop to wherever c lives.
func (s *Session) answer(c *conn, status int, body []byte, extra []byte) {
	ctype := ""
	if body != nil {
		ctype = "text/html"
	}
	head := appendHead(nil, status, ctype, len(body), c.keepAlive, cacheControl, extra)
	c.post(s.home, func() {
		c.pollFor = nil
		c.respond(head, body)
	})
}

// flushPoll answers the held GET with everything queued.
func (s *Session) flushPoll() {
	if s.pollConn == nil || len(s.queue) == 0 {
		return
	}
	c, extra := s.pollConn, s.pollExtra
	s.pollConn, s.pollExtra = nil, nil
	body := make([][]byte, 0, 2*len(s.queue))
	n := 0
	for i, m := range s.queue {
		if i > 0 {
			body = append(body, sepBody)
			n++
		}
		p := m.Polling()
		body = append(body, p)
		n += len(p)
	}
	clear(s.queue)
	s.queue, s.queueBytes = s.queue[:0], 0
	head := appendHead(nil, 200, pollContentType, n, c.keepAlive, cacheControl, extra)
	c.post(s.home, func() {
		c.pollFor = nil
		c.respond(head, body...)
	})
}

// upgradeCheckInterval is how long a poll that arrives during an upgrade
// is held before it gets a noop.
const upgradeCheckInterval = 100 * time.Millisecond

func (s *Session) releasePoll() {
	if s.pollConn != nil && len(s.queue) == 0 && s.state == stateOpen {
		s.respondPoll(noopMessage.Polling())
	}
}

// answerError answers a polling request on c with an Engine.IO error body.
func (s *Session) answerError(c *conn, code int, extra []byte) {
	c.post(s.home, func() {
		c.pollFor = nil
		c.respondJSONError(400, code, codeMessages[code], extra)
	})
}

// respondPoll answers the held GET with one payload, leaving the queue.
func (s *Session) respondPoll(payload []byte) {
	saved := s.queue
	s.queue = []*Message{{poll: payload, parts: []part{{}}}}
	s.queue[0].pollOnce.Do(func() {})
	s.flushPoll()
	s.queue = saved
}

// pollConnClosed is called on c's loop when a connection holding a GET or
// a POST body for this session closes.
func (s *Session) pollConnClosed(l *Loop, c *conn) {
	s.onHome(l, func() {
		if s.pollConn == c {
			s.pollConn = nil
			s.close(ReasonTransportError, errPollClosed)
		}
	})
}
