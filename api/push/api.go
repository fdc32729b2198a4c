package push

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net"
	"runtime/debug"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/heraldrt/herald/api/config"
	"github.com/heraldrt/herald/api/gateway"
	"github.com/heraldrt/herald/engine"
)

// Node is what the API drives: the node's Socket.IO server and the name
// of a user's room. *gateway.Gateway is one. A Node that also has a
// Ready() bool method (the gateway does) gets 503 answers to changes
// while it is not ready, such as during a shutdown.
type Node interface {
	Server() *engine.Server
	UserRoom(id string) string
}

// API is the push API: the HTTP interface through which a backend in any
// language sends events, manages rooms, disconnects sockets and looks at
// the node. Create it with New, mount Route on the gateway, then Bind it
// to the gateway once that exists; until then it answers 503.
type API struct {
	keys     []apiKey
	sign     *signer // nil when signing is off
	cors     *cors   // nil when off
	maxBody  int
	routes   []route
	now      func() time.Time
	log      *slog.Logger
	replayAt int

	node atomic.Pointer[node]
}

// Option adjusts an API at construction.
type Option func(*API)

// WithClock sets the clock used for signature windows and rate limits,
// for tests.
func WithClock(now func() time.Time) Option { return func(a *API) { a.now = now } }

// WithLogger sets the logger; the default is slog.Default().
func WithLogger(l *slog.Logger) Option { return func(a *API) { a.log = l } }

// WithReplayCapacity bounds the signatures remembered against replay
// (default DefaultReplayCapacity).
func WithReplayCapacity(n int) Option { return func(a *API) { a.replayAt = n } }

// New builds the API from the node's api settings.
func New(cfg config.API, opts ...Option) (*API, error) {
	a := &API{
		cors:     newCORS(cfg.CORS),
		maxBody:  cfg.MaxBody,
		now:      time.Now,
		log:      slog.Default(),
		replayAt: DefaultReplayCapacity,
	}
	for _, o := range opts {
		o(a)
	}
	if a.maxBody <= 0 {
		return nil, fmt.Errorf("push: api.max_body must be positive, got %d", cfg.MaxBody)
	}
	keys, err := newKeys(cfg, a.now())
	if err != nil {
		return nil, err
	}
	a.keys = keys
	if s := cfg.Signing.Secret.Reveal(); s != "" {
		if cfg.Signing.Window <= 0 {
			return nil, fmt.Errorf("push: api.signing.window must be positive")
		}
		a.sign = newSigner([]byte(s), cfg.Signing.Window.D(), a.replayAt)
	}
	a.routes = compile(a.table())
	return a, nil
}

// Bind attaches the API to its node; requests before that get 503.
func (a *API) Bind(n Node) {
	nd := &node{srv: n.Server(), userRoom: n.UserRoom, nsps: make(map[string]*engine.Namespace)}
	if r, ok := n.(interface{ Ready() bool }); ok {
		nd.ready = r.Ready
	}
	a.node.Store(nd)
	if len(a.keys) == 0 {
		a.log.Warn("push API: no api.keys configured: every request but GET /v1/openapi.json is refused")
	}
	if a.sign == nil {
		a.log.Info("push API: request signing is off (set api.signing.secret to require it)")
	}
}

// Route is the gateway route serving the API under Prefix.
func (a *API) Route() gateway.Route { return gateway.Route{Prefix: Prefix, Handler: a.Serve} }

// Serve handles one request: routing, CORS, authentication, scope, rate
// limit, signature, body checks, then the endpoint.
func (a *API) Serve(ctx *fasthttp.RequestCtx) {
	defer a.recoverPanic(ctx)
	method := ctx.Method()
	origin := ctx.Request.Header.Peek("Origin")
	a.cors.vary(ctx)
	cors := a.cors.allowed(origin)
	if cors {
		a.cors.headers(ctx, origin)
	}
	r, p, allow := a.match(method, ctx.URI().PathOriginal())
	if r == nil {
		switch {
		case cors && string(method) == fasthttp.MethodOptions && len(allow) > 0 &&
			len(ctx.Request.Header.Peek("Access-Control-Request-Method")) > 0:
			a.cors.preflight(ctx, origin, allow)
		case len(allow) > 0:
			ctx.Response.Header.Set("Allow", strings.Join(allow, ", "))
			writeProblem(ctx, newProblem(ProblemMethodNotAllowed, "", string(method)+" is not allowed here; allowed: "+strings.Join(allow, ", ")))
		default:
			writeProblem(ctx, newProblem(ProblemNotFound, "", "no route for "+string(ctx.URI().PathOriginal())))
		}
		return
	}
	if r.scope != "" {
		if prob, retry := a.admit(ctx, r.scope); prob != nil {
			writeAnswer(ctx, prob, retry)
			return
		}
	}
	if r.body {
		if prob := a.checkBody(ctx); prob != nil {
			writeProblem(ctx, prob)
			return
		}
	}
	n := a.node.Load()
	switch {
	case n == nil && r.scope != "":
		writeRetry(ctx, newProblem(ProblemUnavailable, "", "the node is starting"), 1)
		return
	case n != nil && r.body && n.ready != nil && !n.ready():
		// Sends to a node whose event loops are stopping would be lost.
		writeRetry(ctx, newProblem(ProblemUnavailable, "", "the node is shutting down"), 1)
		return
	}
	if r.scope != "" {
		if prob, retry := a.verify(ctx); prob != nil {
			writeAnswer(ctx, prob, retry)
			return
		}
	}
	r.handle(ctx, n, p)
}

// recoverPanic turns a panic in a handler into a 500 answer: fasthttp does
// not recover, and one bad request must not take the node down.
func (a *API) recoverPanic(ctx *fasthttp.RequestCtx) {
	if r := recover(); r != nil {
		a.log.Error("push API handler panicked", "method", string(ctx.Method()), "path", string(ctx.Path()),
			"panic", r, "stack", string(debug.Stack()))
		ctx.Response.Reset()
		writeProblem(ctx, newProblem(ProblemInternal, "", "the node failed to handle the request; see its log"))
	}
}

// admit authenticates the request's key and applies its scope and rate
// limit. retry is the Retry-After in seconds for answers that have one.
func (a *API) admit(ctx *fasthttp.RequestCtx, need Scope) (*Problem, int64) {
	tok, ok := bearer(ctx.Request.Header.Peek(fasthttp.HeaderAuthorization))
	if !ok {
		ctx.Response.Header.Set(fasthttp.HeaderWWWAuthenticate, `Bearer realm="herald"`)
		return newProblem(ProblemUnauthorized, "", "send Authorization: Bearer <api key>"), 0
	}
	k := findKey(a.keys, tok)
	if k == nil {
		ctx.Response.Header.Set(fasthttp.HeaderWWWAuthenticate, `Bearer realm="herald", error="invalid_token"`)
		return newProblem(ProblemUnauthorized, "", "unknown API key"), 0
	}
	if !k.has(need) {
		return newProblem(ProblemForbidden, "", "this route needs the "+string(need)+" scope; key "+k.name+" lacks it"), 0
	}
	now := a.now()
	if k.bucket != nil {
		if ok, wait := k.bucket.Take(now); !ok {
			secs := int64(math.Ceil(wait.Seconds()))
			return newProblem(ProblemRateLimited, "", "key "+k.name+" is over its rate limit"), max(secs, 1)
		}
	}
	return nil, 0
}

// verify checks the request's signature when signing is on. It runs last,
// once nothing else can refuse the request, because it records the
// signature against replay: a request refused for another reason can be
// retried as is.
func (a *API) verify(ctx *fasthttp.RequestCtx) (*Problem, int64) {
	if a.sign == nil {
		return nil, 0
	}
	if p := a.sign.verify(ctx, a.now()); p != nil {
		if p.Type == ProblemUnavailable {
			return p, 1
		}
		return p, 0
	}
	return nil, 0
}

// writeAnswer writes prob, with Retry-After when retry is positive.
func writeAnswer(ctx *fasthttp.RequestCtx, prob *Problem, retry int64) {
	if retry > 0 {
		writeRetry(ctx, prob, retry)
		return
	}
	writeProblem(ctx, prob)
}

// checkBody applies the body limits before any decoding, and refuses a
// query string, which routes with a body do not read. The operator
// server refuses larger bodies itself when its limit is the same; this
// check keeps the API's answer a problem document whatever that limit is.
func (a *API) checkBody(ctx *fasthttp.RequestCtx) *Problem {
	if len(ctx.PostBody()) > a.maxBody {
		return newProblem(ProblemBodyTooLarge, "", fmt.Sprintf("the body exceeds %d bytes", a.maxBody))
	}
	ct := ctx.Request.Header.ContentType()
	if i := bytes.IndexByte(ct, ';'); i >= 0 {
		ct = ct[:i]
	}
	if !bytes.EqualFold(bytes.TrimSpace(ct), []byte("application/json")) {
		return newProblem(ProblemUnsupportedMedia, "", "send Content-Type: application/json")
	}
	var prob *Problem
	ctx.QueryArgs().VisitAll(func(k, _ []byte) {
		if prob == nil {
			prob = newProblem(ProblemUnknownField, string(k), "this route takes no query parameters; its options go in the body")
		}
	})
	return prob
}

// ErrorHandler answers requests the operator HTTP server refuses before
// any handler runs, as problem documents: a body over its size limit
// (413), oversized headers (431), timeouts (408) and unparsable requests
// (400). Set it as the fasthttp.Server's ErrorHandler.
func ErrorHandler(ctx *fasthttp.RequestCtx, err error) {
	var small *fasthttp.ErrSmallBuffer
	var ne net.Error
	switch {
	case errors.Is(err, fasthttp.ErrBodyTooLarge):
		writeProblem(ctx, newProblem(ProblemBodyTooLarge, "", "the body exceeds the server's limit"))
	case errors.As(err, &small):
		writeProblem(ctx, newProblem(ProblemHeadersTooLarge, "", ""))
	case errors.As(err, &ne) && ne.Timeout():
		writeProblem(ctx, newProblem(ProblemTimeout, "", ""))
	default:
		writeProblem(ctx, newProblem(ProblemBadRequest, "", "the HTTP request could not be parsed"))
	}
}

// node is the bound node, with a cache of its namespaces: looking one up
// must not create it (Server.Of would), and listing them all allocates.
type node struct {
	srv      *engine.Server
	userRoom func(string) string
	ready    func() bool // nil when the node does not say

	mu   sync.RWMutex
	nsps map[string]*engine.Namespace
}

// namespace returns the namespace name, or nil when it does not exist.
func (n *node) namespace(name string) *engine.Namespace {
	n.mu.RLock()
	ns := n.nsps[name]
	n.mu.RUnlock()
	if ns != nil {
		return ns
	}
	for _, x := range n.srv.Namespaces() {
		if x.Name() == name {
			n.mu.Lock()
			n.nsps[name] = x
			n.mu.Unlock()
			return x
		}
	}
	return nil
}
