package gateway_test

// Helpers of the gateway's end-to-end tests: real nodes started in-process
// on loopback ports, real HTTP backends (net/http/httptest) recording what
// the node sends them, tokens, the official socket.io-client driven from
// the Node.js scripts in testdata/e2e/, and the Go test client
// engine/enginetest where a script would be overkill.

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/heraldrt/herald/api/auth"
	"github.com/heraldrt/herald/api/config"
	"github.com/heraldrt/herald/api/gateway"
	"github.com/heraldrt/herald/engine"
	"github.com/heraldrt/herald/engine/enginetest"
	"github.com/heraldrt/herald/internal/nodetest"
)

// testSecret is the HS256 key of the test nodes: 40 bytes.
const testSecret = "herald-e2e-test-secret-0123456789abcdefg"

// testConfig is the configuration of a test node: the defaults, with
// ports picked by the kernel, a data directory of its own, the test
// secret and debug logs.
func testConfig(t *testing.T) config.Config {
	t.Helper()
	cfg := config.Default()
	cfg.Listen, cfg.APIListen = "127.0.0.1:0", "127.0.0.1:0"
	cfg.DataDir = t.TempDir()
	cfg.Auth.JWT.Secret = testSecret
	cfg.Backend.MaxInFlight = 32 // forwarding nodes size their workers from it
	cfg.Log.Level = "debug"
	return cfg
}

func newTestLogger(w io.Writer) *slog.Logger {
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// testNode is a running gateway.
type testNode struct {
	t    *testing.T
	G    *gateway.Gateway
	Cfg  config.Config
	URL  string // Socket.IO base, http://127.0.0.1:port
	API  string // operator base, http://127.0.0.1:port
	Addr string // Socket.IO host:port
	logs *nodetest.Buffer

	mu      sync.Mutex
	stopped bool
}

// startNode validates cfg as `herald serve` would, builds and starts a
// node, and shuts it down when the test ends.
func startNode(t *testing.T, cfg config.Config, opts ...gateway.Option) *testNode {
	t.Helper()
	if err := cfg.Validate(); err != nil {
		t.Fatalf("test config: %v", err)
	}
	logs := &nodetest.Buffer{}
	g, err := gateway.New(cfg, append([]gateway.Option{gateway.WithLogger(newTestLogger(logs))}, opts...)...)
	if err != nil {
		t.Fatalf("gateway.New: %v", err)
	}
	if err := g.Start(); err != nil {
		t.Fatalf("Start: %v", err)
	}
	sio, api := g.Addrs()
	n := &testNode{t: t, G: g, Cfg: cfg, logs: logs, Addr: sio.String(),
		URL: "http://" + sio.String(), API: "http://" + api.String()}
	t.Cleanup(func() {
		n.Shutdown(3 * time.Second)
		if t.Failed() {
			t.Logf("node %s log:\n%s", n.Addr, logs.String())
		}
	})
	return n
}

// Shutdown drains the node once; later calls do nothing.
func (n *testNode) Shutdown(d time.Duration) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.stopped {
		return nil
	}
	n.stopped = true
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	return n.G.Shutdown(ctx)
}

// get fetches path from the operator port.
func (n *testNode) get(path string) (int, string, error) {
	resp, err := http.Get(n.API + path)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), err
}

// metric returns the value of the sample name{labels} ("" for none) on
// /metrics, or -1 when there is none.
func (n *testNode) metric(name, labels string) float64 {
	n.t.Helper()
	status, body, err := n.get("/metrics")
	if err != nil || status != 200 {
		n.t.Fatalf("GET /metrics: %d %v", status, err)
	}
	return metricValue(body, name, labels)
}

// wantMetric checks the value of the sample name{labels} on /metrics.
func (n *testNode) wantMetric(name, labels string, want float64) {
	n.t.Helper()
	if got := n.metric(name, labels); got != want {
		sample := name
		if labels != "" {
			sample += "{" + labels + "}"
		}
		n.t.Errorf("%s = %v, want %v", sample, got, want)
	}
}

func metricValue(body, name, labels string) float64 {
	want := name
	if labels != "" {
		want += "{" + labels + "}"
	}
	for _, line := range strings.Split(body, "\n") {
		i := strings.LastIndexByte(line, ' ') // label values may hold spaces
		if i < 0 || line[:i] != want {
			continue
		}
		f, err := strconv.ParseFloat(line[i+1:], 64)
		if err != nil {
			return -1
		}
		return f
	}
	return -1
}

// waitFor polls cond until it holds or d passes.
func waitFor(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", d, what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// Tokens.

func signWith(t *testing.T, secret string, c auth.Claims) string {
	t.Helper()
	tok, err := auth.Sign(auth.SignConfig{Algorithm: "HS256", Secret: []byte(secret)}, c)
	if err != nil {
		t.Fatalf("auth.Sign: %v", err)
	}
	return tok
}

// token signs claims with the test secret.
func token(t *testing.T, c auth.Claims) string { return signWith(t, testSecret, c) }

// userToken is a plain token for sub.
func userToken(t *testing.T, sub string) string { return token(t, auth.Claims{Subject: sub}) }

// algNoneToken is an unsigned token, {"alg":"none"}, with valid claims.
func algNoneToken(sub string) string {
	enc := base64.RawURLEncoding.EncodeToString
	claims := fmt.Sprintf(`{"sub":%q,"iat":%d,"exp":%d}`, sub, time.Now().Unix(), time.Now().Add(time.Hour).Unix())
	return enc([]byte(`{"alg":"none","typ":"JWT"}`)) + "." + enc([]byte(claims)) + "."
}

// A backend: a real HTTP server that records every request.

type backendRequest struct {
	Method, Path string
	Header       http.Header
	Body         []byte
	At           time.Time
}

// JSON decodes the body into a generic value.
func (r backendRequest) JSON(t *testing.T) map[string]any {
	t.Helper()
	var v map[string]any
	if err := json.Unmarshal(r.Body, &v); err != nil {
		t.Fatalf("backend got a body that is not a JSON object: %q: %v", r.Body, err)
	}
	return v
}

type httpBackend struct {
	*httptest.Server
	reqs chan backendRequest
}

// newBackend serves h, after recording each request. h sees the body
// already read.
func newBackend(t *testing.T, h func(w http.ResponseWriter, r *http.Request, body []byte)) *httpBackend {
	t.Helper()
	b := &httpBackend{reqs: make(chan backendRequest, 256)}
	b.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		select {
		case b.reqs <- backendRequest{Method: r.Method, Path: r.URL.Path, Header: r.Header.Clone(), Body: body, At: time.Now()}:
		default:
		}
		h(w, r, body)
	}))
	t.Cleanup(func() {
		b.CloseClientConnections()
		b.Close()
	})
	return b
}

// next returns the next request the backend received.
func (b *httpBackend) next(t *testing.T, d time.Duration) backendRequest {
	t.Helper()
	select {
	case r := <-b.reqs:
		return r
	case <-time.After(d):
		t.Fatalf("the backend received no request in %v", d)
	}
	return backendRequest{}
}

// none checks that the backend receives nothing for d.
func (b *httpBackend) none(t *testing.T, d time.Duration) {
	t.Helper()
	select {
	case r := <-b.reqs:
		t.Errorf("the backend received an unexpected %s %s: %s", r.Method, r.Path, r.Body)
	case <-time.After(d):
	}
}

func writeJSON(w http.ResponseWriter, status int, body string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = io.WriteString(w, body)
}

// closedURL is an http URL on a loopback port nothing listens on.
func closedURL(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return "http://" + addr + "/events"
}

// The Go test client.

// dial connects a Go test client over WebSocket to "/" with auth (nil for
// none); query is added to the URL.
func dial(t *testing.T, n *testNode, query string, authPayload any) (*enginetest.Client, *enginetest.Socket, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	u := n.URL + "/socket.io/"
	if query != "" {
		u += "?" + query
	}
	c, err := enginetest.Dial(ctx, u)
	if err != nil {
		return nil, nil, err
	}
	t.Cleanup(func() { c.Close() })
	s, err := c.Connect(ctx, "/", authPayload)
	return c, s, err
}

// mustDial connects with a token in the auth payload.
func mustDial(t *testing.T, n *testNode, tok string) (*enginetest.Client, *enginetest.Socket) {
	t.Helper()
	c, s, err := dial(t, n, "", map[string]string{"token": tok})
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	return c, s
}

// mustDialAuth connects with an arbitrary auth payload.
func mustDialAuth(t *testing.T, n *testNode, payload any) (*enginetest.Client, *enginetest.Socket) {
	t.Helper()
	c, s, err := dial(t, n, "", payload)
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	return c, s
}

// findSocket returns the node's socket with id on "/".
func findSocket(t *testing.T, n *testNode, id string) *engine.Socket {
	t.Helper()
	return findSocketIn(t, n, "/", id)
}

// findSocketIn returns the node's socket with id on namespace nsp.
func findSocketIn(t *testing.T, n *testNode, nsp, id string) *engine.Socket {
	t.Helper()
	var found *engine.Socket
	waitFor(t, 2*time.Second, "socket "+id, func() bool {
		for _, s := range n.G.Server().Of(nsp).Sockets() {
			if s.ID() == id {
				found = s
				return true
			}
		}
		return false
	})
	return found
}

// emitAck emits and returns the first ack argument as generic JSON.
func emitAck(t *testing.T, s *enginetest.Socket, event string, args ...any) any {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	a, err := s.EmitWithAck(ctx, event, args...)
	if err != nil {
		t.Fatalf("emit %s: %v", event, err)
	}
	if len(a.Raw) == 0 {
		return nil
	}
	var v any
	if err := json.Unmarshal(a.Raw[0], &v); err != nil {
		t.Fatalf("ack of %s: %q: %v", event, a.Raw[0], err)
	}
	return v
}

// errCode is the code of an error ack, or "" when the ack is not one.
func errCode(ack any) string {
	m, _ := ack.(map[string]any)
	e, _ := m["error"].(map[string]any)
	c, _ := e["code"].(string)
	return c
}

func isOK(ack any) bool {
	m, _ := ack.(map[string]any)
	return len(m) == 1 && m["ok"] == true
}

// jsonEq compares two JSON texts structurally.
func jsonEq(t *testing.T, got, want string) bool {
	t.Helper()
	var g, w any
	if err := json.Unmarshal([]byte(got), &g); err != nil {
		t.Errorf("not JSON: %q: %v", got, err)
		return false
	}
	if err := json.Unmarshal([]byte(want), &w); err != nil {
		t.Fatalf("bad want %q: %v", want, err)
	}
	gb, _ := json.Marshal(g)
	wb, _ := json.Marshal(w)
	return bytes.Equal(gb, wb)
}

func mustJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return string(b)
}

// Node.js scripts.

// scriptTimeout bounds one Node.js process.
const scriptTimeout = 45 * time.Second

// runScript starts `node testdata/e2e/<name> <url> <plan as JSON>`.
func runScript(t *testing.T, name, url string, plan any) *nodetest.Script {
	t.Helper()
	nodetest.Require(t, "socket.io-client")
	return nodetest.Start(t, scriptTimeout, filepath.Join("testdata", "e2e", name), url, mustJSON(plan))
}

// connectAttempt is one attempt of connect.mjs.
type connectAttempt struct {
	Name       string         `json:"name"`
	Opts       map[string]any `json:"opts,omitempty"`
	Emits      []any          `json:"emits,omitempty"` // [event, args...] with an ack, or noAck(...)
	Listen     []string       `json:"listen,omitempty"`
	Linger     int            `json:"linger,omitempty"`
	AckTimeout int            `json:"ackTimeout,omitempty"`
}

// scriptAck is one ack connect.mjs collected.
type scriptAck struct {
	Ack     []json.RawMessage `json:"ack"`
	Timeout bool              `json:"timeout"`
	Error   string            `json:"error"`
	MS      int               `json:"ms"`
}

// First is the ack's first argument as generic JSON.
func (a scriptAck) First() any {
	if len(a.Ack) == 0 {
		return nil
	}
	var v any
	_ = json.Unmarshal(a.Ack[0], &v)
	return v
}

type scriptEvent struct {
	Name string            `json:"name"`
	Args []json.RawMessage `json:"args"`
}

// connectResult is what connect.mjs reports for one attempt.
type connectResult struct {
	Connected bool   `json:"connected"`
	ID        string `json:"id"`
	Transport string `json:"transport"`
	Error     *struct {
		Message string          `json:"message"`
		Data    json.RawMessage `json:"data"`
	} `json:"error"`
	Acks               []scriptAck   `json:"acks"`
	Events             []scriptEvent `json:"events"`
	DisconnectedBefore *string       `json:"disconnectedBefore"`
}

// connectAll runs connect.mjs with attempts and returns the results by
// name; every attempt must have an answer.
func connectAll(t *testing.T, url string, attempts ...connectAttempt) map[string]connectResult {
	t.Helper()
	res := map[string]connectResult{}
	runScript(t, "connect.mjs", url, map[string]any{"attempts": attempts}).Result(&res)
	for _, a := range attempts {
		if _, ok := res[a.Name]; !ok {
			t.Fatalf("connect.mjs: no result for %q", a.Name)
		}
	}
	return res
}

// withAck is an emit of connect.mjs that waits for the ack.
func withAck(event string, args ...any) []any { return append([]any{event}, args...) }

// noAck is an emit of connect.mjs that asks for no ack.
func noAck(event string, args ...any) map[string]any {
	return map[string]any{"event": event, "args": args, "noAck": true}
}

// bytesArg is a binary argument for a script: {"$bytes": [...]}.
func bytesArg(b []byte) map[string]any {
	ints := make([]int, len(b))
	for i, c := range b {
		ints[i] = int(c)
	}
	return map[string]any{"$bytes": ints}
}
