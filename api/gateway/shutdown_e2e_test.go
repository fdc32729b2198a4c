package gateway_test

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/heraldrt/herald/api/auth"
)

// readyzPoller polls /readyz as fast as it can, from its own goroutine,
// until stopped or the port closes.
type readyzPoller struct {
	mu       sync.Mutex
	statuses []string // "200 {...}", deduplicated runs
	draining chan struct{}
	stop     chan struct{}
	done     chan struct{}
}

func pollReadyz(url string) *readyzPoller {
	p := &readyzPoller{draining: make(chan struct{}), stop: make(chan struct{}), done: make(chan struct{})}
	client := &http.Client{Timeout: 2 * time.Second}
	go func() {
		defer close(p.done)
		seen := false
		for {
			select {
			case <-p.stop:
				return
			default:
			}
			resp, err := client.Get(url)
			if err != nil {
				return
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			s := resp.Status[:3] + " " + string(b)
			p.mu.Lock()
			if len(p.statuses) == 0 || p.statuses[len(p.statuses)-1] != s {
				p.statuses = append(p.statuses, s)
			}
			p.mu.Unlock()
			if resp.StatusCode == 503 && !seen {
				seen = true
				close(p.draining)
			}
		}
	}()
	return p
}

func (p *readyzPoller) finish() []string {
	close(p.stop)
	<-p.done
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.statuses
}

// TestE2EShutdownReconnect: node A serves a client with reconnection on;
// A shuts down gracefully (the client is disconnected, /readyz answers 503
// while A drains, the disconnect webhook is delivered before Shutdown
// returns); node B starts on the same port with the same secret, and the
// client reconnects by itself and joins its room again.
func TestE2EShutdownReconnect(t *testing.T) {
	t.Parallel()
	for _, mode := range []string{"polling", "websocket"} {
		t.Run(mode, func(t *testing.T) {
			t.Parallel()
			testShutdownReconnect(t, mode)
		})
	}
}

func testShutdownReconnect(t *testing.T, mode string) {
	var poller *readyzPoller
	hooks := make(chan backendRequest, 4)
	recv := newBackend(t, func(w http.ResponseWriter, r *http.Request, body []byte) {
		// Hold the delivery until /readyz was seen draining: Shutdown
		// waits for webhooks, so the drain lasts at least that long.
		select {
		case <-poller.draining:
		case <-time.After(3 * time.Second):
		}
		hooks <- backendRequest{Body: body, At: time.Now()}
		w.WriteHeader(200)
	})
	cfgA := testConfig(t)
	cfgA.Webhooks.URL = recv.URL
	cfgA.Webhooks.Events = []string{"disconnect"}
	a := startNode(t, cfgA)

	tok := token(t, auth.Claims{Subject: "alice", Join: []string{"chat:*"}})
	p := runScript(t, "reconnect.mjs", a.URL, map[string]any{"token": tok, "transports": []string{mode}})
	var joined struct {
		ID string `json:"id"`
	}
	_ = json.Unmarshal(p.Step("joined", 20*time.Second), &joined)

	if status, body, err := a.get("/readyz"); status != 200 || body != `{"status":"ready"}` {
		t.Errorf("/readyz before the shutdown: %d %q %v", status, body, err)
	}
	poller = pollReadyz(a.API + "/readyz")
	t0 := time.Now()
	err := a.Shutdown(5 * time.Second)
	took := time.Since(t0)
	statuses := poller.finish()
	if err != nil {
		t.Errorf("Shutdown: %v", err)
	}
	if took > 4*time.Second {
		t.Errorf("Shutdown took %v", took)
	}
	if a.G.Ready() {
		t.Errorf("Ready() after Shutdown")
	}
	// /readyz went from ready to draining, never back.
	if len(statuses) == 0 || statuses[len(statuses)-1] != `503 {"status":"draining"}` ||
		(len(statuses) == 2 && statuses[0] != `200 {"status":"ready"}`) || len(statuses) > 2 {
		t.Errorf("/readyz during the shutdown: %q, want 200 ready then 503 draining", statuses)
	}
	if _, _, err := a.get("/healthz"); err == nil {
		t.Errorf("A's operator port still answers after Shutdown")
	}
	select {
	case h := <-hooks:
		var m map[string]any
		_ = json.Unmarshal(h.Body, &m)
		if m["type"] != "disconnect" || m["socket_id"] != joined.ID {
			t.Errorf("webhook %s, want the disconnect of %s", h.Body, joined.ID)
		}
		if h.At.After(t0.Add(took)) {
			t.Errorf("the disconnect webhook was delivered after Shutdown returned")
		}
		if m["reason"] != "server shutting down" {
			t.Errorf("disconnect webhook reason %v, want \"server shutting down\"", m["reason"])
		}
	default:
		t.Errorf("no disconnect webhook was delivered during the shutdown")
	}

	// Node B on the same port, same secret, fresh data directory.
	cfgB := testConfig(t)
	cfgB.Listen = a.Addr
	b := startNode(t, cfgB)
	if b.URL != a.URL {
		t.Fatalf("B serves %s, want %s", b.URL, a.URL)
	}
	p.Step("disconnected", 10*time.Second)
	var res struct {
		Reason                string    `json:"reason"`
		ActiveAfterDisconnect bool      `json:"activeAfterDisconnect"`
		Attempts              int       `json:"attempts"`
		SecondID              string    `json:"secondId"`
		FirstTransport        string    `json:"firstTransport"`
		SecondTransport       string    `json:"secondTransport"`
		FirstJoin             scriptAck `json:"firstJoin"`
		SecondJoin            scriptAck `json:"secondJoin"`
	}
	p.Result(&res)
	// "transport close" when the client was told; "transport error" when
	// it was between two polls and its next one was refused. The client
	// reconnects after either ("io server disconnect" it would not).
	if res.Reason != "transport close" && res.Reason != "transport error" {
		t.Errorf("client disconnect reason %q, want transport close or transport error", res.Reason)
	}
	if !res.ActiveAfterDisconnect {
		t.Errorf("the client gave up after the shutdown")
	}
	if res.FirstTransport != mode || res.SecondTransport != mode {
		t.Errorf("transports %q then %q, want %q", res.FirstTransport, res.SecondTransport, mode)
	}
	if !isOK(res.FirstJoin.First()) || !isOK(res.SecondJoin.First()) {
		t.Errorf("joins before and after the restart: %+v, %+v", res.FirstJoin, res.SecondJoin)
	}
	if res.SecondID == "" || res.SecondID == joined.ID || res.Attempts < 1 {
		t.Errorf("reconnection: socket %q after %q, %d attempts", res.SecondID, joined.ID, res.Attempts)
	}
	b.wantMetric("herald_socket_connects_total", "", 1)
	if status, _, _ := b.get("/readyz"); status != 200 {
		t.Errorf("B /readyz: %d", status)
	}
}

// TestE2EShutdownPollingClientBetweenPolls: a polling client that is
// between two polls when the node starts draining (its last GET answered,
// the next not yet sent) does not hold Shutdown: its session ends at once
// with "server shutting down" and its disconnect webhook is delivered.
// The official client in Node.js opens a new TCP connection for every
// polling request, which the draining node refuses, so waiting for its
// next poll would wait for the whole shutdown_timeout and lose the
// webhook (the bug fixed in acb7be2, found by this test).
func TestE2EShutdownPollingClientBetweenPolls(t *testing.T) {
	t.Parallel()
	hooks := newBackend(t, func(w http.ResponseWriter, r *http.Request, body []byte) { w.WriteHeader(200) })
	cfg := testConfig(t)
	cfg.Webhooks.URL = hooks.URL
	cfg.Webhooks.Events = []string{"disconnect"}
	n := startNode(t, cfg)

	// A polling client that opens a connection per request, as the
	// official client does in Node.js.
	client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}, Timeout: 5 * time.Second}
	base := n.URL + "/socket.io/?EIO=4&transport=polling"
	resp, err := client.Get(base)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	var open struct {
		SID string `json:"sid"`
	}
	if len(b) < 2 || json.Unmarshal(b[1:], &open) != nil {
		t.Fatalf("handshake answer %q", b)
	}
	url := base + "&sid=" + open.SID
	resp, err = client.Post(url, "text/plain;charset=UTF-8", strings.NewReader(`40{"token":"`+userToken(t, "alice")+`"}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	resp, err = client.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	b, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.HasPrefix(string(b), "40{") {
		t.Fatalf("CONNECT answer %q", b)
	}

	// The client is between polls: its socket is connected, no GET pending.
	done := make(chan error, 1)
	t0 := time.Now()
	go func() { done <- n.Shutdown(2 * time.Second) }()
	time.Sleep(100 * time.Millisecond)
	// Its next poll, on a new connection, is refused while the node drains
	// or finds the node gone; either way the client reconnects.
	if resp, err := client.Get(url); err == nil {
		b, _ = io.ReadAll(resp.Body)
		resp.Body.Close()
		t.Logf("the poll during the drain got %d %q", resp.StatusCode, b)
	} else {
		t.Logf("the poll during the drain failed: %v", err)
	}
	err = <-done
	if took := time.Since(t0); err != nil || took > time.Second {
		t.Errorf("Shutdown returned %v after %v, want nil promptly", err, took.Round(time.Millisecond))
	}
	select {
	case r := <-hooks.reqs:
		if !strings.Contains(string(r.Body), `"reason":"server shutting down"`) {
			t.Errorf("disconnect webhook %s, want reason server shutting down", r.Body)
		}
	default:
		t.Errorf("the disconnect webhook of the polling client's socket was never delivered")
	}
}
