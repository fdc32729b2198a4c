package eio

import (
	"testing"
	"time"

	"github.com/gobwas/ws"
)

// The heartbeat tests use intervals of 100 ms. The loops' timers have a
// 10 ms resolution and fire early by as much as the loop's clock lags
// behind (TestBug_WheelFiresEarly, TestBug_TimerFiresEarlyAfterBusyLoop),
// which on a loaded machine is tens of milliseconds: the lower bounds below
// allow for that; the bug tests check the exact ones.
const (
	hbInterval = 100 * time.Millisecond
	hbTimeout  = 150 * time.Millisecond
	hbEarly    = 60 * time.Millisecond
	// hbPatient is the pingTimeout of the tests where the client answers
	// pings: long enough that a loaded machine (-race, parallel tests)
	// does not miss it.
	hbPatient = 3 * time.Second
)

func TestHeartbeatPollingPongKeepsAlive(t *testing.T) {
	t.Parallel()
	ts := startServer(t, Config{PingInterval: hbInterval, PingTimeout: hbPatient})
	sid, s := ts.openPolling()
	start := time.Now()
	// Five rounds: each GET gets a ping after about pingInterval.
	for i := 0; i < 5; i++ {
		res := ts.get(ts.pollURL(sid))
		if res.status != 200 || res.body != "2" {
			t.Fatalf("round %d: GET %d %q", i, res.status, res.body)
		}
		ts.expectPost(sid, "3", 200, "ok")
	}
	checkRounds(t, s, start)
}

// checkRounds checks that five ping rounds kept s open and were paced by
// pingInterval (loosely: see the note on hbEarly).
func checkRounds(t *testing.T, s *Session, start time.Time) {
	t.Helper()
	if d := time.Since(start); d < 5*hbInterval/2 {
		t.Fatalf("five pings in %v with pingInterval %v", d, hbInterval)
	}
	if s.Closed() {
		t.Fatal("session closed despite pongs")
	}
}

func TestHeartbeatPollingPingWhileGetHeld(t *testing.T) {
	t.Parallel()
	ts := startServer(t, Config{PingInterval: hbInterval, PingTimeout: hbPatient})
	sid, _ := ts.openPolling()
	start := time.Now()
	poll := ts.asyncGet(ts.pollURL(sid))
	res := recvResult(t, poll)
	if res.status != 200 || res.body != "2" {
		t.Fatalf("GET %d %q", res.status, res.body)
	}
	if d := time.Since(start); d < hbInterval-hbEarly || d > hbInterval+time.Second {
		t.Fatalf("held GET answered with the ping after %v", d)
	}
}

func TestHeartbeatPollingTimeout(t *testing.T) {
	t.Parallel()
	ts := startServer(t, Config{PingInterval: hbInterval, PingTimeout: hbTimeout})
	start := time.Now()
	sid, s := ts.openPolling()
	ts.h.expectClose(t, s, ReasonPingTimeout)
	if d := time.Since(start); d < hbInterval+hbTimeout-2*hbEarly {
		t.Fatalf("closed after %v", d)
	}
	checkJSONError(t, ts.get(ts.pollURL(sid)), 400, CodeUnknownSID, "Session ID unknown")
}

func TestHeartbeatWebSocket(t *testing.T) {
	t.Parallel()
	ts := startServer(t, Config{PingInterval: hbInterval, PingTimeout: hbPatient})
	c, _, s := ts.openWS()
	start := time.Now()
	for i := 0; i < 5; i++ {
		h, p := c.readFrame()
		if h.OpCode != ws.OpText || string(p) != "2" {
			t.Fatalf("round %d: frame %v %q", i, h.OpCode, p)
		}
		c.sendText("3")
	}
	checkRounds(t, s, start)
}

func TestHeartbeatMessagesDoNotReplacePongs(t *testing.T) {
	t.Parallel()
	ts := startServer(t, Config{PingInterval: hbInterval, PingTimeout: hbTimeout})
	c, _, s := ts.openWS()
	// Traffic other than pongs does not keep the session alive.
	deadline := time.Now().Add(waitTimeout)
	frame := maskedText("4busy")
	for !s.Closed() && time.Now().Before(deadline) {
		if _, err := c.conn.Write(frame); err != nil {
			break // the server closed the connection
		}
		time.Sleep(20 * time.Millisecond)
	}
	if !s.Closed() {
		t.Fatal("session kept alive by messages without pongs")
	}
	ts.h.expectClosed(t, s)
}

func TestHeartbeatClientPingIsAnError(t *testing.T) {
	t.Parallel()
	ts := startServer(t, Config{})
	sid, s := ts.openPolling()
	ts.expectPost(sid, "2", 200)
	ts.h.expectClose(t, s, ReasonTransportError)

	c, _, s2 := ts.openWS()
	c.sendText("2")
	c.expectClose(ws.StatusNormalClosure)
	ts.h.expectClosed(t, s2) // reason: see TestBug_WebSocketCloseReason
}

func TestHeartbeatPongWithoutPingIsHarmless(t *testing.T) {
	t.Parallel()
	ts := startServer(t, Config{PingInterval: hbInterval, PingTimeout: hbPatient})
	c, _, s := ts.openWS()
	c.sendText("3")
	c.sendText("3")
	for i := 0; i < 3; i++ {
		c.expectText("2")
		c.sendText("3")
	}
	if s.Closed() {
		t.Fatal("closed")
	}
}

func TestHeartbeatTimeoutAnswersHeldGet(t *testing.T) {
	t.Parallel()
	ts := startServer(t, Config{PingInterval: hbInterval, PingTimeout: 2 * time.Second})
	sid, s := ts.openPolling()
	if res := ts.get(ts.pollURL(sid)); res.body != "2" {
		t.Fatalf("GET %q", res.body)
	}
	// No pong; the next GET is held until the ping timeout, which answers
	// it with the close packet.
	res := ts.get(ts.pollURL(sid))
	if res.status != 200 || res.body != "1" {
		t.Fatalf("held GET: %d %q", res.status, res.body)
	}
	ts.h.expectClose(t, s, ReasonPingTimeout)
}

func TestHeartbeatWebSocketTimeout(t *testing.T) {
	t.Parallel()
	ts := startServer(t, Config{PingInterval: hbInterval, PingTimeout: hbTimeout})
	start := time.Now()
	c, _, s := ts.openWS()
	c.expectText("2")
	c.expectClose(ws.StatusNormalClosure)
	if d := time.Since(start); d < hbInterval+hbTimeout-2*hbEarly {
		t.Fatalf("closed after %v", d)
	}
	ts.h.expectClosed(t, s) // reason: see TestBug_WebSocketCloseReason
}
