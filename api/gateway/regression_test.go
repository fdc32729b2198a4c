package gateway_test

// Regression tests: each failed against an earlier version of the node and
// asserts what the README documents for `herald serve`.

import (
	"encoding/json"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/heraldrt/herald/api/config"
)

// TestRegression_DisconnectLostWhenClientLeavesEarly: a client that disconnects
// before the node has run the namespace's connection handler gets no
// disconnect webhook (and is not counted in
// herald_socket_disconnects_total), although its connect webhook is sent:
// the backend sees a user come online who never leaves. The README
// promises lifecycle webhooks at least once.
//
// Cause (engine): client.finishConnect sends the CONNECT packet and then
// queues the connection handlers on the socket's serial queue, where the
// gateway's onConnection registers its Socket.OnDisconnect listener. If
// the connection closes first, Socket.close (on the loop) reads
// s.onLeave while it is still empty and queues nothing; the listener
// added afterwards is never called. Whenever the workers are busy (a slow
// backend is enough) the window is wide; this test widens it on purpose
// with one worker held by a forwarded event.
func TestRegression_DisconnectLostWhenClientLeavesEarly(t *testing.T) {
	t.Parallel()
	// The window is set up with timing; an attempt where b's connection
	// handler still ran first (about half of them) proves nothing and is
	// made again.
	for range 10 {
		established, hooks := disconnectBeforeConnectionHandler(t)
		if !established {
			continue
		}
		if !hooks["connect"] {
			t.Fatalf("hooks for b's socket: %v; want its connect hook at least", hooks)
		}
		if !hooks["disconnect"] {
			t.Errorf("hooks for b's socket: %v; want connect and disconnect", hooks)
		}
		return
	}
	t.Fatalf("could not make b leave before its connection handler ran")
}

// disconnectBeforeConnectionHandler connects socket b and closes its
// connection while b's connection handler waits for the node's only
// worker, held by a's forwarded event. It reports whether that order was
// achieved and which webhooks b's socket got.
func disconnectBeforeConnectionHandler(t *testing.T) (established bool, got map[string]bool) {
	var (
		hookB      = make(chan struct{})
		releaseB   = make(chan struct{})
		fwdStarted = make(chan struct{})
		releaseFwd = make(chan struct{})
		once       sync.Once
	)
	release := func() { once.Do(func() { close(releaseFwd) }) }
	defer release()
	hook := newBackend(t, func(w http.ResponseWriter, r *http.Request, body []byte) {
		if strings.Contains(string(body), `"token":"b"`) {
			close(hookB)
			<-releaseB
			writeJSON(w, 200, `{"user_id":"b"}`)
			return
		}
		writeJSON(w, 200, `{"user_id":"a"}`)
	})
	fwd := newBackend(t, func(w http.ResponseWriter, r *http.Request, body []byte) {
		close(fwdStarted)
		<-releaseFwd
		writeJSON(w, 200, `{}`)
	})
	hooks := newBackend(t, func(w http.ResponseWriter, r *http.Request, body []byte) { w.WriteHeader(200) })
	cfg := testConfig(t)
	cfg.Auth.Mode = config.AuthHook
	cfg.Auth.Hook.URL = hook.URL
	cfg.Backend.URL = fwd.URL
	cfg.Backend.Forward = []string{"slow"}
	cfg.Engine.Workers = 1
	cfg.Webhooks.URL = hooks.URL
	n := startNode(t, cfg)

	_, a := mustDialAuth(t, n, map[string]string{"token": "a"})
	hooks.next(t, 2*time.Second) // a's connect hook

	// b's middleware holds the only worker, waiting on the connect hook;
	// meanwhile a's forwarded event queues for the worker.
	type dialed struct {
		c   interface{ Close() error }
		id  string
		err error
	}
	bc := make(chan dialed, 1)
	go func() {
		c, s, err := dial(t, n, "", map[string]string{"token": "b"})
		d := dialed{err: err}
		if err == nil {
			d.c, d.id = c, s.ID
		}
		bc <- d
	}()
	<-hookB
	if err := a.Emit("slow"); err != nil {
		t.Fatal(err)
	}
	time.Sleep(100 * time.Millisecond)
	close(releaseB)
	// b is connected; its connection handler should wait behind a's event.
	b := <-bc
	if b.err != nil {
		t.Fatalf("b: %v", b.err)
	}
	b.c.Close()
	<-fwdStarted
	waitFor(t, 2*time.Second, "b's socket to go", func() bool { return n.G.Server().Of("/").SocketCount() == 1 })

	got = map[string]bool{}
	collect := func(d time.Duration) {
		deadline := time.After(d)
		for {
			select {
			case r := <-hooks.reqs:
				var h map[string]any
				_ = json.Unmarshal(r.Body, &h)
				if h["socket_id"] == b.id {
					typ, _ := h["type"].(string)
					got[typ] = true
				}
			case <-deadline:
				return
			}
		}
	}
	collect(100 * time.Millisecond)
	if got["connect"] {
		return false, got // b's connection handler ran before the close
	}
	release()
	collect(1500 * time.Millisecond)
	return true, got
}
