package gateway

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"sync/atomic"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/heraldrt/herald/api/auth"
	"github.com/heraldrt/herald/api/backend"
	"github.com/heraldrt/herald/api/config"
	"github.com/heraldrt/herald/api/ratelimit"
	"github.com/heraldrt/herald/engine"
	"github.com/heraldrt/herald/engine/eio"
)

// Gateway is one Herald node.
type Gateway struct {
	cfg config.Config
	log *slog.Logger

	io          *engine.Server
	verifier    *auth.Verifier
	connectHook *backend.ConnectHook
	fwd         *backend.Forwarder
	hooks       *backend.Webhooks
	connLimit   *ratelimit.Keyed
	metrics     *metrics
	// authSlots bounds the connections being identified at once, which
	// may wait on the connect hook or a JWKS fetch, to half the handler
	// workers, so that slow identification cannot stall every socket.
	authSlots chan struct{}

	api        *fasthttp.Server
	apiLn      net.Listener
	apiDone    chan error
	routes     []Route
	httpErrors func(*fasthttp.RequestCtx, error)
	ready      atomic.Bool
	notices    []string
	adapters   engine.AdapterFactory
}

// Option adjusts a Gateway at construction.
type Option func(*Gateway)

// WithLogger sets the logger; the default follows the log settings.
func WithLogger(l *slog.Logger) Option { return func(g *Gateway) { g.log = l } }

// WithRoutes adds routes to the operator HTTP server, such as the push API.
func WithRoutes(routes ...Route) Option {
	return func(g *Gateway) { g.routes = append(g.routes, routes...) }
}

// WithHTTPErrorHandler answers requests the operator HTTP server cannot
// parse (too large, malformed), so that they get the push API's error
// shape.
func WithHTTPErrorHandler(h func(*fasthttp.RequestCtx, error)) Option {
	return func(g *Gateway) { g.httpErrors = h }
}

// WithAdapter sets the namespaces' adapter, to join a cluster.
func WithAdapter(f engine.AdapterFactory) Option { return func(g *Gateway) { g.adapters = f } }

// NewLogger builds the logger the log settings describe.
func NewLogger(c config.Log) *slog.Logger {
	level := map[string]slog.Level{"debug": slog.LevelDebug, "info": slog.LevelInfo, "warn": slog.LevelWarn, "error": slog.LevelError}[c.Level]
	opts := &slog.HandlerOptions{Level: level}
	if c.Format == "json" {
		return slog.New(slog.NewJSONHandler(os.Stderr, opts))
	}
	return slog.New(slog.NewTextHandler(os.Stderr, opts))
}

// New assembles a node from a validated configuration. It binds nothing
// until Start.
func New(cfg config.Config, opts ...Option) (*Gateway, error) {
	g := &Gateway{cfg: cfg, apiDone: make(chan error, 1)}
	for _, o := range opts {
		o(g)
	}
	if g.log == nil {
		g.log = NewLogger(cfg.Log)
	}
	if err := g.setupAuth(); err != nil {
		return nil, err
	}
	if err := g.setupBackend(); err != nil {
		return nil, err
	}
	if l := cfg.Limits; l.ConnRatePerIP > 0 {
		g.connLimit = ratelimit.NewKeyed(l.ConnRatePerIP, l.ConnBurstPerIP, 1<<20)
	}
	io, err := engine.NewServer(g.engineConfig())
	if err != nil {
		return nil, fmt.Errorf("gateway: %w", err)
	}
	g.io = io
	g.authSlots = make(chan struct{}, max(io.Config().Workers/2, 1))
	g.metrics = newMetrics(g)
	for _, name := range cfg.Namespaces {
		g.setupNamespace(io.Of(name))
	}
	return g, nil
}

func (g *Gateway) engineConfig() engine.Config {
	e := g.cfg.Engine
	ec := eio.Config{
		PingInterval:   e.PingInterval.D(),
		PingTimeout:    e.PingTimeout.D(),
		UpgradeTimeout: e.UpgradeTimeout.D(),
		MaxPayload:     e.MaxPayload,
		Transports:     e.Transports,
		AllowRequest:   g.allowRequest,
	}
	if len(e.CORS.Origins) > 0 {
		ec.CORS = &eio.CORS{Origins: e.CORS.Origins, Credentials: e.CORS.Credentials}
	}
	if e.Cookie {
		ec.Cookie = &eio.Cookie{}
	}
	workers := e.Workers
	if workers == 0 && g.fwd != nil {
		// Forwarding handlers wait on the backend: give every in-flight
		// request a worker, and keep some for everything else.
		workers = g.cfg.Backend.MaxInFlight + 256
	}
	return engine.Config{
		Path:           g.cfg.Path,
		Engine:         ec,
		ConnectTimeout: e.ConnectTimeout.D(),
		MaxAckBytes:    e.MaxAckBytes,
		Workers:        workers,
		Adapter:        g.adapters,
		Logger:         g.log,
	}
}

func (g *Gateway) setupAuth() error {
	a := g.cfg.Auth
	switch a.Mode {
	case config.AuthAnonymous:
		g.notices = append(g.notices, "auth: ANONYMOUS mode: anyone can connect, for development only")
		return nil
	case config.AuthHook:
		h, err := backend.NewConnectHook(backend.ConnectHookConfig{
			URL: a.Hook.URL, Timeout: a.Hook.Timeout.D(), Headers: reveal(a.Hook.Headers),
		})
		if err != nil {
			return fmt.Errorf("gateway: auth.hook: %w", err)
		}
		g.connectHook = h
		g.notices = append(g.notices, "auth: connect hook "+a.Hook.URL)
		return nil
	}
	vc := auth.Config{
		Algorithms: a.JWT.Algorithms,
		JWKSURL:    a.JWT.JWKSURL,
		Issuer:     a.JWT.Issuer,
		Audience:   a.JWT.Audience,
		Leeway:     a.JWT.Leeway.D(),
	}
	for _, k := range a.JWT.PublicKeys {
		pem, err := os.ReadFile(k.File)
		if err != nil {
			return fmt.Errorf("gateway: auth.jwt.public_keys: %w", err)
		}
		vc.PublicKeys = append(vc.PublicKeys, auth.Key{ID: k.ID, PEM: pem})
	}
	switch {
	case !usesHMAC(a.JWT.Algorithms):
		g.notices = append(g.notices, fmt.Sprintf("auth: jwt %v", a.JWT.Algorithms))
	case a.JWT.Secret != "":
		vc.Secret = []byte(a.JWT.Secret.Reveal())
		g.notices = append(g.notices, fmt.Sprintf("auth: jwt %v", a.JWT.Algorithms))
	default:
		secret, path, err := g.devSecret()
		if err != nil {
			return err
		}
		vc.Secret = secret
		g.notices = append(g.notices, "auth: jwt with the development secret in "+path+" (set auth.jwt.secret for production; `herald token` signs with it)")
	}
	v, err := auth.NewVerifier(vc)
	if err != nil {
		return fmt.Errorf("gateway: auth.jwt: %w", err)
	}
	g.verifier = v
	return nil
}

func (g *Gateway) devSecret() ([]byte, string, error) {
	dir, err := DataDir(g.cfg.DataDir, os.Getenv)
	if err != nil {
		return nil, "", err
	}
	return DevSecret(dir)
}

func usesHMAC(algs []string) bool {
	for _, a := range algs {
		if len(a) > 2 && a[:2] == "HS" {
			return true
		}
	}
	return false
}

func reveal(m map[string]config.Secret) map[string]string {
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[k] = v.Reveal()
	}
	return out
}

func (g *Gateway) setupBackend() error {
	b := g.cfg.Backend
	if b.URL != "" {
		f, err := backend.NewForwarder(backend.ForwarderConfig{
			URL:         b.URL,
			Timeout:     b.Timeout.D(),
			MaxInFlight: b.MaxInFlight,
			Headers:     reveal(b.Headers),
			Breaker:     backend.BreakerConfig{Failures: b.Breaker.Failures, Cooldown: b.Breaker.Cooldown.D()},
		})
		if err != nil {
			return fmt.Errorf("gateway: backend: %w", err)
		}
		g.fwd = f
		g.notices = append(g.notices, fmt.Sprintf("backend: forwarding %v to %s", b.Forward, b.URL))
	}
	w := g.cfg.Webhooks
	if w.URL != "" {
		h, err := backend.NewWebhooks(backend.WebhookConfig{
			URL:         w.URL,
			Timeout:     w.Timeout.D(),
			MaxAttempts: w.MaxAttempts,
			QueueSize:   w.QueueSize,
			Secret:      []byte(w.Secret.Reveal()),
			Logger:      g.log,
		})
		if err != nil {
			return fmt.Errorf("gateway: webhooks: %w", err)
		}
		g.hooks = h
		g.notices = append(g.notices, fmt.Sprintf("webhooks: %v to %s", w.Events, w.URL))
	}
	return nil
}

// setupNamespace installs authentication, the built-in room operations,
// forwarding and lifecycle hooks on a namespace.
func (g *Gateway) setupNamespace(ns *engine.Namespace) {
	ns.Use(g.authenticate)
	ns.On(g.cfg.Events.Join, g.onJoin)
	ns.On(g.cfg.Events.Leave, g.onLeave)
	ns.On(g.cfg.Events.Publish, g.onPublish)
	if g.fwd != nil {
		builtin := []string{g.cfg.Events.Join, g.cfg.Events.Leave, g.cfg.Events.Publish}
		for _, name := range exactNames(g.cfg.Backend.Forward) {
			// The built-in room operations are never forwarded: forwarding
			// one would bypass its rights checks.
			if !contains(builtin, name) {
				ns.On(name, g.forward)
			}
		}
	}
	ns.OnDefault(g.onOther)
	ns.OnConnection(g.onConnection)
}

func (g *Gateway) onConnection(s *engine.Socket) {
	g.metrics.connects.Inc()
	p := principalOf(s)
	g.hook(backend.HookConnect, s, p, "")
	s.OnDisconnect(func(reason string) {
		g.metrics.disconnects.WithLabelValues(reason).Inc()
		g.hook(backend.HookDisconnect, s, p, reason)
	})
}

func (g *Gateway) hook(kind string, s *engine.Socket, p *principal, reason string) {
	if g.hooks == nil || !contains(g.cfg.Webhooks.Events, kind) {
		return
	}
	h := backend.Hook{Type: kind, SocketID: s.ID(), Namespace: s.Namespace().Name(), Reason: reason}
	if p != nil {
		h.UserID = p.userID
	}
	g.hooks.Send(h)
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// allowRequest vets each Engine.IO handshake against the per-address
// connection rate. It runs on an event loop: it only takes a lock.
func (g *Gateway) allowRequest(r *eio.Request) error {
	if g.connLimit == nil {
		return nil
	}
	if ok, _ := g.connLimit.Take(remoteIP(r.RemoteAddr()), time.Now()); !ok {
		g.metrics.rateLimited.WithLabelValues("connection").Inc()
		return errors.New("too many connections from your address")
	}
	return nil
}

// Server is the node's Socket.IO server, for the push API and tests.
func (g *Gateway) Server() *engine.Server { return g.io }

// Config is the node's configuration.
func (g *Gateway) Config() config.Config { return g.cfg }

// Logger is the node's logger.
func (g *Gateway) Logger() *slog.Logger { return g.log }

// UserRoom names the room every socket of user id is in.
func (g *Gateway) UserRoom(id string) string { return g.userRoom(id) }

// Start binds the Socket.IO and operator ports and serves in the
// background. It logs where everything is.
func (g *Gateway) Start() error {
	rc := eio.ReactorConfig{
		Loops:            g.cfg.Engine.Loops,
		MaxOutboundBytes: g.cfg.Engine.MaxOutboundBytes,
		MaxConns:         g.cfg.Limits.MaxConnections,
		Logger:           g.log,
	}
	if err := g.io.Listen(g.cfg.Listen, rc); err != nil {
		return fmt.Errorf("gateway: listen %s: %w", g.cfg.Listen, err)
	}
	ln, err := net.Listen("tcp", g.cfg.APIListen)
	if err != nil {
		_ = g.io.Shutdown(context.Background())
		return fmt.Errorf("gateway: listen %s: %w", g.cfg.APIListen, err)
	}
	g.apiLn = ln
	g.api = &fasthttp.Server{
		Handler:            g.handler(),
		Name:               "herald",
		MaxRequestBodySize: g.cfg.API.MaxBody,
		ReadTimeout:        30 * time.Second,
		WriteTimeout:       30 * time.Second,
		IdleTimeout:        90 * time.Second,
		NoDefaultDate:      true,
		ErrorHandler:       g.httpErrors,
		Logger:             fasthttpLogger{g.log},
	}
	go func() { g.apiDone <- g.api.Serve(ln) }()
	g.ready.Store(true)
	sio, api := g.Addrs()
	g.log.Info("herald is serving",
		"socketio", fmt.Sprintf("http://%s%s", sio, g.cfg.Path),
		"api", fmt.Sprintf("http://%s/v1/", api),
		"metrics", fmt.Sprintf("http://%s/metrics", api),
		"health", fmt.Sprintf("http://%s/healthz", api))
	for _, n := range g.notices {
		if n[:5] == "auth:" && g.cfg.Auth.Mode == config.AuthAnonymous {
			g.log.Warn(n)
			continue
		}
		g.log.Info(n)
	}
	return nil
}

// Addrs are the bound Socket.IO and operator addresses.
func (g *Gateway) Addrs() (socketio, api net.Addr) {
	if r := g.io.Reactor(); r != nil {
		socketio = r.Addr()
	}
	if g.apiLn != nil {
		api = g.apiLn.Addr()
	}
	return socketio, api
}

// Ready reports whether the node accepts work; it turns false when a
// shutdown begins.
func (g *Gateway) Ready() bool { return g.ready.Load() }

// Shutdown drains the node: /readyz turns false, every socket is
// disconnected with "server shutting down", queued output and webhooks
// drain until ctx ends, then the ports close.
func (g *Gateway) Shutdown(ctx context.Context) error {
	g.ready.Store(false)
	g.log.Info("shutting down")
	// Keep a quarter of the budget for the webhooks the disconnects queue.
	ioCtx := ctx
	if dl, ok := ctx.Deadline(); ok {
		var cancel context.CancelFunc
		ioCtx, cancel = context.WithDeadline(ctx, dl.Add(-time.Until(dl)/4))
		defer cancel()
	}
	errs := []error{g.io.Shutdown(ioCtx)}
	if g.hooks != nil {
		errs = append(errs, g.hooks.Close(ctx))
	}
	if g.api != nil {
		errs = append(errs, g.api.ShutdownWithContext(ctx))
	}
	if g.verifier != nil {
		g.verifier.Close()
	}
	return errors.Join(errs...)
}

// onlyDeadline reports whether err, joined or not, holds nothing but
// deadline expiries.
func onlyDeadline(err error) bool {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		for _, e := range j.Unwrap() {
			if !onlyDeadline(e) {
				return false
			}
		}
		return true
	}
	return errors.Is(err, context.DeadlineExceeded)
}

// Run serves until ctx ends, then shuts down within the configured
// shutdown timeout. Reaching that timeout with output or webhooks still
// queued is the bound doing its job, logged as a warning, not an error:
// Run returns nil unless a server failed.
func (g *Gateway) Run(ctx context.Context) error {
	if err := g.Start(); err != nil {
		return err
	}
	var failed error
	select {
	case <-ctx.Done():
	case err := <-g.apiDone:
		if err != nil {
			g.log.Error("operator HTTP server failed", "err", err)
			failed = fmt.Errorf("operator HTTP server: %w", err)
		}
	}
	sctx, cancel := context.WithTimeout(context.Background(), g.cfg.ShutdownTimeout.D())
	defer cancel()
	err := g.Shutdown(sctx)
	if err != nil && onlyDeadline(err) {
		g.log.Warn("shutdown timeout reached before everything drained", "timeout", g.cfg.ShutdownTimeout.D(), "err", err)
		err = nil
	}
	return errors.Join(failed, err)
}
