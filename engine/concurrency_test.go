package engine

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/heraldrt/herald/engine/eio"
)

// TestConcurrentAPI hammers the API from many goroutines while clients
// connect, send events and leave (by DISCONNECT, by closing the
// connection, or by being disconnected): Join, Leave, Set, Get, Rooms,
// Emit, acks, To().Emit, EmitCount, SocketsJoin, SocketsLeave,
// FetchSockets and DisconnectSockets. Run it with -race. Once everything
// stops, the namespace must be empty and its room events balanced.
func TestConcurrentAPI(t *testing.T) {
	ts := startServer(t, Config{Workers: 16}, eio.ReactorConfig{Loops: 3})
	ns := ts.io.Of("/")
	rooms := []string{"r0", "r1", "r2", "r3"}

	var evMu sync.Mutex
	created, deleted, joined, left := map[string]int{}, map[string]int{}, map[string]int{}, map[string]int{}
	ns.OnRoomEvent(func(e RoomEvent) {
		evMu.Lock()
		defer evMu.Unlock()
		switch e.Kind {
		case RoomCreated:
			created[e.Room]++
		case RoomDeleted:
			deleted[e.Room]++
		case SocketJoined:
			joined[e.Room]++
		case SocketLeft:
			left[e.Room]++
		}
	})

	var live sync.Map // id -> *Socket
	ns.OnConnection(func(s *Socket) {
		live.Store(s.ID(), s)
		s.Join(rooms[rand.IntN(len(rooms))])
		s.OnDisconnect(func(string) { live.Delete(s.ID()) })
	})
	ns.On("join", func(e *Event) {
		r, _ := e.Args.String(0)
		e.Socket().Join(r, rooms[rand.IntN(len(rooms))])
		_ = e.Ack(len(e.Socket().Rooms()))
	})
	ns.On("leave", func(e *Event) {
		r, _ := e.Args.String(0)
		e.Socket().Leave(r)
		e.Socket().Set("left", r)
	})
	ns.On("shout", func(e *Event) {
		_ = e.Socket().To(rooms...).Emit("shout", e.Args)
		_ = e.Socket().Emit("self", 1)
	})

	stop := make(chan struct{})
	var wg sync.WaitGroup
	var clients atomic.Int32
	// Clients come and go.
	for w := range 6 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				c, err := ts.dialWS(wsOpts{})
				if err != nil {
					t.Errorf("dial: %v", err)
					return
				}
				if c.trySend("40") != nil {
					c.close()
					continue
				}
				if m, ok := c.tryNext(tWait); !ok || len(m.data) < 2 || string(m.data[:2]) != "40" {
					c.close()
					continue
				}
				clients.Add(1)
				c.drop.Store(true)
				for j := range 20 {
					switch j % 4 {
					case 0:
						_ = c.trySend(fmt.Sprintf(`42%d["join","c%d"]`, j, w))
					case 1:
						_ = c.trySend(fmt.Sprintf(`42["leave","c%d"]`, w))
					case 2:
						_ = c.trySend(`42["shout","hey"]`)
					case 3:
						_ = c.trySend(`42["unknown"]`)
					}
				}
				switch i % 3 {
				case 0:
					_ = c.trySend("41")
					time.Sleep(time.Millisecond)
					c.close()
				case 1:
					c.close()
				case 2:
					// left for DisconnectSockets or the end
					time.Sleep(2 * time.Millisecond)
					c.close()
				}
			}
		}()
	}
	// API hammering from outside handlers.
	hammer := func(fn func(r *rand.Rand)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := rand.New(rand.NewPCG(rand.Uint64(), 1))
			for {
				select {
				case <-stop:
					return
				default:
				}
				fn(r)
			}
		}()
	}
	pick := func(r *rand.Rand) *Socket {
		var out *Socket
		n := 0
		live.Range(func(_, v any) bool {
			n++
			if r.IntN(n) == 0 {
				out = v.(*Socket)
			}
			return n < 16
		})
		return out
	}
	hammer(func(r *rand.Rand) {
		if s := pick(r); s != nil {
			s.Join(rooms[r.IntN(4)], rooms[r.IntN(4)])
			s.Leave(rooms[r.IntN(4)])
			_ = s.Rooms()
			_ = s.InRoom(rooms[0])
		}
	})
	hammer(func(r *rand.Rand) {
		if s := pick(r); s != nil {
			s.Set("k", r.IntN(10))
			_, _ = s.Get("k")
			_ = s.Data()
			_ = s.Handshake()
			_ = s.Emit("direct", r.IntN(10))
			_ = s.Timeout(5*time.Millisecond).Emit("acked", AckFunc(func(Args, error) {}))
		}
	})
	hammer(func(r *rand.Rand) {
		_ = ns.To(rooms[r.IntN(4)]).Except(rooms[r.IntN(4)]).Emit("b", []byte{1})
		_ = ns.Volatile().Emit("v")
		time.Sleep(100 * time.Microsecond)
	})
	hammer(func(r *rand.Rand) {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		_, _ = ns.To(rooms[r.IntN(4)]).EmitCount(ctx, "count")
		_, _ = ns.In(rooms[r.IntN(4)]).FetchSockets(ctx)
		cancel()
		_ = ns.Rooms()
		_ = ns.Sockets()
		_ = ns.SocketCount()
	})
	hammer(func(r *rand.Rand) {
		_ = ns.In(rooms[r.IntN(4)]).SocketsJoin("x")
		_ = ns.SocketsLeave("x")
		if r.IntN(20) == 0 {
			_ = ns.In(rooms[r.IntN(4)]).DisconnectSockets(r.IntN(2) == 0)
		}
		time.Sleep(200 * time.Microsecond)
	})
	time.Sleep(1500 * time.Millisecond)
	close(stop)
	wg.Wait()
	if clients.Load() < 20 {
		t.Fatalf("only %d clients connected", clients.Load())
	}
	waitFor(t, "every socket to go", func() bool { return ns.SocketCount() == 0 && len(ns.Sockets()) == 0 })
	waitFor(t, "every room to go", func() bool { return len(ns.Rooms()) == 0 })
	waitFor(t, "balanced room events", func() bool {
		evMu.Lock()
		defer evMu.Unlock()
		for r, n := range created {
			if deleted[r] != n || joined[r] != left[r] {
				return false
			}
		}
		return len(created) == len(deleted)
	})
	t.Logf("%d clients", clients.Load())
}
