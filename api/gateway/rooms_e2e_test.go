package gateway_test

import (
	"context"
	"encoding/json"
	"slices"
	"sort"
	"testing"
	"time"

	"github.com/heraldrt/herald/api/auth"
	"github.com/heraldrt/herald/engine/enginetest"
)

// TestE2ERooms drives testdata/e2e/rooms.mjs: user rooms (two sockets of
// one user both get a push to user:alice, nobody else does), rooms granted
// by the token, join and publish patterns, denied operations answered
// with error acks while the client stays connected, the user room that
// cannot be left, publish reaching the room's other members only, and
// unknown events.
func TestE2ERooms(t *testing.T) {
	t.Parallel()
	cfg := testConfig(t)
	cfg.Rooms.Join = []string{"public:*"}
	n := startNode(t, cfg)
	tokens := map[string]string{
		"alice": token(t, auth.Claims{Subject: "alice", Rooms: []string{"team:1"}, Join: []string{"chat:*"}, Publish: []string{"chat:*"}}),
		"bob":   token(t, auth.Claims{Subject: "bob", Join: []string{"chat:*"}}),
		"carol": token(t, auth.Claims{Subject: "carol"}),
	}
	p := runScript(t, "rooms.mjs", n.URL, map[string]any{"tokens": tokens})

	var connected struct {
		IDs map[string]string `json:"ids"`
	}
	if err := json.Unmarshal(p.Step("connected", 20*time.Second), &connected); err != nil {
		t.Fatal(err)
	}
	// The node's view: every socket in its user room, alice's in the
	// rooms her token grants.
	ns := n.G.Server().Of("/")
	wantRooms := map[string][]string{
		"alice1": {"team:1", "user:alice"},
		"alice2": {"team:1", "user:alice"},
		"bob":    {"user:bob"},
		"carol":  {"user:carol"},
	}
	for name, id := range connected.IDs {
		s := findSocket(t, n, id)
		rooms := slices.DeleteFunc(s.Rooms(), func(r string) bool { return r == id })
		sort.Strings(rooms)
		if !slices.Equal(rooms, wantRooms[name]) {
			t.Errorf("%s is in %v, want %v (and its own id)", name, rooms, wantRooms[name])
		}
	}
	if got := n.G.UserRoom("alice"); got != "user:alice" {
		t.Errorf("UserRoom(alice) = %q", got)
	}
	if err := ns.To("user:alice").Emit("notice", map[string]any{"n": 1}); err != nil {
		t.Fatal(err)
	}
	if err := ns.Emit("sentinel", 1); err != nil {
		t.Fatal(err)
	}
	p.Step("published", 20*time.Second)
	if err := ns.Emit("sentinel", 2); err != nil {
		t.Fatal(err)
	}

	type event struct {
		Name string            `json:"name"`
		Args []json.RawMessage `json:"args"`
	}
	var res struct {
		Transports   map[string]string          `json:"transports"`
		AfterPush    map[string][]event         `json:"afterPush"`
		AfterPublish map[string][]event         `json:"afterPublish"`
		Acks         map[string]json.RawMessage `json:"acks"`
	}
	p.Result(&res)

	// The push to user:alice reached both of her sockets, and nobody else.
	for name, evs := range res.AfterPush {
		want := 0
		if name == "alice1" || name == "alice2" {
			want = 1
		}
		if len(evs) != want {
			t.Errorf("%s received %d events after the push to user:alice, want %d: %v", name, len(evs), want, evs)
			continue
		}
		if want == 1 && (evs[0].Name != "notice" || len(evs[0].Args) != 1 || !jsonEq(t, string(evs[0].Args[0]), `{"n":1}`)) {
			t.Errorf("%s received %+v", name, evs[0])
		}
	}

	ack := func(name string) any {
		var a scriptAck
		if err := json.Unmarshal(res.Acks[name], &a); err != nil || a.Timeout {
			t.Errorf("%s: no ack (%s)", name, res.Acks[name])
			return nil
		}
		return a.First()
	}
	wantAcks := map[string]string{
		"aliceJoin":              "ok",
		"alice2Join":             "ok",
		"bobJoin":                "ok", // join pattern chat:*
		"carolJoinDenied":        "forbidden",
		"carolJoinPublic":        "ok", // rooms.join public:*
		"joinNoRoom":             "bad_request",
		"joinNotString":          "bad_request",
		"leaveUserRoom":          "forbidden",
		"leaveTeam":              "ok",
		"rejoinTeam":             "forbidden", // rooms are joined at connect, not a join right
		"publish":                "ok",
		"bobPublishDenied":       "forbidden",
		"carolPublishDenied":     "forbidden",
		"alicePublishTeamDenied": "forbidden",
		"publishNoEvent":         "bad_request",
		"unknown":                "unknown_event",
	}
	for name, want := range wantAcks {
		got := ack(name)
		if want == "ok" {
			if !isOK(got) {
				t.Errorf("%s: ack %v, want {\"ok\":true}", name, got)
			}
			continue
		}
		m, _ := got.(map[string]any)
		e, _ := m["error"].(map[string]any)
		msg, _ := e["message"].(string)
		if len(m) != 1 || len(e) != 2 || e["code"] != want || msg == "" {
			t.Errorf("%s: ack %v, want {\"error\":{\"code\":%q,\"message\":...}}", name, got, want)
		}
	}
	if string(res.Acks["carolConnectedAfterDenial"]) != "true" {
		t.Errorf("carol disconnected after a denied join")
	}
	if !jsonEq(t, string(res.Acks["stillConnected"]), `{"alice1":true,"alice2":true,"bob":true,"carol":true}`) {
		t.Errorf("after the refused operations: connected %s", res.Acks["stillConnected"])
	}
	if res.Transports["bob"] != "websocket" {
		t.Errorf("bob's transport %q, want an upgrade to websocket", res.Transports["bob"])
	}

	// alice1's publish to chat:1 reached alice2 and bob, binary included,
	// and neither the sender nor carol, who is not in the room.
	for name, evs := range res.AfterPublish {
		want := 0
		if name == "alice2" || name == "bob" {
			want = 1
		}
		if len(evs) != want {
			t.Errorf("%s received %d events after the publish, want %d: %v", name, len(evs), want, evs)
			continue
		}
		if want == 1 && (evs[0].Name != "msg" || len(evs[0].Args) != 2 ||
			!jsonEq(t, string(evs[0].Args[0]), `{"text":"hi","bin":{"$bytes":[1,2,3]}}`) || string(evs[0].Args[1]) != "7") {
			t.Errorf("%s received %s %s", name, evs[0].Name, evs[0].Args)
		}
	}
	n.wantMetric("herald_client_publishes_total", "", 1)
}

// TestE2EPushToUser checks the user room with the Go client: every socket
// of a user, on any transport, is reached by g.Server().Of("/").To(
// "user:<sub>").Emit, and a user's sockets leaving do not affect others.
func TestE2EPushToUser(t *testing.T) {
	t.Parallel()
	n := startNode(t, testConfig(t))
	_, a1 := mustDial(t, n, userToken(t, "alice"))
	_, a2 := mustDial(t, n, userToken(t, "alice"))
	_, b := mustDial(t, n, userToken(t, "bob"))

	ns := n.G.Server().Of("/")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if count, err := ns.To("user:alice").EmitCount(ctx, "notice", "for alice"); err != nil || count != 2 {
		t.Errorf("push to user:alice reached %d sockets (%v), want 2", count, err)
	}
	if err := ns.To("user:bob").Emit("notice", "for bob"); err != nil {
		t.Fatal(err)
	}
	check := func(name, want string, s *enginetest.Socket) {
		t.Helper()
		ev, err := s.Next(ctx)
		if err != nil || ev.Name != "notice" || ev.Args.String(0) != want {
			t.Errorf("%s got %s(%v) %v, want notice(%q)", name, ev.Name, ev.Args.Raw, err, want)
		}
	}
	check("alice1", "for alice", a1)
	check("alice2", "for alice", a2)
	check("bob", "for bob", b)

	// One of alice's sockets leaves; the other still gets her pushes.
	if err := a1.Disconnect(); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 2*time.Second, "alice's first socket to go", func() bool { return ns.SocketCount() == 2 })
	if count, err := ns.To("user:alice").EmitCount(ctx, "notice", "again"); err != nil || count != 1 {
		t.Errorf("push to user:alice after one socket left reached %d sockets (%v), want 1", count, err)
	}
	check("alice2", "again", a2)
}
