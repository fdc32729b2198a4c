package push_test

// Helpers of the live tests: a real gateway node with the push API on
// loopback ports (both on port 0), real Socket.IO clients
// (engine/enginetest) authenticated with JWTs, and an HTTP client for the
// API. Every test checks both who received an event and that nobody else
// did, with a fence: an event to every socket sent after the one under
// test, which each client must see next (events from one request reach a
// client in order).

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/heraldrt/herald/api/auth"
	"github.com/heraldrt/herald/api/config"
	"github.com/heraldrt/herald/api/gateway"
	"github.com/heraldrt/herald/api/push"
	"github.com/heraldrt/herald/engine/enginetest"
	"github.com/heraldrt/herald/internal/nodetest"
)

// Test credentials. Each key holds the scopes its name says.
const (
	keyAll    = "key-all-0123456789abcdef"
	keyEmit   = "key-emit-0123456789abcdef"
	keyRead   = "key-read-0123456789abcdef"
	keyAdmin  = "key-admin-0123456789abcdef"
	jwtSecret = "jwt-secret-for-push-tests-0123456789abcdef"
)

// wait bounds every wait for something that should happen.
const wait = 5 * time.Second

// testConfig is the node configuration of the tests: JWT auth with a
// test secret, two namespaces, no per-address connection limit (every
// client comes from 127.0.0.1), and the four test keys.
func testConfig() config.Config {
	cfg := config.Default()
	cfg.Listen = "127.0.0.1:0"
	cfg.APIListen = "127.0.0.1:0"
	cfg.Namespaces = []string{"/", "/other"}
	cfg.Auth.JWT.Secret = jwtSecret
	cfg.Limits.ConnRatePerIP = 0
	cfg.Limits.EventRate = 0
	cfg.API.Keys = []config.APIKey{
		{Name: "all", Key: keyAll, Scopes: []string{"emit", "read", "admin"}},
		{Name: "emit", Key: keyEmit, Scopes: []string{"emit"}},
		{Name: "read", Key: keyRead, Scopes: []string{"read"}},
		{Name: "admin", Key: keyAdmin, Scopes: []string{"admin"}},
	}
	return cfg
}

// node is a running gateway with the push API.
type node struct {
	t    testing.TB
	g    *gateway.Gateway
	api  *push.API
	cfg  config.Config
	sio  string // Socket.IO base URL
	base string // push API base URL
	http *http.Client
}

// startNode starts a node with testConfig, adjusted by adjust, and the
// push API built with opts. It stops when the test ends.
func startNode(t testing.TB, adjust func(*config.Config), opts ...push.Option) *node {
	t.Helper()
	return startNodeAPI(t, adjust, nil, opts...)
}

// startNodeAPI is startNode whose push API settings are further adjusted
// by adjustAPI, apart from the gateway's.
func startNodeAPI(t testing.TB, adjust func(*config.Config), adjustAPI func(*config.API), opts ...push.Option) *node {
	t.Helper()
	return startNodeWith(t, nil, adjust, adjustAPI, opts...)
}

// startNodeWith is startNodeAPI with options for the gateway too.
func startNodeWith(t testing.TB, gwOpts []gateway.Option, adjust func(*config.Config), adjustAPI func(*config.API), opts ...push.Option) *node {
	t.Helper()
	cfg := testConfig()
	if adjust != nil {
		adjust(&cfg)
	}
	apiCfg := cfg.API
	if adjustAPI != nil {
		adjustAPI(&apiCfg)
	}
	logs := &nodetest.Buffer{}
	log := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	api, err := push.New(apiCfg, append([]push.Option{push.WithLogger(log)}, opts...)...)
	if err != nil {
		t.Fatalf("push.New: %v", err)
	}
	g, err := gateway.New(cfg, append([]gateway.Option{gateway.WithLogger(log), gateway.WithRoutes(api.Route())}, gwOpts...)...)
	if err != nil {
		t.Fatalf("gateway.New: %v", err)
	}
	api.Bind(g)
	if err := g.Start(); err != nil {
		t.Fatalf("gateway.Start: %v", err)
	}
	sio, apiAddr := g.Addrs()
	n := &node{
		t: t, g: g, api: api, cfg: cfg,
		sio:  "http://" + sio.String(),
		base: "http://" + apiAddr.String(),
		http: &http.Client{Timeout: 40 * time.Second},
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("node log:\n%s", logs.String())
		}
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		defer cancel()
		_ = g.Shutdown(ctx)
	})
	return n
}

// token mints a JWT for user, starting in rooms.
func token(t testing.TB, user string, rooms ...string) string {
	t.Helper()
	tok, err := auth.Sign(auth.SignConfig{Algorithm: "HS256", Secret: []byte(jwtSecret)},
		auth.Claims{Subject: user, Rooms: rooms})
	if err != nil {
		t.Fatalf("sign: %v", err)
	}
	return tok
}

// client is one Socket.IO connection with one socket.
type client struct {
	name string // for messages: user@namespace
	user string
	nsp  string
	c    *enginetest.Client
	s    *enginetest.Socket
}

// connect opens a connection for user to namespace nsp, in rooms.
func (n *node) connect(t testing.TB, user, nsp string, rooms ...string) *client {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	c, err := enginetest.Dial(ctx, n.sio)
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	t.Cleanup(func() { _ = c.Close() })
	s, err := c.Connect(ctx, nsp, map[string]string{"token": token(t, user, rooms...)})
	if err != nil {
		t.Fatalf("connect %s to %s: %v", user, nsp, err)
	}
	return &client{name: user + "@" + nsp, user: user, nsp: nsp, c: c, s: s}
}

// next waits for the client's next event.
func (c *client) next(t testing.TB) enginetest.Event {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	e, err := c.s.Next(ctx)
	if err != nil {
		t.Fatalf("%s: no event: %v", c.name, err)
	}
	return e
}

// expect waits for the client's next event and checks its name.
func (c *client) expect(t testing.TB, event string) enginetest.Event {
	t.Helper()
	e := c.next(t)
	if e.Name != event {
		t.Fatalf("%s got event %q %s, want %q", c.name, e.Name, rawArgs(e), event)
	}
	return e
}

func rawArgs(e enginetest.Event) string {
	var parts []string
	for _, r := range e.Args.Raw {
		parts = append(parts, string(r))
	}
	return "[" + strings.Join(parts, ",") + "]"
}

// fence checks that exactly the clients in got received event since the
// last fence: it emits a fence event to every socket of every namespace
// the clients use, then each client in got must see event then the fence,
// and every other client the fence alone.
func (n *node) fence(t testing.TB, event string, all []*client, got ...*client) {
	t.Helper()
	nsps := map[string]bool{}
	for _, c := range all {
		nsps[c.nsp] = true
	}
	for nsp := range nsps {
		n.mustPost(t, "/v1/emit", keyAll, map[string]any{"namespace": nsp, "event": "fence", "targets": map[string]any{"all": true}})
	}
	for _, c := range all {
		if slices.Contains(got, c) {
			c.expect(t, event)
		}
		c.expect(t, "fence")
	}
}

// response is an HTTP answer.
type response struct {
	status int
	header http.Header
	body   []byte
}

// problem decodes an error answer, checking its content type and status.
func (r response) problem(t testing.TB) push.Problem {
	t.Helper()
	if ct := r.header.Get("Content-Type"); ct != "application/problem+json" {
		t.Fatalf("status %d with Content-Type %q, want application/problem+json: %s", r.status, ct, r.body)
	}
	var p push.Problem
	if err := json.Unmarshal(r.body, &p); err != nil {
		t.Fatalf("problem %s: %v", r.body, err)
	}
	if p.Status != r.status || p.Type == "" || p.Title == "" {
		t.Fatalf("problem %s does not match status %d or lacks type/title", r.body, r.status)
	}
	return p
}

// request sends a request to the API. body is JSON-encoded unless it is
// []byte or string. headers are name, value pairs.
func (n *node) request(t testing.TB, method, path, key string, body any, headers ...string) response {
	t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case []byte:
		rd = bytes.NewReader(b)
	case string:
		rd = strings.NewReader(b)
	default:
		j, err := json.Marshal(b)
		if err != nil {
			t.Fatal(err)
		}
		rd = bytes.NewReader(j)
	}
	req, err := http.NewRequest(method, n.base+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		if headers[i+1] == "" {
			req.Header.Del(headers[i])
		} else {
			req.Header.Set(headers[i], headers[i+1])
		}
	}
	resp, err := n.http.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: read: %v", method, path, err)
	}
	return response{status: resp.StatusCode, header: resp.Header, body: out}
}

// mustPost posts body and decodes the 200 answer into a map.
func (n *node) mustPost(t testing.TB, path, key string, body any) map[string]any {
	t.Helper()
	r := n.request(t, http.MethodPost, path, key, body)
	if r.status != http.StatusOK {
		t.Fatalf("POST %s: status %d: %s", path, r.status, r.body)
	}
	var out map[string]any
	if err := json.Unmarshal(r.body, &out); err != nil {
		t.Fatalf("POST %s: %s: %v", path, r.body, err)
	}
	return out
}

// mustGet gets path and decodes the 200 answer into v.
func (n *node) mustGet(t testing.TB, path, key string, v any) {
	t.Helper()
	r := n.request(t, http.MethodGet, path, key, nil)
	if r.status != http.StatusOK {
		t.Fatalf("GET %s: status %d: %s", path, r.status, r.body)
	}
	if err := json.Unmarshal(r.body, v); err != nil {
		t.Fatalf("GET %s: %s: %v", path, r.body, err)
	}
}

// recipients is the "recipients" of an emit answer.
func recipients(t testing.TB, m map[string]any) int {
	t.Helper()
	f, ok := m["recipients"].(float64)
	if !ok {
		t.Fatalf("answer without a recipient count: %v", m)
	}
	return int(f)
}

// data decodes argument i of an event into v.
func data(t testing.TB, e enginetest.Event, i int, v any) {
	t.Helper()
	if err := e.Args.Decode(i, v); err != nil {
		t.Fatalf("event %s argument %d: %v", e.Name, i, err)
	}
}
