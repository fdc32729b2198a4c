package engine

// Benchmarks of the runtime's hot paths. They are in package engine (an
// internal test) because two of them drive unexported code directly:
//
//   - BenchmarkDecodeEventPath calls client.onMessage on a client and a
//     socket built by hand, without a session (the event path never touches
//     the session unless it fails), so that only parsing and dispatch are
//     measured;
//   - BenchmarkRoomIndex measures memberSet and loopIndex, which have no
//     exported surface.
//
// BenchmarkBroadcastEncode and BenchmarkDeliver10k use the exported API
// only: eio sessions cannot be built without a network (eio.Session has no
// exported constructor and its Deliver needs a home loop and a server), so
// BenchmarkDeliver10k uses real polling sessions carried by a few
// keep-alive connections (see pollFleet) and times Node.Broadcast of a
// pre-encoded packet to a room of 10,000 of them.

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/heraldrt/herald/engine/eio"
	"github.com/heraldrt/herald/protocol/socketio"
)

// BenchmarkBroadcastEncode measures what a broadcast pays once, whatever
// the number of recipients: NewEventPacket and the Engine.IO message.
func BenchmarkBroadcastEncode(b *testing.B) {
	type item struct {
		ID    int      `json:"id"`
		Name  string   `json:"name"`
		Tags  []string `json:"tags"`
		Price float64  `json:"price"`
	}
	cases := []struct {
		name string
		nsp  string
		args []any
	}{
		{"string", "/", []any{"hello world"}},
		{"scalars", "/chat", []any{1, "two", 3.5, true, nil}},
		{"map", "/", []any{map[string]any{"user": "u1", "text": "a message of some length", "ts": 1712345678}}},
		{"struct", "/", []any{item{ID: 7, Name: "thing", Tags: []string{"a", "b"}, Price: 9.5}}},
		{"binary", "/", []any{map[string]any{"file": make([]byte, 1024), "name": "f"}}},
		{"raw", "/", []any{[]byte(nil), "x"}},
		{"json", "/", []any{json.RawMessage(`{"t":1764143000000000000,"p":"` + strings.Repeat("x", 64) + `"}`)}},
	}
	for _, tc := range cases {
		b.Run(tc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				p, err := NewEventPacket(tc.nsp, "message", tc.args...)
				if err != nil {
					b.Fatal(err)
				}
				_ = p.Message()
			}
		})
	}
}

// BenchmarkDecodeEventPath measures one text EVENT from the Engine.IO
// message to the handler, in inline mode: decoding, routing to the
// namespace's socket, the Event, and dispatch through packet middleware and
// OnAny to a namespace handler.
func BenchmarkDecodeEventPath(b *testing.B) {
	cases := []struct {
		name   string
		nsp    string
		packet string
		mw     bool
	}{
		{"plain", "/", `2["message",1,"two",{"three":3}]`, false},
		{"custom-namespace", "/chat", `2/chat,["message","some text of a message",{"user":"u1","ts":1712345678}]`, false},
		{"middleware+any", "/", `2["message",1,"two",{"three":3}]`, true},
	}
	for _, tc := range cases {
		b.Run(tc.name, func(b *testing.B) {
			srv, err := NewServer(Config{InlineHandlers: true, Logger: tDiscardLog})
			if err != nil {
				b.Fatal(err)
			}
			ns := srv.Of(tc.nsp)
			var n int
			ns.On("message", func(e *Event) { n += e.Args.Len() })
			c := &client{srv: srv}
			s := &Socket{id: eioID(), ns: ns, cl: c, auth: emptyAuth}
			s.q = serial{w: srv.pool, inline: true}
			s.onLoop = true
			s.connected.Store(true)
			if tc.mw {
				s.Use(func(e *Event) error { return nil })
				s.OnAny(func(e *Event) {})
			}
			c.socks = []*Socket{s}
			data := []byte(tc.packet)
			b.ReportAllocs()
			for b.Loop() {
				c.onMessage(data, false)
			}
			if n == 0 {
				b.Fatal("handler never ran")
			}
		})
	}
}

// BenchmarkRoomIndex measures the per-loop room index: memberSet has and
// remove+add at 10 members (slice scan) and 10,000 (indexed), and
// loopIndex join+leave of an existing room and of a fresh one.
func BenchmarkRoomIndex(b *testing.B) {
	for _, n := range []int{10, 10000} {
		socks := make([]*Socket, n)
		for i := range socks {
			socks[i] = &Socket{id: fmt.Sprintf("s%d", i)}
		}
		fill := func() *memberSet {
			m := &memberSet{}
			for _, s := range socks {
				m.add(s)
			}
			return m
		}
		b.Run(fmt.Sprintf("memberSet/has/%d", n), func(b *testing.B) {
			m := fill()
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				if !m.has(socks[i%n]) {
					b.Fatal("missing member")
				}
				i++
			}
		})
		b.Run(fmt.Sprintf("memberSet/has-miss/%d", n), func(b *testing.B) {
			m := fill()
			other := &Socket{id: "other"}
			b.ReportAllocs()
			for b.Loop() {
				if m.has(other) {
					b.Fatal("phantom member")
				}
			}
		})
		b.Run(fmt.Sprintf("memberSet/remove+add/%d", n), func(b *testing.B) {
			m := fill()
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				s := socks[(i*7919)%n]
				if !m.remove(s) || !m.add(s) {
					b.Fatal("remove/add failed")
				}
				i++
			}
			if m.len() != n {
				b.Fatalf("set has %d members, want %d", m.len(), n)
			}
		})
		b.Run(fmt.Sprintf("loopIndex/join+leave/%d", n), func(b *testing.B) {
			x := &loopIndex{}
			for _, s := range socks[1:] {
				x.join(s, "room")
			}
			s := socks[0]
			b.ReportAllocs()
			for b.Loop() {
				x.join(s, "room")
				x.leave(s, "room")
			}
		})
	}
	b.Run("loopIndex/join+leave/fresh-room", func(b *testing.B) {
		x := &loopIndex{}
		s := &Socket{id: "s"}
		b.ReportAllocs()
		for b.Loop() {
			x.join(s, "room")
			x.leave(s, "room")
		}
	})
}

// BenchmarkDeliver10k measures the delivery of one pre-encoded broadcast
// to a room of 10,000 sockets spread over the loops: Node.Broadcast, one
// task per loop, each looking its members up and queueing the shared
// message on their sessions, until every loop reports its count. The
// sessions are real polling sessions without a held GET (pollFleet), so
// delivery queues without network writes; the benchmark drains them (off
// the clock) before their queues would grow.
func BenchmarkDeliver10k(b *testing.B) {
	const n = 10000
	ts := startServer(b, Config{Engine: eio.Config{PingInterval: time.Hour, PingTimeout: time.Hour}})
	ns := ts.io.Of("/")
	f := newPollFleet(b, ts, n, 8)
	waitFor(b, "every socket", func() bool { return ns.SocketCount() == n })
	if err := ns.SocketsJoin("room"); err != nil {
		b.Fatal(err)
	}
	waitFor(b, "the joins", func() bool { return ns.Rooms()["room"] == n })
	// Give every session's queue room for 64 messages.
	for range 64 {
		if _, err := ns.To("room").EmitCount(context.Background(), "warm"); err != nil {
			b.Fatal(err)
		}
	}
	f.drain()
	p, err := NewEventPacket("/", "news", map[string]any{"id": 1, "text": "breaking"})
	if err != nil {
		b.Fatal(err)
	}
	p.Message()
	opts := BroadcastOptions{Rooms: []string{"room"}}
	done := make(chan int, 1)
	report := func(k int) { done <- k }
	node := ns.Node()
	b.ReportAllocs()
	b.ResetTimer()
	queued := 0
	for i := 0; i < b.N; i++ {
		if queued == 60 {
			b.StopTimer()
			f.drain()
			queued = 0
			b.StartTimer()
		}
		node.Broadcast(p, opts, nil, report)
		if k := <-done; k != n {
			b.Fatalf("delivered to %d, want %d", k, n)
		}
		queued++
	}
	b.StopTimer()
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/n, "ns/recipient")
}

// BenchmarkArgsValues decodes the arguments of an event into Go values,
// for a usual event and for one of 10,000 tiny arguments, which must cost
// in proportion to its size (a hostile client chooses the count).
func BenchmarkArgsValues(b *testing.B) {
	many := make([]byte, 0, 20000)
	for i := range 10000 {
		if i > 0 {
			many = append(many, ',')
		}
		many = append(many, '0')
	}
	for _, c := range []struct {
		name string
		raw  string
	}{
		{"usual", `{"room":"chat:1","text":"hello"},42,"x"`},
		{"10k-args", string(many)},
	} {
		b.Run(c.name, func(b *testing.B) {
			a := Args{raw: socketio.Args(c.raw)}
			b.ReportAllocs()
			for b.Loop() {
				if _, err := a.Values(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
