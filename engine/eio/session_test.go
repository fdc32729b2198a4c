package eio

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/gobwas/ws"
)

func TestSessionRequest(t *testing.T) {
	t.Parallel()
	ts := startServer(t, Config{})
	rc := ts.dialRaw()
	rc.send("GET " + ts.path + "?EIO=4&transport=polling&token=a%20b&x=1&x=2 HTTP/1.1\r\nHost: example\r\n" +
		"User-Agent: eio-test\r\nX-Multi: one\r\nX-Multi: two\r\n\r\n")
	if resp, _ := rc.response(); resp.StatusCode != 200 {
		t.Fatalf("status %d", resp.StatusCode)
	}
	s := ts.h.waitOpen(t)
	r := s.Request()
	if r.Method() != "GET" || r.URL() != ts.path+"?EIO=4&transport=polling&token=a%20b&x=1&x=2" {
		t.Fatalf("Method %q URL %q", r.Method(), r.URL())
	}
	if r.Header("user-agent") != "eio-test" || r.Header("Host") != "example" || r.Header("X-Missing") != "" {
		t.Fatalf("Header: %q %q", r.Header("user-agent"), r.Header("Host"))
	}
	if r.Header("X-Multi") != "one" {
		t.Fatalf("Header(X-Multi) %q, want the first value", r.Header("X-Multi"))
	}
	if h := r.Headers(); len(h["X-Multi"]) != 2 || h.Get("User-Agent") != "eio-test" {
		t.Fatalf("Headers %v", h)
	}
	q := r.Query()
	if q.Get("token") != "a b" || len(q["x"]) != 2 || q.Get("EIO") != "4" {
		t.Fatalf("Query %v", q)
	}
	if r.QueryValue("token") != "a b" || r.QueryValue("nope") != "" || r.QueryValue("x") != "1" {
		t.Fatalf("QueryValue %q", r.QueryValue("token"))
	}
	if r.RemoteAddr().String() != rc.c.LocalAddr().String() {
		t.Fatalf("RemoteAddr %v, client %v", r.RemoteAddr(), rc.c.LocalAddr())
	}
	if d := time.Since(r.Time()); d < 0 || d > waitTimeout {
		t.Fatalf("Time %v", r.Time())
	}
	// The request of a WebSocket session is its upgrade request.
	c, err := ts.dialWS("transport=websocket&k=v", http.Header{"X-Ws": {"yes"}})
	if err != nil {
		t.Fatal(err)
	}
	parseOpen(t, c.readText())
	s2 := ts.h.waitOpen(t)
	if s2.Request().Header("X-Ws") != "yes" || s2.Request().QueryValue("k") != "v" || s2.Request().Header("Upgrade") != "websocket" {
		t.Fatalf("ws request headers %v", s2.Request().Headers())
	}
	if s2.Request().RemoteAddr().String() != c.conn.LocalAddr().String() {
		t.Fatalf("RemoteAddr %v", s2.Request().RemoteAddr())
	}
}

func TestSessionContextAndLoop(t *testing.T) {
	t.Parallel()
	h := newRecorder()
	type ctxKey struct{ n int }
	h.onOpen = func(s *Session) { s.SetContext(&ctxKey{42}) }
	got := make(chan any, 1)
	h.onMessage = func(s *Session, _ []byte, _ bool) { got <- s.Context() }
	ts := startServer(t, Config{Handler: h})
	c, _, s := ts.openWS()
	c.sendText("4x")
	if v := <-got; v.(*ctxKey).n != 42 {
		t.Fatalf("Context %v", v)
	}
	l := s.Loop()
	found := false
	for _, ll := range ts.r.Loops() {
		found = found || ll == l
	}
	if !found || l.Index() < 0 || l.Index() >= len(ts.r.Loops()) {
		t.Fatalf("Loop %d not among the reactor's loops", l.Index())
	}
}

// TestSessionSendOrder sends 1,000 messages from another goroutine, text and
// binary mixed, and checks that they arrive in order, on each transport.
func TestSessionSendOrder(t *testing.T) {
	t.Parallel()
	const n = 1000
	send := func(s *Session) {
		for i := 0; i < n; i++ {
			switch i % 3 {
			case 0:
				s.SendText([]byte(fmt.Sprint(i)))
			case 1:
				s.SendBinary([]byte(fmt.Sprint(i)))
			default:
				s.Send(NewTextMessage([]byte(fmt.Sprint(i))))
			}
		}
	}
	wantWS := func(t *testing.T, c *wsClient) {
		for i := 0; i < n; i++ {
			op, p := c.read()
			wantOp, want := ws.OpText, fmt.Sprint("4", i)
			if i%3 == 1 {
				wantOp, want = ws.OpBinary, fmt.Sprint(i)
			}
			if op != wantOp || string(p) != want {
				t.Fatalf("message %d: %v %q, want %v %q", i, op, p, wantOp, want)
			}
		}
	}
	t.Run("websocket", func(t *testing.T) {
		t.Parallel()
		ts := startServer(t, Config{})
		c, _, s := ts.openWS()
		go send(s)
		wantWS(t, c)
	})
	t.Run("polling", func(t *testing.T) {
		t.Parallel()
		ts := startServer(t, Config{}, ReactorConfig{Loops: 3})
		sid, s := ts.openPolling()
		go send(s)
		i := 0
		for i < n {
			res := ts.get(ts.pollURL(sid))
			if res.status != 200 {
				t.Fatalf("GET %d %q", res.status, res.body)
			}
			for _, p := range splitPayload(res.body) {
				want := fmt.Sprint("4", i)
				if i%3 == 1 {
					want = "b" + b64(fmt.Sprint(i))
				}
				if p != want {
					t.Fatalf("packet %d: %q, want %q", i, p, want)
				}
				i++
			}
		}
	})
	t.Run("upgraded, probe on another loop", func(t *testing.T) {
		t.Parallel()
		ts := startServer(t, Config{}, ReactorConfig{Loops: 4})
		sid, s := ts.openPolling()
		c := ts.wsUpgrade(sid)
		waitFor(t, func() bool { return s.Transport() == WebSocket }, "upgrade")
		go send(s)
		wantWS(t, c)
	})
	t.Run("concurrent senders keep their own order", func(t *testing.T) {
		t.Parallel()
		ts := startServer(t, Config{})
		c, _, s := ts.openWS()
		var wg sync.WaitGroup
		for g := 0; g < 4; g++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := 0; i < 250; i++ {
					s.SendText(fmt.Appendf(nil, "%d:%d", g, i))
				}
			}()
		}
		next := make([]int, 4)
		for k := 0; k < 1000; k++ {
			var g, i int
			if _, err := fmt.Sscanf(c.readText(), "4%d:%d", &g, &i); err != nil {
				t.Fatal(err)
			}
			if i != next[g] {
				t.Fatalf("sender %d: got %d, want %d", g, i, next[g])
			}
			next[g]++
		}
		wg.Wait()
	})
}

func splitPayload(body string) []string {
	var out []string
	start := 0
	for i := 0; i < len(body); i++ {
		if body[i] == 0x1e {
			out = append(out, body[start:i])
			start = i + 1
		}
	}
	return append(out, body[start:])
}

func TestSessionSharedMessage(t *testing.T) {
	t.Parallel()
	ts := startServer(t, Config{}, ReactorConfig{Loops: 3})
	var b MessageBuilder
	m := b.Text(4, []byte("all")).Binary([]byte{1, 2}).Message()
	if got := string(m.Polling()); got != "4all\x1ebAQI=" {
		t.Fatalf("Polling %q", got)
	}
	c1, _, s1 := ts.openWS()
	c2, _, s2 := ts.openWS()
	sid, s3 := ts.openPolling()
	for _, s := range []*Session{s1, s2, s3} {
		s.Send(m)
	}
	for _, c := range []*wsClient{c1, c2} {
		c.expectText("4all")
		if op, p := c.read(); op != ws.OpBinary || string(p) != "\x01\x02" {
			t.Fatalf("got %v %q", op, p)
		}
	}
	if res := ts.get(ts.pollURL(sid)); res.body != "4all\x1ebAQI=" {
		t.Fatalf("GET %q", res.body)
	}
}

func TestMessageForms(t *testing.T) {
	t.Parallel()
	m := NewTextMessage([]byte("hi"))
	if string(m.Frames()) != "\x81\x034hi" || string(m.Polling()) != "4hi" || m.Packets() != 1 || m.Len() != 5 {
		t.Fatalf("text: %q %q", m.Frames(), m.Polling())
	}
	m = NewBinaryMessage([]byte{1, 2, 3})
	if string(m.Frames()) != "\x82\x03\x01\x02\x03" || string(m.Polling()) != "bAQID" {
		t.Fatalf("binary: %q %q", m.Frames(), m.Polling())
	}
	var b MessageBuilder
	m = b.Grow(10).Text(4, []byte("a")).Text(2, nil).Binary(nil).Message()
	if string(m.Frames()) != "\x81\x024a\x81\x012\x82\x00" || string(m.Polling()) != "4a\x1e2\x1eb" || m.Packets() != 3 {
		t.Fatalf("built: %q %q", m.Frames(), m.Polling())
	}
	// The builder is reset.
	if m2 := b.Text(4, []byte("z")).Message(); string(m2.Polling()) != "4z" {
		t.Fatalf("reused builder: %q", m2.Polling())
	}
	// Polling is safe to call concurrently.
	m = b.Binary([]byte("concurrent")).Message()
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if string(m.Polling()) != "bY29uY3VycmVudA==" {
				t.Error("Polling")
			}
		}()
	}
	wg.Wait()
}

func TestSessionClose(t *testing.T) {
	t.Parallel()
	t.Run("websocket", func(t *testing.T) {
		t.Parallel()
		ts := startServer(t, Config{})
		c, _, s := ts.openWS()
		s.SendText([]byte("last words"))
		s.Close()
		c.expectText("4last words")
		c.expectClose(ws.StatusNormalClosure)
		ts.h.expectClosed(t, s) // reason: see TestBug_WebSocketCloseReason
		if !s.Closed() {
			t.Fatal("Closed() false")
		}
		// Sending to a closed session is a no-op.
		s.SendText([]byte("void"))
		s.Close()
		ts.h.noClose(t, 20*time.Millisecond)
	})
	t.Run("polling with a pending GET", func(t *testing.T) {
		t.Parallel()
		ts := startServer(t, Config{})
		sid, s := ts.openPolling()
		poll := ts.asyncGet(ts.pollURL(sid))
		waitHeld(t, s)
		s.Close()
		if res := recvResult(t, poll); res.status != 200 || res.body != "1" {
			t.Fatalf("GET %d %q", res.status, res.body)
		}
		ts.h.expectClose(t, s, ReasonForcedClose)
		checkJSONError(t, ts.get(ts.pollURL(sid)), 400, CodeUnknownSID, "Session ID unknown")
	})
	t.Run("polling without a pending GET", func(t *testing.T) {
		t.Parallel()
		ts := startServer(t, Config{})
		sid, s := ts.openPolling()
		s.SendText([]byte("queued"))
		s.Close()
		onLoop(t, s.Loop(), func() {})
		// The close packet waits for the next GET, after what was queued.
		ts.expectPoll(sid, 200, "4queued\x1e1")
		// (OnClose timing: see TestBug_PollingForcedCloseLingers.)
	})
	t.Run("CloseFrom on the home loop", func(t *testing.T) {
		t.Parallel()
		h := newRecorder()
		h.onMessage = func(s *Session, data []byte, _ bool) {
			if string(data) == "close me" {
				s.CloseFrom(s.Loop(), "custom reason")
			}
		}
		ts := startServer(t, Config{Handler: h})
		sid, s := ts.openPolling()
		poll := ts.asyncGet(ts.pollURL(sid))
		waitHeld(t, s)
		ts.post(ts.pollURL(sid), "4close me")
		if res := recvResult(t, poll); res.status != 200 || res.body != "1" {
			t.Fatalf("GET %d %q", res.status, res.body)
		}
		ts.h.expectClose(t, s, "custom reason")
	})
	t.Run("CloseAll", func(t *testing.T) {
		t.Parallel()
		ts := startServer(t, Config{})
		sid, s := ts.openPolling()
		poll := ts.asyncGet(ts.pollURL(sid))
		waitHeld(t, s)
		ts.srv.CloseAll(ReasonForcedClose)
		if res := recvResult(t, poll); res.body != "1" {
			t.Fatalf("GET %q", res.body)
		}
		ts.h.expectClose(t, s, ReasonForcedClose)
	})
}

func TestShutdown(t *testing.T) {
	t.Parallel()
	ts := startServer(t, Config{}, ReactorConfig{Loops: 2})
	c, _, wsSess := ts.openWS()
	sid, pollSess := ts.openPolling()
	poll := ts.asyncGet(ts.pollURL(sid))
	waitHeld(t, pollSess)
	addr := ts.r.Addr()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	start := time.Now()
	if err := ts.r.Shutdown(ctx); err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Fatalf("Shutdown took %v with every session able to close at once", d)
	}
	select {
	case <-ts.r.Done():
	default:
		t.Fatal("Done not closed after Shutdown")
	}
	// The polling client got the close packet, the WebSocket a close frame.
	if res := recvResult(t, poll); res.status != 200 || res.body != "1" {
		t.Fatalf("GET %d %q", res.status, res.body)
	}
	c.expectClose(ws.StatusNormalClosure)
	got := map[*Session]string{}
	for i := 0; i < 2; i++ {
		ev := ts.h.waitClose(t)
		got[ev.s] = ev.reason
	}
	if got[pollSess] != ReasonServerShutdown {
		t.Fatalf("polling session closed with %q", got[pollSess])
	}
	if _, ok := got[wsSess]; !ok {
		t.Fatal("no OnClose for the WebSocket session") // reason: see TestBug_WebSocketCloseReason
	}
	if ts.srv.SessionCount() != 0 || ts.r.ConnCount() != 0 {
		t.Fatalf("sessions %d conns %d", ts.srv.SessionCount(), ts.r.ConnCount())
	}
	// Addr stays readable; the port is closed.
	if ts.r.Addr().String() != addr.String() {
		t.Fatalf("Addr %v after Shutdown", ts.r.Addr())
	}
	if conn, err := net.DialTimeout("tcp", addr.String(), time.Second); err == nil {
		conn.Close()
		t.Fatal("still accepting connections")
	}
	// A second Shutdown returns at once.
	if err := ts.r.Shutdown(context.Background()); err != nil {
		t.Fatalf("second Shutdown: %v", err)
	}
}

func TestReactorLifecycle(t *testing.T) {
	t.Parallel()
	// Addr is nil before Start.
	r := NewReactor(ReactorConfig{Logger: discardLogger})
	if r.Addr() != nil {
		t.Fatalf("Addr before Start: %v", r.Addr())
	}
	if len(r.Loops()) != 0 || r.ConnCount() != 0 || r.SlowConsumers() != 0 {
		t.Fatal("counters of a new reactor")
	}
	// Start needs a server.
	if err := r.Start("127.0.0.1:0"); err == nil {
		t.Fatal("Start without a mounted server succeeded")
	}
	// Start reports a listen error, and the reactor is then done.
	ts := startServer(t, Config{})
	srv, _ := NewServer(Config{Handler: newRecorder()})
	r2 := NewReactor(ReactorConfig{Logger: discardLogger})
	r2.Mount("/", srv)
	if err := r2.Start(ts.addr); err == nil {
		// SO_REUSEPORT may let both bind; then it must work.
		shutdownInBackground(r2)
	} else {
		select {
		case <-r2.Done():
		case <-time.After(waitTimeout):
			t.Fatal("Done not closed after a failed Start")
		}
		if err := r2.Shutdown(context.Background()); err != nil {
			t.Logf("Shutdown after failed Start: %v", err)
		}
	}
	// Loops are counted once they serve a connection.
	ts.openPolling()
	if len(ts.r.Loops()) == 0 {
		t.Fatal("no loop after a connection")
	}
}

func TestConfig(t *testing.T) {
	t.Parallel()
	h := newRecorder()
	srv, err := NewServer(Config{Handler: h})
	if err != nil {
		t.Fatal(err)
	}
	cfg := srv.Config()
	if cfg.PingInterval != 25*time.Second || cfg.PingTimeout != 20*time.Second || cfg.UpgradeTimeout != 10*time.Second ||
		cfg.MaxPayload != 1e6 || len(cfg.Transports) != 2 || cfg.Handler != h {
		t.Fatalf("defaults %+v", cfg)
	}
	for name, bad := range map[string]Config{
		"no handler":         {},
		"negative interval":  {Handler: h, PingInterval: -1},
		"negative timeout":   {Handler: h, PingTimeout: -1},
		"negative upgrade":   {Handler: h, UpgradeTimeout: -1},
		"negative payload":   {Handler: h, MaxPayload: -1},
		"no transport":       {Handler: h, Transports: []string{}},
		"unknown transport":  {Handler: h, Transports: []string{"polling", "webtransport"}},
		"misspelt transport": {Handler: h, Transports: []string{"Polling"}},
	} {
		if _, err := NewServer(bad); !errors.Is(err, ErrConfig) {
			t.Errorf("%s: err %v, want ErrConfig", name, err)
		}
	}
}

func TestLoopPost(t *testing.T) {
	t.Parallel()
	ts := startServer(t, Config{})
	_, s := ts.openPolling()
	l := s.Loop()
	const n = 1000
	got := make(chan int, n)
	onLoop := make(chan bool, 1)
	go func() {
		for i := 0; i < n; i++ {
			l.Post(TaskFunc(func(ll *Loop) {
				if i == 0 {
					onLoop <- ll == l
				}
				got <- i
			}))
		}
	}()
	if !<-onLoop {
		t.Fatal("task ran with another loop")
	}
	for i := 0; i < n; i++ {
		select {
		case v := <-got:
			if v != i {
				t.Fatalf("task %d ran as %d", i, v)
			}
		case <-time.After(waitTimeout):
			t.Fatal("tasks did not run")
		}
	}
	// Deliver from another loop goes through the mailbox.
	c, _, ws := ts.openWS()
	for _, other := range ts.r.Loops() {
		other.Post(TaskFunc(func(ll *Loop) { ws.Deliver(ll, NewTextMessage([]byte("from a loop"))) }))
	}
	for range ts.r.Loops() {
		c.expectText("4from a loop")
	}
}

// b64 is the standard base64 encoding of s.
func b64(s string) string {
	return string(NewBinaryMessage([]byte(s)).Polling()[1:])
}
