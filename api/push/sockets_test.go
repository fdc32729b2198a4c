package push_test

import (
	"context"
	"errors"
	"testing"

	"github.com/heraldrt/herald/api/push"
	"github.com/heraldrt/herald/engine/enginetest"
)

func TestJoinAndLeaveBySelection(t *testing.T) {
	n := startNode(t, nil)
	a1 := n.connect(t, "a", "/")
	a2 := n.connect(t, "a", "/")
	b := n.connect(t, "b", "/", "old")
	c := n.connect(t, "c", "/")
	o := n.connect(t, "a", "/other")
	all := []*client{a1, a2, b, c, o}
	toRoom := func(room string) int {
		return recipients(t, n.mustPost(t, "/v1/emit", keyEmit, map[string]any{"event": "r", "targets": map[string]any{"rooms": []string{room}}}))
	}

	// By user: both of a's sockets in /, not the one in /other.
	if out := n.mustPost(t, "/v1/sockets/join", keyAdmin, map[string]any{"targets": map[string]any{"users": []string{"a"}}, "rooms": []string{"x", "y"}}); out["ok"] != true {
		t.Fatalf("join answer %v", out)
	}
	if got := toRoom("y"); got != 2 {
		t.Fatalf("room y has %d, want 2", got)
	}
	n.fence(t, "r", all, a1, a2)
	// By room, except a socket.
	n.mustPost(t, "/v1/sockets/join", keyAdmin, map[string]any{"targets": map[string]any{"rooms": []string{"old"}}, "rooms": []string{"x"}})
	n.mustPost(t, "/v1/sockets/leave", keyAdmin, map[string]any{"targets": map[string]any{"rooms": []string{"x"}}, "except": map[string]any{"sockets": []string{a1.s.ID}}, "rooms": []string{"x"}})
	if got := toRoom("x"); got != 1 {
		t.Fatalf("room x has %d, want 1 (a1)", got)
	}
	n.fence(t, "r", all, a1)
	// By socket id.
	n.mustPost(t, "/v1/sockets/join", keyAdmin, map[string]any{"targets": map[string]any{"sockets": []string{c.s.ID}}, "rooms": []string{"z"}})
	if got := toRoom("z"); got != 1 {
		t.Fatalf("room z has %d, want 1 (c)", got)
	}
	n.fence(t, "r", all, c)
	// Everyone in a namespace.
	n.mustPost(t, "/v1/sockets/join", keyAdmin, map[string]any{"namespace": "/other", "targets": map[string]any{"all": true}, "rooms": []string{"z"}})
	out := n.mustPost(t, "/v1/emit", keyEmit, map[string]any{"namespace": "/other", "event": "r", "targets": map[string]any{"rooms": []string{"z"}}})
	if recipients(t, out) != 1 {
		t.Fatalf("/other room z: %v", out)
	}
	n.fence(t, "r", all, o)
	// Leaving the user room stops pushes to the user.
	n.mustPost(t, "/v1/sockets/leave", keyAdmin, map[string]any{"targets": map[string]any{"sockets": []string{a2.s.ID}}, "rooms": []string{"user:a"}})
	if got := recipients(t, n.mustPost(t, "/v1/emit", keyEmit, map[string]any{"event": "r", "targets": map[string]any{"users": []string{"a"}}})); got != 1 {
		t.Fatalf("user a reaches %d sockets after a2 left its user room, want 1", got)
	}
	n.fence(t, "r", all, a1)
}

func TestDisconnectTellsTheReasonFirst(t *testing.T) {
	n := startNode(t, nil)
	a1 := n.connect(t, "a", "/")
	a2 := n.connect(t, "a", "/")
	aOther := n.connect(t, "a", "/other")
	b := n.connect(t, "b", "/")

	out := n.mustPost(t, "/v1/sockets/disconnect", keyAdmin, map[string]any{
		"targets": map[string]any{"users": []string{"a"}}, "reason": "account suspended",
	})
	if out["disconnected"] != float64(2) {
		t.Fatalf("answer %v, want 2 disconnected", out)
	}
	for _, c := range []*client{a1, a2} {
		e := c.expect(t, push.DisconnectEvent)
		var body struct{ Reason string }
		data(t, e, 0, &body)
		if body.Reason != "account suspended" {
			t.Fatalf("%s: reason %q", c.name, body.Reason)
		}
		ctx, cancel := context.WithTimeout(context.Background(), wait)
		_, err := c.s.Next(ctx)
		cancel()
		if !errors.Is(err, enginetest.ErrServerDisconnect) {
			t.Fatalf("%s: after the notice got %v, want the server's disconnect", c.name, err)
		}
	}
	// The user's socket in /other and other users stay.
	n.fence(t, "", []*client{aOther, b})
	var u struct{ Online bool }
	n.mustGet(t, "/v1/users/a", keyRead, &u)
	if u.Online {
		t.Fatal("user a still online in / after the disconnect")
	}

	// close: true closes the connection, its other namespaces with it;
	// the default reason applies.
	c := n.connect(t, "c", "/")
	cOther, err := c.c.Connect(context.Background(), "/other", map[string]string{"token": token(t, "c")})
	if err != nil {
		t.Fatal(err)
	}
	out = n.mustPost(t, "/v1/sockets/disconnect", keyAdmin, map[string]any{"targets": map[string]any{"sockets": []string{c.s.ID}}, "close": true})
	if out["disconnected"] != float64(1) {
		t.Fatalf("answer %v, want 1", out)
	}
	var body struct{ Reason string }
	data(t, c.expect(t, push.DisconnectEvent), 0, &body)
	if body.Reason != push.DefaultReason {
		t.Fatalf("default reason %q, want %q", body.Reason, push.DefaultReason)
	}
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	if _, err := cOther.Next(ctx); err == nil {
		t.Fatal("the connection's other namespace got an event instead of closing")
	}
	n.fence(t, "", []*client{aOther, b})
}
