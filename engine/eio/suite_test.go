package eio

// The 25 cases of the official Engine.IO v4 test suite
// (socketio/engine.io-protocol, test-suite/test-suite.js), one Go test each,
// against a server configured like cmd/conformance: an echo server with
// pingInterval 300 ms, pingTimeout 200 ms and maxPayload 1e6.

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/gobwas/ws"
)

const (
	suitePingInterval = 300 * time.Millisecond
	suitePingTimeout  = 200 * time.Millisecond
)

func startSuiteServer(t *testing.T) *testServer {
	t.Helper()
	return startSuiteServerWith(t, suitePingTimeout)
}

// startQuietSuiteServer is the suite's server with the reference's default
// heartbeat (25 s / 20 s), for the message, close and upgrade cases: their
// outcome does not depend on the heartbeat, but with a 300 ms pingInterval a
// ping can slip in where they expect a message when the machine is loaded.
func startQuietSuiteServer(t *testing.T) *testServer {
	t.Helper()
	return startEchoServer(t, 25*time.Second, 20*time.Second)
}

// startSuiteServerWith is startSuiteServer with another pingTimeout: the
// ping/pong cases use a longer one, since a loaded test machine can take
// more than 200 ms between reading a ping and getting the pong to the
// server, and timers may fire up to a tick early (TestBug_WheelFiresEarly).
func startSuiteServerWith(t *testing.T, pingTimeout time.Duration) *testServer {
	t.Helper()
	return startEchoServer(t, suitePingInterval, pingTimeout)
}

// startEchoServer is the suite's echo server, maxPayload 1e6, with the
// given heartbeat.
func startEchoServer(t *testing.T, pingInterval, pingTimeout time.Duration) *testServer {
	t.Helper()
	h := newRecorder()
	h.echo = true
	return startServer(t, Config{
		PingInterval: pingInterval,
		PingTimeout:  pingTimeout,
		MaxPayload:   1e6,
		Handler:      h,
	})
}

// expectWSRefused checks that a WebSocket handshake is refused.
func expectWSRefused(t *testing.T, ts *testServer, query string) {
	t.Helper()
	_, err := ts.dialWS(query, nil)
	var se ws.StatusError
	if !errors.As(err, &se) || int(se) != 400 {
		t.Fatalf("dial %q: err %v, want HTTP 400", query, err)
	}
}

// handshake / HTTP long-polling

func TestSuite_Handshake_Polling_OpensSession(t *testing.T) {
	t.Parallel()
	ts := startSuiteServer(t)
	res := ts.get(ts.url("transport=polling"))
	if res.status != 200 {
		t.Fatalf("status %d", res.status)
	}
	hs := parseOpen(t, res.body)
	if len(hs.Upgrades) != 1 || hs.Upgrades[0] != "websocket" {
		t.Fatalf("upgrades %v", hs.Upgrades)
	}
	if hs.PingInterval != 300 || hs.PingTimeout != 200 || hs.MaxPayload != 1000000 {
		t.Fatalf("handshake %+v", hs)
	}
}

func TestSuite_Handshake_Polling_InvalidEIO(t *testing.T) {
	t.Parallel()
	ts := startSuiteServer(t)
	if res := ts.get(ts.rawURL("transport=polling")); res.status != 400 {
		t.Fatalf("no EIO: status %d", res.status)
	}
	if res := ts.get(ts.rawURL("EIO=abc&transport=polling")); res.status != 400 {
		t.Fatalf("EIO=abc: status %d", res.status)
	}
}

func TestSuite_Handshake_Polling_InvalidTransport(t *testing.T) {
	t.Parallel()
	ts := startSuiteServer(t)
	if res := ts.get(ts.url("")); res.status != 400 {
		t.Fatalf("no transport: status %d", res.status)
	}
	if res := ts.get(ts.url("transport=abc")); res.status != 400 {
		t.Fatalf("transport=abc: status %d", res.status)
	}
}

func TestSuite_Handshake_Polling_InvalidMethod(t *testing.T) {
	t.Parallel()
	ts := startSuiteServer(t)
	if res := ts.mustDo("POST", ts.url("transport=polling"), "", nil); res.status != 400 {
		t.Fatalf("POST: status %d", res.status)
	}
	if res := ts.mustDo("PUT", ts.url("transport=polling"), "", nil); res.status != 400 {
		t.Fatalf("PUT: status %d", res.status)
	}
}

// handshake / WebSocket

func TestSuite_Handshake_WebSocket_OpensSession(t *testing.T) {
	t.Parallel()
	ts := startSuiteServer(t)
	c, hs, _ := ts.openWS()
	if hs.Upgrades == nil || len(hs.Upgrades) != 0 {
		t.Fatalf("upgrades %#v, want []", hs.Upgrades)
	}
	if hs.PingInterval != 300 || hs.PingTimeout != 200 || hs.MaxPayload != 1000000 {
		t.Fatalf("handshake %+v", hs)
	}
	c.conn.Close()
}

func TestSuite_Handshake_WebSocket_InvalidEIO(t *testing.T) {
	t.Parallel()
	ts := startSuiteServer(t)
	_, err := ts.dialWSWith(ws.Dialer{Timeout: waitTimeout}, "ws://"+ts.addr+"/engine.io/?transport=websocket")
	var se ws.StatusError
	if !errors.As(err, &se) || int(se) != 400 {
		t.Fatalf("no EIO: err %v", err)
	}
	_, err = ts.dialWSWith(ws.Dialer{Timeout: waitTimeout}, "ws://"+ts.addr+"/engine.io/?EIO=abc&transport=websocket")
	if !errors.As(err, &se) || int(se) != 400 {
		t.Fatalf("EIO=abc: err %v", err)
	}
}

func TestSuite_Handshake_WebSocket_InvalidTransport(t *testing.T) {
	t.Parallel()
	ts := startSuiteServer(t)
	expectWSRefused(t, ts, "")
	expectWSRefused(t, ts, "transport=abc")
}

// message / HTTP long-polling

func TestSuite_Message_Polling_OneTextPacket(t *testing.T) {
	t.Parallel()
	ts := startQuietSuiteServer(t)
	sid, _ := ts.openPolling()
	ts.expectPost(sid, "4hello", 200, "ok")
	ts.expectPoll(sid, 200, "4hello")
}

func TestSuite_Message_Polling_SeveralTextPackets(t *testing.T) {
	t.Parallel()
	ts := startQuietSuiteServer(t)
	sid, _ := ts.openPolling()
	ts.expectPost(sid, "4test1\x1e4test2\x1e4test3", 200, "ok")
	ts.expectPoll(sid, 200, "4test1\x1e4test2\x1e4test3")
}

func TestSuite_Message_Polling_TextAndBinaryPackets(t *testing.T) {
	t.Parallel()
	ts := startQuietSuiteServer(t)
	sid, _ := ts.openPolling()
	ts.expectPost(sid, "4hello\x1ebAQIDBA==", 200, "ok")
	ts.expectPoll(sid, 200, "4hello\x1ebAQIDBA==")
}

func TestSuite_Message_Polling_InvalidPacketClosesSession(t *testing.T) {
	t.Parallel()
	ts := startQuietSuiteServer(t)
	sid, _ := ts.openPolling()
	ts.expectPost(sid, "abc", 400)
	ts.expectPoll(sid, 400)
}

func TestSuite_Message_Polling_DuplicatePollClosesSession(t *testing.T) {
	t.Parallel()
	ts := startQuietSuiteServer(t)
	sid, s := ts.openPolling()
	first := ts.asyncGet(ts.pollURL(sid))
	waitHeld(t, s)
	second := ts.get(ts.pollURL(sid) + "&t=burst")
	if second.status != 400 && second.status != 500 {
		t.Fatalf("second GET: %d %q", second.status, second.body)
	}
	res := recvResult(t, first)
	if res.status != 200 || res.body != "1" {
		t.Fatalf("first GET: %d %q", res.status, res.body)
	}
	ts.h.expectClose(t, s, ReasonTransportError)
	ts.expectPoll(sid, 400)
}

func TestSuite_Message_Polling_CancelledPollClosesSession(t *testing.T) {
	t.Parallel()
	ts := startQuietSuiteServer(t)
	sid, s := ts.openPolling()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		req, _ := http.NewRequestWithContext(ctx, "GET", ts.pollURL(sid), nil)
		if resp, err := ts.client.Do(req); err == nil {
			resp.Body.Close()
		}
	}()
	waitHeld(t, s)
	cancel()
	<-done
	ts.h.expectClose(t, s, ReasonTransportError)
	ts.expectPoll(sid, 400)
}

// message / WebSocket

func TestSuite_Message_WebSocket_TextPacket(t *testing.T) {
	t.Parallel()
	ts := startQuietSuiteServer(t)
	c, _, _ := ts.openWS()
	c.sendText("4hello")
	c.expectText("4hello")
}

func TestSuite_Message_WebSocket_BinaryPacket(t *testing.T) {
	t.Parallel()
	ts := startQuietSuiteServer(t)
	c, _, _ := ts.openWS()
	c.send(ws.OpBinary, []byte{1, 2, 3, 4})
	op, p := c.read()
	if op != ws.OpBinary || string(p) != "\x01\x02\x03\x04" {
		t.Fatalf("got %v %q", op, p)
	}
}

func TestSuite_Message_WebSocket_InvalidPacketClosesSession(t *testing.T) {
	t.Parallel()
	ts := startQuietSuiteServer(t)
	c, _, s := ts.openWS()
	c.sendText("abc")
	c.expectClose(ws.StatusNormalClosure)
	ts.h.expectClosed(t, s) // reason: see TestBug_WebSocketCloseReason
}

// heartbeat

func TestSuite_Heartbeat_Polling_PingPong(t *testing.T) {
	t.Parallel()
	ts := startSuiteServerWith(t, 3*time.Second)
	sid, _ := ts.openPolling()
	for i := 0; i < 3; i++ {
		ts.expectPoll(sid, 200, "2")
		ts.expectPost(sid, "3", 200)
	}
}

func TestSuite_Heartbeat_Polling_PingTimeout(t *testing.T) {
	t.Parallel()
	ts := startSuiteServer(t)
	start := time.Now()
	sid, s := ts.openPolling()
	ts.h.expectClose(t, s, ReasonPingTimeout)
	if d := time.Since(start); d < suitePingInterval+suitePingTimeout-30*time.Millisecond {
		t.Fatalf("closed after %v, before pingInterval+pingTimeout", d)
	}
	ts.expectPoll(sid, 400)
}

func TestSuite_Heartbeat_WebSocket_PingPong(t *testing.T) {
	t.Parallel()
	ts := startSuiteServerWith(t, 3*time.Second)
	c, _, _ := ts.openWS()
	for i := 0; i < 3; i++ {
		c.expectText("2")
		c.sendText("3")
	}
}

func TestSuite_Heartbeat_WebSocket_PingTimeout(t *testing.T) {
	t.Parallel()
	ts := startSuiteServer(t)
	c, _, s := ts.openWS()
	c.expectText("2")
	c.expectClose(ws.StatusNormalClosure)
	ts.h.expectClosed(t, s) // reason: see TestBug_WebSocketCloseReason
}

// close

func TestSuite_Close_Polling_ForcefullyCloses(t *testing.T) {
	t.Parallel()
	ts := startQuietSuiteServer(t)
	sid, s := ts.openPolling()
	poll := ts.asyncGet(ts.pollURL(sid))
	waitHeld(t, s)
	ts.expectPost(sid, "1", 200)
	if res := recvResult(t, poll); res.status != 200 || res.body != "6" {
		t.Fatalf("GET: %d %q", res.status, res.body)
	}
	ts.h.expectClose(t, s, ReasonTransportClose)
	ts.expectPoll(sid, 400)
}

func TestSuite_Close_WebSocket_ForcefullyCloses(t *testing.T) {
	t.Parallel()
	ts := startQuietSuiteServer(t)
	c, _, s := ts.openWS()
	c.sendText("1")
	c.expectClose(ws.StatusNormalClosure)
	ts.h.expectClose(t, s, ReasonTransportClose)
}

// upgrade

func TestSuite_Upgrade_FromPolling(t *testing.T) {
	t.Parallel()
	ts := startQuietSuiteServer(t)
	sid, _ := ts.openPolling()
	c := ts.wsProbe(sid)
	ts.expectPoll(sid, 200, "6")
	c.sendText("5")
	c.sendText("4hello")
	c.expectText("4hello")
}

func TestSuite_Upgrade_IgnoresHTTPAfterUpgrade(t *testing.T) {
	t.Parallel()
	ts := startQuietSuiteServer(t)
	sid, _ := ts.openPolling()
	c := ts.wsUpgrade(sid)
	ts.expectPoll(sid, 400)
	c.sendText("4hello")
	c.expectText("4hello")
}

func TestSuite_Upgrade_IgnoresSecondWebSocket(t *testing.T) {
	t.Parallel()
	ts := startQuietSuiteServer(t)
	sid, _ := ts.openPolling()
	c := ts.wsUpgrade(sid)
	c2 := ts.mustDialWS("transport=websocket&sid=" + sid)
	c2.expectClose(ws.StatusNormalClosure)
	c.sendText("4hello")
	c.expectText("4hello")
}
