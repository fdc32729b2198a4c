package gateway_test

// Helpers of the gateway's end-to-end tests: real nodes started in-process
// on loopback ports, real HTTP backends (net/http/httptest) recording what
// the node sends them, tokens, the official socket.io-client driven from
// the Node.js scripts in testdata/e2e/, and the Go test client
// engine/enginetest where a script would be overkill.

import (
	"bufio"
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
	"os"
	"os/exec"
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
)

// testSecret is the HS256 key of the test nodes: 40 bytes.
const testSecret = "herald-e2e-test-secret-0123456789abcdefg"

// logBuf collects a node's log lines; they are printed when a test fails.
type logBuf struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *logBuf) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *logBuf) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

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
	logs *logBuf

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
	logs := &logBuf{}
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

var (
	rootOnce sync.Once
	rootDir  string
	rootErr  error
)

// repoRoot is the directory holding go.mod.
func repoRoot(t testing.TB) string {
	t.Helper()
	rootOnce.Do(func() {
		dir, err := os.Getwd()
		if err != nil {
			rootErr = err
			return
		}
		for {
			if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
				rootDir = dir
				return
			}
			parent := filepath.Dir(dir)
			if parent == dir {
				rootErr = fmt.Errorf("no go.mod above %s", dir)
				return
			}
			dir = parent
		}
	})
	if rootErr != nil {
		t.Fatalf("cannot find the repository root: %v", rootErr)
	}
	return rootDir
}

// requireNode fails the test unless node and socket.io-client are there:
// these tests never skip.
func requireNode(t testing.TB) string {
	t.Helper()
	node, err := exec.LookPath("node")
	if err != nil {
		t.Fatalf("node is not installed (%v): install Node.js 20, then run `npm ci` in the repository root", err)
	}
	root := repoRoot(t)
	if _, err := os.Stat(filepath.Join(root, "node_modules", "socket.io-client", "package.json")); err != nil {
		t.Fatalf("node_modules/socket.io-client is missing (%v): run `npm ci` in %s", err, root)
	}
	return node
}

type scriptLine struct {
	Step   string          `json:"step"`
	Result json.RawMessage `json:"result"`
	Error  *string         `json:"error"`
	raw    []byte
}

// script is a running Node.js script.
type script struct {
	t      *testing.T
	name   string
	steps  chan scriptLine
	final  chan scriptLine
	stderr *logBuf
	done   chan struct{}
	err    error

	mu  sync.Mutex
	bad []string
}

// runScript starts `node testdata/e2e/<name> <url> <plan as JSON>`.
func runScript(t *testing.T, name, url string, plan any) *script {
	t.Helper()
	node := requireNode(t)
	ctx, cancel := context.WithTimeout(context.Background(), scriptTimeout)
	path := filepath.Join("testdata", "e2e", name)
	cmd := exec.CommandContext(ctx, node, path, url, mustJSON(plan))
	cmd.Env = append(os.Environ(), "NODE_NO_WARNINGS=1")
	cmd.WaitDelay = 2 * time.Second
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	p := &script{t: t, name: name, steps: make(chan scriptLine, 64), final: make(chan scriptLine, 1),
		stderr: &logBuf{}, done: make(chan struct{})}
	cmd.Stderr = p.stderr
	if err := cmd.Start(); err != nil {
		cancel()
		t.Fatalf("start %s: %v", name, err)
	}
	go func() {
		sc := bufio.NewScanner(stdout)
		sc.Buffer(make([]byte, 0, 64<<10), 16<<20)
		for sc.Scan() {
			var l scriptLine
			l.raw = append([]byte(nil), sc.Bytes()...)
			if err := json.Unmarshal(l.raw, &l); err != nil {
				p.badLine(string(l.raw))
				continue
			}
			switch {
			case l.Step != "":
				select {
				case p.steps <- l:
				default:
					p.badLine("step channel full: " + string(l.raw))
				}
			case l.Result != nil || l.Error != nil:
				select {
				case p.final <- l:
				default:
					p.badLine("second final line: " + string(l.raw))
				}
			default:
				p.badLine(string(l.raw))
			}
		}
		_, _ = io.Copy(io.Discard, stdout)
		p.err = cmd.Wait()
		close(p.done)
	}()
	t.Cleanup(func() {
		cancel()
		<-p.done
	})
	return p
}

func (p *script) badLine(s string) {
	p.mu.Lock()
	p.bad = append(p.bad, s)
	p.mu.Unlock()
}

func (p *script) diag() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	var b strings.Builder
	if s := p.stderr.String(); s != "" {
		fmt.Fprintf(&b, "stderr:\n%s\n", s)
	}
	if len(p.bad) > 0 {
		fmt.Fprintf(&b, "unexpected stdout: %q\n", p.bad)
	}
	return b.String()
}

// Step waits for {"step": name} and returns the line's JSON.
func (p *script) Step(name string, d time.Duration) json.RawMessage {
	p.t.Helper()
	select {
	case l := <-p.steps:
		if l.Step != name {
			p.t.Fatalf("%s: got step %s, want %q", p.name, l.raw, name)
		}
		return l.raw
	case <-p.done:
		select {
		case l := <-p.final:
			if l.Error != nil {
				p.t.Fatalf("%s failed before step %q: %s\n%s", p.name, name, *l.Error, p.diag())
			}
		default:
		}
		p.t.Fatalf("%s exited (%v) before step %q\n%s", p.name, p.err, name, p.diag())
	case <-time.After(d):
		p.t.Fatalf("%s: no step %q in %v\n%s", p.name, name, d, p.diag())
	}
	return nil
}

// Result waits for the script to end and unmarshals its result into v.
func (p *script) Result(v any) {
	p.t.Helper()
	<-p.done
	var l scriptLine
	select {
	case l = <-p.final:
	default:
		p.t.Fatalf("%s printed no result (exit: %v)\n%s", p.name, p.err, p.diag())
	}
	if l.Error != nil {
		p.t.Fatalf("%s failed (exit: %v): %s\n%s", p.name, p.err, *l.Error, p.diag())
	}
	if p.err != nil {
		p.t.Fatalf("%s: exit status %v\n%s", p.name, p.err, p.diag())
	}
	p.mu.Lock()
	bad := p.bad
	p.mu.Unlock()
	if len(bad) > 0 {
		p.t.Errorf("%s printed unexpected lines: %q", p.name, bad)
	}
	if err := json.Unmarshal(l.Result, v); err != nil {
		p.t.Fatalf("%s: bad result %s: %v", p.name, l.Result, err)
	}
	r := string(l.Result)
	if len(r) > 3000 {
		r = r[:3000] + "…"
	}
	p.t.Logf("%s result: %s", p.name, r)
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
