package eio

// Regression tests: each failed against an earlier version of this package
// and asserts the behaviour the package documents or the reference server
// implements.

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gobwas/ws"
)

// TestRegression_WebSocketCloseReason: a WebSocket session whose connection lives on
// its home loop (every WebSocket-only session) reports "transport close" to
// OnClose whatever the real reason, because Session.close tears the
// connection down synchronously and the connection's OnClose re-enters
// Session.close with ReasonTransportClose before finish runs.
func TestRegression_WebSocketCloseReason(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name   string
		reason string
		cfg    Config
		act    func(t *testing.T, ts *testServer, c *wsClient, s *Session)
	}{
		{"parse error", ReasonParseError, Config{}, func(t *testing.T, ts *testServer, c *wsClient, s *Session) {
			c.sendText("abc")
		}},
		{"ping timeout", ReasonPingTimeout, Config{PingInterval: 50 * time.Millisecond, PingTimeout: 50 * time.Millisecond},
			func(t *testing.T, ts *testServer, c *wsClient, s *Session) {}},
		{"forced close", ReasonForcedClose, Config{}, func(t *testing.T, ts *testServer, c *wsClient, s *Session) {
			s.Close()
		}},
		{"client ping", ReasonTransportError, Config{}, func(t *testing.T, ts *testServer, c *wsClient, s *Session) {
			c.sendText("2")
		}},
		{"unmasked frame", ReasonTransportError, Config{}, func(t *testing.T, ts *testServer, c *wsClient, s *Session) {
			c.writeFrame(ws.OpText, true, []byte("4hi"), true)
		}},
		{"server shutdown", ReasonServerShutdown, Config{}, func(t *testing.T, ts *testServer, c *wsClient, s *Session) {
			go ts.r.Shutdown(context.Background())
		}},
		{"slow consumer", ReasonTransportError, Config{}, func(t *testing.T, ts *testServer, c *wsClient, s *Session) {
			// Up to 64 MB to a client that does not read, until the
			// default 4 MiB bound (plus the kernel's buffers) is passed.
			m := NewBinaryMessage(make([]byte, 64<<10))
			for i := 0; i < 1024 && !s.Closed(); i++ {
				s.Send(m)
				if i%4 == 3 {
					time.Sleep(time.Millisecond)
				}
			}
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ts := startServer(t, tc.cfg, ReactorConfig{Loops: 1})
			c, _, s := ts.openWS()
			tc.act(t, ts, c, s)
			ev := ts.h.expectClose(t, s, tc.reason)
			if tc.name == "slow consumer" && !errors.Is(ev.err, ErrSlowConsumer) {
				t.Fatalf("error %v, want ErrSlowConsumer", ev.err)
			}
		})
	}
}

// TestRegression_WheelFiresEarly: schedule counts the delay from the last tick the
// wheel reached, not from the time it is armed, so a timer armed late in a
// tick fires up to one tick early: here 1 ms after being armed for 10 ms.
// Heartbeat deadlines are thus up to a tick shorter than configured.
func TestRegression_WheelFiresEarly(t *testing.T) {
	t.Parallel()
	const tick = 10 * time.Millisecond
	start := time.Unix(1000, 0)
	var w wheel
	w.init(tick, start)
	w.advance(start.Add(19 * time.Millisecond)) // the loop's clock is now 19 ms
	var tm timer
	fired := false
	w.schedule(&tm, tick, func() { fired = true }) // armed at 19 ms for 10 ms
	w.advance(start.Add(20 * time.Millisecond))
	if fired {
		t.Fatal("timer armed at 19 ms for 10 ms fired at 20 ms")
	}
}

// TestRegression_TimerFiresEarlyAfterBusyLoop: the same on a running loop, where
// the lag is not bounded by a tick: the wheel only advances on ticks, so
// after the loop has been busy (a slow callback, GC, CPU starvation on a
// loaded host) its clock is stale by that long, and a timer armed then fires
// early by as much. Here a 100 ms timer armed after 80 ms of work fires
// about 20 ms later; heartbeats on a loaded machine were seen 80 ms early
// with pingInterval 100 ms.
func TestRegression_TimerFiresEarlyAfterBusyLoop(t *testing.T) {
	t.Parallel()
	ts := startServer(t, Config{}, ReactorConfig{Loops: 1})
	_, s := ts.openPolling()
	var tm Timer
	fired := make(chan time.Duration, 1)
	s.Loop().Post(TaskFunc(func(l *Loop) {
		time.Sleep(80 * time.Millisecond) // busy: no tick meanwhile
		armed := time.Now()
		l.Schedule(&tm, 100*time.Millisecond, func() { fired <- time.Since(armed) })
	}))
	select {
	case d := <-fired:
		if d < 100*time.Millisecond-10*time.Millisecond {
			t.Fatalf("timer armed for 100 ms fired after %v", d)
		}
	case <-time.After(waitTimeout):
		t.Fatal("timer did not fire")
	}
}

// TestRegression_FragmentedMessageInterleavedPingCountsTowardMaxPayload: the size
// check in readWebSocket adds the length of every frame, control frames
// included, to the fragments assembled so far, so a ping between the
// fragments of a message that fits maxPayload closes the connection with
// 1009.
func TestRegression_FragmentedMessageInterleavedPingCountsTowardMaxPayload(t *testing.T) {
	t.Parallel()
	ts := startServer(t, Config{MaxPayload: 100})
	c, _, _ := ts.openWS()
	c.writeFrame(ws.OpText, false, []byte("4"+strings.Repeat("a", 89)), false) // 90 bytes
	c.writeFrame(ws.OpPing, true, []byte("0123456789012345"), false)           // 16 bytes
	c.writeFrame(ws.OpContinuation, true, []byte("bbbbbbbbbb"), false)         // 100 in all
	h, p := c.readFrame()
	if h.OpCode != ws.OpPong || string(p) != "0123456789012345" {
		code, _ := ws.ParseCloseFrameData(p)
		t.Fatalf("got opcode %v (close code %d), want the pong", h.OpCode, code)
	}
	ts.h.expectMsg(t, strings.Repeat("a", 89)+"bbbbbbbbbb", false)
}

// TestRegression_PollingForcedCloseLingers: Session.Close on a polling session with
// no GET pending queues the close packet and waits for the next GET, as the
// reference does; but once that GET has delivered the close packet the
// session is not finished: OnClose only runs 30 s later (pollCloseTimeout).
// The reference closes as soon as the close packet is written.
func TestRegression_PollingForcedCloseLingers(t *testing.T) {
	t.Parallel()
	ts := startServer(t, Config{})
	sid, s := ts.openPolling()
	s.Close()
	onLoop(t, s.Loop(), func() {})
	ts.expectPoll(sid, 200, "1")
	ts.h.expectClose(t, s, ReasonForcedClose)
}

// TestRegression_ShutdownSkipsIdlePollingSessions: Shutdown closes an idle polling
// session "gracefully", waiting up to 30 s for a GET; when ctx ends first the
// loops stop and OnClose never runs for that session.
func TestRegression_ShutdownSkipsIdlePollingSessions(t *testing.T) {
	t.Parallel()
	ts := startServer(t, Config{})
	_, s := ts.openPolling()
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	_ = ts.r.Shutdown(ctx)
	select {
	case ev := <-ts.h.closes:
		if ev.s != s || ev.reason != ReasonServerShutdown {
			t.Fatalf("OnClose %q for %s", ev.reason, ev.s.ID())
		}
	case <-time.After(time.Second):
		t.Fatal("Shutdown returned without OnClose for the idle polling session")
	}
}

// TestRegression_AddrNilReceiver: Addr dereferences its receiver, so a nil
// *Reactor panics instead of returning nil.
func TestRegression_AddrNilReceiver(t *testing.T) {
	t.Parallel()
	defer func() {
		if r := recover(); r != nil {
			t.Fatalf("(*Reactor)(nil).Addr() panicked: %v", r)
		}
	}()
	var r *Reactor
	if a := r.Addr(); a != nil {
		t.Fatalf("Addr() = %v", a)
	}
}

// TestRegression_ShutdownBeforeStart: Shutdown on a reactor that was never started
// waits forever for r.done, which only the goroutine of Start closes.
func TestRegression_ShutdownBeforeStart(t *testing.T) {
	t.Parallel()
	srv, err := NewServer(Config{Handler: newRecorder()})
	if err != nil {
		t.Fatal(err)
	}
	r := NewReactor(ReactorConfig{Logger: discardLogger})
	r.Mount("/engine.io/", srv)
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = r.Shutdown(context.Background())
	}()
	select {
	case <-done:
	case <-time.After(2 * time.Second):
		t.Fatal("Shutdown of a reactor that never started did not return")
	}
}

// TestRegression_AllowRequestRunsBeforeProtocolCheck: the reference runs
// allowRequest in verify(), before handshake() checks EIO, so a refused
// request with EIO=3 gets 403 Forbidden with the AllowRequest message; Herald
// checks EIO first and answers code 5 without consulting AllowRequest.
func TestRegression_AllowRequestRunsBeforeProtocolCheck(t *testing.T) {
	t.Parallel()
	ts := startServer(t, Config{AllowRequest: func(*Request) error { return errors.New("nope") }})
	res := ts.get(ts.rawURL("EIO=3&transport=polling"))
	checkJSONError(t, res, 403, CodeForbidden, "nope")
}

// TestRegression_PollingTransportWithUpgradeHeader: an upgrade request with
// transport=polling opens a WebSocket session. The reference refuses it
// (the polling transport does not handle upgrades: the WebSocket is closed
// at once), and the session's query then contradicts its transport.
func TestRegression_PollingTransportWithUpgradeHeader(t *testing.T) {
	t.Parallel()
	ts := startServer(t, Config{})
	c, err := ts.dialWS("transport=polling", nil)
	if err != nil {
		return // refused: fine
	}
	h, p, err := c.tryReadFrame(time.Second)
	if err == nil && h.OpCode != ws.OpClose {
		t.Fatalf("transport=polling upgrade opened a WebSocket session: first frame %q", p)
	}
}

// TestRegression_OverlappingPostWhileBodyArrives: the protocol says a second POST
// while one is active MUST get 400 and close the session. Herald only marks a
// POST active once its whole body has arrived, so a POST whose body is still
// streaming is not seen, the second POST is accepted, and the two payloads
// are processed in the opposite order of the requests.
func TestRegression_OverlappingPostWhileBodyArrives(t *testing.T) {
	t.Parallel()
	ts := startServer(t, Config{})
	sid, s := ts.openPolling()
	first := ts.dialRaw()
	first.send("POST " + ts.path + "?EIO=4&transport=polling&sid=" + sid + " HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\nContent-Length: 7\r\n\r\n4fi")
	time.Sleep(100 * time.Millisecond) // for the first POST's head to arrive
	res := ts.mustDo("POST", ts.pollURL(sid), "4second", http.Header{"Content-Type": {"text/plain"}})
	if res.status != 400 {
		t.Fatalf("overlapping POST: %d %q, want 400", res.status, res.body)
	}
	ts.h.expectClose(t, s, ReasonTransportError)
}

// TestRegression_SlowConsumerBurstUnbounded: the outbound bound is only checked in
// conn.flush after a whole callback's output has been handed to gnet, which
// copies whatever the socket does not take into its own buffer. A burst of
// 50 MB that reaches the loop in one mailbox batch is thus copied whole
// into memory before the connection is cut: the heap grows by the size of
// the burst, not by MaxOutboundBytes (4 MiB here).
func TestRegression_SlowConsumerBurstUnbounded(t *testing.T) {
	const (
		msgSize  = 64 << 10
		count    = 800 // 50 MB
		maxOut   = 4 << 20
		memSlack = 24 << 20
	)
	ts := startServer(t, Config{}, ReactorConfig{MaxOutboundBytes: maxOut, Loops: 1})
	_, _, s := ts.openWS()
	base := heapInuse()
	sampler := sampleHeap(time.Millisecond)
	m := NewBinaryMessage(make([]byte, msgSize))
	// Keep the loop busy while the burst is queued, so that it arrives in one
	// batch, as it does whenever the sender outpaces the loop.
	release := make(chan struct{})
	s.Loop().Post(TaskFunc(func(*Loop) { <-release }))
	for i := 0; i < count; i++ {
		s.Send(m)
	}
	close(release)
	ts.h.expectClosed(t, s)
	peak := sampler.Stop()
	if growth := int64(peak) - int64(base); growth > memSlack {
		t.Fatalf("heap grew by %d MB for one slow consumer; MaxOutboundBytes is %d MB", growth>>20, maxOut>>20)
	}
}

// TestRegression_MessageOverOutboundBoundToReadingClient: with the outbound bound
// applied in conn.write to the bytes queued in the current callback (the
// working tree's fix for TestRegression_SlowConsumerBurstUnbounded), one message
// larger than MaxOutboundBytes can never be sent: the connection of a
// client that reads everything is closed as a slow consumer before any
// byte is written. The bound is on unsent output, so the socket should get
// its chance first.
func TestRegression_MessageOverOutboundBoundToReadingClient(t *testing.T) {
	t.Parallel()
	const bound = 64 << 10
	ts := startServer(t, Config{}, ReactorConfig{MaxOutboundBytes: bound})
	c, _, s := ts.openWS()
	before := ts.r.SlowConsumers()
	big := make([]byte, bound+100)
	for i := range big {
		big[i] = byte(i)
	}
	s.SendBinary(big)
	op, p, err := c.tryReadFrame(waitTimeout)
	if err != nil || op.OpCode != ws.OpBinary || string(p) != string(big) {
		t.Fatalf("got opcode %v, %d bytes, err %v; SlowConsumers %+d", op.OpCode, len(p), err, ts.r.SlowConsumers()-before)
	}
}

// TestRegression_BurstOverOutboundBoundToReadingClient: the write-time bound counts
// output the socket has not been offered yet, so a burst that one callback
// queues for a connection (a mailbox batch, a broadcast, the flush at the end
// of an upgrade) and that totals more than MaxOutboundBytes closes a client
// that reads everything, when the socket would have taken it at once. Here
// 120 KiB in one batch with a 64 KiB bound.
func TestRegression_BurstOverOutboundBoundToReadingClient(t *testing.T) {
	t.Parallel()
	const bound = 64 << 10
	ts := startServer(t, Config{}, ReactorConfig{MaxOutboundBytes: bound, Loops: 1})
	c, _, s := ts.openWS()
	m := NewBinaryMessage(make([]byte, 30<<10))
	release := make(chan struct{})
	s.Loop().Post(TaskFunc(func(*Loop) { <-release })) // queue the burst as one batch
	for i := 0; i < 4; i++ {
		s.Send(m)
	}
	close(release)
	for i := 0; i < 4; i++ {
		h, p, err := c.tryReadFrame(waitTimeout)
		if err != nil || h.OpCode != ws.OpBinary || len(p) != 30<<10 {
			t.Fatalf("message %d: opcode %v, %d bytes, err %v", i, h.OpCode, len(p), err)
		}
	}
}

// TestRegression_UnroutedBodyReadAsRequests: a request for an unknown path
// whose body cannot be skipped (not all here, or too large) must close the
// connection after the 404. It used to keep the connection alive and parse
// the body as further requests, answering a request smuggled in it.
func TestRegression_UnroutedBodyReadAsRequests(t *testing.T) {
	t.Parallel()
	ts := startServer(t, Config{})
	smuggled := "GET " + ts.path + "?EIO=4&transport=polling HTTP/1.1\r\nHost: x\r\n\r\n"
	for _, length := range []int{len(smuggled) + 10, 2_000_000} {
		rc := ts.dialRaw()
		rc.send("POST /nowhere HTTP/1.1\r\nHost: x\r\nContent-Length: " + strconv.Itoa(length) + "\r\n\r\n")
		time.Sleep(20 * time.Millisecond) // the head alone, then the body
		rc.send(smuggled)
		if resp, _ := rc.response(); resp.StatusCode != 404 || !resp.Close {
			t.Fatalf("length %d: %d close=%v, want 404 with Connection: close", length, resp.StatusCode, resp.Close)
		}
		rc.expectEOF()
	}
}

// TestRegression_CloseDuringUpgradeLosesCloseWait: a server close of a
// polling session with an upgrade under way shared one timer between the
// upgrade and the close wait; the probe's "5" then cancelled the close
// wait and the session never finished. The close now ends the upgrade:
// the probe closes at once, and the next poll delivers the close packet.
func TestRegression_CloseDuringUpgradeLosesCloseWait(t *testing.T) {
	t.Parallel()
	ts := startServer(t, Config{UpgradeTimeout: 10 * time.Second})
	sid, s := ts.openPolling()
	c := ts.mustDialWS("transport=websocket&sid=" + sid)
	c.sendText("2probe")
	c.expectText("3probe")
	s.Close()
	c.expectClose(ws.StatusNormalClosure)
	ts.h.noClose(t, 20*time.Millisecond)
	ts.expectPoll(sid, 200, "1")
	ts.h.expectClose(t, s, ReasonForcedClose)
}

// TestRegression_PostToClosingSessionRefused: a POST to a polling session
// the server is closing (its close packet waiting for the next GET) got
// 400, which the official client takes for a transport error before it
// reads the close. The reference answers "ok" and drops the packets.
func TestRegression_PostToClosingSessionRefused(t *testing.T) {
	t.Parallel()
	ts := startServer(t, Config{})
	sid, s := ts.openPolling()
	s.Close()
	onLoop(t, s.Loop(), func() {})
	ts.expectPost(sid, "4dropped", 200, "ok")
	ts.expectPoll(sid, 200, "1")
	ts.h.expectClose(t, s, ReasonForcedClose)
	select {
	case m := <-ts.h.msgs:
		t.Fatalf("message %q of a closing session delivered", m.data)
	default:
	}
}

// TestRegression_OverlapRefusalWithoutCORS: a POST whose body is still
// arriving while another POST of the session is being read is refused,
// and the refusal carried no CORS headers, so a browser saw a network
// error instead of the 400.
func TestRegression_OverlapRefusalWithoutCORS(t *testing.T) {
	t.Parallel()
	ts := startServer(t, Config{CORS: &CORS{Origins: []string{"http://app.test"}}})
	sid, s := ts.openPolling()
	head := "POST " + ts.path + "?EIO=4&transport=polling&sid=" + sid +
		" HTTP/1.1\r\nHost: x\r\nOrigin: http://app.test\r\nContent-Type: text/plain\r\nContent-Length: 7\r\n\r\n4"
	first, second := ts.dialRaw(), ts.dialRaw()
	first.send(head)
	time.Sleep(100 * time.Millisecond) // for the first POST's head to arrive
	second.send(head)
	resp, _ := second.response()
	if resp.StatusCode != 400 || resp.Header.Get("Access-Control-Allow-Origin") != "http://app.test" {
		t.Fatalf("overlapping POST: %d, Access-Control-Allow-Origin %q; want 400 with the CORS headers",
			resp.StatusCode, resp.Header.Get("Access-Control-Allow-Origin"))
	}
	ts.h.expectClose(t, s, ReasonTransportError)
}

// TestRegression_BackToBackPostsAcrossLoops: a POST answered by the loop
// of its connection freed the session for the next POST only after the
// session's home loop had finished its work, so a client that posted
// again as soon as it had the answer could be refused as overlapping
// (and its session closed) when the home loop lagged. Each POST here is
// sent the moment the previous one is answered, on a connection that may
// live on the other loop.
func TestRegression_BackToBackPostsAcrossLoops(t *testing.T) {
	t.Parallel()
	ts := startServer(t, Config{}, ReactorConfig{Loops: 2})
	sid, _ := ts.openPolling()
	q := ts.path + "?EIO=4&transport=polling&sid=" + sid
	for _, rc := range []*rawConn{ts.dialRaw(), ts.dialRaw()} {
		for i := range 300 {
			rc.send(fmt.Sprintf("POST %s HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n4%d", q, i%10))
			if resp, body := rc.response(); resp.StatusCode != 200 || body != "ok" {
				t.Fatalf("POST %d: %d %q", i, resp.StatusCode, body)
			}
		}
	}
}
