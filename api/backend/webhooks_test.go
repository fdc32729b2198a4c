package backend

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// syncBuffer is a log sink safe for the workers' concurrent writes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func newWebhooks(t testing.TB, cfg WebhookConfig) (*Webhooks, *syncBuffer) {
	t.Helper()
	logs := &syncBuffer{}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.NewTextHandler(logs, nil))
	}
	w, err := NewWebhooks(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
		defer cancel()
		w.Close(ctx)
	})
	return w, logs
}

func testHook(id string) Hook {
	return Hook{Type: HookConnect, ID: id, SocketID: "s-" + id, UserID: "u1", Namespace: "/"}
}

func TestNewWebhooksChecksConfig(t *testing.T) {
	for _, cfg := range []WebhookConfig{{}, {URL: "mailto:x@y"}, {URL: "http://x/", Headers: map[string]string{"A": "\n"}}} {
		if _, err := NewWebhooks(cfg); err == nil {
			t.Errorf("NewWebhooks(%+v) accepted", cfg)
		}
	}
}

func TestWebhookRequestShapeAndSignature(t *testing.T) {
	s := newServer(t, reply(204, ""))
	secret := []byte("s3cret")
	w, _ := newWebhooks(t, WebhookConfig{URL: s.URL, Secret: secret, Headers: map[string]string{"X-Api-Key": "k"}})
	at := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	w.Send(Hook{Type: HookDisconnect, ID: "d-1", SocketID: "s1", UserID: "u1", Namespace: "/chat", Reason: "transport close", Time: at, Data: map[string]any{"b": 2, "a": "x"}})
	eventually(t, "delivery", func() bool { return w.Stats().Delivered == 1 })

	r := s.requests()[0]
	want := `{"id":"d-1","type":"disconnect","time":"2025-01-02T03:04:05Z","socket_id":"s1","user_id":"u1",` +
		`"namespace":"/chat","reason":"transport close","data":{"a":"x","b":2}}`
	if string(r.Body) != want {
		t.Errorf("body\n got %s\nwant %s", r.Body, want)
	}
	for k, v := range map[string]string{
		"Content-Type": "application/json", "X-Herald-Delivery": "d-1", "X-Herald-Hook": "disconnect",
		"X-Herald-Attempt": "1", "X-Api-Key": "k",
	} {
		if got := r.Header.Get(k); got != v {
			t.Errorf("header %s = %q, want %q", k, got, v)
		}
	}

	// Verify the signature independently of Sign.
	sig := r.Header.Get("X-Herald-Signature")
	ts, mac, ok := strings.Cut(strings.TrimPrefix(sig, "t="), ",v1=")
	if !ok {
		t.Fatalf("signature %q", sig)
	}
	sec, _ := strconv.ParseInt(ts, 10, 64)
	if d := time.Since(time.Unix(sec, 0)); d < -time.Second || d > 10*time.Second {
		t.Errorf("signature time %s is %v off", ts, d)
	}
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(ts + "." + string(r.Body)))
	if hex.EncodeToString(m.Sum(nil)) != mac {
		t.Errorf("signature %q does not match the body", sig)
	}
	if err := VerifySignature(secret, sig, r.Body, time.Minute); err != nil {
		t.Errorf("VerifySignature: %v", err)
	}
	for name, check := range map[string]error{
		"wrong secret": VerifySignature([]byte("other"), sig, r.Body, time.Minute),
		"wrong body":   VerifySignature(secret, sig, append(r.Body, ' '), time.Minute),
		"stale":        VerifySignature(secret, Sign(secret, time.Now().Add(-time.Hour), r.Body), r.Body, time.Minute),
		"garbage":      VerifySignature(secret, "v1=zz", r.Body, 0),
		"empty":        VerifySignature(secret, "", r.Body, 0),
	} {
		if !errors.Is(check, ErrBadSignature) {
			t.Errorf("%s: %v", name, check)
		}
	}
}

func TestWebhookSetsIDAndTime(t *testing.T) {
	s := newServer(t, nil)
	w, _ := newWebhooks(t, WebhookConfig{URL: s.URL})
	before := time.Now()
	w.Send(Hook{Type: HookConnect, SocketID: "s1"})
	w.Send(Hook{Type: HookConnect, SocketID: "s2"})
	eventually(t, "deliveries", func() bool { return w.Stats().Delivered == 2 })
	ids := map[string]bool{}
	for _, r := range s.requests() {
		var body struct {
			ID   string
			Time time.Time
		}
		if err := json.Unmarshal(r.Body, &body); err != nil {
			t.Fatal(err)
		}
		if body.ID == "" || body.ID != r.Header.Get("X-Herald-Delivery") || body.Time.Before(before.Truncate(time.Second)) {
			t.Errorf("body %s, delivery %q", r.Body, r.Header.Get("X-Herald-Delivery"))
		}
		ids[body.ID] = true
	}
	if len(ids) != 2 {
		t.Fatalf("ids %v are not unique", ids)
	}
}

func TestWebhookRetriesWithBackoff(t *testing.T) {
	s := newServer(t, func(w http.ResponseWriter, r *http.Request, n int64) {
		if n <= 3 {
			w.WriteHeader(502)
		}
	})
	const backoff = 40 * time.Millisecond
	w, _ := newWebhooks(t, WebhookConfig{URL: s.URL, Backoff: backoff})
	w.Send(testHook("h1"))
	eventually(t, "delivery", func() bool { return w.Stats().Delivered == 1 })
	reqs := s.requests()
	if len(reqs) != 4 {
		t.Fatalf("%d attempts, want 4", len(reqs))
	}
	for i, r := range reqs {
		if r.Header.Get("X-Herald-Delivery") != "h1" || r.Header.Get("X-Herald-Attempt") != strconv.Itoa(i+1) {
			t.Errorf("attempt %d headers %v", i+1, r.Header)
		}
		if !bytes.Equal(r.Body, reqs[0].Body) {
			t.Errorf("attempt %d body differs", i+1)
		}
		if i == 0 {
			continue
		}
		// The wait after failure n is drawn from [b·2^(n-1)/2, b·2^(n-1)];
		// the upper check leaves room for a loaded machine.
		nominal := backoff << (i - 1)
		if gap := r.At.Sub(reqs[i-1].At); gap < nominal/2 || gap > nominal+time.Second {
			t.Errorf("gap before attempt %d: %v, want %v..%v", i+1, gap, nominal/2, nominal)
		}
	}
	if st := w.Stats(); st.Attempts != 4 || st.Failed != 0 || st.Queued != 0 || st.InFlight != 0 {
		t.Fatalf("stats %+v", st)
	}
}

func TestWebhookGivesUp(t *testing.T) {
	s := newServer(t, reply(500, ""))
	w, logs := newWebhooks(t, WebhookConfig{URL: s.URL, MaxAttempts: 3, Backoff: time.Millisecond})
	w.Send(testHook("doomed"))
	eventually(t, "give up", func() bool { return w.Stats().Failed == 1 })
	time.Sleep(20 * time.Millisecond)
	if n := s.hits.Load(); n != 3 {
		t.Fatalf("%d attempts, want 3", n)
	}
	if l := logs.String(); !strings.Contains(l, "webhook given up") || !strings.Contains(l, "doomed") {
		t.Fatalf("log %q", l)
	}
	if st := w.Stats(); st.Delivered != 0 || st.Attempts != 3 || st.Queued != 0 {
		t.Fatalf("stats %+v", st)
	}
}

func TestWebhookRetriesUnreachableReceiver(t *testing.T) {
	w, _ := newWebhooks(t, WebhookConfig{URL: closedURL(t), MaxAttempts: 2, Backoff: time.Millisecond})
	w.Send(testHook("x"))
	eventually(t, "give up", func() bool { return w.Stats().Failed == 1 })
	if st := w.Stats(); st.Attempts != 2 {
		t.Fatalf("stats %+v", st)
	}
}

func TestWebhookHonoursRetryAfter(t *testing.T) {
	s := newServer(t, func(w http.ResponseWriter, r *http.Request, n int64) {
		if n == 1 {
			w.Header().Set("Retry-After", "5")
			w.WriteHeader(503)
		}
	})
	wh, _ := newWebhooks(t, WebhookConfig{URL: s.URL, Backoff: time.Millisecond, MaxBackoff: 300 * time.Millisecond})
	wh.Send(testHook("ra"))
	eventually(t, "delivery", func() bool { return wh.Stats().Delivered == 1 })
	r := s.requests()
	// Retry-After: 5 s, capped by MaxBackoff.
	if gap := r[1].At.Sub(r[0].At); gap < 300*time.Millisecond || gap > 3*time.Second {
		t.Fatalf("gap %v", gap)
	}
}

func TestWebhookQueueOverflowDropsOldest(t *testing.T) {
	release := make(chan struct{})
	s := newServer(t, func(w http.ResponseWriter, r *http.Request, n int64) {
		if n == 1 {
			<-release
		}
	})
	w, logs := newWebhooks(t, WebhookConfig{URL: s.URL, Workers: 1, QueueSize: 3})
	w.Send(testHook("h0"))
	eventually(t, "h0 in flight", func() bool { return w.Stats().InFlight == 1 })
	for i := 1; i <= 6; i++ {
		w.Send(testHook("h" + strconv.Itoa(i)))
	}
	if st := w.Stats(); st.Queued != 3 || st.Dropped != 3 || st.Accepted != 7 {
		t.Fatalf("stats %+v", st)
	}
	close(release)
	eventually(t, "deliveries", func() bool { return w.Stats().Delivered == 4 })
	var got []string
	for _, r := range s.requests() {
		got = append(got, r.Header.Get("X-Herald-Delivery"))
	}
	if want := "h0 h4 h5 h6"; strings.Join(got, " ") != want {
		t.Fatalf("delivered %v, want %s", got, want)
	}
	if !strings.Contains(logs.String(), "webhook queue full") {
		t.Fatalf("log %q", logs.String())
	}
}

func TestWebhookOverflowPrefersNewHooksOverRetries(t *testing.T) {
	release := make(chan struct{})
	s := newServer(t, func(w http.ResponseWriter, r *http.Request, _ int64) {
		switch r.Header.Get("X-Herald-Delivery") {
		case "old":
			w.WriteHeader(500)
		case "n1":
			<-release
		}
	})
	w, _ := newWebhooks(t, WebhookConfig{URL: s.URL, Workers: 1, QueueSize: 2, Backoff: time.Hour})
	w.Send(testHook("old"))
	eventually(t, "old waiting for its retry", func() bool { st := w.Stats(); return st.Attempts == 1 && st.Queued == 1 })
	w.Send(testHook("n1"))
	eventually(t, "n1 in flight", func() bool { return w.Stats().InFlight == 1 })
	w.Send(testHook("n2"))
	w.Send(testHook("n3")) // full: "old" goes, though n2 came later
	if st := w.Stats(); st.Dropped != 1 || st.Queued != 2 {
		t.Fatalf("stats %+v", st)
	}
	close(release)
	eventually(t, "new hooks", func() bool { return w.Stats().Delivered == 3 })
	if st := w.Stats(); st.Queued != 0 || st.Attempts != 4 {
		t.Fatalf("stats %+v", st)
	}
}

func TestWebhookCloseDrains(t *testing.T) {
	s := newServer(t, func(w http.ResponseWriter, r *http.Request, n int64) {
		time.Sleep(2 * time.Millisecond)
		if n%5 == 0 {
			w.WriteHeader(500) // some need a retry
		}
	})
	w, _ := newWebhooks(t, WebhookConfig{URL: s.URL, Backoff: 5 * time.Millisecond})
	for i := range 100 {
		w.Send(testHook(strconv.Itoa(i)))
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := w.Close(ctx); err != nil {
		t.Fatal(err)
	}
	st := w.Stats()
	if st.Delivered != 100 || st.Queued != 0 || st.InFlight != 0 {
		t.Fatalf("stats %+v", st)
	}
	w.Send(testHook("late"))
	if st := w.Stats(); st.Discarded != 1 || st.Accepted != 100 {
		t.Fatalf("after close: %+v", st)
	}
	if err := w.Close(ctx); err != nil {
		t.Fatalf("second Close: %v", err)
	}
}

func TestWebhookCloseGivesUpAtDeadline(t *testing.T) {
	s := newServer(t, reply(500, ""))
	w, logs := newWebhooks(t, WebhookConfig{URL: s.URL, Backoff: time.Hour, Workers: 2})
	for i := range 5 {
		w.Send(testHook(strconv.Itoa(i)))
	}
	eventually(t, "first attempts", func() bool { return w.Stats().Attempts == 5 })
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	start := time.Now()
	if err := w.Close(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Close: %v", err)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Fatalf("Close took %v", d)
	}
	// An attempt still in flight at the deadline is discarded when it ends.
	eventually(t, "all discarded", func() bool { st := w.Stats(); return st.Discarded == 5 && st.Queued == 0 })
	if !strings.Contains(logs.String(), "closed before the queue drained") {
		t.Fatalf("log %q", logs.String())
	}
}

func TestWebhookUnencodableData(t *testing.T) {
	s := newServer(t, nil)
	w, logs := newWebhooks(t, WebhookConfig{URL: s.URL})
	w.Send(Hook{Type: HookConnect, Data: map[string]any{"ch": make(chan int)}})
	if st := w.Stats(); st.Failed != 1 || st.Accepted != 0 {
		t.Fatalf("stats %+v", st)
	}
	if !strings.Contains(logs.String(), "not encodable") {
		t.Fatalf("log %q", logs.String())
	}
}

func TestWebhookDelay(t *testing.T) {
	w := &Webhooks{backoff: 100 * time.Millisecond, maxBackoff: time.Second}
	for n, nominal := range map[int]time.Duration{1: 100 * time.Millisecond, 2: 200 * time.Millisecond, 4: 800 * time.Millisecond, 5: time.Second, 60: time.Second} {
		for range 100 {
			if d := w.delay(n, 0); d < nominal/2 || d > nominal {
				t.Fatalf("delay(%d) = %v, want %v..%v", n, d, nominal/2, nominal)
			}
		}
	}
	if d := w.delay(1, 700*time.Millisecond); d != 700*time.Millisecond {
		t.Fatalf("Retry-After ignored: %v", d)
	}
	if d := w.delay(1, time.Hour); d != time.Second {
		t.Fatalf("Retry-After not capped: %v", d)
	}
}

func TestWebhookConcurrentSend(t *testing.T) {
	s := newServer(t, func(w http.ResponseWriter, r *http.Request, n int64) {
		if n%7 == 0 {
			w.WriteHeader(500)
		}
	})
	w, _ := newWebhooks(t, WebhookConfig{URL: s.URL, Backoff: time.Millisecond, QueueSize: 50})
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 100 {
				w.Send(testHook(strconv.Itoa(g*1000 + i)))
			}
		})
	}
	wg.Wait()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := w.Close(ctx); err != nil {
		t.Fatal(err)
	}
	st := w.Stats()
	if st.Accepted != 800 || st.Delivered+st.Dropped+st.Failed != 800 || st.Queued != 0 {
		t.Fatalf("stats %+v", st)
	}
}

func TestWebhookTalkativeReceiver(t *testing.T) {
	s := newServer(t, reply(200, strings.Repeat(" ", 200<<10)))
	w, _ := newWebhooks(t, WebhookConfig{URL: s.URL, Backoff: time.Millisecond})
	w.Send(testHook("big"))
	eventually(t, "delivery", func() bool { return w.Stats().Delivered == 1 })
	if st := w.Stats(); st.Attempts != 1 {
		t.Fatalf("a 2xx with a large body was retried: %+v", st)
	}
}
