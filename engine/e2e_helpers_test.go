package engine_test

// Helpers of the end-to-end tests (e2e_test.go, browser_test.go): they run
// real Herald servers on loopback ports and drive them with the official
// socket.io-client from Node.js scripts in testdata/e2e/. Every name here
// starts with e2e so as not to collide with the package's other tests.

import (
	"context"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"github.com/heraldrt/herald/engine"
	"github.com/heraldrt/herald/engine/eio"
	"github.com/heraldrt/herald/internal/nodetest"
)

// e2eModes are the transport sets every scenario runs against; the scripts
// map them to client options (see testdata/e2e/lib.mjs).
var e2eModes = []string{"polling", "websocket", "upgrade"}

// e2eScriptTimeout bounds one Node.js process.
const e2eScriptTimeout = 40 * time.Second

// e2eEachMode runs fn once per transport mode, in parallel subtests.
func e2eEachMode(t *testing.T, fn func(t *testing.T, mode string)) {
	t.Helper()
	for _, mode := range e2eModes {
		t.Run(mode, func(t *testing.T) {
			t.Parallel()
			fn(t, mode)
		})
	}
}

// e2eRequireNode fails the test unless node, socket.io-client and the
// other npm packages are there; the tests never skip silently.
func e2eRequireNode(t testing.TB, packages ...string) {
	t.Helper()
	nodetest.Require(t, append([]string{"socket.io-client"}, packages...)...)
}

// e2eServer builds a server with cfg, lets setup install its handlers, and
// starts it on addr ("127.0.0.1:0" for a free port). It is shut down when
// the test ends. It returns the server and its base URL.
func e2eServer(t *testing.T, addr string, cfg engine.Config, setup func(*engine.Server)) (*engine.Server, string) {
	t.Helper()
	logs := &nodetest.Buffer{}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	srv, err := engine.NewServer(cfg)
	if err != nil {
		t.Fatalf("NewServer: %v", err)
	}
	if setup != nil {
		setup(srv)
	}
	if err := srv.Listen(addr, eio.ReactorConfig{}); err != nil {
		t.Fatalf("Listen(%s): %v", addr, err)
	}
	t.Cleanup(func() {
		if t.Failed() {
			if s := logs.String(); s != "" {
				t.Logf("server log (%s):\n%s", srv.Reactor().Addr(), s)
			}
		}
		// The scripts close their connections before they exit, so this
		// rarely waits; the bound keeps a session whose client died
		// between two polls from holding the test up.
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx) // a second Shutdown of a stopped server is a no-op
	})
	return srv, "http://" + srv.Reactor().Addr().String()
}

// e2eStart starts `node testdata/e2e/<script> args...`.
func e2eStart(t *testing.T, script string, args ...string) *nodetest.Script {
	t.Helper()
	e2eRequireNode(t)
	return nodetest.Start(t, e2eScriptTimeout, filepath.Join("testdata", "e2e", script), args...)
}

// e2eRun runs a script to the end and unmarshals its result into v.
func e2eRun(t *testing.T, v any, script string, args ...string) {
	t.Helper()
	e2eStart(t, script, args...).Result(v)
}

// e2ePattern is testdata/e2e/bytes.mjs's pattern(): n deterministic bytes.
func e2ePattern(n, seed int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i*131 + seed*7 + i>>8)
	}
	return b
}

// e2eWant names the transport a mode ends on.
func e2eWant(mode string) string {
	if mode == "polling" {
		return "polling"
	}
	return "websocket"
}

// e2eWait receives from ch or fails after d.
func e2eWait[T any](t *testing.T, ch <-chan T, d time.Duration, what string) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(d):
		t.Fatalf("timed out after %v waiting for %s", d, what)
	}
	var zero T
	return zero
}
