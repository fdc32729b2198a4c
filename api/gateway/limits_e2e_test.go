package gateway_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/heraldrt/herald/api/auth"
	"github.com/heraldrt/herald/engine/enginetest"
)

// A rate this low refills no token while a test runs, so that counts are
// exact whatever the machine's speed.
const frozenRate = 0.001

// TestE2EEventRate: events beyond the socket's burst get rate_limited
// error acks, whatever the event, and the socket stays connected when
// violations are not capped.
func TestE2EEventRate(t *testing.T) {
	t.Parallel()
	cfg := testConfig(t)
	cfg.Limits.EventRate = frozenRate
	cfg.Limits.EventBurst = 3
	cfg.Limits.MaxViolations = 0
	n := startNode(t, cfg)
	_, s := mustDial(t, n, token(t, auth.Claims{Subject: "alice", Join: []string{"*"}}))
	_, other := mustDial(t, n, userToken(t, "bob"))

	want := []string{"ok", "ok", "ok", "rate_limited", "rate_limited", "rate_limited", "rate_limited"}
	events := []string{"room:join", "room:join", "room:leave", "room:join", "room:publish", "room:leave", "nope"}
	for i, ev := range events {
		ack := emitAck(t, s, ev, "r1", "x")
		got := errCode(ack)
		if isOK(ack) {
			got = "ok"
		}
		if got != want[i] {
			t.Errorf("event %d (%s): ack %v, want %s", i, ev, ack, want[i])
		}
		if got == "rate_limited" && mustJSON(ack) != `{"error":{"code":"rate_limited","message":"too many events: slow down"}}` {
			t.Errorf("rate_limited ack %s", mustJSON(ack))
		}
	}
	if !findSocket(t, n, s.ID).Connected() {
		t.Errorf("a rate-limited socket was disconnected with max_violations 0")
	}
	// The limit is per socket.
	if ack := emitAck(t, other, "room:leave", "r1"); !isOK(ack) {
		t.Errorf("another socket is limited too: %v", ack)
	}
	n.wantMetric("herald_rate_limited_total", `kind="event"`, 4)

	// Pipelined events, acks collected afterwards: exactly the burst
	// passes, in order.
	_, p := mustDial(t, n, token(t, auth.Claims{Subject: "carol", Join: []string{"*"}}))
	type result struct {
		i   int
		ack any
		err error
	}
	acks := make(chan result, 20)
	for i := range 20 {
		go func() {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			a, err := p.EmitWithAck(ctx, "room:join", "r")
			var v any
			if err == nil && len(a.Raw) > 0 {
				err = json.Unmarshal(a.Raw[0], &v)
			}
			acks <- result{i, v, err}
		}()
	}
	ok := 0
	for range 20 {
		r := <-acks
		switch {
		case r.err != nil:
			t.Errorf("pipelined event %d: %v", r.i, r.err)
		case isOK(r.ack):
			ok++
		case errCode(r.ack) != "rate_limited":
			t.Errorf("pipelined event %d: ack %v", r.i, r.ack)
		}
	}
	if ok != 3 {
		t.Errorf("%d of 20 pipelined events passed, want the burst of 3", ok)
	}
}

// TestE2EMaxViolations: a socket refused max_violations times within a
// minute is disconnected.
func TestE2EMaxViolations(t *testing.T) {
	t.Parallel()
	cfg := testConfig(t)
	cfg.Limits.EventRate = frozenRate
	cfg.Limits.EventBurst = 1
	cfg.Limits.MaxViolations = 3
	n := startNode(t, cfg)
	_, s := mustDial(t, n, token(t, auth.Claims{Subject: "alice", Join: []string{"*"}}))

	if ack := emitAck(t, s, "room:join", "a"); !isOK(ack) {
		t.Fatalf("first event: %v", ack)
	}
	for i := 1; i <= 2; i++ {
		if ack := emitAck(t, s, "room:join", "a"); errCode(ack) != "rate_limited" {
			t.Errorf("violation %d: ack %v", i, ack)
		}
	}
	// The third violation disconnects the socket; its ack may or may not
	// make it out first.
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	a, err := s.EmitWithAck(ctx, "room:join", "a")
	if err == nil && len(a.Raw) > 0 && !jsonEq(t, string(a.Raw[0]), `{"error":{"code":"rate_limited","message":"too many events: slow down"}}`) {
		t.Errorf("third violation: ack %s", a.Raw[0])
	}
	for {
		if _, err := s.Next(ctx); err != nil {
			if ctx.Err() != nil {
				t.Fatalf("the socket was not disconnected after 3 violations")
			}
			break
		}
	}
	waitFor(t, 2*time.Second, "the socket to go", func() bool { return n.G.Server().Of("/").SocketCount() == 0 })
	n.wantMetric("herald_rate_limited_total", `kind="event"`, 3)
	n.wantMetric("herald_socket_disconnects_total", `reason="server namespace disconnect"`, 1)
	// Reconnecting gives a fresh socket with a fresh bucket.
	_, s2 := mustDial(t, n, token(t, auth.Claims{Subject: "alice", Join: []string{"*"}}))
	if ack := emitAck(t, s2, "room:join", "a"); !isOK(ack) {
		t.Errorf("a new socket of the same user: %v", ack)
	}
}

// TestE2EConnRatePerIP: beyond conn_burst_per_ip handshakes from one
// address, the next is refused with 403 and the Engine.IO error body.
func TestE2EConnRatePerIP(t *testing.T) {
	t.Parallel()
	cfg := testConfig(t)
	cfg.Limits.ConnRatePerIP = frozenRate
	cfg.Limits.ConnBurstPerIP = 2
	n := startNode(t, cfg)

	handshake := func() (int, string, string) {
		resp, err := http.Get(n.URL + "/socket.io/?EIO=4&transport=polling")
		if err != nil {
			t.Fatalf("handshake: %v", err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b), resp.Header.Get("Content-Type")
	}
	for i := range 2 {
		status, body, _ := handshake()
		var open struct {
			SID string `json:"sid"`
		}
		if status != 200 || len(body) < 2 || body[0] != '0' || json.Unmarshal([]byte(body[1:]), &open) != nil {
			t.Fatalf("handshake %d: %d %q", i, status, body)
		}
		// Close the session (Engine.IO close packet), so that the node's
		// shutdown does not wait for a client that never polls again.
		t.Cleanup(func() {
			resp, err := http.Post(n.URL+"/socket.io/?EIO=4&transport=polling&sid="+open.SID, "text/plain;charset=UTF-8", strings.NewReader("1"))
			if err == nil {
				resp.Body.Close()
			}
		})
	}
	status, body, ctype := handshake()
	if status != 403 || body != `{"code":4,"message":"too many connections from your address"}` {
		t.Errorf("third handshake: %d %q, want 403 {\"code\":4,\"message\":\"too many connections from your address\"}", status, body)
	}
	if ctype != "application/json" {
		t.Errorf("refusal Content-Type %q", ctype)
	}
	// A WebSocket handshake is refused too.
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	if c, err := enginetest.Dial(ctx, n.URL); err == nil {
		c.Close()
		t.Errorf("a WebSocket handshake beyond the limit was accepted")
	}
	n.wantMetric("herald_rate_limited_total", `kind="connection"`, 2)
}

// TestE2EConnRateOfficialClient: the official client sees a refused
// handshake as a connect_error.
func TestE2EConnRateOfficialClient(t *testing.T) {
	t.Parallel()
	cfg := testConfig(t)
	cfg.Limits.ConnRatePerIP = frozenRate
	cfg.Limits.ConnBurstPerIP = 1
	n := startNode(t, cfg)
	tok := userToken(t, "alice")
	_, _ = mustDial(t, n, tok)
	res := connectAll(t, n.URL, connectAttempt{Name: "late", Opts: map[string]any{"auth": map[string]any{"token": tok}, "transports": []string{"polling"}}})
	if r := res["late"]; r.Connected || r.Error == nil {
		t.Errorf("a client beyond the per-address rate connected: %+v", r)
	}
}

// TestE2EMaxConnections: limits.max_connections bounds the node's open
// connections; one more is closed at once, and room comes back when a
// client leaves.
func TestE2EMaxConnections(t *testing.T) {
	t.Parallel()
	cfg := testConfig(t)
	cfg.Limits.MaxConnections = 2
	n := startNode(t, cfg)
	c1, _ := mustDial(t, n, userToken(t, "a"))
	_, _ = mustDial(t, n, userToken(t, "b"))

	if _, _, err := dial(t, n, "", map[string]string{"token": userToken(t, "c")}); err == nil {
		t.Fatalf("a third connection was accepted with max_connections 2")
	}
	n.wantMetric("herald_connections", "", 2)
	c1.Close()
	waitFor(t, 3*time.Second, "the closed connection to be counted out", func() bool {
		return n.metric("herald_connections", "") == 1
	})
	if _, _, err := dial(t, n, "", map[string]string{"token": userToken(t, "c")}); err != nil {
		t.Errorf("a connection after one left: %v", err)
	}
}

// TestE2ERoomLimits: a socket may hold limits.max_rooms rooms, its own and
// its user room included, and may not send room names longer than
// limits.max_room_name; both are refused with bad_request or forbidden
// acks that leave the socket connected and its rooms as they were. Event
// names under the server's reserved prefix cannot be published.
func TestE2ERoomLimits(t *testing.T) {
	t.Parallel()
	cfg := testConfig(t)
	cfg.Limits.MaxRooms = 4
	cfg.Limits.MaxRoomName = 16
	n := startNode(t, cfg)
	_, s := mustDial(t, n, token(t, auth.Claims{Subject: "alice", Join: []string{"*"}, Publish: []string{"*"}}))
	sock := findSocket(t, n, s.ID)

	// Own room and user:alice make two; two more fit.
	for _, r := range []string{"a", "b"} {
		if ack := emitAck(t, s, "room:join", r); !isOK(ack) {
			t.Fatalf("room:join %s: ack %v", r, ack)
		}
	}
	if ack := emitAck(t, s, "room:join", "c"); errCode(ack) != "forbidden" {
		t.Errorf("room:join past max_rooms: ack %v, want forbidden", ack)
	}
	if ack := emitAck(t, s, "room:join", "a"); !isOK(ack) {
		t.Errorf("room:join of a room already held at the limit: ack %v, want ok", ack)
	}
	long := strings.Repeat("x", 17)
	for _, ev := range []string{"room:join", "room:leave", "room:publish"} {
		if ack := emitAck(t, s, ev, long, "ev", 1); errCode(ack) != "bad_request" {
			t.Errorf("%s with a 17-byte room name: ack %v, want bad_request", ev, ack)
		}
	}
	if ack := emitAck(t, s, "room:publish", "a", "herald:disconnect", map[string]string{"reason": "fake"}); errCode(ack) != "bad_request" {
		t.Errorf("room:publish of a reserved event name: ack %v, want bad_request", ack)
	}
	if ack := emitAck(t, s, "room:leave", "a"); !isOK(ack) {
		t.Fatalf("room:leave: ack %v", ack)
	}
	if ack := emitAck(t, s, "room:join", "c"); !isOK(ack) {
		t.Errorf("room:join after leaving one: ack %v, want ok", ack)
	}
	if got, want := strings.Join(sock.Rooms()[1:], ","), "b,c,user:alice"; got != want {
		t.Errorf("rooms %s, want %s", got, want)
	}
}
