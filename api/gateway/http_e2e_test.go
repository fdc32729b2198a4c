package gateway_test

import (
	"context"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/heraldrt/herald/api/auth"
	"github.com/heraldrt/herald/api/config"
	"github.com/heraldrt/herald/api/gateway"
	"github.com/heraldrt/herald/engine/enginetest"
	"github.com/heraldrt/herald/internal/nodetest"
)

// TestE2EOperatorHTTP checks /healthz, /readyz, unknown paths, routes
// added with WithRoutes, and that the metrics move with what happens.
func TestE2EOperatorHTTP(t *testing.T) {
	t.Parallel()
	b := newBackend(t, func(w http.ResponseWriter, r *http.Request, body []byte) { writeJSON(w, 200, `{"ok":1}`) })
	cfg := testConfig(t)
	cfg.Backend.URL = b.URL
	cfg.Backend.Forward = []string{"fwd"}
	n := startNode(t, cfg, gateway.WithRoutes(gateway.Route{Prefix: "/v1/", Handler: func(ctx *fasthttp.RequestCtx) {
		ctx.SetBodyString("route " + string(ctx.Path()))
	}}))

	for _, c := range []struct {
		path   string
		status int
		body   string
	}{
		{"/healthz", 200, `{"status":"ok"}`},
		{"/readyz", 200, `{"status":"ready"}`},
		{"/nope", 404, `{"error":"not found"}`},
		{"/v1/ping", 200, `route /v1/ping`},
	} {
		resp, err := http.Get(n.API + c.path)
		if err != nil {
			t.Fatalf("GET %s: %v", c.path, err)
		}
		var body [256]byte
		k, _ := resp.Body.Read(body[:])
		resp.Body.Close()
		if resp.StatusCode != c.status || string(body[:k]) != c.body {
			t.Errorf("GET %s: %d %q, want %d %q", c.path, resp.StatusCode, body[:k], c.status, c.body)
		}
		if c.path != "/v1/ping" && resp.Header.Get("Content-Type") != "application/json" {
			t.Errorf("GET %s: Content-Type %q", c.path, resp.Header.Get("Content-Type"))
		}
	}
	if !n.G.Ready() {
		t.Errorf("Ready() is false on a started node")
	}

	for name, want := range map[string]float64{
		"herald_sockets": 0, "herald_sessions": 0, "herald_connections": 0, "herald_socket_connects_total": 0,
	} {
		if got := n.metric(name, ""); got != want {
			t.Errorf("%s = %v at start, want %v", name, got, want)
		}
	}
	for _, name := range []string{"herald_slow_consumers_total", "herald_writev_total", "go_goroutines", "process_open_fds"} {
		if n.metric(name, "") < 0 {
			t.Errorf("%s is missing from /metrics", name)
		}
	}

	_, s1 := mustDial(t, n, userToken(t, "alice"))
	c2, s2 := mustDial(t, n, userToken(t, "bob"))
	_, _, err := dial(t, n, "", map[string]string{"token": token(t, auth.Claims{Subject: "x", TTL: -time.Hour})})
	if _, ok := err.(*enginetest.ConnectError); !ok {
		t.Fatalf("expired token: %v", err)
	}
	if ack := emitAck(t, s1, "fwd", 1); !jsonEq(t, mustJSON(ack), `{"ok":1}`) {
		t.Errorf("forwarded ack %v", ack)
	}
	for name, want := range map[string]float64{
		"herald_sockets": 2, "herald_sessions": 3, "herald_connections": 3, "herald_socket_connects_total": 2,
		`herald_auth_failures_total{code="token_expired"}`:   1,
		`herald_forwarded_events_total{result="ok"}`:         1,
		`herald_socket_disconnects_total{reason="x"}`:        -1,
		`herald_rate_limited_total{kind="event"}`:            -1,
		`herald_auth_failures_total{code="token_signature"}`: -1,
	} {
		got := metricValue(getMetrics(t, n), name, "")
		if got != want {
			t.Errorf("%s = %v, want %v", name, got, want)
		}
	}

	// One socket leaves its namespace, another connection closes, each
	// after an acked event, so that their connection handlers ran (see
	// TestBug_DisconnectLostWhenClientLeavesEarly).
	emitAck(t, s2, "room:leave", "none")
	if err := s1.Disconnect(); err != nil {
		t.Fatal(err)
	}
	c2.Close()
	waitFor(t, 3*time.Second, "herald_sockets to reach 0", func() bool { return n.metric("herald_sockets", "") == 0 })
	n.wantMetric("herald_socket_disconnects_total", `reason="client namespace disconnect"`, 1)
	n.wantMetric("herald_socket_disconnects_total", `reason="transport close"`, 1)
}

func getMetrics(t *testing.T, n *testNode) string {
	t.Helper()
	status, body, err := n.get("/metrics")
	if err != nil || status != 200 {
		t.Fatalf("GET /metrics: %d %v", status, err)
	}
	return body
}

// runNode starts a gateway with Run under a context the returned cancel
// ends; Run's result arrives on done.
func runNode(t *testing.T, cfg config.Config) (n *testNode, cancel context.CancelFunc, done <-chan error) {
	t.Helper()
	logs := &nodetest.Buffer{}
	g, err := gateway.New(cfg, gateway.WithLogger(newTestLogger(logs)))
	if err != nil {
		t.Fatal(err)
	}
	if g.Ready() {
		t.Errorf("Ready() before Run")
	}
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	ch := make(chan error, 1)
	go func() { ch <- g.Run(ctx) }()
	waitFor(t, 5*time.Second, "the node to be ready", g.Ready)
	sio, api := g.Addrs()
	n = &testNode{t: t, G: g, Cfg: cfg, URL: "http://" + sio.String(), API: "http://" + api.String(), Addr: sio.String(), logs: logs, stopped: true}
	return n, cancel, ch
}

// waitRun waits for Run's result.
func waitRun(t *testing.T, done <-chan error) error {
	t.Helper()
	select {
	case err := <-done:
		return err
	case <-time.After(5 * time.Second):
		t.Fatalf("Run did not return after its context ended")
		return nil
	}
}

// TestE2ERun runs a node with Run: it serves until its context ends, then
// drains and returns nil; clients are disconnected.
func TestE2ERun(t *testing.T) {
	t.Parallel()
	n, cancel, done := runNode(t, testConfig(t))
	_, s := mustDial(t, n, userToken(t, "alice"))
	cancel()
	if err := waitRun(t, done); err != nil {
		t.Errorf("Run returned %v", err)
	}
	if n.G.Ready() {
		t.Errorf("Ready() after Run returned")
	}
	ctx2, cancel2 := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel2()
	if _, err := s.Next(ctx2); err == nil || ctx2.Err() != nil {
		t.Errorf("the client was not disconnected: %v", err)
	}
	if _, err := http.Get(n.API + "/healthz"); err == nil {
		t.Errorf("the operator port still answers after Run returned")
	}
	if t.Failed() {
		t.Logf("log:\n%s", n.logs.String())
	}
}

// TestE2ERunDrainTimeout: a shutdown that reaches shutdown_timeout with
// work still queued (here a webhook whose receiver never answers) is the
// bound doing its job: Run logs a warning and returns nil, so that the
// process exits 0, within the timeout.
func TestE2ERunDrainTimeout(t *testing.T) {
	t.Parallel()
	stuck := make(chan struct{})
	recv := newBackend(t, func(w http.ResponseWriter, r *http.Request, body []byte) { <-stuck })
	t.Cleanup(func() { close(stuck) })
	cfg := testConfig(t)
	cfg.Webhooks.URL = recv.URL + "/hooks"
	cfg.Webhooks.Timeout = config.Duration(time.Minute)
	cfg.ShutdownTimeout = config.Duration(300 * time.Millisecond)
	n, cancel, done := runNode(t, cfg)
	mustDial(t, n, userToken(t, "alice"))
	recv.next(t, 5*time.Second) // the connect hook is in flight, and stays so
	start := time.Now()
	cancel()
	if err := waitRun(t, done); err != nil {
		t.Errorf("Run returned %v, want nil after a drain timeout", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("Run took %v with a shutdown timeout of 300ms", d)
	}
	if !strings.Contains(n.logs.String(), "shutdown timeout reached") {
		t.Errorf("no warning about the drain timeout in the log:\n%s", n.logs.String())
	}
}

// TestStartFailsOnBusyPort: Start reports a port it cannot bind, naming
// it, and releases the one it had already bound.
func TestStartFailsOnBusyPort(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	cfg := testConfig(t)
	cfg.APIListen = ln.Addr().String()
	g, err := gateway.New(cfg, gateway.WithLogger(newTestLogger(&nodetest.Buffer{})))
	if err != nil {
		t.Fatal(err)
	}
	err = g.Start()
	if err == nil || !strings.Contains(err.Error(), ln.Addr().String()) {
		t.Fatalf("Start with api_listen busy: %v", err)
	}
	if g.Ready() {
		t.Errorf("Ready() after a failed Start")
	}
	if sio, _ := g.Addrs(); sio != nil {
		l2, err := net.Listen("tcp", sio.String())
		if err != nil {
			t.Errorf("the Socket.IO port %s stays bound after a failed Start: %v", sio, err)
		} else {
			l2.Close()
		}
	}
}
