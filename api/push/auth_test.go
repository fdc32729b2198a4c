package push_test

import (
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/heraldrt/herald/api/config"
	"github.com/heraldrt/herald/api/push"
)

// probe is a request that passes validation on each route, so that an
// authorized key gets a success and anything else is about authorization.
func probe(r push.RouteInfo) (path string, body any) {
	switch r.Pattern {
	case "/v1/emit":
		return r.Pattern, map[string]any{"event": "p", "targets": map[string]any{"users": []string{"nobody"}}}
	case "/v1/batch":
		return r.Pattern, map[string]any{"emits": []any{map[string]any{"event": "p", "targets": map[string]any{"users": []string{"nobody"}}}}}
	case "/v1/sockets/join", "/v1/sockets/leave":
		return r.Pattern, map[string]any{"targets": map[string]any{"users": []string{"nobody"}}, "rooms": []string{"r"}}
	case "/v1/sockets/disconnect":
		return r.Pattern, map[string]any{"targets": map[string]any{"users": []string{"nobody"}}}
	}
	return strings.ReplaceAll(r.Pattern, "{id}", "nobody"), nil
}

func TestEveryRouteNeedsItsScope(t *testing.T) {
	n := startNode(t, nil)
	keys := map[push.Scope]string{push.ScopeEmit: keyEmit, push.ScopeRead: keyRead, push.ScopeAdmin: keyAdmin}
	want := map[string]push.Scope{
		"POST /v1/emit": push.ScopeEmit, "POST /v1/batch": push.ScopeEmit,
		"POST /v1/sockets/join": push.ScopeAdmin, "POST /v1/sockets/leave": push.ScopeAdmin,
		"POST /v1/sockets/disconnect": push.ScopeAdmin,
		"GET /v1/sockets":             push.ScopeRead, "GET /v1/rooms": push.ScopeRead,
		"GET /v1/users/{id}": push.ScopeRead, "GET /v1/stats": push.ScopeRead,
		"GET /v1/openapi.json": "",
	}
	for _, r := range n.api.Routes() {
		name := r.Method + " " + r.Pattern
		if want[name] != r.Scope {
			t.Errorf("%s needs scope %q, want %q", name, r.Scope, want[name])
		}
		path, body := probe(r)
		if r.Scope == "" {
			if got := n.request(t, r.Method, path, "", body); got.status != 200 {
				t.Errorf("%s without a key: %d, want 200 (public)", name, got.status)
			}
			continue
		}
		for scope, key := range keys {
			got := n.request(t, r.Method, path, key, body)
			switch {
			case scope == r.Scope && got.status != 200:
				t.Errorf("%s with the %s key: %d %s, want 200", name, scope, got.status, got.body)
			case scope != r.Scope && (got.status != 403 || got.problem(t).Type != push.ProblemForbidden):
				t.Errorf("%s with the %s key: %d %s, want 403", name, scope, got.status, got.body)
			}
		}
		if got := n.request(t, r.Method, path, keyAll, body); got.status != 200 {
			t.Errorf("%s with every scope: %d %s", name, got.status, got.body)
		}
		for _, bad := range []struct{ what, auth string }{
			{"no header", ""},
			{"unknown key", "Bearer " + keyAll + "x"},
			{"prefix of a key", "Bearer " + keyAll[:10]},
			{"other scheme", "Basic " + keyAll},
			{"empty token", "Bearer "},
		} {
			got := n.request(t, r.Method, path, "", body, "Authorization", bad.auth)
			if got.status != 401 || got.problem(t).Type != push.ProblemUnauthorized || !strings.HasPrefix(got.header.Get("WWW-Authenticate"), "Bearer") {
				t.Errorf("%s, %s: %d %s, want 401 with WWW-Authenticate", name, bad.what, got.status, got.body)
			}
		}
	}
	// The scheme is case-insensitive.
	if got := n.request(t, http.MethodGet, "/v1/stats", "", nil, "Authorization", "bearer "+keyRead); got.status != 200 {
		t.Fatalf("lowercase bearer: %d", got.status)
	}
}

func TestNoKeysConfiguredRefusesEverything(t *testing.T) {
	n := startNode(t, func(c *config.Config) { c.API.Keys = nil })
	if r := n.request(t, http.MethodGet, "/v1/stats", keyAll, nil); r.status != 401 {
		t.Fatalf("without configured keys: %d, want 401", r.status)
	}
}

// clock is a settable clock for rate limits and signature windows.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

func TestRateLimitPerKey(t *testing.T) {
	clk := &clock{now: time.Unix(1_700_000_000, 0)}
	n := startNode(t, func(c *config.Config) { c.API.Rate, c.API.Burst = 0.3, 2 }, push.WithClock(clk.Now))
	a := n.connect(t, "a", "/")
	emit := func(key string) response {
		return n.request(t, http.MethodPost, "/v1/emit", key, map[string]any{"event": "e", "targets": map[string]any{"users": []string{"a"}}})
	}
	for i := range 2 {
		if r := emit(keyEmit); r.status != 200 {
			t.Fatalf("request %d of the burst: %d", i, r.status)
		}
	}
	r := emit(keyEmit)
	// One token at 0.3/s takes 3.33 s: Retry-After rounds up.
	if r.status != 429 || r.problem(t).Type != push.ProblemRateLimited || r.header.Get("Retry-After") != "4" {
		t.Fatalf("over the burst: %d Retry-After %q %s, want 429 with Retry-After 4", r.status, r.header.Get("Retry-After"), r.body)
	}
	// Another key has its own bucket.
	if r := emit(keyAll); r.status != 200 {
		t.Fatalf("another key: %d", r.status)
	}
	clk.advance(3 * time.Second)
	if r := emit(keyEmit); r.status != 429 || r.header.Get("Retry-After") != "1" {
		t.Fatalf("after 3 s: %d Retry-After %q, want 429 with 1", r.status, r.header.Get("Retry-After"))
	}
	clk.advance(400 * time.Millisecond)
	if r := emit(keyEmit); r.status != 200 {
		t.Fatalf("after the refill: %d", r.status)
	}
	// Refused requests had no effect: four emits reached a, not five.
	for range 4 {
		a.expect(t, "e")
	}
	n.fence(t, "", []*client{a})
}

// signed sends a request signed at ts with secret.
func (n *node) signed(t *testing.T, secret, method, target string, ts int64, body string, tamper ...string) response {
	t.Helper()
	sig := push.Sign([]byte(secret), method, target, ts, []byte(body))
	h := []string{push.HeaderTimestamp, strconv.FormatInt(ts, 10), push.HeaderSignature, sig}
	h = append(h, tamper...)
	var b any
	if body != "" {
		b = body
	}
	return n.request(t, method, target, keyAll, b, h...)
}

func TestSignedRequests(t *testing.T) {
	const secret = "signing-secret-0123456789abcdef-0123"
	clk := &clock{now: time.Unix(1_700_000_000, 0)}
	n := startNode(t, func(c *config.Config) {
		c.API.Signing = config.Signing{Secret: secret, Window: config.Duration(time.Minute)}
		c.API.Rate, c.API.Burst = 1, 1
	}, push.WithClock(clk.Now))
	a := n.connect(t, "a", "/")
	now := clk.Now().Unix()
	body := `{"event":"s","targets":{"users":["a"]}}`

	if r := n.signed(t, secret, "POST", "/v1/emit", now, body); r.status != 200 {
		t.Fatalf("signed emit: %d %s", r.status, r.body)
	}
	a.expect(t, "s")
	clk.advance(time.Second)
	// The same request again is a replay, whatever the rate limit says.
	if r := n.signed(t, secret, "POST", "/v1/emit", now, body); r.status != 401 || r.problem(t).Type != push.ProblemReplayed {
		t.Fatalf("replay: %d %s, want 401 replayed", r.status, r.body)
	}
	// A request refused by the rate limit has not used its signature.
	clk.advance(2 * time.Second)
	now = clk.Now().Unix()
	if r := n.signed(t, secret, "GET", "/v1/sockets?user=a", now, ""); r.status != 200 {
		t.Fatalf("signed GET with a query: %d %s", r.status, r.body)
	}
	if r := n.signed(t, secret, "POST", "/v1/emit", now, body); r.status != 429 {
		t.Fatalf("over the rate: %d, want 429", r.status)
	}
	clk.advance(time.Second)
	if r := n.signed(t, secret, "POST", "/v1/emit", now, body); r.status != 200 {
		t.Fatalf("retry of the rate-limited request: %d %s, want 200", r.status, r.body)
	}
	a.expect(t, "s")
	// Nor has one refused for its content type.
	clk.advance(time.Second)
	now = clk.Now().Unix()
	if r := n.signed(t, secret, "POST", "/v1/emit", now, body, "Content-Type", "text/plain"); r.status != 415 {
		t.Fatalf("signed emit as text/plain: %d %s, want 415", r.status, r.body)
	}
	clk.advance(time.Second)
	if r := n.signed(t, secret, "POST", "/v1/emit", now, body); r.status != 200 {
		t.Fatalf("retry of the request refused for its content type: %d %s, want 200", r.status, r.body)
	}
	a.expect(t, "s")

	for _, tc := range []struct {
		what   string
		skew   int64  // timestamp minus now, seconds
		sign   string // the target signed, when not the one requested
		tamper []string
	}{
		{"no timestamp", 0, "", []string{push.HeaderTimestamp, ""}},
		{"no signature", 0, "", []string{push.HeaderSignature, ""}},
		{"timestamp not a number", 0, "", []string{push.HeaderTimestamp, "soon"}},
		{"signature not hex", 0, "", []string{push.HeaderSignature, strings.Repeat("z", 64)}},
		{"short signature", 0, "", []string{push.HeaderSignature, "abcd"}},
		{"signature of another target", 0, "/v1/batch", nil},
		{"timestamp changed", 0, "", []string{push.HeaderTimestamp, strconv.FormatInt(clk.Now().Unix()+100, 10)}},
		{"too old", -61, "", nil},
		{"too far ahead", 61, "", nil},
	} {
		clk.advance(time.Second) // a token for each
		ts := clk.Now().Unix() + tc.skew
		target := "/v1/emit"
		if tc.sign != "" {
			target = tc.sign
		}
		sig := push.Sign([]byte(secret), "POST", target, ts, []byte(body))
		h := append([]string{push.HeaderTimestamp, strconv.FormatInt(ts, 10), push.HeaderSignature, sig}, tc.tamper...)
		r := n.request(t, "POST", "/v1/emit", keyAll, body, h...)
		if r.status != 401 || r.problem(t).Type != push.ProblemBadSignature {
			t.Errorf("%s: %d %s, want 401 bad-signature", tc.what, r.status, r.body)
		}
	}
	// Other body, same signature.
	clk.advance(time.Second)
	now = clk.Now().Unix()
	sig := push.Sign([]byte(secret), "POST", "/v1/emit", now, []byte(body))
	r := n.request(t, "POST", "/v1/emit", keyAll, strings.Replace(body, `"s"`, `"t"`, 1), push.HeaderTimestamp, strconv.FormatInt(now, 10), push.HeaderSignature, sig)
	if r.status != 401 {
		t.Fatalf("tampered body: %d", r.status)
	}
	// The edges of the window are inside it.
	for _, skew := range []int64{-60, 60} {
		clk.advance(time.Second)
		if r := n.signed(t, secret, "POST", "/v1/emit", clk.Now().Unix()+skew, body); r.status != 200 {
			t.Fatalf("timestamp %+d s: %d %s", skew, r.status, r.body)
		}
		a.expect(t, "s")
	}
	// Nothing refused reached the client: its next event is this one.
	clk.advance(time.Second)
	end := `{"event":"end","targets":{"users":["a"]}}`
	if r := n.signed(t, secret, "POST", "/v1/emit", clk.Now().Unix(), end); r.status != 200 {
		t.Fatalf("last emit: %d %s", r.status, r.body)
	}
	a.expect(t, "end")
}

func TestReplayCacheFullRefusesWith503(t *testing.T) {
	const secret = "signing-secret-0123456789abcdef-0123"
	clk := &clock{now: time.Unix(1_700_000_000, 0)}
	n := startNode(t, func(c *config.Config) {
		c.API.Signing = config.Signing{Secret: secret, Window: config.Duration(time.Minute)}
	}, push.WithClock(clk.Now), push.WithReplayCapacity(2))
	now := clk.Now().Unix()
	for i := range 2 {
		if r := n.signed(t, secret, "GET", "/v1/stats?n="+strconv.Itoa(i), now, ""); r.status != 400 {
			// ?n= is an unknown parameter: 400, but after the signature
			// was recorded.
			t.Fatalf("request %d: %d %s", i, r.status, r.body)
		}
	}
	r := n.signed(t, secret, "GET", "/v1/stats", now, "")
	if r.status != 503 || r.header.Get("Retry-After") != "1" {
		t.Fatalf("full cache: %d %s, want 503 with Retry-After", r.status, r.body)
	}
	// Once the first signatures fall out of the window there is room.
	clk.advance(62 * time.Second)
	if r := n.signed(t, secret, "GET", "/v1/stats", clk.Now().Unix(), ""); r.status != 200 {
		t.Fatalf("after expiry: %d %s", r.status, r.body)
	}
}
