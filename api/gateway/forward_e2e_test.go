package gateway_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/heraldrt/herald/api/auth"
	"github.com/heraldrt/herald/api/config"
)

// forwardBackend answers forwarded events by name: the behaviours the
// README lists (2xx JSON becomes the ack, 204 an empty ack, non-2xx and
// timeouts error acks).
func forwardBackend(t *testing.T) *httpBackend {
	return newBackend(t, func(w http.ResponseWriter, r *http.Request, body []byte) {
		var ev struct {
			Event string `json:"event"`
		}
		_ = json.Unmarshal(body, &ev)
		switch ev.Event {
		case "chat:send":
			writeJSON(w, 200, `{"ok":true,"id":"m1"}`)
		case "order":
			writeJSON(w, 200, `[1,"two"]`)
		case "chat:empty":
			w.WriteHeader(204)
		case "chat:slow":
			select {
			case <-time.After(3 * time.Second):
			case <-r.Context().Done():
			}
			writeJSON(w, 200, `{"late":true}`)
		case "chat:fail":
			writeJSON(w, 500, `{"message":"stack trace with internals"}`)
		case "chat:reject":
			writeJSON(w, 422, `{"message":"too long","data":{"max":10}}`)
		case "chat:notjson":
			w.Header().Set("Content-Type", "text/plain")
			_, _ = w.Write([]byte("oops"))
		default:
			writeJSON(w, 400, `{"message":"unexpected event"}`)
		}
	})
}

// TestE2EForward sends events from the official client to a real
// backend: the exact JSON it receives (binary attachments as base64 with
// placeholders in args, ack flag, headers), its answers coming back as
// acks, and each failure mode as an error ack.
func TestE2EForward(t *testing.T) {
	t.Parallel()
	b := forwardBackend(t)
	cfg := testConfig(t)
	cfg.Backend.URL = b.URL + "/events"
	cfg.Backend.Forward = []string{"chat:*", "order"}
	cfg.Backend.Timeout = config.Duration(500 * time.Millisecond)
	cfg.Backend.Headers = map[string]config.Secret{"Authorization": "Bearer backend-key"}
	n := startNode(t, cfg)

	res := connectAll(t, n.URL, connectAttempt{
		Name: "alice",
		Opts: map[string]any{"auth": map[string]any{"token": userToken(t, "alice")}},
		Emits: []any{
			withAck("chat:send", map[string]any{"text": "hi"}),
			// The plan is JSON from a Go map: the client sends "file" first.
			withAck("chat:send", map[string]any{"text": "x", "file": bytesArg([]byte{0, 1, 2, 255})}, bytesArg([]byte{9, 9})),
			withAck("order", 1, 2),
			withAck("chat:empty"),
			withAck("chat:slow", "zzz"),
			withAck("chat:fail"),
			withAck("chat:reject", "a long text"),
			withAck("chat:notjson"),
			withAck("other:event", 1),
			noAck("chat:send", map[string]any{"text": "fire"}),
			withAck("chat:send", "last"),
		},
	})["alice"]
	if !res.Connected {
		t.Fatalf("refused: %+v", res.Error)
	}
	if len(res.Acks) != 11 {
		t.Fatalf("%d acks, want 11: %+v", len(res.Acks), res.Acks)
	}
	ackJSON := func(i int) string {
		if res.Acks[i].Timeout {
			return "timeout"
		}
		return mustJSON(res.Acks[i].Ack)
	}
	wantAcks := map[int]string{
		0:  `[{"ok":true,"id":"m1"}]`,
		1:  `[{"ok":true,"id":"m1"}]`,
		2:  `[[1,"two"]]`,
		3:  `[]`,
		4:  `[{"error":{"code":"backend_timeout","message":"backend timed out"}}]`,
		5:  `[{"error":{"code":"backend_status","message":"backend answered 500","status":500}}]`,
		6:  `[{"error":{"code":"backend_status","message":"too long","status":422,"data":{"max":10}}}]`,
		7:  `[{"error":{"code":"backend_invalid","message":"backend answer invalid","status":200}}]`,
		8:  `[{"error":{"code":"unknown_event","message":"no handler for other:event"}}]`,
		10: `[{"ok":true,"id":"m1"}]`,
	}
	for i := 0; i < len(res.Acks); i++ {
		want, ok := wantAcks[i]
		if !ok {
			continue
		}
		got := ackJSON(i)
		if i == 4 {
			// The message text is the backend package's; the code is the contract.
			if errCode(res.Acks[i].First()) != "backend_timeout" {
				t.Errorf("ack %d = %s, want a backend_timeout error", i, got)
			}
			continue
		}
		if got == "timeout" || !jsonEq(t, got, want) {
			t.Errorf("ack %d = %s, want %s", i, got, want)
		}
	}
	// The slow backend is cut off at backend.timeout (500 ms), not later.
	if ms := res.Acks[4].MS; ms < 400 || ms > 1400 {
		t.Errorf("backend_timeout ack after %d ms, want about 500", ms)
	}

	// What the backend received, in order: other:event was not forwarded.
	id := res.ID
	wantBodies := []string{
		`{"socket_id":"` + id + `","user_id":"alice","namespace":"/","event":"chat:send","args":[{"text":"hi"}],"ack":true}`,
		`{"socket_id":"` + id + `","user_id":"alice","namespace":"/","event":"chat:send","args":[{"file":{"_placeholder":true,"num":0},"text":"x"},{"_placeholder":true,"num":1}],"attachments":["AAEC/w==","CQk="],"ack":true}`,
		`{"socket_id":"` + id + `","user_id":"alice","namespace":"/","event":"order","args":[1,2],"ack":true}`,
		`{"socket_id":"` + id + `","user_id":"alice","namespace":"/","event":"chat:empty","args":[],"ack":true}`,
		`{"socket_id":"` + id + `","user_id":"alice","namespace":"/","event":"chat:slow","args":["zzz"],"ack":true}`,
		`{"socket_id":"` + id + `","user_id":"alice","namespace":"/","event":"chat:fail","args":[],"ack":true}`,
		`{"socket_id":"` + id + `","user_id":"alice","namespace":"/","event":"chat:reject","args":["a long text"],"ack":true}`,
		`{"socket_id":"` + id + `","user_id":"alice","namespace":"/","event":"chat:notjson","args":[],"ack":true}`,
		`{"socket_id":"` + id + `","user_id":"alice","namespace":"/","event":"chat:send","args":[{"text":"fire"}],"ack":false}`,
		`{"socket_id":"` + id + `","user_id":"alice","namespace":"/","event":"chat:send","args":["last"],"ack":true}`,
	}
	for i, want := range wantBodies {
		r := b.next(t, 2*time.Second)
		if string(r.Body) != want {
			t.Errorf("backend request %d body\n got %s\nwant %s", i, r.Body, want)
		}
		var ev struct{ Event string }
		_ = json.Unmarshal([]byte(want), &ev)
		if r.Method != "POST" || r.Path != "/events" || r.Header.Get("Content-Type") != "application/json" ||
			r.Header.Get("X-Herald-Event") != ev.Event || r.Header.Get("Authorization") != "Bearer backend-key" {
			t.Errorf("backend request %d: %s %s headers %v", i, r.Method, r.Path, r.Header)
		}
	}
	b.none(t, 100*time.Millisecond)

	// ok: five acked answers and the event sent without an ack; error:
	// timeout, 500, 422 and the invalid answer.
	n.wantMetric("herald_forwarded_events_total", `result="ok"`, 6)
	n.wantMetric("herald_forwarded_events_total", `result="error"`, 4)
}

// forwardNode starts a node forwarding "ev" and "chat:*" to url.
func forwardNode(t *testing.T, url string, edit func(*config.Config)) *testNode {
	cfg := testConfig(t)
	cfg.Backend.URL = url
	cfg.Backend.Forward = []string{"ev", "chat:*"}
	cfg.Backend.Timeout = config.Duration(500 * time.Millisecond)
	if edit != nil {
		edit(&cfg)
	}
	return startNode(t, cfg)
}

// TestE2EBackendDown: a backend nobody listens on gives
// backend_unavailable error acks, at once.
func TestE2EBackendDown(t *testing.T) {
	t.Parallel()
	n := forwardNode(t, closedURL(t), nil)
	_, s := mustDial(t, n, userToken(t, "alice"))
	for _, ev := range []string{"ev", "chat:x"} {
		t0 := time.Now()
		ack := emitAck(t, s, ev, "hello")
		// The message is for the client: it must not name internal addresses.
		if errCode(ack) != "backend_unavailable" || strings.Contains(mustJSON(ack), "127.0.0.1") {
			t.Errorf("%s with the backend down: ack %v", ev, ack)
		}
		if d := time.Since(t0); d > 400*time.Millisecond {
			t.Errorf("%s: backend_unavailable after %v", ev, d)
		}
	}
}

// TestE2EBreaker: after backend.breaker.failures consecutive failures the
// node stops calling the backend and answers backend_unavailable at once
// until the cooldown ends; then one trial call closes it again.
func TestE2EBreaker(t *testing.T) {
	t.Parallel()
	var healthy atomic.Bool
	b := newBackend(t, func(w http.ResponseWriter, r *http.Request, body []byte) {
		if healthy.Load() {
			writeJSON(w, 200, `"fine"`)
			return
		}
		writeJSON(w, 503, `{}`)
	})
	n := forwardNode(t, b.URL, func(c *config.Config) {
		c.Backend.Breaker.Failures = 3
		c.Backend.Breaker.Cooldown = config.Duration(time.Second)
	})
	_, s := mustDial(t, n, userToken(t, "alice"))
	for i := range 3 {
		if ack := emitAck(t, s, "ev", i); errCode(ack) != "backend_status" {
			t.Errorf("call %d: ack %v, want backend_status", i, ack)
		}
		b.next(t, time.Second)
	}
	opened := time.Now()
	for i := range 3 {
		t0 := time.Now()
		if ack := emitAck(t, s, "chat:x", i); errCode(ack) != "backend_unavailable" {
			t.Errorf("call %d with the breaker open: ack %v, want backend_unavailable", i, ack)
		}
		if d := time.Since(t0); d > 300*time.Millisecond {
			t.Errorf("open breaker answered after %v", d)
		}
	}
	if time.Since(opened) < 800*time.Millisecond {
		b.none(t, 50*time.Millisecond) // the open breaker sent nothing
	}
	healthy.Store(true)
	time.Sleep(time.Until(opened.Add(1100 * time.Millisecond)))
	if ack := emitAck(t, s, "ev", "trial"); ack != "fine" {
		t.Errorf("after the cooldown: ack %v, want \"fine\"", ack)
	}
	if ack := emitAck(t, s, "ev", "again"); ack != "fine" {
		t.Errorf("after the trial: ack %v, want \"fine\"", ack)
	}
}

// TestE2EForwardMany sends events from several sockets at once: each gets
// its own answer (acks are not crossed between sockets or events).
func TestE2EForwardMany(t *testing.T) {
	t.Parallel()
	b := newBackend(t, func(w http.ResponseWriter, r *http.Request, body []byte) {
		var ev struct {
			SocketID string `json:"socket_id"`
			Args     []any  `json:"args"`
		}
		_ = json.Unmarshal(body, &ev)
		writeJSON(w, 200, mustJSON(map[string]any{"sid": ev.SocketID, "arg": ev.Args[0]}))
	})
	n := forwardNode(t, b.URL, nil)
	type result struct {
		i   int
		err error
	}
	out := make(chan result, 8)
	for i := range 8 {
		_, s := mustDial(t, n, userToken(t, fmt.Sprint("u", i)))
		go func() {
			for j := range 10 {
				ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
				a, err := s.EmitWithAck(ctx, "chat:x", j)
				cancel()
				if err != nil {
					out <- result{i, err}
					return
				}
				var got struct {
					SID string
					Arg int
				}
				if err := a.Decode(0, &got); err != nil || got.SID != s.ID || got.Arg != j {
					out <- result{i, fmt.Errorf("event %d: ack %s (%v)", j, a.Raw, err)}
					return
				}
			}
			out <- result{i, nil}
		}()
	}
	for range 8 {
		if r := <-out; r.err != nil {
			t.Errorf("socket %d: %v", r.i, r.err)
		}
	}
	n.wantMetric("herald_forwarded_events_total", `result="ok"`, 80)
}

// TestE2EForwardNeverShadowsBuiltins: a backend.forward entry naming a
// built-in room operation exactly ("room:join") leaves the built-in in
// place, rights checks included, as a pattern matching it ("room:*")
// does; nothing reaches the backend. (Before acb7be2 the exact name
// replaced the built-in: found by this test.)
func TestE2EForwardNeverShadowsBuiltins(t *testing.T) {
	t.Parallel()
	b := newBackend(t, func(w http.ResponseWriter, r *http.Request, body []byte) { writeJSON(w, 200, `"from the backend"`) })
	n := forwardNode(t, b.URL, func(c *config.Config) { c.Backend.Forward = []string{"room:join", "room:*", "chat:*"} })
	_, s := mustDial(t, n, token(t, auth.Claims{Subject: "alice", Join: []string{"chat:*"}}))

	if ack := emitAck(t, s, "room:join", "chat:1"); !isOK(ack) {
		t.Errorf("room:join with forward [room:join]: ack %v, want the built-in's {\"ok\":true}", ack)
	}
	if !findSocket(t, n, s.ID).InRoom("chat:1") {
		t.Errorf("room:join with forward [room:join] did not join the room")
	}
	if ack := emitAck(t, s, "room:join", "secret:1"); errCode(ack) != "forbidden" {
		t.Errorf("room:join to a room outside the rights: ack %v, want forbidden", ack)
	}
	// The pattern room:* leaves room:leave built in, as it should.
	if ack := emitAck(t, s, "room:leave", "chat:1"); !isOK(ack) {
		t.Errorf("room:leave: ack %v", ack)
	}
	b.none(t, 100*time.Millisecond)
}
