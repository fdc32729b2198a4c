package push_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/heraldrt/herald/api/config"
	"github.com/heraldrt/herald/api/gateway"
	"github.com/heraldrt/herald/engine"
)

func TestEmitToUserReachesAllItsSocketsAndNoOneElse(t *testing.T) {
	n := startNode(t, nil)
	alice1 := n.connect(t, "alice", "/")
	alice2 := n.connect(t, "alice", "/")
	bob := n.connect(t, "bob", "/")
	aliceOther := n.connect(t, "alice", "/other")
	all := []*client{alice1, alice2, bob, aliceOther}

	body := `{"event":"note","data":{"text":"hi <b>&</b>","n":12345678901234567890},"targets":{"users":["alice"]}}`
	out := n.mustPost(t, "/v1/emit", keyEmit, body)
	if got := recipients(t, out); got != 2 {
		t.Fatalf("recipients = %d, want 2 (alice's sockets in /)", got)
	}
	for _, c := range []*client{alice1, alice2} {
		e := c.expect(t, "note")
		if len(e.Args.Raw) != 1 {
			t.Fatalf("%s: %d arguments, want 1", c.name, len(e.Args.Raw))
		}
		// The data arrives byte for byte as sent: the big number is not
		// rounded through a float.
		if want := `{"text":"hi <b>&</b>","n":12345678901234567890}`; string(e.Args.Raw[0]) != want {
			t.Fatalf("%s got %s, want %s", c.name, e.Args.Raw[0], want)
		}
	}
	n.fence(t, "", all)
	if got := recipients(t, n.mustPost(t, "/v1/emit", keyEmit, map[string]any{
		"event": "note", "targets": map[string]any{"users": []string{"nobody"}},
	})); got != 0 {
		t.Fatalf("emit to an offline user: recipients = %d, want 0", got)
	}
	n.fence(t, "", all)
}

func TestEmitTargetsAreAUnionCountedOnce(t *testing.T) {
	n := startNode(t, nil)
	a := n.connect(t, "a", "/", "red")
	b := n.connect(t, "b", "/", "red", "blue")
	c := n.connect(t, "c", "/", "green")
	d := n.connect(t, "d", "/")
	e := n.connect(t, "e", "/")
	all := []*client{a, b, c, d, e}

	// b is in both rooms and named by id, d by user: each gets one copy.
	out := n.mustPost(t, "/v1/emit", keyEmit, map[string]any{
		"event": "mix",
		"data":  1,
		"targets": map[string]any{
			"rooms":   []string{"red", "blue"},
			"users":   []string{"d"},
			"sockets": []string{b.s.ID, "no-such-socket"},
		},
	})
	if got := recipients(t, out); got != 3 {
		t.Fatalf("recipients = %d, want 3 (a, b, d)", got)
	}
	n.fence(t, "mix", all, a, b, d)
}

func TestEmitToAllWithExcept(t *testing.T) {
	n := startNode(t, nil)
	a := n.connect(t, "a", "/", "muted")
	b := n.connect(t, "b", "/")
	c := n.connect(t, "c", "/")
	d := n.connect(t, "d", "/")
	o := n.connect(t, "a", "/other")
	all := []*client{a, b, c, d, o}

	out := n.mustPost(t, "/v1/emit", keyEmit, map[string]any{
		"event":   "news",
		"targets": map[string]any{"all": true},
		"except":  map[string]any{"rooms": []string{"muted"}, "sockets": []string{b.s.ID}, "users": []string{"c"}},
	})
	if got := recipients(t, out); got != 1 {
		t.Fatalf("recipients = %d, want 1 (d)", got)
	}
	n.fence(t, "news", all, d)
	e := n.mustPost(t, "/v1/emit", keyEmit, map[string]any{
		"namespace": "/other", "event": "news", "targets": map[string]any{"all": true},
	})
	if got := recipients(t, e); got != 1 {
		t.Fatalf("/other recipients = %d, want 1", got)
	}
	n.fence(t, "news", all, o)
}

func TestEmitArguments(t *testing.T) {
	n := startNode(t, nil)
	a := n.connect(t, "a", "/")

	n.mustPost(t, "/v1/emit", keyEmit, `{"event":"none","targets":{"users":["a"]}}`)
	if e := a.expect(t, "none"); len(e.Args.Raw) != 0 {
		t.Fatalf("no data: got %s, want no arguments", rawArgs(e))
	}
	n.mustPost(t, "/v1/emit", keyEmit, `{"event":"nil","data":null,"targets":{"users":["a"]}}`)
	if e := a.expect(t, "nil"); rawArgs(e) != "[null]" {
		t.Fatalf("data null: got %s, want [null]", rawArgs(e))
	}
	n.mustPost(t, "/v1/emit", keyEmit, "{\"event\":\"many\",\"args\":[ 1 ,\t\"two\" , {\"three\":[3]} ],\"targets\":{\"users\":[\"a\"]}}")
	if e := a.expect(t, "many"); rawArgs(e) != `[1,"two",{"three":[3]}]` {
		t.Fatalf("args: got %s", rawArgs(e))
	}
	n.mustPost(t, "/v1/emit", keyEmit, `{"event":"empty","args":[],"targets":{"users":["a"]}}`)
	if e := a.expect(t, "empty"); len(e.Args.Raw) != 0 {
		t.Fatalf("args []: got %s, want no arguments", rawArgs(e))
	}
	// An escaped event name is the same name.
	n.mustPost(t, "/v1/emit", keyEmit, `{"event":"caf\u00e9\/x","targets":{"users":["a"]}}`)
	a.expect(t, "café/x")
}

func TestEmitBinaryBecomesAttachments(t *testing.T) {
	n := startNode(t, nil)
	a := n.connect(t, "a", "/")
	b := n.connect(t, "b", "/")
	img := []byte{0, 1, 2, 250, 255, '\n', '"'}
	out := n.mustPost(t, "/v1/emit", keyEmit, map[string]any{
		"event": "file",
		"args": []any{
			map[string]any{"name": "x.png", "body": map[string]any{"$binary": "AAEC+v8KIg=="}, "list": []any{map[string]any{"$binary": ""}}},
			map[string]any{"$binary": "aGk="},
		},
		"targets": map[string]any{"users": []string{"a"}},
	})
	if got := recipients(t, out); got != 1 {
		t.Fatalf("recipients = %d, want 1", got)
	}
	e := a.expect(t, "file")
	if len(e.Args.Attachments) != 3 {
		t.Fatalf("%d attachments, want 3", len(e.Args.Attachments))
	}
	var first struct {
		Name string
		Body []byte
		List [][]byte
	}
	data(t, e, 0, &first)
	var second []byte
	data(t, e, 1, &second)
	if first.Name != "x.png" || !bytes.Equal(first.Body, img) || len(first.List) != 1 || len(first.List[0]) != 0 || string(second) != "hi" {
		t.Fatalf("got %+v and %q", first, second)
	}
	// A "/" escaped as "\/", as PHP writes it, is still base64.
	n.mustPost(t, "/v1/emit", keyEmit, `{"event":"slash","data":{"$binary":"\/\/8="},"targets":{"users":["a"]}}`)
	var slash []byte
	data(t, a.expect(t, "slash"), 0, &slash)
	if !bytes.Equal(slash, []byte{0xff, 0xff}) {
		t.Fatalf(`"\/\/8=" decoded to %v`, slash)
	}
	n.fence(t, "", []*client{a, b})
}

func TestEmitWithAckCollectsAnswers(t *testing.T) {
	n := startNode(t, nil)
	a := n.connect(t, "a", "/", "room")
	b := n.connect(t, "b", "/", "room")
	quiet := n.connect(t, "q", "/", "room")
	other := n.connect(t, "o", "/")
	answer := func(c *client, args ...any) {
		go func() {
			ctx, cancel := context.WithTimeout(context.Background(), wait)
			defer cancel()
			e, err := c.s.Next(ctx)
			if err != nil || e.Name != "ask" || !e.WantsAck() {
				t.Errorf("%s: got %v %v, want an ask wanting an ack", c.name, e.Name, err)
				return
			}
			if len(args) > 0 {
				_ = e.Ack(args...)
			}
		}()
	}

	// Everyone answers: the answers come back, binary as $binary.
	answer(a, map[string]any{"ok": true}, 2)
	answer(b, []byte{1, 2, 3})
	out := n.mustPost(t, "/v1/emit", keyEmit, map[string]any{
		"event": "ask", "data": "q?", "targets": map[string]any{"users": []string{"a", "b"}}, "ack_timeout_ms": 5000,
	})
	if recipients(t, out) != 2 || out["timed_out"] != false {
		t.Fatalf("answer %v, want 2 recipients, not timed out", out)
	}
	acks, _ := json.Marshal(out["acks"])
	if s := string(acks); s != `[[{"ok":true},2],[{"$binary":"AQID"}]]` && s != `[[{"$binary":"AQID"}],[{"ok":true},2]]` {
		t.Fatalf("acks = %s", s)
	}

	// One never answers: the partial answers come back after the timeout.
	answer(a, "yes")
	answer(b, "yes too")
	answer(quiet)
	start := time.Now()
	out = n.mustPost(t, "/v1/emit", keyEmit, map[string]any{
		"event": "ask", "targets": map[string]any{"rooms": []string{"room"}}, "ack_timeout_ms": 300,
	})
	if el := time.Since(start); el < 300*time.Millisecond {
		t.Fatalf("answered after %v, before the timeout", el)
	}
	if recipients(t, out) != 3 || out["timed_out"] != true || len(out["acks"].([]any)) != 2 {
		t.Fatalf("answer %v, want 3 recipients, 2 acks, timed out", out)
	}
	// Nobody selected: an empty, complete answer at once.
	out = n.mustPost(t, "/v1/emit", keyEmit, map[string]any{
		"event": "ask", "targets": map[string]any{"users": []string{"nobody"}}, "ack_timeout_ms": 5000,
	})
	if recipients(t, out) != 0 || out["timed_out"] != false || len(out["acks"].([]any)) != 0 {
		t.Fatalf("answer %v, want 0 recipients, no acks", out)
	}
	time.Sleep(50 * time.Millisecond) // let the answering goroutines finish
	n.fence(t, "", []*client{a, b, quiet, other})
}

// TestEmitWithAckBoundsTheAnswers: answers past engine.max_ack_bytes are
// counted in acks_dropped, not kept, and the emit still completes.
func TestEmitWithAckBoundsTheAnswers(t *testing.T) {
	n := startNode(t, func(c *config.Config) { c.Engine.MaxAckBytes = 40 })
	var cs []*client
	for _, u := range []string{"a", "b", "c"} {
		c := n.connect(t, u, "/", "room")
		cs = append(cs, c)
		go func() {
			ctx, cancel := context.WithTimeout(context.Background(), wait)
			defer cancel()
			if e, err := c.s.Next(ctx); err == nil && e.WantsAck() {
				_ = e.Ack(strings.Repeat("x", 30))
			}
		}()
	}
	out := n.mustPost(t, "/v1/emit", keyEmit, map[string]any{
		"event": "ask", "targets": map[string]any{"rooms": []string{"room"}}, "ack_timeout_ms": 5000,
	})
	if recipients(t, out) != 3 || out["timed_out"] != false || len(out["acks"].([]any)) != 1 || out["acks_dropped"] != 2.0 {
		t.Fatalf("answer %v, want 3 recipients, 1 ack kept, 2 dropped, not timed out", out)
	}
	time.Sleep(50 * time.Millisecond) // let the answering goroutines finish
	n.fence(t, "", cs)
}

func TestEmitVolatileReachesWritableClients(t *testing.T) {
	n := startNode(t, nil)
	a := n.connect(t, "a", "/")
	b := n.connect(t, "b", "/")
	out := n.mustPost(t, "/v1/emit", keyEmit, map[string]any{
		"event": "tick", "volatile": true, "targets": map[string]any{"users": []string{"a"}},
	})
	if recipients(t, out) != 1 {
		t.Fatalf("volatile to an idle WebSocket client: %v, want 1 recipient", out)
	}
	n.fence(t, "tick", []*client{a, b}, a)
}

func TestBatchSendsInOrderAndAnswersInOrder(t *testing.T) {
	n := startNode(t, nil)
	a := n.connect(t, "a", "/", "r")
	b := n.connect(t, "b", "/")
	o := n.connect(t, "a", "/other")
	out := n.mustPost(t, "/v1/batch", keyEmit, map[string]any{"emits": []any{
		map[string]any{"event": "one", "data": 1, "targets": map[string]any{"users": []string{"a"}}},
		map[string]any{"event": "two", "data": 2, "targets": map[string]any{"all": true}},
		map[string]any{"event": "three", "targets": map[string]any{"rooms": []string{"r", "nobody"}}},
		map[string]any{"namespace": "/other", "event": "four", "targets": map[string]any{"users": []string{"a"}}},
	}})
	res, _ := json.Marshal(out["results"])
	if string(res) != `[{"recipients":1},{"recipients":2},{"recipients":1},{"recipients":1}]` {
		t.Fatalf("results = %s", res)
	}
	for _, ev := range []string{"one", "two", "three"} {
		a.expect(t, ev)
	}
	b.expect(t, "two")
	o.expect(t, "four")
	n.fence(t, "", []*client{a, b, o})
}

// failingAdapter is the in-memory adapter, except that it fails every
// broadcast of a packet mentioning "fail", as a cluster link that went
// down would.
type failingAdapter struct{ engine.CountingAdapter }

func (a failingAdapter) BroadcastCount(ctx context.Context, p *engine.Packet, opts engine.BroadcastOptions) (int, error) {
	if bytes.Contains(p.Data, []byte(`"fail"`)) {
		return 0, errors.New("adapter down")
	}
	return a.CountingAdapter.BroadcastCount(ctx, p, opts)
}

// TestBatchFailingPartway: when an emit of a batch fails after others
// went out, the answer says how many were sent and invites no retry of the
// whole; when the first fails, nothing was sent and the answer says none.
func TestBatchFailingPartway(t *testing.T) {
	failing := gateway.WithAdapter(func(ns *engine.Namespace) engine.Adapter {
		return failingAdapter{engine.MemoryAdapter(ns).(engine.CountingAdapter)}
	})
	n := startNodeWith(t, []gateway.Option{failing}, nil, nil)
	a := n.connect(t, "a", "/")
	emit := func(event string) map[string]any {
		return map[string]any{"event": event, "targets": map[string]any{"users": []string{"a"}}}
	}
	r := n.request(t, "POST", "/v1/batch", keyEmit, map[string]any{"emits": []any{emit("one"), emit("two"), emit("fail"), emit("three")}})
	p := r.problem(t)
	if r.status != 500 || p.Sent == nil || *p.Sent != 2 || r.header.Get("Retry-After") != "" {
		t.Fatalf("batch failing at emits[2]: %d %s Retry-After %q, want 500 with sent 2 and no Retry-After",
			r.status, r.body, r.header.Get("Retry-After"))
	}
	a.expect(t, "one")
	a.expect(t, "two")
	n.fence(t, "", []*client{a})

	r = n.request(t, "POST", "/v1/batch", keyEmit, map[string]any{"emits": []any{emit("fail"), emit("one")}})
	if p := r.problem(t); r.status != 500 || p.Sent != nil {
		t.Fatalf("batch failing at emits[0]: %d %s, want 500 without sent", r.status, r.body)
	}
	n.fence(t, "", []*client{a})
}

func TestBatchIsValidatedWhole(t *testing.T) {
	n := startNode(t, nil)
	a := n.connect(t, "a", "/")
	for _, tc := range []struct {
		name   string
		emits  []any
		status int
		field  string
	}{
		{"bad third", []any{
			map[string]any{"event": "x", "targets": map[string]any{"all": true}},
			map[string]any{"event": "x", "targets": map[string]any{"all": true}},
			map[string]any{"event": "x", "targets": map[string]any{"rooms": []any{"ok", 7}}},
		}, 400, "emits[2].targets.rooms[1]"},
		{"unknown namespace last", []any{
			map[string]any{"event": "x", "targets": map[string]any{"all": true}},
			map[string]any{"namespace": "/nope", "event": "x", "targets": map[string]any{"all": true}},
		}, 404, "emits[1].namespace"},
		{"acks too long together", []any{
			map[string]any{"event": "x", "targets": map[string]any{"all": true}, "ack_timeout_ms": 20000},
			map[string]any{"event": "x", "targets": map[string]any{"all": true}, "ack_timeout_ms": 20000},
		}, 400, "emits"},
		{"empty", []any{}, 400, "emits"},
	} {
		r := n.request(t, http.MethodPost, "/v1/batch", keyEmit, map[string]any{"emits": tc.emits})
		if r.status != tc.status {
			t.Fatalf("%s: status %d, want %d: %s", tc.name, r.status, tc.status, r.body)
		}
		if p := r.problem(t); p.Field != tc.field {
			t.Fatalf("%s: field %q, want %q", tc.name, p.Field, tc.field)
		}
	}
	n.fence(t, "", []*client{a})
}
