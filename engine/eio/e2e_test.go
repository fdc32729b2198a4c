package eio

import (
	"context"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/heraldrt/herald/internal/nodetest"
)

// e2eEcho echoes every message and records how each session ended.
type e2eEcho struct {
	mu     sync.Mutex
	closed map[string]string // sid -> "transport reason"
}

func (*e2eEcho) OnOpen(*Session) {}

func (*e2eEcho) OnMessage(s *Session, data []byte, binary bool) {
	if binary {
		s.Deliver(s.Loop(), NewBinaryMessage(data))
		return
	}
	s.Deliver(s.Loop(), NewTextMessage(data))
}

func (h *e2eEcho) OnClose(s *Session, reason string, _ error) {
	h.mu.Lock()
	h.closed[s.ID()] = s.Transport() + " " + reason
	h.mu.Unlock()
}

// TestEndToEndNodeClient runs the official engine.io-client (Node.js)
// against the server: polling only, WebSocket only, and polling upgraded to
// WebSocket, each with 1,000 text messages and binary round trips. Not
// parallel: the Node.js process loads the machine, which would disturb the
// timing of the heartbeat tests.
func TestEndToEndNodeClient(t *testing.T) {
	nodetest.Require(t, "engine.io-client")
	h := &e2eEcho{closed: map[string]string{}}
	ts := startServer(t, Config{
		// Short heartbeats, so that pings interleave with the traffic.
		PingInterval: 200 * time.Millisecond,
		PingTimeout:  2 * time.Second,
		Handler:      h,
	})
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := nodetest.Command(ctx, t, filepath.Join("testdata", "e2e", "client.mjs"), "http://"+ts.addr)
	cmd.Env = append(cmd.Env, "NODE_MODULES="+filepath.Join(nodetest.Root(t), "node_modules"))
	out, err := cmd.CombinedOutput()
	if ctx.Err() != nil {
		t.Fatalf("client timed out:\n%s", out)
	}
	if err != nil {
		t.Fatalf("client failed (%v):\n%s", err, out)
	}
	t.Logf("client output:\n%s", out)
	sids := map[string]string{}
	re := regexp.MustCompile(`(?m)^PASS (\w+) sid=(\S+) transport=(\w+) text=1000 binary=22$`)
	for _, m := range re.FindAllStringSubmatch(string(out), -1) {
		sids[m[1]] = m[2]
	}
	for _, mode := range []string{"polling", "websocket", "upgrade"} {
		if sids[mode] == "" {
			t.Fatalf("no PASS line for %s in:\n%s", mode, out)
		}
	}
	if strings.Contains(string(out), "FAIL") {
		t.Fatalf("failures in:\n%s", out)
	}
	// The server saw each session end on the expected transport when the
	// client closed it.
	want := map[string]string{
		"polling":   "polling transport close",
		"websocket": "websocket transport close",
		"upgrade":   "websocket transport close",
	}
	waitFor(t, func() bool {
		h.mu.Lock()
		defer h.mu.Unlock()
		return len(h.closed) == 3
	}, "three sessions to close")
	h.mu.Lock()
	defer h.mu.Unlock()
	for mode, sid := range sids {
		if got := h.closed[sid]; got != want[mode] {
			t.Errorf("%s session %s ended as %q, want %q", mode, sid, got, want[mode])
		}
	}
}
