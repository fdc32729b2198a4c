package engine

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/heraldrt/herald/engine/eio"
)

// TestBroadcastThousandClients connects 1,000 raw WebSocket clients to one
// room and checks that each receives exactly one copy of a text and of a
// binary broadcast, that EmitCount counts them all, and that a socket in
// two target rooms is not served twice.
func TestBroadcastThousandClients(t *testing.T) {
	const n = 1000
	ts := startServer(t, Config{})
	ns := ts.io.Of("/")
	ns.OnConnection(func(s *Socket) { s.Join("big") })
	clients := make([]*wsClient, n)
	errs := make(chan error, n)
	var wg sync.WaitGroup
	const dialers = 25
	for d := range dialers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := d; i < n; i += dialers {
				c, err := ts.dialWS(wsOpts{buf: 16})
				if err != nil {
					errs <- err
					return
				}
				if err := c.trySend("40"); err != nil {
					errs <- err
					return
				}
				m, ok := c.tryNext(tWait)
				if !ok || !strings.HasPrefix(string(m.data), `40{"sid":"`) {
					errs <- fmt.Errorf("client %d: CONNECT answer %v", i, m)
					return
				}
				clients[i] = c
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	waitFor(t, "every socket in the room", func() bool { return ns.Rooms()["big"] == n })
	// Half the clients are in a second room targeted too.
	for i, s := range ns.Sockets() {
		if i%2 == 0 {
			s.Join("half")
		}
	}
	cnt, err := ns.To("big", "half").EmitCount(context.Background(), "hello", "world")
	if err != nil || cnt != n {
		t.Fatalf("EmitCount = %d %v, want %d", cnt, err, n)
	}
	if err := ns.In("half").In("big").Emit("bin", []byte{1, 2, 3}); err != nil {
		t.Fatal(err)
	}
	if err := ns.Emit("end"); err != nil {
		t.Fatal(err)
	}
	check := func(c *wsClient) error {
		for _, want := range []string{`42["hello","world"]`, `451-["bin",{"_placeholder":true,"num":0}]`, "\x01\x02\x03", `42["end"]`} {
			m, ok := c.tryNext(tWait)
			if !ok || string(m.data) != want || m.binary != (want[0] == 1) {
				return fmt.Errorf("got %v (ok %v), want %q", m, ok, want)
			}
		}
		return nil
	}
	errs = make(chan error, n)
	for d := range dialers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := d; i < n; i += dialers {
				if err := check(clients[i]); err != nil {
					errs <- fmt.Errorf("client %d: %v", i, err)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
}

// TestBroadcastAllocsIndependentOfRecipients checks that a broadcast is
// encoded once and that its allocations do not grow with the number of
// recipients: one broadcast to 10 sockets and one to 1,000 allocate the
// same (within a small margin for background timers). The recipients are
// real polling sessions without a held GET (see pollFleet), drained
// beforehand so that their queues already have room: delivering to them
// writes nothing to the network and allocates nothing per recipient.
func TestBroadcastAllocsIndependentOfRecipients(t *testing.T) {
	if testing.Short() {
		t.Skip("builds 1,000 sessions")
	}
	const (
		big   = 1000
		small = 10
		runs  = 20
	)
	// Earlier tests' servers still shutting down in the background would
	// add their allocations to the count.
	tBgShutdowns.Wait()
	ts := startServer(t, Config{Engine: eio.Config{PingInterval: time.Hour, PingTimeout: time.Hour}}, eio.ReactorConfig{Loops: 2})
	ns := ts.io.Of("/")
	f := newPollFleet(t, ts, big, 4)
	waitFor(t, "every socket", func() bool { return ns.SocketCount() == big })
	for i, s := range ns.Sockets() {
		s.Join("big")
		if i < small {
			s.Join("small")
		}
	}
	waitFor(t, "the joins", func() bool { r := ns.Rooms(); return r["big"] == big && r["small"] == small })
	// Grow every session's queue, then drain it: the capacity stays.
	for i := range 64 {
		if _, err := ns.To("big").EmitCount(context.Background(), "warm", i); err != nil {
			t.Fatal(err)
		}
	}
	f.drain()

	// The message is built once and shared.
	p, err := NewEventPacket("/", "x", 1)
	if err != nil {
		t.Fatal(err)
	}
	if p.Message() != p.Message() {
		t.Fatal("Packet.Message builds a new message per call")
	}

	ctx := context.Background()
	measure := func(room string, want int) float64 {
		return testing.AllocsPerRun(runs, func() {
			n, err := ns.To(room).EmitCount(ctx, "x", 1)
			if err != nil || n != want {
				t.Fatalf("EmitCount(%s) = %d %v", room, n, err)
			}
		})
	}
	var aSmall, aBig float64
	attempts := 0
	for attempt := range 3 {
		attempts++
		aSmall, aBig = measure("small", small), measure("big", big)
		t.Logf("attempt %d: %.1f allocs to %d recipients, %.1f to %d", attempt, aSmall, small, aBig, big)
		if aBig-aSmall <= 3 {
			break
		}
	}
	if aBig-aSmall > 3 {
		t.Fatalf("a broadcast to %d allocates %.1f, to %d %.1f: allocations grow with recipients", big, aBig, small, aSmall)
	}
	if aBig > 40 {
		t.Fatalf("a broadcast allocates %.1f times", aBig)
	}

	// Every session received each broadcast exactly once.
	got := f.drain()
	smallSeen := 0
	for sid, packets := range got {
		want := 0
		for _, p := range packets {
			if p != `42["x",1]` {
				t.Fatalf("session %s got %q", sid, p)
			}
			want++
		}
		per := attempts * (runs + 1) // AllocsPerRun adds a warm-up run
		switch want {
		case per, 2 * per:
		default:
			t.Fatalf("session %s got %d copies, want %d or %d", sid, want, per, 2*per)
		}
		if want == 2*per {
			smallSeen++
		}
	}
	if len(got) != big || smallSeen != small {
		t.Fatalf("%d sessions drained, %d in both rooms", len(got), smallSeen)
	}
}
