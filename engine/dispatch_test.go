package engine

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/heraldrt/herald/engine/eio"
)

// TestEventOrderBurst checks that a burst of 2000 events from one client
// reaches its handlers in order, one at a time, in both handler modes.
func TestEventOrderBurst(t *testing.T) {
	const n = 2000
	for _, mode := range handlerModes {
		t.Run(mode.name, func(t *testing.T) {
			ts := startServer(t, Config{InlineHandlers: mode.inline, MaxPendingEvents: 2 * n, Workers: 8})
			var mu sync.Mutex
			var got []int
			var running, overlap atomic.Int32
			done := make(chan struct{})
			ts.io.Of("/").On("n", func(e *Event) {
				if running.Add(1) > 1 {
					overlap.Add(1)
				}
				var i int
				_ = e.Args.Decode(0, &i)
				mu.Lock()
				got = append(got, i)
				if len(got) == n {
					close(done)
				}
				mu.Unlock()
				running.Add(-1)
			})
			c := ts.ws()
			c.connect("/")
			// One write for the whole burst, so the loop parses it in
			// one go.
			var frames []byte
			for i := range n {
				frames = append(frames, wsClientFrame(fmt.Sprintf(`42["n",%d]`, i))...)
			}
			c.wmu.Lock()
			_, err := c.conn.Write(frames)
			c.wmu.Unlock()
			if err != nil {
				t.Fatal(err)
			}
			recv(t, done, "2000 events")
			mu.Lock()
			defer mu.Unlock()
			for i, v := range got {
				if v != i {
					t.Fatalf("event %d handled as number %d", v, i)
				}
			}
			if overlap.Load() != 0 {
				t.Fatalf("%d handlers overlapped", overlap.Load())
			}
		})
	}
}

// TestBlockingHandlerIsolation checks that a handler blocking on one
// socket delays neither other sockets (even with a single worker left)
// nor that socket's own later acks to other goroutines, and that the
// blocked socket's later events wait their turn.
func TestBlockingHandlerIsolation(t *testing.T) {
	ts := startServer(t, Config{Workers: 2})
	release := make(chan struct{})
	t.Cleanup(func() { close(release) })
	entered := make(chan string, 4)
	ns := ts.io.Of("/")
	ns.On("block", func(e *Event) {
		entered <- e.Socket().ID()
		<-release
		_ = e.Ack("unblocked")
	})
	ns.On("echo", func(e *Event) { _ = e.Ack(e.Args) })
	ch := socketsOf(ns)
	c1, _ := ts.wsConnect("/", ch)
	c2, _ := ts.wsConnect("/", ch)
	c1.send(`421["block"]`)
	recv(t, entered, "blocking handler")
	c1.send(`422["echo","after"]`)
	for i := range 50 {
		c2.send(fmt.Sprintf(`42%d["echo",%d]`, i, i))
		c2.expectText(fmt.Sprintf(`43%d[%d]`, i, i))
	}
	c1.expectSilence(30 * time.Millisecond)
	release <- struct{}{}
	c1.expectText(`431["unblocked"]`)
	c1.expectText(`432["after"]`)
}

// TestWorkerPoolFairness checks that with one worker, a socket flooding
// events does not starve another socket.
func TestWorkerPoolFairness(t *testing.T) {
	ts := startServer(t, Config{Workers: 1, MaxPendingEvents: 100000})
	ns := ts.io.Of("/")
	var slow atomic.Int32
	ns.On("flood", func(e *Event) { slow.Add(1); time.Sleep(50 * time.Microsecond) })
	ns.On("echo", func(e *Event) { _ = e.Ack() })
	ch := socketsOf(ns)
	c1, _ := ts.wsConnect("/", ch)
	c2, _ := ts.wsConnect("/", ch)
	var frames []byte
	for range 5000 {
		frames = append(frames, wsClientFrame(`42["flood"]`)...)
	}
	c1.wmu.Lock()
	_, _ = c1.conn.Write(frames)
	c1.wmu.Unlock()
	waitFor(t, "the flood to start", func() bool { return slow.Load() > 0 })
	c2.send(`421["echo"]`)
	c2.expectText(`431[]`)
	if n := slow.Load(); n >= 5000 {
		t.Fatalf("the other socket waited for the whole flood (%d)", n)
	}
}

// TestInlineHandlersRunOnLoop checks that inline handlers run before the
// loop moves on: an event's handler has run by the time the connection's
// next packet is handled, and connection handlers see the socket
// connected.
func TestInlineHandlersRunOnLoop(t *testing.T) {
	ts := startServer(t, Config{InlineHandlers: true})
	ns := ts.io.Of("/")
	var count atomic.Int32
	ns.OnConnection(func(s *Socket) {
		if !s.Connected() {
			t.Error("connection handler sees the socket disconnected")
		}
		_ = s.Emit("welcome")
	})
	ns.On("inc", func(e *Event) { count.Add(1) })
	ns.On("get", func(e *Event) { _ = e.Ack(count.Load()) })
	c := ts.ws()
	c.connect("/")
	c.expectText(`42["welcome"]`)
	for range 10 {
		c.send(`42["inc"]`)
	}
	c.send(`421["get"]`)
	c.expectText(`431[10]`)
}

// TestMaxPendingEvents checks that a client whose events pile up behind a
// blocked handler beyond MaxPendingEvents is disconnected.
func TestMaxPendingEvents(t *testing.T) {
	ts := startServer(t, Config{MaxPendingEvents: 8})
	release := make(chan struct{})
	var once sync.Once
	unblock := func() { once.Do(func() { close(release) }) }
	t.Cleanup(unblock)
	entered := make(chan struct{}, 1)
	var handled atomic.Int32
	ns := ts.io.Of("/")
	ns.On("ev", func(e *Event) {
		if handled.Add(1) == 1 {
			entered <- struct{}{}
			<-release
		}
	})
	ch := socketsOf(ns)
	c, s := ts.wsConnect("/", ch)
	reasons := disconnects(s)
	c.send(`42["ev"]`)
	recv(t, entered, "blocked handler")
	for range 8 {
		c.send(`42["ev"]`)
	}
	c.expectSilence(50 * time.Millisecond)
	c.send(`42["ev"]`)
	c.expectClosed()
	unblock()
	expectReason(t, reasons, ReasonForcedServerClose)
	// The queued events still ran, in order, before the disconnect
	// handlers.
	if n := handled.Load(); n != 9 {
		t.Fatalf("%d events handled, want 9", n)
	}

	// The same over polling.
	release2 := make(chan struct{})
	t.Cleanup(func() { close(release2) })
	entered2 := make(chan struct{}, 1)
	var first atomic.Bool
	ns2 := ts.io.Of("/p")
	ns2.On("ev", func(e *Event) {
		if first.CompareAndSwap(false, true) {
			entered2 <- struct{}{}
			<-release2
		}
	})
	ch2 := socketsOf(ns2)
	p, ps := ts.pollConnect("/p", ch2)
	reasons = disconnects(ps)
	p.post(`42/p,["ev"]`)
	recv(t, entered2, "blocked handler")
	held := p.park(ps)
	var body []string
	for range 9 {
		body = append(body, `42/p,["ev"]`)
	}
	p.post(body...)
	if got := recv(t, held, "poll"); len(got) != 1 || string(got[0].data) != "1" {
		t.Fatalf("held GET got %v", got)
	}
	release2 <- struct{}{}
	expectReason(t, reasons, ReasonForcedServerClose)
}

// TestDisconnectReasons checks every disconnect reason the runtime can
// give: client "41", server Disconnect(false) and (true), transport close
// and error, ping timeout, parse error and forced server close, over
// polling (see TestWebSocketDisconnectReasons for WebSocket).
func TestDisconnectReasons(t *testing.T) {
	t.Run("client namespace disconnect", func(t *testing.T) {
		ts := startServer(t, Config{})
		ch := socketsOf(ts.io.Of("/"))
		c, s := ts.wsConnect("/", ch)
		reasons := disconnects(s)
		c.send("41")
		expectReason(t, reasons, ReasonClientNamespaceDisconnect)
		c.expectSilence(30 * time.Millisecond)
		if s.Connected() || ts.io.Of("/").SocketCount() != 0 {
			t.Fatal("socket still connected")
		}
		// The connection can join again.
		c.connect("/")
	})
	t.Run("server namespace disconnect", func(t *testing.T) {
		ts := startServer(t, Config{})
		ch := socketsOf(ts.io.Of("/a"))
		c, s := ts.wsConnect("/a", ch)
		c.connect("/")
		reasons := disconnects(s)
		s.Disconnect(false)
		c.expectText("41/a,")
		expectReason(t, reasons, ReasonServerNamespaceDisconnect)
		c.expectSilence(30 * time.Millisecond)
		// Disconnecting again does nothing.
		s.Disconnect(false)
		c.expectSilence(30 * time.Millisecond)
	})
	t.Run("server disconnect closing the connection", func(t *testing.T) {
		ts := startServer(t, Config{})
		ch := socketsOf(ts.io.Of("/"))
		chA := socketsOf(ts.io.Of("/a"))
		c, s := ts.wsConnect("/", ch)
		c.send("40/a,")
		c.expectConnected("/a")
		sa := recv(t, chA, "connection")
		reasons, reasonsA := disconnects(s), disconnects(sa)
		sa.Disconnect(true)
		c.expectText("41")
		c.expectText("41/a,")
		c.expectOnlyClose()
		expectReason(t, reasons, ReasonServerNamespaceDisconnect)
		expectReason(t, reasonsA, ReasonServerNamespaceDisconnect)
	})
	t.Run("transport close", func(t *testing.T) {
		ts := startServer(t, Config{})
		ch := socketsOf(ts.io.Of("/"))
		c, s := ts.wsConnect("/", ch)
		reasons := disconnects(s)
		c.close()
		expectReason(t, reasons, ReasonTransportClose)
		p, ps := ts.pollConnect("/", ch)
		reasons = disconnects(ps)
		p.post("1")
		expectReason(t, reasons, ReasonTransportClose)
	})
	t.Run("transport error", func(t *testing.T) {
		ts := startServer(t, Config{})
		ch := socketsOf(ts.io.Of("/"))
		p, ps := ts.pollConnect("/", ch)
		reasons := disconnects(ps)
		p.post("2") // a client ping is an invalid heartbeat direction
		expectReason(t, reasons, ReasonTransportError)
	})
	t.Run("ping timeout", func(t *testing.T) {
		ts := startServer(t, Config{Engine: eio.Config{PingInterval: 100 * time.Millisecond, PingTimeout: 100 * time.Millisecond}})
		ch := socketsOf(ts.io.Of("/"))
		p, ps := ts.pollConnect("/", ch)
		reasons := disconnects(ps)
		if got := p.get(); len(got) != 1 || string(got[0].data) != "2" {
			t.Fatalf("expected a ping, got %v", got)
		}
		expectReason(t, reasons, ReasonPingTimeout)
		// A client that answers stays.
		c, s := ts.wsConnect("/", ch)
		reasons = disconnects(s)
		time.Sleep(350 * time.Millisecond)
		if c.pinged.Load() < 2 || !s.Connected() {
			t.Fatalf("pinged %d, connected %v", c.pinged.Load(), s.Connected())
		}
		noRecv(t, reasons, 0, "disconnect")
	})
	t.Run("parse error", func(t *testing.T) {
		ts := startServer(t, Config{})
		ch := socketsOf(ts.io.Of("/"))
		chA := socketsOf(ts.io.Of("/a"))
		p, s := ts.pollConnect("/", ch)
		p.post("40/a,")
		sa := recv(t, chA, "connection")
		reasons, reasonsA := disconnects(s), disconnects(sa)
		p.post(`42["ev"`)
		expectReason(t, reasons, ReasonParseError)
		expectReason(t, reasonsA, ReasonParseError)
	})
	t.Run("forced server close", func(t *testing.T) {
		ts := startServer(t, Config{})
		ch := socketsOf(ts.io.Of("/"))
		p, s := ts.pollConnect("/", ch)
		reasons := disconnects(s)
		held := p.park(s)
		p.post(`42/nope,["ev"]`)
		expectReason(t, reasons, ReasonForcedServerClose)
		recv(t, held, "poll")
	})
}

// TestOnDisconnecting checks that disconnecting listeners run before the
// socket leaves its rooms and disconnect listeners after, in order, with
// the reason.
func TestOnDisconnecting(t *testing.T) {
	for _, mode := range handlerModes {
		t.Run(mode.name, func(t *testing.T) {
			ts := startServer(t, Config{InlineHandlers: mode.inline})
			ns := ts.io.Of("/")
			var mu sync.Mutex
			var log []string
			add := func(s string) { mu.Lock(); log = append(log, s); mu.Unlock() }
			done := make(chan struct{})
			ns.OnConnection(func(s *Socket) {
				// Listeners first: the test disconnects once the joins show.
				defer s.Join("r1", "r2")
				s.OnDisconnecting(func(reason string) {
					add(fmt.Sprintf("disconnecting %s rooms=%d inR1=%v nsRooms=%v",
						reason, len(s.Rooms()), s.InRoom("r1"), ns.Rooms()["r1"]))
				})
				s.OnDisconnecting(func(reason string) { add("disconnecting2") })
				s.OnDisconnect(func(reason string) {
					add(fmt.Sprintf("disconnect %s rooms=%d nsRooms=%v count=%d", reason, len(s.Rooms()), ns.Rooms()["r1"], ns.SocketCount()))
				})
				s.OnDisconnect(func(reason string) { add("disconnect2"); close(done) })
			})
			c := ts.ws()
			c.connect("/")
			waitFor(t, "the joins", func() bool { return ns.Rooms()["r2"] == 1 })
			c.send("41")
			recv(t, done, "disconnect")
			mu.Lock()
			defer mu.Unlock()
			want := []string{
				"disconnecting client namespace disconnect rooms=3 inR1=true nsRooms=1",
				"disconnecting2",
				"disconnect client namespace disconnect rooms=1 nsRooms=0 count=0",
				"disconnect2",
			}
			if !slices.Equal(log, want) {
				t.Fatalf("log\n%q\nwant\n%q", log, want)
			}
		})
	}
}

// TestShutdown checks that Shutdown disconnects WebSocket and polling
// (with a GET held) sockets with "server shutting down", sends no
// DISCONNECT packets, closes the connections and refuses new ones.
func TestShutdown(t *testing.T) {
	ts := listenServer(t, Config{})
	srv := ts.io
	ch := socketsOf(srv.Of("/"))
	c, s := ts.wsConnect("/", ch)
	p, ps := ts.pollConnect("/", ch)
	reasons, preasons := disconnects(s), disconnects(ps)
	held := p.park(ps)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	if err := srv.Shutdown(ctx); err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
	c.expectOnlyClose()
	if got := recv(t, held, "poll"); len(got) != 1 || string(got[0].data) != "1" {
		t.Fatalf("held GET got %v", got)
	}
	expectReason(t, preasons, ReasonServerShuttingDown)
	expectReason(t, reasons, ReasonServerShuttingDown)
	if _, err := ts.dialWS(wsOpts{}); err == nil {
		t.Fatal("dial after Shutdown succeeded")
	}
	select {
	case <-srv.Reactor().Done():
	default:
		t.Fatal("reactor still running after Shutdown")
	}
	// A second Shutdown returns.
	if err := srv.Shutdown(context.Background()); err != nil && !strings.Contains(err.Error(), "closed") {
		t.Logf("second Shutdown: %v", err)
	}
}

// TestAttachSharedReactor checks Attach: two servers on one reactor at
// different paths, each with its own namespaces.
func TestAttachSharedReactor(t *testing.T) {
	a, err := NewServer(Config{Logger: tDiscardLog})
	if err != nil {
		t.Fatal(err)
	}
	b, err := NewServer(Config{Logger: tDiscardLog, Path: "/other/"})
	if err != nil {
		t.Fatal(err)
	}
	r := eio.NewReactor(eio.ReactorConfig{Logger: tDiscardLog})
	a.Attach(r)
	b.Attach(r)
	if err := r.Start("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		tBgShutdowns.Add(1)
		go func() {
			defer tBgShutdowns.Done()
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			defer cancel()
			_ = r.Shutdown(ctx)
			_ = a.Shutdown(ctx)
			_ = b.Shutdown(ctx)
		}()
	})
	a.Of("/").On("who", func(e *Event) { _ = e.Ack("a") })
	b.Of("/").On("who", func(e *Event) { _ = e.Ack("b") })
	for _, tc := range []struct {
		srv  *Server
		want string
	}{{a, "a"}, {b, "b"}} {
		ts := &tServer{t: t, io: tc.srv, addr: r.Addr().String()}
		c := ts.ws()
		c.connect("/")
		c.send(`421["who"]`)
		c.expectText(`431["` + tc.want + `"]`)
	}
}

// TestWebSocketDisconnectReasons checks the reasons sockets get when the
// server closes their WebSocket connection: "parse error", "forced server
// close", "ping timeout" and "server shutting down". (These were all
// "transport close" until eio kept close reasons across the re-entrant
// close of the connection, commit 048c519.)
func TestWebSocketDisconnectReasons(t *testing.T) {
	cases := []struct {
		name   string
		cfg    Config
		opts   wsOpts
		reason string
		act    func(t *testing.T, ts *tServer, c *wsClient)
	}{
		{"parse error", Config{}, wsOpts{}, ReasonParseError, func(t *testing.T, ts *tServer, c *wsClient) { c.send("42{}") }},
		{"namespace not connected", Config{}, wsOpts{}, ReasonForcedServerClose, func(t *testing.T, ts *tServer, c *wsClient) { c.send(`42/x,["ev"]`) }},
		{"CONNECT twice", Config{}, wsOpts{}, ReasonForcedServerClose, func(t *testing.T, ts *tServer, c *wsClient) { c.send("40") }},
		{"ping timeout", Config{Engine: eio.Config{PingInterval: 50 * time.Millisecond, PingTimeout: 50 * time.Millisecond}},
			wsOpts{noPong: true}, ReasonPingTimeout, func(t *testing.T, ts *tServer, c *wsClient) {}},
		{"server shutting down", Config{}, wsOpts{}, ReasonServerShuttingDown, func(t *testing.T, ts *tServer, c *wsClient) {
			go ts.io.Shutdown(context.Background())
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ts := startServer(t, tc.cfg)
			ch := socketsOf(ts.io.Of("/"))
			c, s := ts.wsConnect("/", ch, tc.opts)
			reasons := disconnects(s)
			tc.act(t, ts, c)
			expectReason(t, reasons, tc.reason)
		})
	}
}

// TestShutdownIdlePollingSocket checks that Shutdown disconnects the
// socket of a polling client with no GET pending, with "server shutting
// down", as the reference's io.close() does. (Fixed in eio, commit
// 048c519: Shutdown finishes idle polling sessions.)
func TestShutdownIdlePollingSocket(t *testing.T) {
	ts := listenServer(t, Config{})
	srv := ts.io
	ch := socketsOf(srv.Of("/"))
	_, s := ts.pollConnect("/", ch)
	reasons := disconnects(s)
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	_ = srv.Shutdown(ctx)
	select {
	case r := <-reasons:
		if r != ReasonServerShuttingDown {
			t.Fatalf("reason %q, want %q", r, ReasonServerShuttingDown)
		}
	case <-time.After(time.Second):
		t.Fatal("Shutdown returned and the idle polling socket never disconnected")
	}
}

// wsClientFrame is one masked client text frame.
func wsClientFrame(text string) []byte {
	p := []byte(text)
	n := len(p)
	var f []byte
	switch {
	case n < 126:
		f = append(f, 0x81, 0x80|byte(n))
	case n < 1<<16:
		f = append(f, 0x81, 0x80|126, byte(n>>8), byte(n))
	default:
		panic("frame too large for the test helper")
	}
	mask := [4]byte{1, 2, 3, 4}
	f = append(f, mask[:]...)
	for i, b := range p {
		f = append(f, b^mask[i%4])
	}
	return f
}
