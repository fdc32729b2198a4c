package engine

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/heraldrt/herald/engine/eio"
)

// TestSocketData checks Set, Get and Data, and that Data is a copy.
func TestSocketData(t *testing.T) {
	ts := startServer(t, Config{})
	ch := socketsOf(ts.io.Of("/"))
	_, s := ts.wsConnect("/", ch)
	if _, ok := s.Get("k"); ok {
		t.Fatal("Get of an unset key reports ok")
	}
	if d := s.Data(); len(d) != 0 {
		t.Fatalf("Data of a fresh socket: %v", d)
	}
	s.Set("k", 1)
	s.Set("user", map[string]any{"name": "x"})
	s.Set("k", 2)
	if v, ok := s.Get("k"); !ok || v != 2 {
		t.Fatalf("Get: %v %v", v, ok)
	}
	d := s.Data()
	if len(d) != 2 || d["k"] != 2 {
		t.Fatalf("Data: %v", d)
	}
	d["k"] = 3
	delete(d, "user")
	if v, _ := s.Get("k"); v != 2 {
		t.Fatal("Data is not a copy")
	}
	if _, ok := s.Get("user"); !ok {
		t.Fatal("Data is not a copy")
	}
}

// TestRoomsJoinLeave checks Join and Leave of one and several rooms,
// Rooms, InRoom and Namespace.Rooms counts, and that the own-id room is
// neither joinable nor leavable nor counted.
func TestRoomsJoinLeave(t *testing.T) {
	ts := startServer(t, Config{})
	ns := ts.io.Of("/")
	ch := socketsOf(ns)
	ca, a := ts.wsConnect("/", ch)
	cb, b := ts.wsConnect("/", ch)
	if got := a.Rooms(); !slices.Equal(got, []string{a.ID()}) {
		t.Fatalf("fresh Rooms: %v", got)
	}
	if !a.InRoom(a.ID()) || a.InRoom("r1") {
		t.Fatal("InRoom of a fresh socket")
	}
	a.Join("r2")
	a.Join("r1", "r3", "r1", a.ID())
	b.Join("r1")
	if got := a.Rooms(); !slices.Equal(got, []string{a.ID(), "r1", "r2", "r3"}) {
		t.Fatalf("Rooms: %v", got)
	}
	if !a.InRoom("r3") || b.InRoom("r3") {
		t.Fatal("InRoom after Join")
	}
	if got := ns.Rooms(); !reflect.DeepEqual(got, map[string]int{"r1": 2, "r2": 1, "r3": 1}) {
		t.Fatalf("Namespace.Rooms: %v", got)
	}
	a.Leave("r1", "r3", "nope", a.ID())
	a.Leave("r2")
	if got := a.Rooms(); !slices.Equal(got, []string{a.ID()}) {
		t.Fatalf("Rooms after Leave: %v", got)
	}
	if got := ns.Rooms(); !reflect.DeepEqual(got, map[string]int{"r1": 1}) {
		t.Fatalf("Namespace.Rooms after Leave: %v", got)
	}
	if !a.InRoom(a.ID()) {
		t.Fatal("Leave of the own id room took effect")
	}
	// Joins and leaves reach the loop's index: broadcasts follow them.
	_ = ns.To("r1").Emit("x")
	cb.expectText(`42["x"]`)
	a.Join("r1")
	_ = ns.To("r1").Emit("y")
	ca.expectText(`42["y"]`)
	cb.expectText(`42["y"]`)
	b.Leave("r1")
	_ = ns.To("r1").Emit("z")
	ca.expectText(`42["z"]`)
	_ = ns.To(b.ID()).Emit("marker")
	cb.expectText(`42["marker"]`)
}

// TestEmitToSocket checks Socket.Emit: the packet text for plain values,
// a custom namespace, no arguments, the "error" name, and refusal of
// reserved names.
func TestEmitToSocket(t *testing.T) {
	ts := startServer(t, Config{})
	ch := socketsOf(ts.io.Of("/chat"))
	c, s := ts.wsConnect("/chat", ch)
	type payload struct {
		A int    `json:"a"`
		B string `json:"b,omitempty"`
	}
	mustEmit(t, s, "none")
	mustEmit(t, s, "vals", 1, "two", 3.5, true, nil, []int{1, 2}, map[string]int{"z": 1, "a": 2}, payload{A: 7})
	mustEmit(t, s, "error", "is not reserved")
	mustEmit(t, s, "raw", json.RawMessage(`{"pre":"encoded"}`))
	mustEmit(t, s, "html", "<a&b>")
	c.expectText(`42/chat,["none"]`)
	c.expectText(`42/chat,["vals",1,"two",3.5,true,null,[1,2],{"a":2,"z":1},{"a":7}]`)
	c.expectText(`42/chat,["error","is not reserved"]`)
	c.expectText(`42/chat,["raw",{"pre":"encoded"}]`)
	c.expectText(`42/chat,["html","\u003ca\u0026b\u003e"]`)
	for _, name := range []string{"connect", "connect_error", "disconnect", "disconnecting", "newListener", "removeListener"} {
		if err := s.Emit(name); !errors.Is(err, ErrReservedEvent) {
			t.Fatalf("Emit(%q): %v, want ErrReservedEvent", name, err)
		}
		if err := ts.io.Of("/chat").Emit(name); !errors.Is(err, ErrReservedEvent) {
			t.Fatalf("Namespace.Emit(%q): %v, want ErrReservedEvent", name, err)
		}
	}
	if err := s.Emit("bad", make(chan int)); err == nil {
		t.Fatal("Emit of an unencodable value succeeded")
	}
	c.expectSilence(30 * time.Millisecond)
}

func mustEmit(t *testing.T, s *Socket, event string, args ...any) {
	t.Helper()
	if err := s.Emit(event, args...); err != nil {
		t.Fatalf("Emit(%q): %v", event, err)
	}
}

var tAckRE = regexp.MustCompile(`^42(/[^,]*,)?(\d+)\[`)

// ackID extracts the ack id of an EVENT the server sent.
func ackID(t *testing.T, text string) string {
	t.Helper()
	m := tAckRE.FindStringSubmatch(text)
	if m == nil {
		t.Fatalf("%q is not an EVENT with an ack id", text)
	}
	return m[2]
}

// TestEmitWithAckFunc checks emits that ask for an acknowledgement: the
// per-namespace ids counting from 0, the AckFunc receiving the client's
// arguments once, timeouts, and both AckFunc spellings.
func TestEmitWithAckFunc(t *testing.T) {
	for _, mode := range handlerModes {
		t.Run(mode.name, func(t *testing.T) {
			ts := startServer(t, Config{InlineHandlers: mode.inline})
			ch := socketsOf(ts.io.Of("/"))
			chA := socketsOf(ts.io.Of("/a"))
			c, s := ts.wsConnect("/", ch)
			c.send("40/a,")
			c.expectConnected("/a")
			sa := recv(t, chA, "connection")

			type res struct {
				args string
				err  error
			}
			acks := make(chan res, 8)
			fn := AckFunc(func(a Args, err error) {
				b, _ := a.MarshalJSON()
				acks <- res{string(b), err}
			})
			if err := s.Emit("q", 7, fn); err != nil {
				t.Fatal(err)
			}
			c.expectText(`420["q",7]`)
			if err := sa.Emit("q", func(a Args, err error) { acks <- res{"/a", err} }); err != nil {
				t.Fatal(err)
			}
			c.expectText(`42/a,0["q"]`)
			if err := s.Emit("q2", fn); err != nil {
				t.Fatal(err)
			}
			c.expectText(`421["q2"]`)

			c.send(`431[{"x":1},"y"]`)
			if r := recv(t, acks, "ack"); r.err != nil || r.args != `[{"x":1},"y"]` {
				t.Fatalf("ack 1: %+v", r)
			}
			c.send(`430[]`)
			if r := recv(t, acks, "ack"); r.err != nil || r.args != `[]` {
				t.Fatalf("ack 0: %+v", r)
			}
			// A second answer and unknown ids are ignored.
			c.send(`430[1]`)
			c.send(`4399[1]`)
			c.send(`43/a,0[]`)
			if r := recv(t, acks, "ack"); r.args != "/a" || r.err != nil {
				t.Fatalf("ack /a: %+v", r)
			}
			noRecv(t, acks, 50*time.Millisecond, "ack")

			// Timeout: ErrAckTimeout, and a late answer is ignored.
			start := time.Now()
			if err := s.Timeout(60*time.Millisecond).Emit("slow", fn); err != nil {
				t.Fatal(err)
			}
			id := ackID(t, c.nextText())
			r := recv(t, acks, "ack timeout")
			// Only check that it did not fire at once: timer precision
			// is the loop's tick, and a loaded host stretches it.
			if !errors.Is(r.err, ErrAckTimeout) || time.Since(start) < 20*time.Millisecond {
				t.Fatalf("timeout ack: %+v after %v", r, time.Since(start))
			}
			c.send("43" + id + "[1]")
			noRecv(t, acks, 50*time.Millisecond, "ack")

			// An answer within the timeout wins.
			if err := s.Timeout(5*time.Second).Emit("fast", fn); err != nil {
				t.Fatal(err)
			}
			id = ackID(t, c.nextText())
			c.send("43" + id + `["ok"]`)
			if r := recv(t, acks, "ack"); r.err != nil || r.args != `["ok"]` {
				t.Fatalf("ack within timeout: %+v", r)
			}
		})
	}
}

// TestEmitWithAckContext checks Socket.EmitWithAck: the client's answer,
// the context ending the wait, Timeout, and disconnection.
func TestEmitWithAckContext(t *testing.T) {
	ts := startServer(t, Config{})
	ch := socketsOf(ts.io.Of("/"))
	c, s := ts.wsConnect("/", ch)

	type res struct {
		args Args
		err  error
	}
	call := func(e Emitter, ctx context.Context, event string, args ...any) <-chan res {
		out := make(chan res, 1)
		go func() {
			a, err := e.EmitWithAck(ctx, event, args...)
			out <- res{a, err}
		}()
		return out
	}

	got := call(Emitter{s: s}, context.Background(), "q", "a")
	id := ackID(t, c.nextText())
	c.send("43" + id + `[42,"x"]`)
	r := recv(t, got, "EmitWithAck")
	var n int
	if r.err != nil || r.args.Len() != 2 || r.args.Decode(0, &n) != nil || n != 42 {
		t.Fatalf("EmitWithAck: %v %v", r.args, r.err)
	}
	if v, ok := r.args.String(1); !ok || v != "x" {
		t.Fatalf("String(1): %q %v", v, ok)
	}

	a, err := func() (Args, error) {
		out := make(chan res, 1)
		go func() {
			a, err := s.EmitWithAck(context.Background(), "direct")
			out <- res{a, err}
		}()
		id := ackID(t, c.nextText())
		c.send("43" + id + `[]`)
		r := recv(t, out, "EmitWithAck")
		return r.args, r.err
	}()
	if err != nil || a.Len() != 0 {
		t.Fatalf("Socket.EmitWithAck: %v %v", a, err)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	got = call(Emitter{s: s}, ctx, "q")
	c.nextText()
	if r := recv(t, got, "EmitWithAck"); !errors.Is(r.err, context.DeadlineExceeded) {
		t.Fatalf("context deadline: %v", r.err)
	}

	got = call(s.Timeout(50*time.Millisecond), context.Background(), "q")
	c.nextText()
	if r := recv(t, got, "EmitWithAck"); !errors.Is(r.err, ErrAckTimeout) {
		t.Fatalf("Timeout: %v", r.err)
	}

	if _, err := s.EmitWithAck(context.Background(), "disconnect"); !errors.Is(err, ErrReservedEvent) {
		t.Fatalf("reserved: %v", err)
	}

	// Pending acks fail with ErrDisconnected when the socket goes, and
	// emits with an ack to a gone socket fail at once.
	got = call(Emitter{s: s}, context.Background(), "q")
	c.nextText()
	c.send("41")
	if r := recv(t, got, "EmitWithAck"); !errors.Is(r.err, ErrDisconnected) {
		t.Fatalf("after disconnect: %v", r.err)
	}
	waitFor(t, "the socket to disconnect", func() bool { return !s.Connected() })
	if _, err := s.EmitWithAck(context.Background(), "q"); !errors.Is(err, ErrDisconnected) {
		t.Fatalf("EmitWithAck on a gone socket: %v", err)
	}
	errs := make(chan error, 1)
	_ = s.Emit("q", AckFunc(func(_ Args, err error) { errs <- err }))
	if err := recv(t, errs, "ack"); !errors.Is(err, ErrDisconnected) {
		t.Fatalf("Emit with ack on a gone socket: %v", err)
	}
}

// TestClientAcks checks acknowledgements the server gives to client
// events: Event.Ack at most once (ErrAlreadyAcked), ErrNoAck without an ack
// id, WantsAck, acks in custom namespaces, and forwarding Args untouched.
func TestClientAcks(t *testing.T) {
	for _, mode := range handlerModes {
		t.Run(mode.name, func(t *testing.T) {
			ts := startServer(t, Config{InlineHandlers: mode.inline})
			errs := make(chan error, 8)
			for _, name := range []string{"/", "/n"} {
				ts.io.Of(name).On("ev", func(e *Event) {
					if !e.WantsAck() {
						errs <- e.Ack("x")
						return
					}
					errs <- e.Ack(1, "a", map[string]any{"b": nil})
					errs <- e.Ack(2)
				})
				ts.io.Of(name).On("fwd", func(e *Event) { errs <- e.Ack(e.Args) })
				ts.io.Of(name).On("none", func(e *Event) { errs <- e.Ack() })
			}
			c := ts.ws()
			c.connect("/")
			c.connect("/n")
			c.send(`425["ev"]`)
			c.expectText(`435[1,"a",{"b":null}]`)
			if err := recv(t, errs, "first ack"); err != nil {
				t.Fatal(err)
			}
			if err := recv(t, errs, "second ack"); !errors.Is(err, ErrAlreadyAcked) {
				t.Fatalf("second Ack: %v, want ErrAlreadyAcked", err)
			}
			c.send(`42["ev"]`)
			if err := recv(t, errs, "ack"); !errors.Is(err, ErrNoAck) {
				t.Fatalf("Ack without id: %v, want ErrNoAck", err)
			}
			c.send(`42/n,77["fwd", 1 , {"k" : [true]} ]`)
			c.expectText(`43/n,77[1 , {"k" : [true]}]`)
			recv(t, errs, "ack")
			c.send(`42/n,9007199254740991["none"]`)
			c.expectText(`43/n,9007199254740991[]`)
			recv(t, errs, "ack")
			c.expectSilence(30 * time.Millisecond)
		})
	}
}

// TestBinaryBothWays checks binary arguments in every direction, nested
// inside maps, slices and structs: BINARY_EVENT and BINARY_ACK from the
// server, and from the client, decoded into Go values.
func TestBinaryBothWays(t *testing.T) {
	for _, mode := range handlerModes {
		t.Run(mode.name, func(t *testing.T) {
			ts := startServer(t, Config{InlineHandlers: mode.inline})
			ns := ts.io.Of("/b")
			ch := socketsOf(ns)
			type up struct {
				X []byte   `json:"x"`
				Y [][]byte `json:"y"`
				Z string   `json:"z"`
			}
			ups := make(chan up, 2)
			vals := make(chan []any, 2)
			ns.On("up", func(e *Event) {
				var u up
				if err := e.Args.Decode(0, &u); err != nil {
					t.Errorf("Decode: %v", err)
				}
				ups <- u
				v, err := e.Args.Values()
				if err != nil {
					t.Errorf("Values: %v", err)
				}
				vals <- v
				if e.Args.Len() != 2 || len(e.Args.Attachments()) != 3 {
					t.Errorf("Len %d attachments %d", e.Args.Len(), len(e.Args.Attachments()))
				}
				if raw := string(e.Args.Raw(1)); raw != `{"_placeholder":true,"num":2}` {
					t.Errorf("Raw(1) = %s", raw)
				}
				_ = e.Ack(map[string]any{"k": []byte{9}}, "t")
			})
			c, s := ts.wsConnect("/b", ch)

			// Client to server, with an ack answered in binary.
			c.send(`453-/b,12["up",{"x":{"_placeholder":true,"num":0},"y":[{"_placeholder":true,"num":1}],"z":"s"},{"_placeholder":true,"num":2}]`)
			c.sendBin([]byte{1, 2})
			c.sendBin([]byte{})
			c.sendBin([]byte{0xff})
			u := recv(t, ups, "event")
			if !bytes.Equal(u.X, []byte{1, 2}) || len(u.Y) != 1 || u.Y[0] == nil || len(u.Y[0]) != 0 || u.Z != "s" {
				t.Fatalf("decoded %+v", u)
			}
			v := recv(t, vals, "values")
			if m, ok := v[0].(map[string]any); !ok || !bytes.Equal(m["x"].([]byte), []byte{1, 2}) || !bytes.Equal(v[1].([]byte), []byte{0xff}) {
				t.Fatalf("Values: %#v", v)
			}
			c.expectText(`461-/b,12[{"k":{"_placeholder":true,"num":0}},"t"]`)
			c.expectBin([]byte{9})

			// Server to client: nested in a map, a slice and a struct.
			type wrap struct {
				Data []byte `json:"data"`
				Name string `json:"name"`
				Skip []byte `json:"skip,omitempty"`
			}
			mustEmit(t, s, "bin", map[string]any{"a": []byte{1}, "b": []any{[]byte{2}, "x"}}, wrap{Data: []byte{3}, Name: "n"}, []byte{4})
			c.expectText(`454-/b,["bin",{"a":{"_placeholder":true,"num":0},"b":[{"_placeholder":true,"num":1},"x"]},{"data":{"_placeholder":true,"num":2},"name":"n"},{"_placeholder":true,"num":3}]`)
			for i := byte(1); i <= 4; i++ {
				c.expectBin([]byte{i})
			}

			// Server emit with an ack, answered with a BINARY_ACK.
			got := make(chan []byte, 1)
			mustEmit(t, s, "q", []byte{7}, AckFunc(func(a Args, err error) {
				var b struct{ B []byte }
				if err := a.Decode(0, &b); err != nil {
					t.Errorf("ack Decode: %v", err)
				}
				got <- b.B
			}))
			ev := c.nextPacket()
			if ev.typ != '5' || ev.nsp != "/b" || ev.id < 0 || len(ev.atts) != 1 || ev.atts[0][0] != 7 {
				t.Fatalf("binary emit with ack: %+v", ev)
			}
			c.send(fmt.Sprintf(`461-/b,%d[{"B":{"_placeholder":true,"num":0}}]`, ev.id))
			c.sendBin([]byte{5, 6})
			if b := recv(t, got, "binary ack"); !bytes.Equal(b, []byte{5, 6}) {
				t.Fatalf("binary ack: %v", b)
			}

			// Forwarding received binary Args re-sends the attachments.
			ns.On("fwd", func(e *Event) { _ = e.Socket().Emit("fwd-back", e.Args) })
			c.send(`451-/b,["fwd","s",{"_placeholder":true,"num":0}]`)
			c.sendBin([]byte{8, 8})
			c.expectText(`451-/b,["fwd-back","s",{"_placeholder":true,"num":0}]`)
			c.expectBin([]byte{8, 8})
		})
	}
}

// TestOnAny checks OnAny (every incoming event, before its handler, even
// without one) and OnAnyOutgoing (every Emit of the socket).
func TestOnAny(t *testing.T) {
	ts := startServer(t, Config{})
	ns := ts.io.Of("/")
	var mu sync.Mutex
	var log []string
	add := func(s string) { mu.Lock(); log = append(log, s); mu.Unlock() }
	ns.On("a", func(e *Event) { add("handler " + e.Name) })
	ns.OnConnection(func(s *Socket) {
		s.OnAny(func(e *Event) { add("any1 " + e.Name + " " + string(e.Args.Raw(0))) })
		s.OnAny(func(e *Event) { add("any2 " + e.Name) })
		s.OnAnyOutgoing(func(event string, args []any) { add(fmt.Sprintf("out %s %v", event, args)) })
	})
	ch := socketsOf(ns)
	c, s := ts.wsConnect("/", ch)
	c.send(`42["a",1]`)
	c.send(`42["b",2]`)
	waitFor(t, "4 log lines", func() bool { mu.Lock(); defer mu.Unlock(); return len(log) >= 5 })
	mustEmit(t, s, "o", 1, "x")
	c.expectText(`42["o",1,"x"]`)
	mu.Lock()
	defer mu.Unlock()
	want := []string{"any1 a 1", "any2 a", "handler a", "any1 b 2", "any2 b", "out o [1 x]"}
	if !slices.Equal(log, want) {
		t.Fatalf("log %q, want %q", log, want)
	}
}

// TestPacketMiddleware checks Socket.Use: middleware sees each event in
// order before OnAny and handlers, may reject it (the error goes to every
// OnError listener and the event to no handler), and may ack it.
func TestPacketMiddleware(t *testing.T) {
	for _, mode := range handlerModes {
		t.Run(mode.name, func(t *testing.T) {
			ts := startServer(t, Config{InlineHandlers: mode.inline})
			ns := ts.io.Of("/")
			log := make(chan string, 32)
			ns.On("ok", func(e *Event) { log <- "handler " + e.Name })
			ns.On("bad", func(e *Event) { log <- "handler " + e.Name })
			ns.OnConnection(func(s *Socket) {
				s.Use(func(e *Event) error { log <- "mw1 " + e.Name; return nil })
				s.Use(func(e *Event) error {
					log <- "mw2 " + e.Name
					if e.Name == "bad" {
						if e.WantsAck() {
							_ = e.Ack("refused")
						}
						return errors.New("refused " + e.Name)
					}
					return nil
				})
				s.OnAny(func(e *Event) { log <- "any " + e.Name })
				s.OnError(func(err error) { log <- "err1 " + err.Error() })
				s.OnError(func(err error) { log <- "err2 " + err.Error() })
			})
			c := ts.ws()
			c.connect("/")
			c.send(`42["ok"]`)
			c.send(`423["bad"]`)
			c.send(`42["ok"]`)
			c.expectText(`433["refused"]`)
			want := []string{"mw1 ok", "mw2 ok", "any ok", "handler ok", "mw1 bad", "mw2 bad", "err1 refused bad", "err2 refused bad", "mw1 ok", "mw2 ok", "any ok", "handler ok"}
			for i, w := range want {
				if got := recv(t, log, w); got != w {
					t.Fatalf("step %d: %q, want %q", i, got, w)
				}
			}
			noRecv(t, log, 30*time.Millisecond, "log line")
		})
	}
}

// TestHandlerPrecedence checks that Socket.On overrides Namespace.On for
// that socket only, and replaces an earlier Socket.On; events without any
// handler are dropped quietly.
func TestHandlerPrecedence(t *testing.T) {
	ts := startServer(t, Config{})
	ns := ts.io.Of("/")
	ns.On("ev", func(e *Event) { _ = e.Ack("namespace") })
	ns.On("ev", func(e *Event) { _ = e.Ack("namespace2") })
	ch := socketsOf(ns)
	c1, s1 := ts.wsConnect("/", ch)
	c2, _ := ts.wsConnect("/", ch)
	s1.On("ev", func(e *Event) { _ = e.Ack("socket") })
	s1.On("ev", func(e *Event) { _ = e.Ack("socket2") })
	c1.send(`421["ev"]`)
	c1.expectText(`431["socket2"]`)
	c2.send(`421["ev"]`)
	c2.expectText(`431["namespace2"]`)
	c2.send(`422["unhandled"]`)
	c2.send(`423["ev"]`)
	c2.expectText(`433["namespace2"]`)
}

// TestNamespaceMiddleware checks connection middleware: run in order,
// refusal with a ConnectError (message and data), a plain error, a
// panic, the socket never connecting, and the connection staying usable.
func TestNamespaceMiddleware(t *testing.T) {
	for _, mode := range handlerModes {
		t.Run(mode.name, func(t *testing.T) {
			ts := startServer(t, Config{InlineHandlers: mode.inline})
			var mu sync.Mutex
			var order []string
			note := func(s string) { mu.Lock(); order = append(order, s); mu.Unlock() }
			ns := ts.io.Of("/mw")
			ns.Use(func(s *Socket) error { note("mw1"); return nil })
			ns.Use(func(s *Socket) error {
				note("mw2")
				var a struct{ Token string }
				_ = s.Handshake().AuthValue(&a)
				switch a.Token {
				case "data":
					return NewConnectError("not authorized", map[string]any{"code": 42})
				case "plain":
					return errors.New("plain")
				case "ce":
					return &ConnectError{Message: "no data"}
				case "panic":
					panic("boom")
				}
				s.Set("token", a.Token)
				return nil
			})
			connected := make(chan *Socket, 4)
			ns.OnConnection(func(s *Socket) { note("connection"); connected <- s })
			ts.io.Use(func(s *Socket) error { return NewConnectError("main refused", "str") })

			c := ts.ws()
			c.send(`40/mw,{"token":"plain"}`)
			c.expectText(`44/mw,{"message":"plain"}`)
			c.send(`40/mw,{"token":"ce"}`)
			c.expectText(`44/mw,{"message":"no data"}`)
			c.send(`40/mw,{"token":"panic"}`)
			c.expectText(`44/mw,{"message":"internal error"}`)
			c.send(`40/mw,{"token":"data"}`)
			got := c.nextText()
			var ce struct {
				Message string
				Data    struct{ Code int }
			}
			if !strings.HasPrefix(got, "44/mw,") || json.Unmarshal([]byte(got[6:]), &ce) != nil || ce.Message != "not authorized" || ce.Data.Code != 42 {
				t.Fatalf("CONNECT_ERROR with data: %q", got)
			}
			c.send("40")
			got = c.nextText()
			if !strings.HasPrefix(got, "44{") || !strings.Contains(got, `"message":"main refused"`) || !strings.Contains(got, `"data":"str"`) {
				t.Fatalf("CONNECT_ERROR on /: %q", got)
			}
			if n := ns.SocketCount(); n != 0 {
				t.Fatalf("refused sockets counted: %d", n)
			}
			c.send(`40/mw,{"token":"ok"}`)
			c.expectConnected("/mw")
			s := recv(t, connected, "connection")
			if v, _ := s.Get("token"); v != "ok" {
				t.Fatalf("data set by middleware: %v", v)
			}
			mu.Lock()
			defer mu.Unlock()
			want := []string{"mw1", "mw2", "mw1", "mw2", "mw1", "mw2", "mw1", "mw2", "mw1", "mw2", "connection"}
			if !slices.Equal(order, want) {
				t.Fatalf("order %v, want %v", order, want)
			}
		})
	}
}

// TestMiddlewareJoin checks that rooms joined by connection middleware
// apply once the socket connects, and that a refused socket joins nothing.
func TestMiddlewareJoin(t *testing.T) {
	ts := startServer(t, Config{})
	ns := ts.io.Of("/")
	ns.Use(func(s *Socket) error {
		s.Join("from-mw", "other")
		s.Leave("other")
		var a struct{ Refuse bool }
		_ = s.Handshake().AuthValue(&a)
		if a.Refuse {
			return errors.New("no")
		}
		return nil
	})
	var mu sync.Mutex
	var events []string
	ns.OnRoomEvent(func(e RoomEvent) {
		if e.Room == "from-mw" || e.Room == "other" {
			mu.Lock()
			events = append(events, e.Kind.String()+" "+e.Room)
			mu.Unlock()
		}
	})
	ch := socketsOf(ns)
	c := ts.ws()
	c.send(`40{"refuse":true}`)
	c.expectText(`44{"message":"no"}`)
	if r := ns.Rooms(); len(r) != 0 {
		t.Fatalf("refused socket joined %v", r)
	}
	c.connect("/")
	s := recv(t, ch, "connection")
	if !slices.Equal(s.Rooms(), []string{s.ID(), "from-mw"}) {
		t.Fatalf("rooms %v", s.Rooms())
	}
	if r := ns.Rooms(); !reflect.DeepEqual(r, map[string]int{"from-mw": 1}) {
		t.Fatalf("Namespace.Rooms %v", r)
	}
	_ = ns.To("from-mw").Emit("hi")
	c.expectText(`42["hi"]`)
	mu.Lock()
	defer mu.Unlock()
	if !slices.Equal(events, []string{"create-room from-mw", "join-room from-mw"}) {
		t.Fatalf("room events %v", events)
	}
}

// TestDynamicNamespaces checks OfRegexp and OfFunc parents: children are
// created on first CONNECT, OnNewNamespace sees them once, parent
// middleware runs before the child's, parent handlers and connection
// handlers apply, Children and ParentNamespace.Emit, and names no parent
// accepts are refused.
func TestDynamicNamespaces(t *testing.T) {
	ts := startServer(t, Config{})
	created := make(chan string, 8)
	ts.io.OnNewNamespace(func(ns *Namespace) { created <- ns.Name() })
	var mu sync.Mutex
	var order []string
	note := func(s string) { mu.Lock(); order = append(order, s); mu.Unlock() }

	p := ts.io.OfRegexp(regexp.MustCompile(`^/room-\d+$`))
	p.Use(func(s *Socket) error { note("parent " + s.Namespace().Name()); return nil })
	p.OnConnection(func(s *Socket) { note("connection " + s.Namespace().Name()) })
	p.On("where", func(e *Event) { _ = e.Ack(e.Socket().Namespace().Name()) })

	f := ts.io.OfFunc(func(name string, auth []byte) bool {
		return strings.HasPrefix(name, "/vip-") && strings.Contains(string(auth), `"vip":true`)
	})
	f.On("where", func(e *Event) { _ = e.Ack("vip") })

	c := ts.ws()
	c.send("40/room-1,")
	c.expectConnected("/room-1")
	if name := recv(t, created, "new namespace"); name != "/room-1" {
		t.Fatalf("OnNewNamespace(%q)", name)
	}
	child := ts.io.Of("/room-1")
	child.Use(func(s *Socket) error { note("child"); return nil })
	c.send(`42/room-1,1["where"]`)
	c.expectText(`43/room-1,1["/room-1"]`)

	c2 := ts.ws()
	c2.send("40/room-1,")
	c2.expectConnected("/room-1")
	// Connection handlers run on workers: let /room-1's finish before
	// /room-2's middleware, so that the order below is fixed.
	waitFor(t, "the second /room-1 connection handler", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(order) == 5
	})
	c2.send("40/room-2,")
	c2.expectConnected("/room-2")
	if name := recv(t, created, "new namespace"); name != "/room-2" {
		t.Fatalf("OnNewNamespace(%q)", name)
	}
	noRecv(t, created, 20*time.Millisecond, "new namespace")

	c2.send("40/room-x,")
	c2.expectText(`44/room-x,{"message":"Invalid namespace"}`)
	c2.send(`40/vip-1,{"vip":false}`)
	c2.expectText(`44/vip-1,{"message":"Invalid namespace"}`)
	c2.send(`40/vip-1,{"vip":true}`)
	c2.expectConnected("/vip-1")
	c2.send(`42/vip-1,5["where"]`)
	c2.expectText(`43/vip-1,5["vip"]`)

	kids := p.Children()
	names := []string{kids[0].Name(), kids[1].Name()}
	slices.Sort(names)
	if len(kids) != 2 || !slices.Equal(names, []string{"/room-1", "/room-2"}) {
		t.Fatalf("Children: %v", names)
	}
	if err := p.Emit("all", 1); err != nil {
		t.Fatal(err)
	}
	c.expectText(`42/room-1,["all",1]`)
	got := []string{c2.nextText(), c2.nextText()}
	slices.Sort(got)
	if !slices.Equal(got, []string{`42/room-1,["all",1]`, `42/room-2,["all",1]`}) {
		t.Fatalf("ParentNamespace.Emit: %v", got)
	}
	mu.Lock()
	defer mu.Unlock()
	want := []string{"parent /room-1", "connection /room-1", "parent /room-1", "child", "connection /room-1", "parent /room-2", "connection /room-2"}
	if !slices.Equal(order, want) {
		t.Fatalf("order %v, want %v", order, want)
	}
}

// TestCleanupEmptyChildNamespaces: with the option, a child namespace
// goes when its last socket leaves (by a namespace disconnect, a closed
// connection, or a refused CONNECT), and a later CONNECT makes a new one;
// without it, children stay.
func TestCleanupEmptyChildNamespaces(t *testing.T) {
	for _, cleanup := range []bool{true, false} {
		t.Run(fmt.Sprintf("cleanup=%v", cleanup), func(t *testing.T) {
			ts := startServer(t, Config{CleanupEmptyChildNamespaces: cleanup})
			created := make(chan string, 8)
			ts.io.OnNewNamespace(func(ns *Namespace) { created <- ns.Name() })
			p := ts.io.OfRegexp(regexp.MustCompile(`^/dyn-\d+$`))
			p.Use(func(s *Socket) error {
				if strings.Contains(string(s.Handshake().Auth), "refuse") {
					return errors.New("refused")
				}
				return nil
			})
			children := func() []string {
				var out []string
				for _, ns := range p.Children() {
					out = append(out, ns.Name())
				}
				slices.Sort(out)
				return out
			}
			gone := func(name string) bool {
				for _, ns := range ts.io.Namespaces() {
					if ns.Name() == name {
						return false
					}
				}
				return !slices.Contains(children(), name)
			}

			c1, c2 := ts.ws(), ts.ws()
			c1.send("40/dyn-1,")
			c1.expectConnected("/dyn-1")
			c2.send("40/dyn-1,")
			c2.expectConnected("/dyn-1")
			recv(t, created, "new namespace")
			c1.send("41/dyn-1,")
			time.Sleep(50 * time.Millisecond)
			if got := children(); !slices.Equal(got, []string{"/dyn-1"}) {
				t.Fatalf("children with one socket left: %v", got)
			}
			c2.close()
			c1.send(`40/dyn-2,{"refuse":true}`)
			c1.expectText(`44/dyn-2,{"message":"refused"}`)
			recv(t, created, "new namespace")
			if !cleanup {
				time.Sleep(50 * time.Millisecond)
				if got := children(); !slices.Equal(got, []string{"/dyn-1", "/dyn-2"}) {
					t.Fatalf("children without cleanup: %v", got)
				}
				return
			}
			waitFor(t, "/dyn-1 and /dyn-2 to go", func() bool { return gone("/dyn-1") && gone("/dyn-2") })
			c1.send("40/dyn-1,")
			c1.expectConnected("/dyn-1")
			if name := recv(t, created, "new namespace"); name != "/dyn-1" {
				t.Fatalf("OnNewNamespace(%q), want a new /dyn-1", name)
			}
			if got := children(); !slices.Equal(got, []string{"/dyn-1"}) {
				t.Fatalf("children after reconnecting: %v", got)
			}
		})
	}
}

// TestServerShortcuts checks the Server methods that act on "/".
func TestServerShortcuts(t *testing.T) {
	ts := startServer(t, Config{})
	var mu sync.Mutex
	var order []string
	ts.io.Use(func(s *Socket) error { mu.Lock(); order = append(order, "server.Use"); mu.Unlock(); return nil })
	ts.io.Of("").Use(func(s *Socket) error { mu.Lock(); order = append(order, "of.Use"); mu.Unlock(); return nil })
	conns := make(chan *Socket, 1)
	ts.io.OnConnection(func(s *Socket) { conns <- s })
	c := ts.ws()
	c.connect("/")
	s := recv(t, conns, "connection")
	s.Join("r")
	if err := ts.io.To("r").Emit("to", 1); err != nil {
		t.Fatal(err)
	}
	c.expectText(`42["to",1]`)
	if err := ts.io.Emit("all"); err != nil {
		t.Fatal(err)
	}
	c.expectText(`42["all"]`)
	if ts.io.Of("x") != ts.io.Of("/x") {
		t.Fatal(`Of("x") is not Of("/x")`)
	}
	if ts.io.Engine() == nil || ts.io.Reactor() == nil || ts.io.Config().Path != "/socket.io/" {
		t.Fatal("accessors")
	}
	names := map[string]bool{}
	for _, ns := range ts.io.Namespaces() {
		names[ns.Name()] = true
	}
	if !names["/"] || !names["/x"] {
		t.Fatalf("Namespaces: %v", names)
	}
	if ts.io.Of("/").Server() != ts.io || ts.io.Of("/").Adapter() == nil {
		t.Fatal("Namespace accessors")
	}
	mu.Lock()
	defer mu.Unlock()
	if !slices.Equal(order, []string{"server.Use", "of.Use"}) {
		t.Fatalf("middleware order %v", order)
	}
}

// TestConfigDefaults checks NewServer's defaults and refusals.
func TestConfigDefaults(t *testing.T) {
	srv, err := NewServer(Config{Logger: tDiscardLog})
	if err != nil {
		t.Fatal(err)
	}
	c := srv.Config()
	if c.Path != "/socket.io/" || c.ConnectTimeout != 45*time.Second || c.MaxAttachments != 10 || c.Workers <= 0 ||
		c.MaxPendingEvents != 4096 || c.MaxPendingBytes != 8<<20 || c.Adapter == nil || c.Logger == nil {
		t.Fatalf("defaults %+v", c)
	}
	if srv.Reactor() != nil {
		t.Fatal("Reactor before Listen")
	}
	if err := srv.Shutdown(context.Background()); err == nil {
		t.Fatal("Shutdown of a server never attached succeeded")
	}
	for _, bad := range []Config{
		{ConnectTimeout: -1},
		{MaxAttachments: -1},
		{Workers: -1},
		{MaxPendingEvents: -1},
		{Engine: eio.Config{PingInterval: -1}},
	} {
		if _, err := NewServer(bad); err == nil {
			t.Fatalf("NewServer(%+v) succeeded", bad)
		}
	}
}

// TestMaxAttachments checks Config.MaxAttachments.
func TestMaxAttachments(t *testing.T) {
	ts := startServer(t, Config{MaxAttachments: 2})
	got := make(chan int, 1)
	ts.io.Of("/").On("ev", func(e *Event) { got <- len(e.Args.Attachments()) })
	c := ts.ws()
	c.connect("/")
	c.send(`452-["ev",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]`)
	c.sendBin([]byte{1})
	c.sendBin([]byte{2})
	if n := recv(t, got, "event"); n != 2 {
		t.Fatalf("%d attachments", n)
	}
	c.send(`453-["ev",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1},{"_placeholder":true,"num":2}]`)
	c.expectOnlyClose()
}

// TestOnDefault checks default handlers: they get every event without a
// handler of its own, after Socket.On, Namespace.On and the parent's On;
// a child's own default wins over its parent's.
func TestOnDefault(t *testing.T) {
	ts := startServer(t, Config{})
	ns := ts.io.Of("/")
	ns.On("known", func(e *Event) { _ = e.Ack("ns:" + e.Name) })
	ns.OnDefault(func(e *Event) { _ = e.Ack("default:" + e.Name) })
	ch := socketsOf(ns)
	c, s := ts.wsConnect("/", ch)
	s.On("mine", func(e *Event) { _ = e.Ack("socket:" + e.Name) })
	for i, ev := range []string{"known", "mine", "other", "12"} {
		if ev == "12" {
			c.send(fmt.Sprintf(`42%d[12]`, i))
		} else {
			c.send(fmt.Sprintf(`42%d["%s"]`, i, ev))
		}
	}
	c.expectText(`430["ns:known"]`)
	c.expectText(`431["socket:mine"]`)
	c.expectText(`432["default:other"]`)
	c.expectText(`433["default:12"]`)

	p := ts.io.OfRegexp(regexp.MustCompile(`^/dyn-`))
	p.On("named", func(e *Event) { _ = e.Ack("parent:" + e.Name) })
	p.OnDefault(func(e *Event) { _ = e.Ack("parent-default:" + e.Name) })
	c.send("40/dyn-a,")
	c.expectConnected("/dyn-a")
	c.send(`42/dyn-a,1["named"]`)
	c.expectText(`43/dyn-a,1["parent:named"]`)
	c.send(`42/dyn-a,2["x"]`)
	c.expectText(`43/dyn-a,2["parent-default:x"]`)
	ts.io.Of("/dyn-a").OnDefault(func(e *Event) { _ = e.Ack("child-default:" + e.Name) })
	c.send(`42/dyn-a,3["x"]`)
	c.expectText(`43/dyn-a,3["child-default:x"]`)
	c.send(`42/dyn-a,4["named"]`)
	c.expectText(`43/dyn-a,4["parent:named"]`)
}

// TestSocketContext checks SetContext and Context, and that the value is
// not part of Data or of FetchSockets.
func TestSocketContext(t *testing.T) {
	ts := startServer(t, Config{})
	ns := ts.io.Of("/")
	type identity struct{ User string }
	ns.Use(func(s *Socket) error { s.SetContext(&identity{User: "u1"}); return nil })
	ch := socketsOf(ns)
	_, s := ts.wsConnect("/", ch)
	if id, ok := s.Context().(*identity); !ok || id.User != "u1" {
		t.Fatalf("Context() = %#v", s.Context())
	}
	s.SetContext(nil)
	if s.Context() != nil {
		t.Fatalf("Context() after SetContext(nil) = %#v", s.Context())
	}
	s.SetContext("x")
	if len(s.Data()) != 0 {
		t.Fatalf("Data() = %v", s.Data())
	}
	rs, err := ns.Except().FetchSockets(context.Background())
	if err != nil || len(rs) != 1 || len(rs[0].Data) != 0 {
		t.Fatalf("FetchSockets: %+v %v", rs, err)
	}
	var mu sync.Mutex
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s.SetContext(i)
			mu.Lock()
			_ = s.Context()
			mu.Unlock()
		}()
	}
	wg.Wait()
}
