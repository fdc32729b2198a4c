package eio

import (
	"fmt"
	"testing"
	"time"

	"github.com/gobwas/ws"
)

func TestUpgrade(t *testing.T) {
	t.Parallel()
	for _, loops := range []int{1, 4} {
		t.Run(fmt.Sprintf("loops=%d", loops), func(t *testing.T) {
			t.Parallel()
			ts := startServer(t, Config{}, ReactorConfig{Loops: loops})
			sid, s := ts.openPolling()
			poll := ts.asyncGet(ts.pollURL(sid))
			waitHeld(t, s)

			c := ts.mustDialWS("transport=websocket&sid=" + sid)
			// The probe is not the transport yet.
			expectPending(t, poll, 30*time.Millisecond)
			c.sendText("2probe")
			c.expectText("3probe")
			// The pending GET is released with a noop.
			if res := recvResult(t, poll); res.status != 200 || res.body != "6" {
				t.Fatalf("pending GET: %d %q", res.status, res.body)
			}
			if s.Transport() != Polling {
				t.Fatalf("transport %s before the upgrade packet", s.Transport())
			}
			// Messages sent before the upgrade completes wait for it.
			for i := 0; i < 50; i++ {
				s.SendText([]byte(fmt.Sprint("queued", i)))
			}
			// Polling still works until then.
			ts.expectPost(sid, "4via polling", 200)
			ts.h.expectMsg(t, "via polling", false)

			c.sendText("5")
			for i := 0; i < 50; i++ {
				c.expectText(fmt.Sprint("4queued", i))
			}
			waitFor(t, func() bool { return s.Transport() == WebSocket }, "transport websocket")
			s.SendText([]byte("after"))
			c.expectText("4after")
			c.sendText("4via websocket")
			ts.h.expectMsg(t, "via websocket", false)
			c.send(ws.OpBinary, []byte{9, 8})
			ts.h.expectMsg(t, "\x09\x08", true)

			// Polling requests are refused from now on, the session lives.
			checkJSONError(t, ts.get(ts.pollURL(sid)), 400, CodeBadRequest, "Bad request")
			checkJSONError(t, ts.post(ts.pollURL(sid), "4x"), 400, CodeBadRequest, "Bad request")
			ts.h.noClose(t, 20*time.Millisecond)
			// So is a second WebSocket.
			c2 := ts.mustDialWS("transport=websocket&sid=" + sid)
			c2.expectClose(ws.StatusNormalClosure)
			c.sendText("4still")
			ts.h.expectMsg(t, "still", false)
			if s.Request().QueryValue("transport") != Polling {
				t.Fatal("Request is not the handshake request")
			}
			// Closing the WebSocket closes the session.
			c.conn.Close()
			ts.h.expectClose(t, s, ReasonTransportClose)
		})
	}
}

func TestUpgradeGetDuringProbeGetsNoop(t *testing.T) {
	t.Parallel()
	ts := startServer(t, Config{})
	sid, s := ts.openPolling()
	c := ts.wsProbe(sid)
	// A GET after the probe is released with a noop after about 100 ms,
	// as the reference's upgrade check does.
	start := time.Now()
	res := ts.get(ts.pollURL(sid))
	if res.status != 200 || res.body != "6" {
		t.Fatalf("GET: %d %q", res.status, res.body)
	}
	if d := time.Since(start); d < upgradeCheckInterval-15*time.Millisecond {
		t.Fatalf("noop after %v", d)
	}
	// A GET with data queued gets the data.
	s.SendText([]byte("data"))
	res = ts.get(ts.pollURL(sid))
	if res.status != 200 || (res.body != "4data" && res.body != "6") {
		t.Fatalf("GET: %d %q", res.status, res.body)
	}
	c.sendText("5")
	if res.body == "6" {
		c.expectText("4data")
	}
	s.SendText([]byte("x"))
	c.expectText("4x")
}

func TestUpgradeStrayGetAnsweredAtUpgrade(t *testing.T) {
	t.Parallel()
	ts := startServer(t, Config{})
	sid, _ := ts.openPolling()
	c := ts.wsProbe(sid)
	poll := ts.asyncGet(ts.pollURL(sid))
	time.Sleep(20 * time.Millisecond)
	c.sendText("5")
	res := recvResult(t, poll)
	// Either the upgrade check released it first, or the upgrade refused it.
	if !(res.status == 200 && res.body == "6") && res.status != 400 {
		t.Fatalf("GET: %d %q", res.status, res.body)
	}
}

func TestUpgradeTimeout(t *testing.T) {
	t.Parallel()
	for _, probe := range []bool{false, true} {
		t.Run(fmt.Sprintf("probed=%v", probe), func(t *testing.T) {
			t.Parallel()
			ts := startServer(t, Config{UpgradeTimeout: 400 * time.Millisecond})
			sid, s := ts.openPolling()
			start := time.Now()
			c := ts.mustDialWS("transport=websocket&sid=" + sid)
			if probe {
				c.sendText("2probe")
				c.expectText("3probe")
			}
			c.expectClose(ws.StatusNormalClosure)
			if d := time.Since(start); d < 400*time.Millisecond-40*time.Millisecond {
				t.Fatalf("probe closed after %v", d)
			}
			// Only the probe is gone: the session stays on polling.
			ts.h.noClose(t, 20*time.Millisecond)
			if s.Transport() != Polling || s.Closed() {
				t.Fatal("session changed")
			}
			ts.expectPost(sid, "4still polling", 200)
			ts.h.expectMsg(t, "still polling", false)
			s.SendText([]byte("back"))
			var res *httpResult
			for res = ts.get(ts.pollURL(sid)); res.body == "6"; res = ts.get(ts.pollURL(sid)) {
			}
			if res.status != 200 || res.body != "4back" {
				t.Fatalf("GET: %d %q", res.status, res.body)
			}
			// A new upgrade can start.
			c2 := ts.wsUpgrade(sid)
			s.SendText([]byte("upgraded"))
			c2.expectText("4upgraded")
		})
	}
}

func TestUpgradeBadProbeKeepsPolling(t *testing.T) {
	t.Parallel()
	for _, first := range []string{"4hello", "5", "2", "3probe", "zzz"} {
		t.Run(first, func(t *testing.T) {
			t.Parallel()
			ts := startServer(t, Config{})
			sid, s := ts.openPolling()
			c := ts.mustDialWS("transport=websocket&sid=" + sid)
			c.sendText(first)
			c.expectClose(ws.StatusNormalClosure)
			ts.h.noClose(t, 20*time.Millisecond)
			if s.Transport() != Polling {
				t.Fatal("upgraded")
			}
			select {
			case m := <-ts.h.msgs:
				t.Fatalf("probe message %q delivered", m.data)
			default:
			}
			ts.expectPost(sid, "4ok", 200)
			ts.h.expectMsg(t, "ok", false)
		})
	}
}

func TestUpgradeProbeClosedByClient(t *testing.T) {
	t.Parallel()
	ts := startServer(t, Config{})
	sid, s := ts.openPolling()
	c := ts.wsProbe(sid)
	c.conn.Close()
	ts.h.noClose(t, 50*time.Millisecond)
	if s.Transport() != Polling {
		t.Fatal("upgraded")
	}
	// The next upgrade works.
	c2 := ts.wsUpgrade(sid)
	c2.sendText("4up")
	ts.h.expectMsg(t, "up", false)
}

func TestUpgradeSecondProbeRefused(t *testing.T) {
	t.Parallel()
	ts := startServer(t, Config{})
	sid, _ := ts.openPolling()
	c := ts.wsProbe(sid)
	c2 := ts.mustDialWS("transport=websocket&sid=" + sid)
	c2.expectClose(ws.StatusNormalClosure)
	c.sendText("5")
	c.sendText("4first")
	ts.h.expectMsg(t, "first", false)
}

func TestUpgradeOfWebSocketSessionRefused(t *testing.T) {
	t.Parallel()
	ts := startServer(t, Config{})
	c, hs, s := ts.openWS()
	c2 := ts.mustDialWS("transport=websocket&sid=" + hs.SID)
	c2.expectClose(ws.StatusNormalClosure)
	c.sendText("4alive")
	ts.h.expectMsg(t, "alive", false)
	if s.Closed() {
		t.Fatal("closed")
	}
}

func TestUpgradeClosedSessionClosesProbe(t *testing.T) {
	t.Parallel()
	ts := startServer(t, Config{})
	sid, s := ts.openPolling()
	c := ts.wsProbe(sid)
	// The session dies of a polling error during the upgrade.
	ts.expectPost(sid, "abc", 400)
	ts.h.expectClose(t, s, ReasonParseError)
	c.expectClose(ws.StatusNormalClosure)
}
