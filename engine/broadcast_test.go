package engine

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/heraldrt/herald/engine/eio"
)

// expectSeq checks the next messages of c, then that a marker event sent
// after them arrives next: nothing extra, nothing duplicated.
func expectSeq(t *testing.T, c *wsClient, want ...string) {
	t.Helper()
	for _, w := range want {
		if got := c.nextText(); got != w {
			t.Fatalf("got %q, want %q (sequence %q)", got, w, want)
		}
	}
}

// TestBroadcastOperators checks who receives what for To, In and Except
// chained with several rooms, socket ids as rooms, Socket.Broadcast,
// Socket.To/In/Except (which leave the sender out), with sockets spread
// over several event loops; each recipient gets exactly one copy, even
// when it is in two target rooms.
func TestBroadcastOperators(t *testing.T) {
	ts := startServer(t, Config{}, eio.ReactorConfig{Loops: 3})
	ns := ts.io.Of("/")
	ch := socketsOf(ns)
	const n = 6
	var cs [n]*wsClient
	var ss [n]*Socket
	for i := range n {
		cs[i], ss[i] = ts.wsConnect("/", ch)
	}
	ss[0].Join("a")
	ss[1].Join("a", "b")
	ss[2].Join("b")
	ss[3].Join("c")
	ss[5].Join("a", "c")

	steps := []struct {
		name string
		emit func(ev string) error
		to   []int
	}{
		{"To(a,b)", func(ev string) error { return ns.To("a", "b").Emit(ev) }, []int{0, 1, 2, 5}},
		{"In(b,a)", func(ev string) error { return ns.In("b", "a").Emit(ev) }, []int{0, 1, 2, 5}},
		{"To(a).To(b).Except(c)", func(ev string) error { return ns.To("a").To("b").Except("c").Emit(ev) }, []int{0, 1, 2}},
		{"In(b).Except(a)", func(ev string) error { return ns.In("b").Except("a").Emit(ev) }, []int{2}},
		{"Except(a)", func(ev string) error { return ns.Except("a").Emit(ev) }, []int{2, 3, 4}},
		{"Except(a,c)", func(ev string) error { return ns.Except("a").Except("c").Emit(ev) }, []int{2, 4}},
		{"s1.Broadcast", func(ev string) error { return ss[1].Broadcast().Emit(ev) }, []int{0, 2, 3, 4, 5}},
		{"s1.To(a)", func(ev string) error { return ss[1].To("a").Emit(ev) }, []int{0, 5}},
		{"s1.In(a,b)", func(ev string) error { return ss[1].In("a", "b").Emit(ev) }, []int{0, 2, 5}},
		{"s0.Except(b)", func(ev string) error { return ss[0].Except("b").Emit(ev) }, []int{3, 4, 5}},
		{"s5.In(c,a)", func(ev string) error { return ss[5].In("c", "a").Emit(ev) }, []int{0, 1, 3}},
		{"To(id4,c)", func(ev string) error { return ns.To(ss[4].ID(), "c").Emit(ev) }, []int{3, 4, 5}},
		{"To(id3,c) dedup", func(ev string) error { return ns.To(ss[3].ID(), "c", ss[3].ID()).Emit(ev) }, []int{3, 5}},
		{"To(id3).Except(id3)", func(ev string) error { return ns.To(ss[3].ID()).Except(ss[3].ID()).Emit(ev) }, nil},
		{"To(nope)", func(ev string) error { return ns.To("nope").Emit(ev) }, nil},
		{"Except(nope)", func(ev string) error { return ns.Except("nope").Emit(ev) }, []int{0, 1, 2, 3, 4, 5}},
		{"Emit", func(ev string) error { return ns.Emit(ev) }, []int{0, 1, 2, 3, 4, 5}},
		{"Volatile.Local.Compress", func(ev string) error { return ns.Volatile().Local().To("c").Compress(true).Emit(ev) }, []int{3, 5}},
	}
	want := make([][]string, n)
	for i, st := range steps {
		ev := fmt.Sprintf(`42["e%d"]`, i)
		if err := st.emit(fmt.Sprintf("e%d", i)); err != nil {
			t.Fatalf("%s: %v", st.name, err)
		}
		for _, j := range st.to {
			want[j] = append(want[j], ev)
		}
	}
	_ = ns.Emit("end")
	for i := range n {
		expectSeq(t, cs[i], append(want[i], `42["end"]`)...)
	}
}

// TestBroadcastOperatorImmutable checks that operators are values: adding
// rooms to a derived operator does not change its parent, and Options
// reports the selection and flags.
func TestBroadcastOperatorImmutable(t *testing.T) {
	ts := startServer(t, Config{})
	ns := ts.io.Of("/")
	base := ns.To("a", "b")
	x := base.To("x")
	y := base.To("y").Except("e").Volatile()
	if got := base.Options(); !slices.Equal(got.Rooms, []string{"a", "b"}) || len(got.Except) != 0 || got.Volatile {
		t.Fatalf("base %+v", got)
	}
	if got := x.Options(); !slices.Equal(got.Rooms, []string{"a", "b", "x"}) {
		t.Fatalf("x %+v", got)
	}
	if got := y.Options(); !slices.Equal(got.Rooms, []string{"a", "b", "y"}) || !slices.Equal(got.Except, []string{"e"}) || !got.Volatile {
		t.Fatalf("y %+v", got)
	}
	if got := ns.Local().Compress(true).Options(); !got.Local || !got.Compress {
		t.Fatalf("flags %+v", got)
	}
}

// TestBroadcastBinaryAndNamespaces checks a binary broadcast in a custom
// namespace, to WebSocket and polling clients, and that other namespaces
// of the same connection see nothing.
func TestBroadcastBinaryAndNamespaces(t *testing.T) {
	ts := startServer(t, Config{})
	ns := ts.io.Of("/n")
	ch := socketsOf(ns)
	c1, _ := ts.wsConnect("/n", ch)
	c1.connect("/")
	p, _ := ts.pollConnect("/n", ch)
	if err := ns.Emit("bin", map[string]any{"b": []byte{1, 2}}, "s"); err != nil {
		t.Fatal(err)
	}
	ts.io.Of("/").To("nobody").Emit("x")
	c1.expectText(`451-/n,["bin",{"b":{"_placeholder":true,"num":0}},"s"]`)
	c1.expectBin([]byte{1, 2})
	got := p.getN(2)
	if string(got[0].data) != `451-/n,["bin",{"b":{"_placeholder":true,"num":0}},"s"]` || !got[1].binary || string(got[1].data) != "\x01\x02" {
		t.Fatalf("polling broadcast %v", got)
	}
	c1.expectSilence(30 * time.Millisecond)
}

// TestVolatile checks volatile emits: delivered on an idle WebSocket and
// to a polling client with a held GET, dropped for a polling client with
// no GET pending, for broadcasts and Socket.Volatile alike.
func TestVolatile(t *testing.T) {
	ts := startServer(t, Config{})
	ns := ts.io.Of("/")
	ch := socketsOf(ns)
	c, s := ts.wsConnect("/", ch)
	_ = ns.Volatile().Emit("v1")
	_ = s.Volatile().Emit("v2")
	c.expectText(`42["v1"]`)
	c.expectText(`42["v2"]`)

	p, ps := ts.pollConnect("/", ch)
	// Broadcasts are delivered asynchronously: EmitCount waits for the
	// delivery, so that the GET below cannot be held before it. Emits to
	// one socket are queued on its loop in order, before "kept".
	ctx := context.Background()
	if n, err := ns.Volatile().EmitCount(ctx, "dropped1"); err != nil || n != 1 {
		t.Fatalf("volatile EmitCount: %d %v, want only the WebSocket client", n, err)
	}
	_ = ps.Volatile().Emit("dropped2")
	_ = ps.Timeout(time.Second).Volatile().Emit("dropped3")
	if n, err := ns.To(ps.ID()).EmitCount(ctx, "kept"); err != nil || n != 1 {
		t.Fatalf("EmitCount: %d %v", n, err)
	}
	got := p.getN(1)
	if len(got) != 1 || string(got[0].data) != `42["kept"]` {
		t.Fatalf("polling client without a GET got %v", got)
	}
	c.expectText(`42["dropped1"]`)

	held := p.park(ps)
	_ = ps.Volatile().Emit("v3")
	if got := recv(t, held, "poll"); len(got) != 1 || string(got[0].data) != `42["v3"]` {
		t.Fatalf("held GET got %v", got)
	}
	held = p.park(ps)
	_ = ns.Volatile().To(ps.ID()).Emit("v4")
	if got := recv(t, held, "poll"); len(got) != 1 || string(got[0].data) != `42["v4"]` {
		t.Fatalf("held GET got %v", got)
	}
}

// recordingAdapter wraps the memory adapter and counts the calls that
// reach it.
type recordingAdapter struct {
	Adapter
	broadcasts atomic.Int32
}

// TestLocalBypassesAdapter checks that Local operations skip the
// namespace's adapter and still reach this node's sockets, and that a
// custom adapter sees the others.
func TestLocalBypassesAdapter(t *testing.T) {
	var ad *recordingAdapter
	ts := startServer(t, Config{Adapter: func(ns *Namespace) Adapter {
		a := &recordingAdapter{Adapter: MemoryAdapter(ns)}
		if ns.Name() == "/" {
			ad = a
		}
		return a
	}})
	ns := ts.io.Of("/")
	if ns.Adapter() != Adapter(ad) {
		t.Fatal("Namespace.Adapter is not the factory's adapter")
	}
	ch := socketsOf(ns)
	c, _ := ts.wsConnect("/", ch)
	_ = ns.Local().Emit("local")
	c.expectText(`42["local"]`)
	if n := ad.broadcasts.Load(); n != 0 {
		t.Fatalf("adapter saw %d broadcasts", n)
	}
	// The wrapped adapter is not a CountingAdapter.
	if _, err := ns.Except().EmitCount(context.Background(), "x"); err == nil {
		t.Fatal("EmitCount through a non-counting adapter succeeded")
	}
	if n, err := ns.Local().EmitCount(context.Background(), "y"); err != nil || n != 1 {
		t.Fatalf("Local EmitCount: %d %v", n, err)
	}
	c.expectText(`42["y"]`)
}

func (a *recordingAdapter) Broadcast(p *Packet, opts BroadcastOptions) error {
	a.broadcasts.Add(1)
	return a.Adapter.Broadcast(p, opts)
}

// TestEmitCount checks recipient counts over several loops.
func TestEmitCount(t *testing.T) {
	ts := startServer(t, Config{}, eio.ReactorConfig{Loops: 3})
	ns := ts.io.Of("/")
	ch := socketsOf(ns)
	var socks []*Socket
	var cs []*wsClient
	for range 7 {
		c, s := ts.wsConnect("/", ch)
		socks, cs = append(socks, s), append(cs, c)
	}
	for i, s := range socks {
		if i%2 == 0 {
			s.Join("even")
		}
		if i < 3 {
			s.Join("low")
		}
	}
	ctx := context.Background()
	for _, tc := range []struct {
		op   BroadcastOperator
		want int
	}{
		{ns.To("even"), 4},
		{ns.To("even", "low"), 5},
		{ns.To("low").Except("even"), 1},
		{ns.Except("low"), 4},
		{ns.Except(), 7},
		{socks[0].Broadcast(), 6},
		{ns.To("nobody"), 0},
	} {
		n, err := tc.op.EmitCount(ctx, "c")
		if err != nil || n != tc.want {
			t.Fatalf("EmitCount(%+v) = %d %v, want %d", tc.op.Options(), n, err, tc.want)
		}
	}
	if n, err := ns.Except().EmitCount(ctx, "disconnect"); !errors.Is(err, ErrReservedEvent) || n != 0 {
		t.Fatalf("reserved: %d %v", n, err)
	}
	total := 0
	for _, c := range cs {
		for {
			m, ok := c.tryNext(30 * time.Millisecond)
			if !ok {
				break
			}
			if string(m.data) != `42["c"]` {
				t.Fatalf("unexpected %v", m)
			}
			total++
		}
	}
	if total != 4+5+1+4+7+6 {
		t.Fatalf("%d deliveries", total)
	}
}

// TestBroadcastEmitWithAck checks broadcasts that collect every
// recipient's answer, binary ones included, the timeout with partial
// answers (*AckTimeoutError), an empty selection, and the context.
func TestBroadcastEmitWithAck(t *testing.T) {
	ts := startServer(t, Config{}, eio.ReactorConfig{Loops: 2})
	ns := ts.io.Of("/")
	ch := socketsOf(ns)
	cs := ts.wsMembers(ch, "r", 3)
	type res struct {
		args []Args
		err  error
	}
	call := func(op BroadcastOperator, ctx context.Context) <-chan res {
		out := make(chan res, 1)
		go func() {
			a, err := op.EmitWithAck(ctx, "q", "x")
			out <- res{a, err}
		}()
		return out
	}
	answers := func(r res) []string {
		var out []string
		for _, a := range r.args {
			b, _ := a.MarshalJSON()
			out = append(out, string(b))
		}
		sort.Strings(out)
		return out
	}

	got := call(ns.To("r").Timeout(5*time.Second), context.Background())
	for i, c := range cs {
		text := c.nextText()
		id := ackID(t, text)
		if !strings.HasSuffix(text, `["q","x"]`) {
			t.Fatalf("broadcast with ack: %q", text)
		}
		if i == 2 {
			c.send("461-" + id + `[{"_placeholder":true,"num":0}]`)
			c.sendBin([]byte{7})
			continue
		}
		c.send(fmt.Sprintf("43%s[%d]", id, i))
	}
	r := recv(t, got, "EmitWithAck")
	if r.err != nil || !slices.Equal(answers(r), []string{"[0]", "[1]", `[{"_placeholder":true,"num":0}]`}) {
		t.Fatalf("answers %v %v", answers(r), r.err)
	}
	for _, a := range r.args {
		if len(a.Attachments()) == 1 {
			var b []byte
			if err := a.Decode(0, &b); err != nil || b[0] != 7 {
				t.Fatalf("binary answer %v %v", b, err)
			}
		}
	}

	// One client does not answer: the timeout returns the others.
	start := time.Now()
	got = call(ns.In("r").Timeout(150*time.Millisecond), context.Background())
	for i, c := range cs {
		id := ackID(t, c.nextText())
		if i > 0 {
			c.send("43" + id + `["late?"]`)
		}
	}
	r = recv(t, got, "EmitWithAck")
	var te *AckTimeoutError
	if !errors.As(r.err, &te) || !errors.Is(r.err, ErrAckTimeout) || te.Expected != 3 || len(te.Responses) != 2 || len(r.args) != 2 {
		t.Fatalf("timeout: %v %+v args %d", r.err, te, len(r.args))
	}
	if d := time.Since(start); d < 140*time.Millisecond {
		t.Fatalf("timed out after %v", d)
	}

	// Nobody selected: an empty answer at once.
	r = recv(t, call(ns.To("nobody").Timeout(time.Hour), context.Background()), "EmitWithAck")
	if r.err != nil || len(r.args) != 0 {
		t.Fatalf("empty selection: %v %v", r.args, r.err)
	}

	// The context ends the wait.
	ctx, cancel := context.WithCancel(context.Background())
	got = call(ns.To("r"), ctx)
	for _, c := range cs {
		c.nextText()
	}
	cancel()
	r = recv(t, got, "EmitWithAck")
	if r.err == nil {
		t.Fatal("EmitWithAck returned without error after cancel")
	}
	if _, err := ns.To("r").EmitWithAck(context.Background(), "connect"); !errors.Is(err, ErrReservedEvent) {
		t.Fatalf("reserved: %v", err)
	}
}

// TestBroadcastEmitWithAckLimit: answers beyond MaxAckBytes are counted,
// so that the broadcast completes when everyone answered, but not kept;
// the caller learns how many were dropped.
func TestBroadcastEmitWithAckLimit(t *testing.T) {
	ts := startServer(t, Config{MaxAckBytes: 25})
	ns := ts.io.Of("/")
	ch := socketsOf(ns)
	cs := ts.wsMembers(ch, "r", 3)
	got := make(chan error, 1)
	var kept []Args
	go func() {
		var err error
		kept, err = ns.To("r").Timeout(5*time.Second).EmitWithAck(context.Background(), "q")
		got <- err
	}()
	for _, c := range cs {
		id := ackID(t, c.nextText())
		c.send("43" + id + `["01234567890123456789"]`) // over 20 bytes each: one fits
	}
	err := recv(t, got, "EmitWithAck")
	var le *AckLimitError
	if !errors.As(err, &le) || !errors.Is(err, ErrAckLimit) || le.Expected != 3 || le.Dropped != 2 || len(le.Responses) != 1 || len(kept) != 1 {
		t.Fatalf("over the limit: %v %+v kept %d", err, le, len(kept))
	}
}

// TestFetchSockets checks FetchSockets at server and namespace level and
// the RemoteSocket fields and methods.
func TestFetchSockets(t *testing.T) {
	ts := startServer(t, Config{})
	ns := ts.io.Of("/")
	ch := socketsOf(ns)
	c1, s1 := ts.wsConnect("/", ch, wsOpts{query: "who=one"})
	c2, s2 := ts.wsConnect("/", ch)
	s1.Join("r", "q")
	s1.Set("name", "one")
	ctx := context.Background()

	all, err := ts.io.To().FetchSockets(ctx)
	if err != nil || len(all) != 2 {
		t.Fatalf("server FetchSockets: %d %v", len(all), err)
	}
	rs, err := ns.In("r").FetchSockets(ctx)
	if err != nil || len(rs) != 1 {
		t.Fatalf("In(r).FetchSockets: %d %v", len(rs), err)
	}
	r := rs[0]
	if r.ID != s1.ID() || !slices.Equal(r.Rooms, []string{s1.ID(), "q", "r"}) || r.Data["name"] != "one" ||
		r.Handshake == nil || r.Handshake.Query.Get("who") != "one" || string(r.Handshake.Auth) != "{}" {
		t.Fatalf("RemoteSocket %+v", r)
	}
	if r.Transport != "websocket" {
		t.Fatalf("RemoteSocket.Transport %q", r.Transport)
	}
	b, _ := json.Marshal(r)
	var keys map[string]json.RawMessage
	_ = json.Unmarshal(b, &keys)
	for _, k := range []string{"id", "handshake", "rooms", "data", "transport"} {
		if _, ok := keys[k]; !ok {
			t.Fatalf("RemoteSocket JSON %s lacks %q", b, k)
		}
	}
	if rs, _ := ns.Except("r").FetchSockets(ctx); len(rs) != 1 || rs[0].ID != s2.ID() {
		t.Fatalf("Except(r).FetchSockets: %v", rs)
	}
	if rs, _ := s2.Broadcast().FetchSockets(ctx); len(rs) != 1 || rs[0].ID != s1.ID() {
		t.Fatalf("Broadcast().FetchSockets: %v", rs)
	}

	if err := r.Emit("remote", 1); err != nil {
		t.Fatal(err)
	}
	c1.expectText(`42["remote",1]`)
	if err := r.Join("j1", "j2"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the remote join", func() bool { return s1.InRoom("j1") && s1.InRoom("j2") })
	if err := r.Leave("j1"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the remote leave", func() bool { return !s1.InRoom("j1") })
	reasons := disconnects(s1)
	if err := r.Disconnect(false); err != nil {
		t.Fatal(err)
	}
	c1.expectText("41")
	expectReason(t, reasons, ReasonServerNamespaceDisconnect)
	c1.expectSilence(30 * time.Millisecond)

	// A description from elsewhere acts on the socket through the adapter.
	nr := NewRemoteSocket(ns, s2.ID(), nil, nil, nil)
	if err := nr.Emit("via-new", true); err != nil {
		t.Fatal(err)
	}
	c2.expectText(`42["via-new",true]`)
}

// TestSocketsJoinLeaveDisconnect checks SocketsJoin, SocketsLeave and
// DisconnectSockets with and without closing the connections.
func TestSocketsJoinLeaveDisconnect(t *testing.T) {
	ts := startServer(t, Config{}, eio.ReactorConfig{Loops: 2})
	ns := ts.io.Of("/")
	ch := socketsOf(ns)
	var cs []*wsClient
	var ss []*Socket
	for range 4 {
		c, s := ts.wsConnect("/", ch)
		cs, ss = append(cs, c), append(ss, s)
	}
	ss[0].Join("a")
	ss[1].Join("a")
	if err := ns.In("a").SocketsJoin("x", "y"); err != nil {
		t.Fatal(err)
	}
	if err := ns.SocketsJoin("all"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the joins", func() bool {
		r := ns.Rooms()
		return r["x"] == 2 && r["y"] == 2 && r["all"] == 4
	})
	if err := ns.Except("a").SocketsLeave("all"); err != nil {
		t.Fatal(err)
	}
	if err := ns.SocketsLeave("y"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the leaves", func() bool {
		return reflect.DeepEqual(ns.Rooms(), map[string]int{"a": 2, "x": 2, "all": 2})
	})
	_ = ns.To("all").Emit("all")
	cs[0].expectText(`42["all"]`)
	cs[1].expectText(`42["all"]`)

	r0, r2 := disconnects(ss[0]), disconnects(ss[2])
	if err := ns.In("x").Except(ss[1].ID()).DisconnectSockets(false); err != nil {
		t.Fatal(err)
	}
	cs[0].expectText("41")
	expectReason(t, r0, ReasonServerNamespaceDisconnect)
	cs[0].connect("/")
	if err := ns.To(ss[2].ID(), ss[3].ID()).DisconnectSockets(true); err != nil {
		t.Fatal(err)
	}
	cs[2].expectText("41")
	cs[2].expectOnlyClose()
	cs[3].expectText("41")
	cs[3].expectOnlyClose()
	expectReason(t, r2, ReasonServerNamespaceDisconnect)
	cs[1].expectSilence(30 * time.Millisecond)
	if n := ns.SocketCount(); n != 2 {
		t.Fatalf("%d sockets left, want 2", n)
	}
}

// TestRoomEvents checks OnRoomEvent: create-room then join-room, then
// leave-room then delete-room when the last member goes, for the own-id
// room too, and the Namespace.Rooms counts along the way.
func TestRoomEvents(t *testing.T) {
	ts := startServer(t, Config{})
	ns := ts.io.Of("/")
	var mu sync.Mutex
	var events []RoomEvent
	ns.OnRoomEvent(func(e RoomEvent) { mu.Lock(); events = append(events, e); mu.Unlock() })
	ch := socketsOf(ns)
	c1, s1 := ts.wsConnect("/", ch)
	_, s2 := ts.wsConnect("/", ch)
	s1.Join("r")
	s2.Join("r")
	if got := ns.Rooms(); got["r"] != 2 {
		t.Fatalf("Rooms %v", got)
	}
	s1.Leave("r")
	s2.Join("z")
	c1.close()
	waitFor(t, "s1 to go", func() bool { return ns.SocketCount() == 1 })
	s2.Leave("r")
	if got := ns.Rooms(); !reflect.DeepEqual(got, map[string]int{"z": 1}) {
		t.Fatalf("Rooms %v", got)
	}
	mu.Lock()
	defer mu.Unlock()
	str := func(e RoomEvent) string { return e.Kind.String() + " " + e.Room + " " + e.SocketID }
	var got []string
	for _, e := range events {
		got = append(got, str(e))
	}
	id1, id2 := s1.ID(), s2.ID()
	want := []string{
		"create-room " + id1 + " ", "join-room " + id1 + " " + id1,
		"create-room " + id2 + " ", "join-room " + id2 + " " + id2,
		"create-room r ", "join-room r " + id1,
		"join-room r " + id2,
		"leave-room r " + id1,
		"create-room z ", "join-room z " + id2,
		"leave-room " + id1 + " " + id1, "delete-room " + id1 + " ",
		"leave-room r " + id2, "delete-room r ",
	}
	if !slices.Equal(got, want) {
		t.Fatalf("events\n%q\nwant\n%q", got, want)
	}
	for i, k := range []RoomEventKind{RoomCreated, RoomDeleted, SocketJoined, SocketLeft} {
		if k.String() != []string{"create-room", "delete-room", "join-room", "leave-room"}[i] {
			t.Fatalf("kind %d = %q", k, k.String())
		}
	}
}

// wsMembers connects n WebSocket clients to "/" and joins their sockets to
// room.
func (ts *tServer) wsMembers(ch <-chan *Socket, room string, n int) []*wsClient {
	cs := make([]*wsClient, n)
	for i := range cs {
		c, s := ts.wsConnect("/", ch)
		s.Join(room)
		cs[i] = c
	}
	return cs
}
