package gateway_test

import (
	"maps"
	"net/http"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/heraldrt/herald/api/backend"
)

const webhookSecret = "whsec-e2e-0123456789"

// TestE2EWebhooks connects and disconnects the official client with a
// webhook receiver that fails every delivery's first attempt: both hooks
// arrive, retried with the same id and body, signed, with the documented
// shape and the disconnect reason. A refused connection sends no hook.
func TestE2EWebhooks(t *testing.T) {
	t.Parallel()
	var (
		mu   sync.Mutex
		seen = map[string]int{}
	)
	recv := newBackend(t, func(w http.ResponseWriter, r *http.Request, body []byte) {
		mu.Lock()
		id := r.Header.Get("X-Herald-Delivery")
		seen[id]++
		first := seen[id] == 1
		mu.Unlock()
		if first {
			writeJSON(w, 500, `{"error":"try again"}`)
			return
		}
		w.WriteHeader(204)
	})
	cfg := testConfig(t)
	cfg.Webhooks.URL = recv.URL + "/hooks"
	cfg.Webhooks.Secret = webhookSecret
	n := startNode(t, cfg)

	t0 := time.Now()
	res := connectAll(t, n.URL,
		// The acked event makes sure the connection handler ran before the
		// client leaves (see TestBug_DisconnectLostWhenClientLeavesEarly).
		connectAttempt{Name: "alice", Opts: map[string]any{"auth": map[string]any{"token": userToken(t, "alice")}},
			Emits: []any{withAck("room:leave", "none")}, Linger: 50},
		connectAttempt{Name: "refused", Opts: map[string]any{"auth": map[string]any{"token": "bad"}}},
	)
	if !res["alice"].Connected || res["refused"].Connected {
		t.Fatalf("connections: %+v", res)
	}
	sid := res["alice"].ID

	// Four requests: two attempts of each hook.
	byType := map[string][]backendRequest{}
	for range 4 {
		r := recv.next(t, 5*time.Second)
		byType[r.Header.Get("X-Herald-Hook")] = append(byType[r.Header.Get("X-Herald-Hook")], r)
	}
	recv.none(t, 300*time.Millisecond)

	for _, typ := range []string{"connect", "disconnect"} {
		reqs := byType[typ]
		if len(reqs) != 2 {
			t.Errorf("%s hook: %d requests, want 2", typ, len(reqs))
			continue
		}
		for i, r := range reqs {
			if r.Method != "POST" || r.Path != "/hooks" || r.Header.Get("Content-Type") != "application/json" ||
				r.Header.Get("X-Herald-Attempt") != []string{"1", "2"}[i] {
				t.Errorf("%s hook attempt %d: %s %s %v", typ, i+1, r.Method, r.Path, r.Header)
			}
			if err := backend.VerifySignature([]byte(webhookSecret), r.Header.Get("X-Herald-Signature"), r.Body, time.Minute); err != nil {
				t.Errorf("%s hook attempt %d: signature: %v", typ, i+1, err)
			}
		}
		if reqs[0].Header.Get("X-Herald-Delivery") != reqs[1].Header.Get("X-Herald-Delivery") || string(reqs[0].Body) != string(reqs[1].Body) {
			t.Errorf("%s hook retried with another id or body:\n%s\n%s", typ, reqs[0].Body, reqs[1].Body)
		}
		if gap := reqs[1].At.Sub(reqs[0].At); gap < 50*time.Millisecond {
			t.Errorf("%s hook retried after %v: no backoff", typ, gap)
		}
		body := reqs[0].JSON(t)
		keys := slices.Sorted(maps.Keys(body))
		wantKeys := []string{"id", "namespace", "socket_id", "time", "type", "user_id"}
		if typ == "disconnect" {
			wantKeys = []string{"id", "namespace", "reason", "socket_id", "time", "type", "user_id"}
		}
		if !slices.Equal(keys, wantKeys) {
			t.Errorf("%s hook members %v, want %v: %s", typ, keys, wantKeys, reqs[0].Body)
		}
		if body["id"] != reqs[0].Header.Get("X-Herald-Delivery") || body["type"] != typ || body["socket_id"] != sid ||
			body["user_id"] != "alice" || body["namespace"] != "/" {
			t.Errorf("%s hook body %s (socket %s)", typ, reqs[0].Body, sid)
		}
		if typ == "disconnect" && body["reason"] != "client namespace disconnect" {
			t.Errorf("disconnect hook reason %v, want \"client namespace disconnect\"", body["reason"])
		}
		ts, _ := body["time"].(string)
		if at, err := time.Parse(time.RFC3339Nano, ts); err != nil || at.Before(t0.Add(-time.Second)) || at.After(time.Now()) {
			t.Errorf("%s hook time %q (%v)", typ, ts, err)
		}
	}
	if c, d := byType["connect"], byType["disconnect"]; len(c) == 2 && len(d) == 2 {
		ct, _ := time.Parse(time.RFC3339Nano, c[0].JSON(t)["time"].(string))
		dt, _ := time.Parse(time.RFC3339Nano, d[0].JSON(t)["time"].(string))
		if !ct.Before(dt) {
			t.Errorf("connect hook time %v is not before the disconnect's %v", ct, dt)
		}
	}
}

// TestE2EWebhookEvents: webhooks.events selects the hooks sent; a dropped
// transport gives the reason "transport close".
func TestE2EWebhookEvents(t *testing.T) {
	t.Parallel()
	recv := newBackend(t, func(w http.ResponseWriter, r *http.Request, body []byte) { w.WriteHeader(200) })
	cfg := testConfig(t)
	cfg.Webhooks.URL = recv.URL
	cfg.Webhooks.Events = []string{"disconnect"}
	n := startNode(t, cfg)
	c, s := mustDial(t, n, userToken(t, "bob"))
	// An acked event runs after the connection handler: closing sooner
	// loses the disconnect hook (TestBug_DisconnectLostWhenClientLeavesEarly).
	emitAck(t, s, "room:leave", "none")
	c.Close()
	r := recv.next(t, 3*time.Second)
	body := r.JSON(t)
	if body["type"] != "disconnect" || body["socket_id"] != s.ID || body["reason"] != "transport close" || body["user_id"] != "bob" {
		t.Errorf("hook %s, want bob's disconnect with reason transport close", r.Body)
	}
	if r.Header.Get("X-Herald-Signature") != "" {
		t.Errorf("unsigned webhooks carry X-Herald-Signature %q", r.Header.Get("X-Herald-Signature"))
	}
	recv.none(t, 200*time.Millisecond)
}
