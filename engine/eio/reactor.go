package eio

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/panjf2000/gnet/v2"
	"github.com/panjf2000/gnet/v2/pkg/logging"
	"golang.org/x/sys/unix"
)

// ReactorConfig configures the network side shared by every server mounted
// on a reactor. Zero fields take the defaults noted.
type ReactorConfig struct {
	// Loops is the number of event loops; 0 means one per CPU.
	Loops int
	// MaxHeaderBytes bounds an HTTP request head; default 8 KiB.
	MaxHeaderBytes int
	// MaxOutboundBytes bounds the unsent output of one connection; a peer
	// that lets more pile up is disconnected as a slow consumer. Default
	// 4 MiB.
	MaxOutboundBytes int
	// Tick is the resolution of the loops' timers; default 10 ms.
	Tick time.Duration
	// MaxConns bounds the open TCP connections; a connection beyond it is
	// closed at once. 0 means no bound.
	MaxConns int
	// IdleTimeout bounds how long an HTTP connection with no request in
	// progress may go without completing one: idle between keep-alive
	// requests, or sending a head or a body too slowly. Default 60 s.
	// WebSocket connections are watched by their sessions' heartbeats.
	IdleTimeout time.Duration
	// Logger receives the reactor's log lines; default slog.Default().
	Logger *slog.Logger
}

func (c *ReactorConfig) setDefaults() {
	if c.Loops <= 0 {
		c.Loops = runtime.GOMAXPROCS(0)
	}
	if c.MaxHeaderBytes <= 0 {
		c.MaxHeaderBytes = 8 << 10
	}
	if c.MaxOutboundBytes <= 0 {
		c.MaxOutboundBytes = 4 << 20
	}
	if c.Tick <= 0 {
		c.Tick = 10 * time.Millisecond
	}
	if c.IdleTimeout <= 0 {
		c.IdleTimeout = 60 * time.Second
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
}

// Reactor owns a listening socket and its gnet event loops, parses HTTP and
// WebSocket traffic on them, and routes requests to the Engine.IO servers
// mounted on it by path.
type Reactor struct {
	gnet.BuiltinEventEngine

	cfg ReactorConfig
	log *slog.Logger

	mounts []mount

	eng      gnet.Engine
	started  atomic.Bool
	addr     net.Addr
	booted   chan struct{}
	done     chan struct{}
	runErr   error
	draining atomic.Bool

	loopsMu sync.Mutex
	loopMap map[gnet.EventLoop]*Loop
	loops   atomic.Pointer[[]*Loop]

	stats stats
}

type mount struct {
	path string
	srv  *Server
}

// NewReactor returns a reactor that is not yet listening.
func NewReactor(cfg ReactorConfig) *Reactor {
	cfg.setDefaults()
	r := &Reactor{
		cfg:     cfg,
		log:     cfg.Logger,
		booted:  make(chan struct{}),
		done:    make(chan struct{}),
		loopMap: make(map[gnet.EventLoop]*Loop),
	}
	r.loops.Store(new([]*Loop))
	return r
}

// Mount routes requests whose path starts with path to s. It must be called
// before Start. The path is normalised to start and end with a slash.
func (r *Reactor) Mount(path string, s *Server) {
	if !strings.HasPrefix(path, "/") {
		path = "/" + path
	}
	if !strings.HasSuffix(path, "/") {
		path += "/"
	}
	s.attach(r, path)
	r.mounts = append(r.mounts, mount{path: path, srv: s})
}

// Start listens on addr (host:port) and runs the loops in the background.
// It returns once the listener is bound, or with the error that prevented it.
func (r *Reactor) Start(addr string) error {
	if len(r.mounts) == 0 {
		return errors.New("eio: reactor has no server mounted")
	}
	if !r.started.CompareAndSwap(false, true) {
		return errors.New("eio: reactor already started")
	}
	go func() {
		defer close(r.done)
		err := gnet.Run(r, "tcp://"+addr,
			gnet.WithMulticore(true),
			gnet.WithNumEventLoop(r.cfg.Loops),
			gnet.WithTicker(true),
			gnet.WithTCPNoDelay(gnet.TCPNoDelay),
			gnet.WithLogger(gnetLogger{r.log}),
			gnet.WithLogLevel(logging.DebugLevel),
			gnet.WithReuseAddr(true),
		)
		if err != nil {
			r.runErr = err
		}
	}()
	select {
	case <-r.booted:
		return nil
	case <-r.done:
		if r.runErr == nil {
			r.runErr = errors.New("eio: reactor stopped before it started")
		}
		return fmt.Errorf("eio: listen %s: %w", addr, r.runErr)
	}
}

// Addr is the address the reactor listens on, with the real port when the
// configured one was 0.
func (r *Reactor) Addr() net.Addr {
	if r == nil {
		return nil
	}
	return r.addr
}

// Loops returns the loops that have served at least one connection. A loop
// that never had a connection owns no session, so broadcasts skip it.
func (r *Reactor) Loops() []*Loop { return *r.loops.Load() }

// ConnCount is the number of open TCP connections.
func (r *Reactor) ConnCount() int64 { return r.stats.conns.Load() }

// SlowConsumers counts connections closed because their output piled up.
func (r *Reactor) SlowConsumers() int64 { return r.stats.slowConsumers.Load() }

// Refused counts connections closed at once because MaxConns was reached.
func (r *Reactor) Refused() int64 { return r.stats.refused.Load() }

// Writes counts writev system calls, so benchmarks can report batching.
func (r *Reactor) Writes() int64 { return r.stats.writes.Load() }

// Shutdown stops the reactor: it refuses new connections, closes every
// session of every mounted server with reason "server shutting down", gives
// queued output until ctx is done to drain, then stops the loops.
func (r *Reactor) Shutdown(ctx context.Context) error {
	if !r.started.Load() {
		r.draining.Store(true)
		return nil
	}
	if !r.draining.CompareAndSwap(false, true) {
		<-r.done
		return nil
	}
	for _, m := range r.mounts {
		m.srv.closeAll(ReasonServerShutdown)
	}
	// Wait for the sessions to close and their output to drain, then end
	// those still waiting for a client, such as idle polling sessions.
	r.waitSessions(ctx)
	for _, m := range r.mounts {
		m.srv.finishAll(ReasonServerShutdown)
	}
	last, cancelLast := context.WithTimeout(context.Background(), time.Second)
	r.waitSessions(last)
	cancelLast()
	// gnet's Stop polls for completion twice a second; gnet.Run returning,
	// which closes done, is the earlier signal.
	stopCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	stopErr := make(chan error, 1)
	go func() { stopErr <- r.eng.Stop(stopCtx) }()
	select {
	case <-r.done:
		return nil
	case err := <-stopErr:
		<-r.done
		return err
	}
}

func (r *Reactor) waitSessions(ctx context.Context) {
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for {
		open := int64(0)
		for _, m := range r.mounts {
			open += m.srv.count.Load()
		}
		if open == 0 {
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// Done is closed when the reactor has stopped.
func (r *Reactor) Done() <-chan struct{} { return r.done }

// OnBoot records the engine and the bound address.
func (r *Reactor) OnBoot(eng gnet.Engine) gnet.Action {
	r.eng = eng
	if fd, err := eng.Dup(); err == nil {
		if sa, err := unix.Getsockname(fd); err == nil {
			r.addr = sockaddrToTCP(sa)
		}
		_ = unix.Close(fd)
	}
	close(r.booted)
	return gnet.None
}

func sockaddrToTCP(sa unix.Sockaddr) net.Addr {
	switch a := sa.(type) {
	case *unix.SockaddrInet4:
		return &net.TCPAddr{IP: net.IP(a.Addr[:]).To16(), Port: a.Port}
	case *unix.SockaddrInet6:
		return &net.TCPAddr{IP: net.IP(a.Addr[:]), Port: a.Port}
	}
	return nil
}

func (r *Reactor) loopOf(el gnet.EventLoop) *Loop {
	r.loopsMu.Lock()
	defer r.loopsMu.Unlock()
	if l, ok := r.loopMap[el]; ok {
		return l
	}
	l := newLoop(r, len(r.loopMap), el)
	r.loopMap[el] = l
	loops := append(append([]*Loop(nil), *r.loops.Load()...), l)
	r.loops.Store(&loops)
	return l
}

// OnOpen attaches Herald's state to a new connection.
func (r *Reactor) OnOpen(gc gnet.Conn) ([]byte, gnet.Action) {
	if r.draining.Load() {
		return nil, gnet.Close
	}
	if max := r.cfg.MaxConns; max > 0 && r.stats.conns.Load() >= int64(max) {
		r.stats.refused.Add(1)
		return nil, gnet.Close
	}
	l := r.loopOf(gc.EventLoop())
	l.now = time.Now()
	c := &conn{gc: gc, l: l, keepAlive: true, head: -1, tail: -1}
	gc.SetContext(c)
	r.stats.conns.Add(1)
	c.watchIdle()
	return nil, gnet.None
}

// OnClose tells the connection's session, if any, that its transport is gone.
func (r *Reactor) OnClose(gc gnet.Conn, err error) gnet.Action {
	c, ok := gc.Context().(*conn)
	if !ok || c.closed {
		return gnet.None
	}
	c.closed = true
	r.stats.conns.Add(-1)
	c.l.stop(&c.idle)
	c.head, c.tail = -1, -1
	c.frag = nil
	// gnet calls OnClose from its own read path too: output this close
	// causes elsewhere must then be flushed here.
	if l := c.l; !l.active {
		l.enter()
		defer l.leave()
	}
	if c.s != nil {
		c.s.transportClosed(c.l, c, err)
	}
	if c.pollFor != nil {
		c.pollFor.pollConnClosed(c.l, c)
	}
	if s := c.postFor; s != nil {
		c.postFor = nil
		s.posting.Store(false)
		s.closeFrom(c.l, ReasonTransportError, errPostClosed)
	}
	return gnet.None
}

// OnTraffic parses whatever the connection has buffered.
func (r *Reactor) OnTraffic(gc gnet.Conn) gnet.Action {
	c, ok := gc.Context().(*conn)
	if !ok || c.closed {
		return gnet.Close
	}
	c.l.enter()
	c.onTraffic()
	c.l.leave()
	return gnet.None
}

// OnTick drives the timing wheel of every loop that may have a timer due.
func (r *Reactor) OnTick() (time.Duration, gnet.Action) {
	now := time.Now()
	for _, l := range r.Loops() {
		l.maybeTick(now)
	}
	return r.cfg.Tick, gnet.None
}
