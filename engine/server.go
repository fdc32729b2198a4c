package engine

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/heraldrt/herald/engine/eio"
)

// Config configures a Socket.IO server. Zero fields take the reference
// server's defaults.
type Config struct {
	// Path is where the server is mounted; default "/socket.io/".
	Path string
	// Engine configures the Engine.IO layer: heartbeat, payload bound,
	// transports, CORS, cookie. Its Handler is the Socket.IO server.
	Engine eio.Config
	// ConnectTimeout closes a connection that joins no namespace in time;
	// default 45 s.
	ConnectTimeout time.Duration
	// MaxAttachments bounds the binary attachments of one packet;
	// default 10.
	MaxAttachments int
	// Workers is the number of goroutines running handlers; default
	// 64 × GOMAXPROCS.
	Workers int
	// MaxPendingEvents and MaxPendingBytes bound the events of one socket
	// waiting for its handlers, in number and in bytes of arguments; a
	// client that sends faster is disconnected. Defaults 4096 and 8 MiB:
	// room for a polling client's whole payload of small events.
	MaxPendingEvents int
	MaxPendingBytes  int
	// MaxAckBytes bounds the answers one broadcast with acks keeps, in
	// bytes of arguments, whatever the clients send; default 16 MiB.
	MaxAckBytes int
	// InlineHandlers runs handlers on the event loops; see the package
	// documentation.
	InlineHandlers bool
	// CleanupEmptyChildNamespaces removes a child namespace created
	// through a parent when its last socket leaves, as the reference's
	// option of that name does; otherwise, by default, children stay, and
	// clients naming new ones make the server hold more.
	CleanupEmptyChildNamespaces bool
	// Adapter makes each namespace's adapter; default MemoryAdapter.
	Adapter AdapterFactory
	// Logger receives log lines; default slog.Default().
	Logger *slog.Logger
}

// Server is a Socket.IO server. Create it with NewServer, configure its
// namespaces, then Listen, or Attach it to a reactor shared with other
// servers.
type Server struct {
	cfg  Config
	eio  *eio.Server
	log  *slog.Logger
	pool *workers

	mu          sync.RWMutex
	nsps        map[string]*Namespace
	parents     []*ParentNamespace
	onNamespace []func(*Namespace)

	reactor  atomic.Pointer[eio.Reactor]
	ownsLoop bool
}

// NewServer validates cfg and returns a server with the main namespace "/".
func NewServer(cfg Config) (*Server, error) {
	if cfg.Path == "" {
		cfg.Path = "/socket.io/"
	}
	if cfg.ConnectTimeout == 0 {
		cfg.ConnectTimeout = 45 * time.Second
	}
	if cfg.MaxAttachments == 0 {
		cfg.MaxAttachments = 10
	}
	if cfg.Workers == 0 {
		cfg.Workers = 64 * runtime.GOMAXPROCS(0)
	}
	if cfg.MaxPendingEvents == 0 {
		cfg.MaxPendingEvents = 4096
	}
	if cfg.MaxPendingBytes == 0 {
		cfg.MaxPendingBytes = 8 << 20
	}
	if cfg.MaxAckBytes == 0 {
		cfg.MaxAckBytes = 16 << 20
	}
	if cfg.Adapter == nil {
		cfg.Adapter = MemoryAdapter
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	switch {
	case cfg.ConnectTimeout < 0:
		return nil, fmt.Errorf("engine: invalid config: negative ConnectTimeout")
	case cfg.MaxAttachments < 0 || cfg.Workers < 0 || cfg.MaxPendingEvents < 0 || cfg.MaxPendingBytes < 0 || cfg.MaxAckBytes < 0:
		return nil, fmt.Errorf("engine: invalid config: negative bound")
	}
	s := &Server{
		cfg:  cfg,
		log:  cfg.Logger,
		pool: newWorkers(cfg.Workers),
		nsps: make(map[string]*Namespace),
	}
	ecfg := cfg.Engine
	ecfg.Handler = s
	e, err := eio.NewServer(ecfg)
	if err != nil {
		return nil, err
	}
	s.eio = e
	s.Of("/")
	return s, nil
}

// Config returns the server's configuration, defaults filled in.
func (s *Server) Config() Config { return s.cfg }

// Engine is the server's Engine.IO layer.
func (s *Server) Engine() *eio.Server { return s.eio }

// Attach mounts the server on a reactor at its path. The reactor must not
// have started.
func (s *Server) Attach(r *eio.Reactor) {
	s.reactor.Store(r)
	r.Mount(s.cfg.Path, s.eio)
	s.pool.start()
}

// Listen starts a reactor of its own on addr, configured by rc, and serves.
// It returns once the address is bound.
func (s *Server) Listen(addr string, rc eio.ReactorConfig) error {
	if rc.Logger == nil {
		rc.Logger = s.log
	}
	r := eio.NewReactor(rc)
	s.ownsLoop = true
	s.Attach(r)
	return r.Start(addr)
}

// Reactor is the reactor the server is attached to, or nil.
func (s *Server) Reactor() *eio.Reactor { return s.reactor.Load() }

// Shutdown disconnects every socket with reason "server shutting down", so
// that clients reconnect elsewhere, drains queued output until ctx is done,
// and stops the reactor when the server started it.
func (s *Server) Shutdown(ctx context.Context) error {
	r := s.reactor.Load()
	if r == nil {
		return errors.New("engine: server is not attached")
	}
	// As the reference's io.close(): every socket disconnects now, whatever
	// the state of its transport, and the loops keep running until the
	// disconnect listeners have run (or ctx ends).
	s.closeClients(ctx, r.Done(), ReasonServerShuttingDown)
	var err error
	if s.ownsLoop {
		err = r.Shutdown(ctx)
	} else {
		s.eio.CloseAll(ReasonServerShuttingDown)
	}
	if e := s.pool.stop(ctx); err == nil {
		err = e
	}
	return err
}

// closeClients disconnects every socket with reason on its loop and closes
// its connection, then waits until the sockets are gone and the handlers
// they queued have run, or until ctx is done or the reactor has stopped.
func (s *Server) closeClients(ctx context.Context, stopped <-chan struct{}, reason string) {
	loops := s.loops()
	nsps := s.Namespaces()
	ran := make(chan struct{}, len(loops))
	for _, l := range loops {
		l.Post(eio.TaskFunc(func(l *eio.Loop) {
			defer func() { ran <- struct{}{} }()
			clients := make(map[*client]struct{})
			for _, ns := range nsps {
				if x := ns.peekIndex(l); x != nil {
					for _, so := range x.all.list {
						clients[so.cl] = struct{}{}
					}
				}
			}
			for c := range clients {
				c.onClose(reason)
				c.closeWith(reason)
			}
		}))
	}
	for range loops {
		select {
		case <-ran:
		case <-ctx.Done():
			return
		case <-stopped: // a stopped loop runs no task
			return
		}
	}
	for {
		n := 0
		for _, ns := range nsps {
			n += ns.SocketCount()
		}
		if n == 0 && s.pool.idle() {
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(2 * time.Millisecond):
		}
	}
}

func (s *Server) loops() []*eio.Loop {
	if r := s.reactor.Load(); r != nil {
		return r.Loops()
	}
	return nil
}

// Of returns the namespace name, creating it if needed.
func (s *Server) Of(name string) *Namespace {
	if name == "" {
		name = "/"
	}
	if name[0] != '/' {
		name = "/" + name
	}
	s.mu.RLock()
	ns := s.nsps[name]
	s.mu.RUnlock()
	if ns != nil {
		return ns
	}
	s.mu.Lock()
	if ns = s.nsps[name]; ns != nil {
		s.mu.Unlock()
		return ns
	}
	ns = newNamespace(s, name, nil)
	s.nsps[name] = ns
	hooks := s.onNamespace
	s.mu.Unlock()
	for _, fn := range hooks {
		fn(ns)
	}
	return ns
}

// OfFunc returns a parent namespace whose children are the namespaces for
// which match, given the name and the CONNECT auth payload, reports true.
func (s *Server) OfFunc(match func(name string, auth []byte) bool) *ParentNamespace {
	p := &ParentNamespace{srv: s, match: match}
	p.handlers = make(map[string]EventHandler)
	s.mu.Lock()
	s.parents = append(s.parents, p)
	s.mu.Unlock()
	return p
}

// OfRegexp returns a parent namespace whose children are the namespaces
// whose names re matches.
func (s *Server) OfRegexp(re *regexp.Regexp) *ParentNamespace {
	return s.OfFunc(func(name string, _ []byte) bool { return re.MatchString(name) })
}

// OnNewNamespace adds a listener called when a namespace is created,
// dynamic children included.
func (s *Server) OnNewNamespace(fn func(*Namespace)) {
	s.mu.Lock()
	s.onNamespace = append(s.onNamespace, fn)
	s.mu.Unlock()
}

// namespaceFor finds the namespace a CONNECT names, creating a dynamic
// child when a parent accepts the name. It returns nil for an unknown one.
// With CleanupEmptyChildNamespaces, a child namespace it returns counts
// one more user until release.
func (s *Server) namespaceFor(name string, auth []byte) *Namespace {
	s.mu.RLock()
	ns := s.nsps[name]
	parents := s.parents
	s.mu.RUnlock()
	if ns != nil && !s.counts(ns) {
		return ns
	}
	if ns != nil {
		s.mu.Lock()
		if s.nsps[name] == ns { // not removed since
			ns.users++
			s.mu.Unlock()
			return ns
		}
		s.mu.Unlock()
	}
	if !validNamespaceName(name) {
		return nil
	}
	for _, p := range parents {
		if !p.match(name, auth) {
			continue
		}
		s.mu.Lock()
		if ns = s.nsps[name]; ns == nil {
			ns = newNamespace(s, name, p)
			s.nsps[name] = ns
			p.mu.Lock()
			p.children = append(p.children, ns)
			p.mu.Unlock()
		}
		if s.counts(ns) {
			ns.users++
		}
		hooks := s.onNamespace
		s.mu.Unlock()
		for _, fn := range hooks {
			fn(ns)
		}
		return ns
	}
	return nil
}

// counts reports whether ns's users are counted: only children, and only
// when empty ones are removed.
func (s *Server) counts(ns *Namespace) bool {
	return ns.parent != nil && s.cfg.CleanupEmptyChildNamespaces
}

// release ends a use of ns that namespaceFor counted: a socket refused,
// or gone. The last one removes ns and closes its adapter.
func (s *Server) release(ns *Namespace) {
	if !s.counts(ns) {
		return
	}
	s.mu.Lock()
	ns.users--
	if ns.users > 0 || s.nsps[ns.name] != ns {
		s.mu.Unlock()
		return
	}
	delete(s.nsps, ns.name)
	p := ns.parent
	p.mu.Lock()
	p.children = slices.DeleteFunc(p.children, func(c *Namespace) bool { return c == ns })
	p.mu.Unlock()
	s.mu.Unlock()
	if err := ns.adapter.Close(); err != nil {
		s.log.Warn("engine: closing the adapter of a removed namespace", "nsp", ns.name, "err", err)
	}
}

// Namespaces returns every namespace.
func (s *Server) Namespaces() []*Namespace {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := make([]*Namespace, 0, len(s.nsps))
	for _, ns := range s.nsps {
		out = append(out, ns)
	}
	return out
}

// Use adds middleware to the main namespace.
func (s *Server) Use(mw Middleware) { s.Of("/").Use(mw) }

// OnConnection adds a connection handler to the main namespace.
func (s *Server) OnConnection(fn func(*Socket)) { s.Of("/").OnConnection(fn) }

// To returns a broadcast operator for rooms of the main namespace.
func (s *Server) To(rooms ...string) BroadcastOperator { return s.Of("/").To(rooms...) }

// Emit sends an event to every socket of the main namespace.
func (s *Server) Emit(event string, args ...any) error { return s.Of("/").Emit(event, args...) }

// FetchSockets describes every socket of the main namespace, on every node.
func (s *Server) FetchSockets(ctx context.Context) ([]*RemoteSocket, error) {
	return s.Of("/").FetchSockets(ctx)
}

// SocketsJoin makes every socket of the main namespace join rooms; use
// In(...).SocketsJoin to choose sockets.
func (s *Server) SocketsJoin(rooms ...string) error { return s.Of("/").SocketsJoin(rooms...) }

// SocketsLeave makes every socket of the main namespace leave rooms.
func (s *Server) SocketsLeave(rooms ...string) error { return s.Of("/").SocketsLeave(rooms...) }

// DisconnectSockets disconnects every socket of the main namespace.
func (s *Server) DisconnectSockets(close bool) error { return s.Of("/").DisconnectSockets(close) }

// In is To.
func (s *Server) In(rooms ...string) BroadcastOperator { return s.To(rooms...) }

// Except returns a broadcast operator for the main namespace but rooms.
func (s *Server) Except(rooms ...string) BroadcastOperator { return s.Of("/").Except(rooms...) }

// OnOpen starts the Socket.IO side of a new connection.
func (s *Server) OnOpen(sess *eio.Session) {
	c := &client{srv: s, sess: sess}
	sess.SetContext(c)
	sess.Loop().Schedule(&c.timer, s.cfg.ConnectTimeout, c.onConnectTimeout)
}

// OnMessage hands an Engine.IO message to its connection's client.
func (s *Server) OnMessage(sess *eio.Session, data []byte, binary bool) {
	if c, ok := sess.Context().(*client); ok {
		c.onMessage(data, binary)
	}
}

// OnClose disconnects the connection's sockets with the Engine.IO reason.
func (s *Server) OnClose(sess *eio.Session, reason string, _ error) {
	if c, ok := sess.Context().(*client); ok {
		c.onClose(reason)
	}
}

// eioID returns a 20-character URL-safe random id, as the reference's
// base64id does.
func eioID() string {
	var b [15]byte
	_, _ = rand.Read(b[:])
	return base64.URLEncoding.EncodeToString(b[:])
}
