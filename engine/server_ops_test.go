package engine

import (
	"context"
	"slices"
	"testing"
)

// TestServerLevelOperations checks the main-namespace shortcuts on Server:
// FetchSockets, SocketsJoin, SocketsLeave, In/Except and DisconnectSockets.
func TestServerLevelOperations(t *testing.T) {
	ts := startServer(t, Config{})
	conns := socketsOf(ts.io.Of("/"))
	a, b := ts.ws(), ts.ws()
	idA, idB := a.connect("/"), b.connect("/")
	recv(t, conns, "socket a")
	recv(t, conns, "socket b")
	ctx := context.Background()

	all, err := ts.io.FetchSockets(ctx)
	if err != nil || len(all) != 2 {
		t.Fatalf("FetchSockets: %d sockets, %v", len(all), err)
	}
	if err := ts.io.SocketsJoin("lobby"); err != nil {
		t.Fatal(err)
	}
	in, _ := ts.io.In("lobby").FetchSockets(ctx)
	if len(in) != 2 {
		t.Fatalf("%d sockets in lobby after SocketsJoin, want 2", len(in))
	}
	if err := ts.io.Except(idA).SocketsLeave("lobby"); err != nil {
		t.Fatal(err)
	}
	in, _ = ts.io.In("lobby").FetchSockets(ctx)
	if len(in) != 1 || in[0].ID != idA || !slices.Contains(in[0].Rooms, "lobby") {
		t.Fatalf("after b left, lobby holds %v, want only %s", in, idA)
	}
	if err := ts.io.In(idB).Emit("hi", 1); err != nil {
		t.Fatal(err)
	}
	if got := b.nextText(); got != `42["hi",1]` {
		t.Fatalf("b got %q", got)
	}
	if err := ts.io.DisconnectSockets(false); err != nil {
		t.Fatal(err)
	}
	for _, c := range []*wsClient{a, b} {
		if got := c.nextText(); got != "41" {
			t.Fatalf("got %q, want the DISCONNECT packet", got)
		}
	}
	waitFor(t, "every socket to leave", func() bool { return ts.io.Of("/").SocketCount() == 0 })
}
