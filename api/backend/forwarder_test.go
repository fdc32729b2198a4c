package backend

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func newForwarder(t testing.TB, cfg ForwarderConfig) *Forwarder {
	t.Helper()
	f, err := NewForwarder(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(f.CloseIdleConnections)
	return f
}

var testEvent = Event{
	SocketID:    "s1",
	UserID:      "u1",
	Namespace:   "/chat",
	Name:        "message",
	Args:        json.RawMessage(`["hi",{"_placeholder":true,"num":0}]`),
	Attachments: [][]byte{[]byte("bin")},
	WantsAck:    true,
}

func TestNewForwarderChecksConfig(t *testing.T) {
	for _, cfg := range []ForwarderConfig{
		{URL: ""},
		{URL: "ftp://x/"},
		{URL: "http:///path"},
		{URL: "http://x/", Headers: map[string]string{"Bad Name": "v"}},
		{URL: "http://x/", Headers: map[string]string{"X-A": "v\r\nX-B: w"}},
	} {
		if _, err := NewForwarder(cfg); err == nil {
			t.Errorf("NewForwarder(%+v) accepted", cfg)
		}
	}
}

func TestForwardRequestShape(t *testing.T) {
	s := newServer(t, nil)
	f := newForwarder(t, ForwarderConfig{URL: s.URL + "/events", Headers: map[string]string{"Authorization": "Bearer k"}})
	if _, err := f.Forward(context.Background(), testEvent); err != nil {
		t.Fatal(err)
	}
	r := s.requests()[0]
	want := `{"socket_id":"s1","user_id":"u1","namespace":"/chat","event":"message",` +
		`"args":["hi",{"_placeholder":true,"num":0}],"attachments":["Ymlu"],"ack":true}`
	if string(r.Body) != want {
		t.Errorf("body\n got %s\nwant %s", r.Body, want)
	}
	for k, v := range map[string]string{
		"Content-Type":   "application/json",
		"X-Herald-Event": "message",
		"Authorization":  "Bearer k",
	} {
		if got := r.Header.Get(k); got != v {
			t.Errorf("header %s = %q, want %q", k, got, v)
		}
	}
}

func TestForwardEscapesEventHeader(t *testing.T) {
	s := newServer(t, nil)
	f := newForwarder(t, ForwarderConfig{URL: s.URL})
	ev := testEvent
	ev.Name = "evil\r\nX-Injected: 1"
	if _, err := f.Forward(context.Background(), ev); err != nil {
		t.Fatal(err)
	}
	r := s.requests()[0]
	if got := r.Header.Get("X-Herald-Event"); got != "evil%0D%0AX-Injected:%201" {
		t.Errorf("X-Herald-Event %q", got)
	}
	if r.Header.Get("X-Injected") != "" {
		t.Error("header injected")
	}
}

func TestForwardReplies(t *testing.T) {
	for _, c := range []struct {
		status    int
		body      string
		wantBody  string
		emptyBody bool
	}{
		{200, `{"ok":true,"n":[1,2]}`, `{"ok":true,"n":[1,2]}`, false},
		{201, `"created"`, `"created"`, false},
		{200, "", "", true},
		{204, "", "", true},
	} {
		s := newServer(t, reply(c.status, c.body))
		f := newForwarder(t, ForwarderConfig{URL: s.URL})
		r, err := f.Forward(context.Background(), testEvent)
		if err != nil {
			t.Fatalf("%d %q: %v", c.status, c.body, err)
		}
		if r.Status != c.status || string(r.Body) != c.wantBody || (r.Body == nil) != c.emptyBody {
			t.Errorf("%d %q: got %+v", c.status, c.body, r)
		}
	}
}

func TestForwardStatusErrors(t *testing.T) {
	s := newServer(t, reply(500, `{"message":"secret stack trace"}`))
	f := newForwarder(t, ForwarderConfig{URL: s.URL})
	_, err := f.Forward(context.Background(), testEvent)
	e := code(t, err)
	if e.Code != CodeStatus || e.Status != 500 || strings.Contains(e.Message, "secret") {
		t.Fatalf("500: %+v", e)
	}

	s = newServer(t, reply(403, `{"message":"not in this room","data":{"room":"r1"}}`))
	f = newForwarder(t, ForwarderConfig{URL: s.URL})
	_, err = f.Forward(context.Background(), testEvent)
	e = code(t, err)
	got, _ := json.Marshal(e.AckPayload())
	want := `{"error":{"code":"backend_status","data":{"room":"r1"},"message":"not in this room","status":403}}`
	if string(got) != want {
		t.Fatalf("ack payload\n got %s\nwant %s", got, want)
	}
}

func TestForwardTimeout(t *testing.T) {
	s := newServer(t, func(w http.ResponseWriter, r *http.Request, _ int64) {
		select {
		case <-r.Context().Done():
		case <-time.After(5 * time.Second):
		}
	})
	const (
		timeout = 200 * time.Millisecond
		slack   = 300 * time.Millisecond // scheduling on a loaded CI machine
	)
	f := newForwarder(t, ForwarderConfig{URL: s.URL, Timeout: timeout})
	start := time.Now()
	_, err := f.Forward(context.Background(), testEvent)
	took := time.Since(start)
	if e := code(t, err); e.Code != CodeTimeout {
		t.Fatalf("code %s", e.Code)
	}
	if took < timeout || took > timeout+slack {
		t.Fatalf("timed out after %v, want about %v", took, timeout)
	}
	if st := f.Stats(); st.Timeouts != 1 || st.Failed != 1 || st.Sent != 1 || st.InFlight != 0 {
		t.Fatalf("stats %+v", st)
	}
}

func TestForwardContextDeadlineCutsRequest(t *testing.T) {
	s := newServer(t, func(w http.ResponseWriter, r *http.Request, _ int64) {
		<-r.Context().Done()
	})
	f := newForwarder(t, ForwarderConfig{URL: s.URL, Timeout: 5 * time.Second, Breaker: BreakerConfig{Failures: 1}})
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := f.Forward(ctx, testEvent)
	if e := code(t, err); e.Code != CodeTimeout || time.Since(start) > 2*time.Second {
		t.Fatalf("%v after %v", e, time.Since(start))
	}
	// The caller's short deadline says nothing about the backend.
	if st := f.Stats(); st.Breaker != BreakerClosed {
		t.Fatalf("breaker %v after a caller-side deadline", st.Breaker)
	}
}

func TestForwardBackendDown(t *testing.T) {
	f := newForwarder(t, ForwarderConfig{URL: closedURL(t), Timeout: 10 * time.Second})
	start := time.Now()
	_, err := f.Forward(context.Background(), testEvent)
	e := code(t, err)
	if e.Code != CodeUnavailable || e.Status != 0 {
		t.Fatalf("%+v", e)
	}
	if time.Since(start) > 2*time.Second {
		t.Fatalf("refused connection took %v", time.Since(start))
	}
	if got, _ := json.Marshal(e.AckPayload()); string(got) != `{"error":{"code":"backend_unavailable","message":"backend unavailable"}}` {
		t.Fatalf("ack payload %s", got)
	}
}

func TestForwardServerDropsConnection(t *testing.T) {
	s := newServer(t, func(w http.ResponseWriter, r *http.Request, _ int64) {
		c, _, err := w.(http.Hijacker).Hijack()
		if err == nil {
			c.Close()
		}
	})
	f := newForwarder(t, ForwarderConfig{URL: s.URL})
	_, err := f.Forward(context.Background(), testEvent)
	if e := code(t, err); e.Code != CodeUnavailable {
		t.Fatalf("%+v", e)
	}
}

func TestForwardBreakerFailsFast(t *testing.T) {
	const slow = 300 * time.Millisecond
	s := newServer(t, func(w http.ResponseWriter, r *http.Request, _ int64) {
		time.Sleep(slow)
		w.WriteHeader(503)
	})
	f := newForwarder(t, ForwarderConfig{URL: s.URL, Breaker: BreakerConfig{Failures: 3, Cooldown: time.Hour}})
	for range 3 {
		if e := code(t, errOf(f.Forward(context.Background(), testEvent))); e.Code != CodeStatus {
			t.Fatalf("%+v", e)
		}
	}
	start := time.Now()
	for range 10 {
		e := code(t, errOf(f.Forward(context.Background(), testEvent)))
		if e.Code != CodeUnavailable || !errors.Is(e, errBreakerOpen) {
			t.Fatalf("%+v", e)
		}
	}
	if d := time.Since(start); d > slow {
		t.Fatalf("10 calls on an open breaker took %v, one call to the backend %v", d, slow)
	}
	if n := s.hits.Load(); n != 3 {
		t.Fatalf("%d requests reached the backend, want 3", n)
	}
	st := f.Stats()
	if st.Breaker != BreakerOpen || st.Rejected != 10 || st.Sent != 3 || st.BreakerOpens != 1 {
		t.Fatalf("stats %+v", st)
	}
}

func errOf(_ Reply, err error) error { return err }

func TestForwardFourHundredsKeepBreakerClosed(t *testing.T) {
	s := newServer(t, reply(404, `{}`))
	f := newForwarder(t, ForwarderConfig{URL: s.URL, Breaker: BreakerConfig{Failures: 2}})
	for range 10 {
		f.Forward(context.Background(), testEvent)
	}
	if n := s.hits.Load(); n != 10 || f.Stats().Breaker != BreakerClosed {
		t.Fatalf("hits %d, breaker %v", n, f.Stats().Breaker)
	}
}

func TestForwardBreakerHalfOpenRecovery(t *testing.T) {
	var healthy atomic.Bool
	release := make(chan struct{})
	var hold atomic.Bool
	s := newServer(t, func(w http.ResponseWriter, r *http.Request, _ int64) {
		if hold.Load() {
			<-release
		}
		if healthy.Load() {
			io.WriteString(w, `{"ok":1}`)
			return
		}
		w.WriteHeader(500)
	})
	const cooldown = 100 * time.Millisecond
	f := newForwarder(t, ForwarderConfig{URL: s.URL, Breaker: BreakerConfig{Failures: 2, Cooldown: cooldown}})
	ctx := context.Background()
	f.Forward(ctx, testEvent)
	f.Forward(ctx, testEvent)
	if f.Stats().Breaker != BreakerOpen {
		t.Fatal("breaker not open")
	}

	// A failed trial reopens it.
	time.Sleep(cooldown)
	if e := code(t, errOf(f.Forward(ctx, testEvent))); e.Code != CodeStatus {
		t.Fatalf("trial: %+v", e)
	}
	if e := code(t, errOf(f.Forward(ctx, testEvent))); e.Code != CodeUnavailable {
		t.Fatalf("after failed trial: %+v", e)
	}

	// One trial at a time; its success closes the breaker.
	time.Sleep(cooldown)
	healthy.Store(true)
	hold.Store(true)
	hitsBefore := s.hits.Load()
	trial := make(chan error, 1)
	go func() { trial <- errOf(f.Forward(ctx, testEvent)) }()
	eventually(t, "the trial to reach the backend", func() bool { return s.hits.Load() == hitsBefore+1 })
	if e := code(t, errOf(f.Forward(ctx, testEvent))); e.Code != CodeUnavailable {
		t.Fatalf("second request during the trial: %+v", e)
	}
	close(release)
	if err := <-trial; err != nil {
		t.Fatalf("trial: %v", err)
	}
	hold.Store(false)
	for range 5 {
		if _, err := f.Forward(ctx, testEvent); err != nil {
			t.Fatal(err)
		}
	}
	if st := f.Stats(); st.Breaker != BreakerClosed || st.BreakerOpens != 2 {
		t.Fatalf("stats %+v", st)
	}
}

func TestForwardMaxInFlightBackPressure(t *testing.T) {
	release := make(chan struct{})
	var cur, peak atomic.Int64
	s := newServer(t, func(w http.ResponseWriter, r *http.Request, _ int64) {
		n := cur.Add(1)
		for p := peak.Load(); n > p && !peak.CompareAndSwap(p, n); p = peak.Load() {
		}
		<-release
		cur.Add(-1)
		io.WriteString(w, `{}`)
	})
	f := newForwarder(t, ForwarderConfig{URL: s.URL, MaxInFlight: 2})
	var wg sync.WaitGroup
	for range 2 {
		wg.Go(func() {
			if _, err := f.Forward(context.Background(), testEvent); err != nil {
				t.Error(err)
			}
		})
	}
	eventually(t, "two requests in flight", func() bool { return cur.Load() == 2 })

	// The third gives up when its context ends...
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	_, err := f.Forward(ctx, testEvent)
	cancel()
	if e := code(t, err); e.Code != CodeBusy || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("%+v", e)
	}
	// ...or waits for a slot.
	third := make(chan error, 1)
	go func() { third <- errOf(f.Forward(context.Background(), testEvent)) }()
	time.Sleep(50 * time.Millisecond)
	select {
	case err := <-third:
		t.Fatalf("third request did not wait: %v", err)
	default:
	}
	if n := s.hits.Load(); n != 2 {
		t.Fatalf("%d requests reached the backend, want 2", n)
	}
	close(release)
	if err := <-third; err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	if p := peak.Load(); p != 2 {
		t.Fatalf("peak concurrency %d", p)
	}
	if st := f.Stats(); st.Busy != 1 || st.OK != 3 || st.InFlight != 0 {
		t.Fatalf("stats %+v", st)
	}
}

func TestForwardCancelledContextIsNotSent(t *testing.T) {
	s := newServer(t, nil)
	f := newForwarder(t, ForwarderConfig{URL: s.URL})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if e := code(t, errOf(f.Forward(ctx, testEvent))); e.Code != CodeBusy {
		t.Fatalf("%+v", e)
	}
	if s.hits.Load() != 0 {
		t.Fatal("request sent")
	}
}

func TestForwardHostileAnswers(t *testing.T) {
	big := `{"pad":"` + strings.Repeat("x", 4096) + `"}`
	for name, h := range map[string]func(http.ResponseWriter, *http.Request, int64){
		"oversized":     reply(200, big),
		"not json":      reply(200, `<html>oops</html>`),
		"truncated":     reply(200, `{"a":`),
		"trailing junk": reply(200, `{} {}`),
		"chunked oversized": func(w http.ResponseWriter, _ *http.Request, _ int64) {
			for range 8 {
				io.WriteString(w, strings.Repeat(" ", 1024))
				w.(http.Flusher).Flush()
			}
		},
	} {
		t.Run(name, func(t *testing.T) {
			s := newServer(t, h)
			f := newForwarder(t, ForwarderConfig{URL: s.URL, MaxBody: 2048})
			_, err := f.Forward(context.Background(), testEvent)
			if e := code(t, err); e.Code != CodeInvalid {
				t.Fatalf("%+v", e)
			}
			if f.Stats().Breaker != BreakerClosed {
				t.Fatal("an answering backend tripped the breaker")
			}
		})
	}
}

// rawServer answers every connection with the bytes of answer, then
// keeps it open until the test ends.
func rawServer(t *testing.T, answer string) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	t.Cleanup(func() { close(done); l.Close() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				buf := make([]byte, 4096)
				c.Read(buf)
				io.WriteString(c, answer)
				<-done
			}()
		}
	}()
	return "http://" + l.Addr().String() + "/"
}

func TestForwardNeverHangs(t *testing.T) {
	for name, answer := range map[string]string{
		"short body":   "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n{}",
		"half headers": "HTTP/1.1 200 OK\r\nContent-Le",
		"nothing":      "",
	} {
		t.Run(name, func(t *testing.T) {
			const timeout = 150 * time.Millisecond
			f := newForwarder(t, ForwarderConfig{URL: rawServer(t, answer), Timeout: timeout})
			start := time.Now()
			_, err := f.Forward(context.Background(), testEvent)
			if e := code(t, err); e.Code != CodeTimeout {
				t.Fatalf("%+v", e)
			}
			if d := time.Since(start); d > timeout+300*time.Millisecond {
				t.Fatalf("took %v", d)
			}
		})
	}
}

func TestForwardGarbageAnswer(t *testing.T) {
	f := newForwarder(t, ForwarderConfig{URL: rawServer(t, "SSH-2.0-OpenSSH\r\n\r\n"), Timeout: time.Second})
	_, err := f.Forward(context.Background(), testEvent)
	if e := code(t, err); e.Code != CodeUnavailable && e.Code != CodeTimeout {
		t.Fatalf("%+v", e)
	}
}

func TestForwardInvalidEvent(t *testing.T) {
	s := newServer(t, nil)
	f := newForwarder(t, ForwarderConfig{URL: s.URL})
	for _, args := range []string{`{"a":1}`, `[1,`, `[1] x`} {
		ev := testEvent
		ev.Args = json.RawMessage(args)
		if _, err := f.Forward(context.Background(), ev); !errors.Is(err, ErrInvalidEvent) {
			t.Errorf("args %s: %v", args, err)
		}
	}
	if s.hits.Load() != 0 {
		t.Fatal("invalid event sent")
	}
}

func TestForwardReusesConnections(t *testing.T) {
	var conns atomic.Int64
	s := newServer(t, nil, func(hs *http.Server) {
		hs.ConnState = func(_ net.Conn, st http.ConnState) {
			if st == http.StateNew {
				conns.Add(1)
			}
		}
	})
	f := newForwarder(t, ForwarderConfig{URL: s.URL})
	for range 50 {
		if _, err := f.Forward(context.Background(), testEvent); err != nil {
			t.Fatal(err)
		}
	}
	if n := conns.Load(); n != 1 {
		t.Fatalf("%d connections for 50 sequential requests", n)
	}
}

func TestForwardConcurrent(t *testing.T) {
	s := newServer(t, func(w http.ResponseWriter, r *http.Request, n int64) {
		if n%3 == 0 {
			w.WriteHeader(500)
			return
		}
		io.WriteString(w, `{"n":1}`)
	})
	f := newForwarder(t, ForwarderConfig{URL: s.URL, MaxInFlight: 8, Breaker: BreakerConfig{Failures: -1}})
	var wg sync.WaitGroup
	for range 16 {
		wg.Go(func() {
			for range 20 {
				f.Forward(context.Background(), testEvent)
			}
		})
	}
	wg.Wait()
	st := f.Stats()
	if st.Sent != 320 || st.OK+st.Failed != 320 || st.InFlight != 0 {
		t.Fatalf("stats %+v", st)
	}
}

func TestForwardOversizedErrorPage(t *testing.T) {
	s := newServer(t, reply(502, strings.Repeat("<p>proxy error</p>", 1000)))
	f := newForwarder(t, ForwarderConfig{URL: s.URL, MaxBody: 1024, Breaker: BreakerConfig{Failures: 1}})
	_, err := f.Forward(context.Background(), testEvent)
	if e := code(t, err); e.Code != CodeStatus || e.Status != 502 {
		t.Fatalf("%+v", e)
	}
	if f.Stats().Breaker != BreakerOpen {
		t.Fatal("a 502 did not count as a failure")
	}
}
