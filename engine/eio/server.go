package eio

import (
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"hash/maphash"
	"log/slog"
	"sync"
	"sync/atomic"

	"github.com/heraldrt/herald/protocol/engineio"
	"github.com/heraldrt/herald/protocol/httphead"
	"github.com/heraldrt/herald/protocol/websocket"
)

// Engine.IO error codes, as the reference server numbers them in its JSON
// error bodies.
const (
	CodeUnknownTransport    = 0
	CodeUnknownSID          = 1
	CodeBadHandshakeMethod  = 2
	CodeBadRequest          = 3
	CodeForbidden           = 4
	CodeUnsupportedProtocol = 5
)

var codeMessages = [...]string{
	"Transport unknown",
	"Session ID unknown",
	"Bad handshake method",
	"Bad request",
	"Forbidden",
	"Unsupported protocol version",
}

// Server is one Engine.IO endpoint: its configuration and its sessions. It
// serves once mounted on a Reactor.
type Server struct {
	cfg      Config
	r        *Reactor
	path     string
	log      *slog.Logger
	upgrades []string

	seed   maphash.Seed
	shards [64]sessionShard
	count  atomic.Int64
}

type sessionShard struct {
	mu sync.Mutex
	m  map[string]*Session
}

// NewServer validates cfg and returns a server ready to be mounted.
func NewServer(cfg Config) (*Server, error) {
	if err := cfg.setDefaults(); err != nil {
		return nil, err
	}
	s := &Server{cfg: cfg, seed: maphash.MakeSeed()}
	for i := range s.shards {
		s.shards[i].m = make(map[string]*Session)
	}
	s.upgrades = []string{}
	if !cfg.DisableUpgrades && cfg.allows([]byte(WebSocket)) {
		s.upgrades = []string{WebSocket}
	}
	return s, nil
}

func (s *Server) attach(r *Reactor, path string) {
	s.r, s.path, s.log = r, path, r.log
}

// Config returns the effective configuration, defaults filled in.
func (s *Server) Config() Config { return s.cfg }

// SessionCount is the number of open sessions.
func (s *Server) SessionCount() int64 { return s.count.Load() }

// Reactor is the reactor the server is mounted on.
func (s *Server) Reactor() *Reactor { return s.r }

func (s *Server) shard(sid []byte) *sessionShard {
	return &s.shards[maphash.Bytes(s.seed, sid)%uint64(len(s.shards))]
}

func (s *Server) lookup(sid []byte) *Session {
	sh := s.shard(sid)
	sh.mu.Lock()
	sess := sh.m[string(sid)]
	sh.mu.Unlock()
	return sess
}

func (s *Server) register(sess *Session) {
	sh := s.shard([]byte(sess.id))
	sh.mu.Lock()
	sh.m[sess.id] = sess
	sh.mu.Unlock()
	s.count.Add(1)
}

func (s *Server) unregister(sess *Session) {
	sh := s.shard([]byte(sess.id))
	sh.mu.Lock()
	if sh.m[sess.id] == sess {
		delete(sh.m, sess.id)
		s.count.Add(-1)
	}
	sh.mu.Unlock()
}

// closeAll asks every session to close with reason.
func (s *Server) closeAll(reason string) {
	for i := range s.shards {
		sh := &s.shards[i]
		sh.mu.Lock()
		for _, sess := range sh.m {
			sess.closeAsync(reason)
		}
		sh.mu.Unlock()
	}
}

// finishAll ends every session now, without waiting for clients: the last
// step of a shutdown.
func (s *Server) finishAll(reason string) {
	for i := range s.shards {
		sh := &s.shards[i]
		sh.mu.Lock()
		for _, sess := range sh.m {
			sess.home.Post(TaskFunc(func(*Loop) { sess.finish(reason, nil) }))
		}
		sh.mu.Unlock()
	}
}

// newID returns a session id like the reference's: 15 random bytes in
// URL-safe base64, 20 characters.
func newID() string {
	var b [15]byte
	_, _ = rand.Read(b[:])
	return base64.URLEncoding.EncodeToString(b[:])
}

// corsHeaders are the CORS response headers for req, nil without CORS.
func (s *Server) corsHeaders(req *httphead.Request, preflight bool) []byte {
	if s.cfg.CORS == nil {
		return nil
	}
	return s.cfg.CORS.appendHeaders(nil, req.Header("Origin"), req.Header("Access-Control-Request-Headers"), preflight)
}

// serveHTTP routes one complete request. body aliases the inbound buffer.
func (s *Server) serveHTTP(c *conn, req *httphead.Request, body []byte) {
	method := string(req.Method)
	upgrade := method == "GET" && req.HasHeaderToken("Upgrade", "websocket")
	extra := s.corsHeaders(req, method == "OPTIONS")
	if s.cfg.CORS != nil && method == "OPTIONS" {
		c.respond(appendHead(nil, 204, "", 0, c.keepAlive, extra))
		return
	}
	fail := func(code int, message string) {
		if message == "" {
			message = codeMessages[code]
		}
		s.log.Debug("eio: refusing request", "code", code, "message", message, "remote", c.gc.RemoteAddr())
		if upgrade {
			c.keepAlive = false
			head := fmt.Appendf(nil, "HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-type: text/html\r\nContent-Length: %d\r\n\r\n", len(message))
			c.respond(head, []byte(message))
			return
		}
		status := 400
		if code == CodeForbidden {
			status = 403
		}
		c.respondJSONError(status, code, message, extra)
	}

	q := req.Query
	transport, _ := httphead.QueryValue(q, "transport")
	if !s.cfg.allows(transport) {
		fail(CodeUnknownTransport, "")
		return
	}
	if upgrade && string(transport) != WebSocket {
		// Only the websocket transport handles upgrades; the reference
		// closes the new WebSocket at once.
		fail(CodeBadRequest, "")
		return
	}
	if sid, ok := httphead.QueryValue(q, "sid"); ok && len(sid) > 0 {
		sess := s.lookup(sid)
		if sess == nil {
			fail(CodeUnknownSID, "")
			return
		}
		if upgrade {
			s.acceptUpgrade(c, req, sess)
			return
		}
		if sess.Transport() != string(transport) {
			fail(CodeBadRequest, "")
			return
		}
		switch method {
		case "GET":
			sess.pollGet(c, extra)
		case "POST":
			if string(req.Header("Content-Type")) == "application/octet-stream" {
				c.respond(appendHead(nil, 400, "", 0, c.keepAlive, extra))
				sess.closeFrom(c.l, ReasonTransportError, errInvalidContent)
				return
			}
			sess.pollPost(c, body, extra)
		default:
			c.respond(appendHead(nil, 500, "", 0, c.keepAlive, extra))
		}
		return
	}
	if method != "GET" {
		fail(CodeBadHandshakeMethod, "")
		return
	}
	if string(transport) == WebSocket && !upgrade {
		fail(CodeBadRequest, "")
		return
	}
	// The reference vets the request before it checks the protocol
	// version, in the handshake.
	hreq := newRequest(c.headBytes(req), c.gc.RemoteAddr(), c.l.now)
	if s.cfg.AllowRequest != nil {
		if err := s.cfg.AllowRequest(hreq); err != nil {
			fail(CodeForbidden, err.Error())
			return
		}
	}
	if eio, _ := httphead.QueryValue(q, "EIO"); string(eio) != "4" {
		fail(CodeUnsupportedProtocol, "")
		return
	}
	if upgrade {
		if !validUpgrade(c, req) {
			return
		}
		sess := newSession(s, c.l, hreq)
		s.writeSwitchingProtocols(c, req)
		s.open(sess, c)
		return
	}
	sess := newSession(s, c.l, hreq)
	s.open(sess, nil)
	sess.respondHandshake(c, extra)
}

// bodyArriving notes a POST whose head has arrived and whose body has not:
// the session's data request is active from now on, as in the reference,
// so that an overlapping POST is caught while this body streams in.
func (s *Server) bodyArriving(c *conn, req *httphead.Request) {
	sid, ok := httphead.QueryValue(req.Query, "sid")
	if !ok || len(sid) == 0 {
		return
	}
	sess := s.lookup(sid)
	if sess == nil || sess.Transport() != Polling {
		return
	}
	if !sess.posting.CompareAndSwap(false, true) {
		c.keepAlive = false
		c.respond(appendHead(nil, 400, "", 0, false, cacheControl, s.corsHeaders(req, false)))
		sess.closeFrom(c.l, ReasonTransportError, errOverlapPost)
		return
	}
	c.postFor = sess
}

// headBytes returns the raw request head for the session's copy.
func (c *conn) headBytes(req *httphead.Request) []byte {
	buf, _ := c.gc.Peek(-1)
	n := len(buf)
	if i := indexHeadEnd(buf); i > 0 {
		n = i
	}
	return buf[:n]
}

func indexHeadEnd(b []byte) int {
	for i := 3; i < len(b); i++ {
		if b[i] == '\n' && b[i-1] == '\r' && b[i-2] == '\n' && b[i-3] == '\r' {
			return i + 1
		}
	}
	return -1
}

// validUpgrade checks the WebSocket handshake headers, answering 400 when
// they are wrong.
func validUpgrade(c *conn, req *httphead.Request) bool {
	msg := ""
	switch {
	case string(req.Header("Sec-WebSocket-Version")) != "13":
		msg = "Missing or invalid Sec-WebSocket-Version header"
	case !websocket.ValidKey(req.Header("Sec-WebSocket-Key")):
		msg = "Missing or invalid Sec-WebSocket-Key header"
	default:
		return true
	}
	c.keepAlive = false
	c.respond(appendHead(nil, 400, "text/plain", len(msg), false), []byte(msg))
	return false
}

// writeSwitchingProtocols answers 101 and switches c to WebSocket framing.
// Like the reference, it sets no cookie: only polling responses do.
func (s *Server) writeSwitchingProtocols(c *conn, req *httphead.Request) {
	head := make([]byte, 0, 160)
	head = append(head, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: "...)
	head = websocket.AppendAccept(head, req.Header("Sec-WebSocket-Key"))
	head = append(head, "\r\n\r\n"...)
	c.write(head)
	c.mode = modeWebSocket
	c.busy = false
}

// open registers a new session; with a WebSocket connection it also sends
// the handshake and starts the session.
func (s *Server) open(sess *Session, ws *conn) {
	s.register(sess)
	s.r.stats.sessions.Add(1)
	if ws != nil {
		sess.attachWebSocket(ws)
		sess.deliver(sess.home, sess.openMessage())
		sess.opened()
	}
}

func (s *Server) handshake(sid string, ws bool) engineio.Handshake {
	h := engineio.Handshake{
		SID:          sid,
		Upgrades:     s.upgrades,
		PingInterval: int(s.cfg.PingInterval.Milliseconds()),
		PingTimeout:  int(s.cfg.PingTimeout.Milliseconds()),
		MaxPayload:   s.cfg.MaxPayload,
	}
	if ws {
		h.Upgrades = nil
	}
	return h
}

// acceptUpgrade answers an upgrade request for an existing session and
// hands the new connection to the session as a probe.
func (s *Server) acceptUpgrade(c *conn, req *httphead.Request, sess *Session) {
	if !validUpgrade(c, req) {
		return
	}
	s.writeSwitchingProtocols(c, req)
	c.s = sess
	sess.onHome(c.l, func() { sess.beginUpgrade(c) })
}

// CloseAll closes every session with reason, once queued output is written.
func (s *Server) CloseAll(reason string) { s.closeAll(reason) }
