package engine_test

// End-to-end tests: a real Herald server on a loopback port, driven by the
// official socket.io-client (npm socket.io-client 4.8.4) from the Node.js
// scripts in testdata/e2e/, once per transport mode (polling only,
// WebSocket only, polling upgraded to WebSocket). They need node and the
// root's node_modules (`npm ci`), which CI installs; without them they fail.

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/heraldrt/herald/engine"
)

// e2eWhoami is what the "whoami" handler acks: the server's view of a socket.
type e2eWhoami struct {
	Nsp       string          `json:"nsp"`
	ID        string          `json:"id"`
	ConnID    string          `json:"connId"`
	Transport string          `json:"transport"`
	Auth      json.RawMessage `json:"auth"`
}

func e2eWhoamiHandler(e *engine.Event) {
	s := e.Socket()
	_ = e.Ack(map[string]any{
		"nsp":       s.Namespace().Name(),
		"id":        s.ID(),
		"connId":    s.ConnID(),
		"transport": s.Transport(),
		"auth":      s.Handshake().Auth,
	})
}

// e2eTokenMiddleware admits sockets whose auth token is want.
func e2eTokenMiddleware(want string) engine.Middleware {
	return func(s *engine.Socket) error {
		var a struct {
			Token *string `json:"token"`
		}
		if err := s.Handshake().AuthValue(&a); err != nil {
			return err
		}
		if a.Token == nil {
			return engine.NewConnectError("no token", map[string]any{"nsp": s.Namespace().Name()})
		}
		if *a.Token != want {
			return engine.NewConnectError("unauthorized", map[string]any{
				"nsp": s.Namespace().Name(), "code": 401, "got": *a.Token,
			})
		}
		return nil
	}
}

type e2eConnectError struct {
	Message   string         `json:"message"`
	Data      map[string]any `json:"data"`
	Connected bool           `json:"connected"`
}

func TestE2EConnectMultiplexAuth(t *testing.T) {
	e2eEachMode(t, func(t *testing.T, mode string) {
		_, url := e2eServer(t, "127.0.0.1:0", engine.Config{}, func(srv *engine.Server) {
			srv.Use(e2eTokenMiddleware("root-token"))
			srv.Of("/").On("whoami", e2eWhoamiHandler)
			admin := srv.Of("/admin")
			admin.Use(e2eTokenMiddleware("admin-token"))
			admin.On("whoami", e2eWhoamiHandler)
		})
		var res struct {
			Transport                   string
			RootEngineID, AdminEngineID string
			RootSid, AdminSid           string
			RootWho, AdminWho           e2eWhoami
			RootStillWho, AdminStillWho e2eWhoami
			EngineTransport             string
			BadAdmin                    e2eConnectError
			RootBWho                    e2eWhoami
			RootBEngineID               string
			BadRoot, NoAuth, Unknown    e2eConnectError
		}
		e2eRun(t, &res, "connect.mjs", url, mode)

		want := e2eWant(mode)
		if res.Transport != want || res.EngineTransport != want {
			t.Errorf("client transport = %q/%q, want %q", res.Transport, res.EngineTransport, want)
		}
		// One engine connection carries both namespaces, on both sides.
		if res.RootEngineID == "" || res.RootEngineID != res.AdminEngineID {
			t.Errorf("client engine ids differ: / %q, /admin %q", res.RootEngineID, res.AdminEngineID)
		}
		for _, w := range []e2eWhoami{res.RootWho, res.AdminWho, res.RootStillWho, res.AdminStillWho} {
			if w.ConnID != res.RootEngineID {
				t.Errorf("server sees %s on connection %q, client engine id is %q", w.Nsp, w.ConnID, res.RootEngineID)
			}
			if w.Transport != want {
				t.Errorf("server sees %s on transport %q, want %q", w.Nsp, w.Transport, want)
			}
		}
		if res.RootWho.Nsp != "/" || res.AdminWho.Nsp != "/admin" {
			t.Errorf("namespaces = %q, %q", res.RootWho.Nsp, res.AdminWho.Nsp)
		}
		if res.RootWho.ID != res.RootSid || res.AdminWho.ID != res.AdminSid || res.RootSid == res.AdminSid {
			t.Errorf("socket ids: client / %q /admin %q, server / %q /admin %q",
				res.RootSid, res.AdminSid, res.RootWho.ID, res.AdminWho.ID)
		}
		if res.RootSid == res.RootEngineID {
			t.Errorf("socket id equals the engine id %q", res.RootSid)
		}
		var auth map[string]any
		if err := json.Unmarshal(res.AdminWho.Auth, &auth); err != nil ||
			!reflect.DeepEqual(auth, map[string]any{"token": "admin-token", "user": "ann"}) {
			t.Errorf("server saw /admin auth %s (%v)", res.AdminWho.Auth, err)
		}

		// Refusals carry the middleware's message and data.
		wantData := func(nsp, got string) map[string]any {
			return map[string]any{"nsp": nsp, "code": float64(401), "got": got}
		}
		if res.BadAdmin.Message != "unauthorized" || !reflect.DeepEqual(res.BadAdmin.Data, wantData("/admin", "wrong")) || res.BadAdmin.Connected {
			t.Errorf("bad /admin token: %+v", res.BadAdmin)
		}
		if res.RootBWho.Nsp != "/" || res.RootBWho.ConnID != res.RootBEngineID || res.RootBEngineID == res.RootEngineID {
			t.Errorf("/ beside a refused /admin: %+v (engine %q, first connection %q)", res.RootBWho, res.RootBEngineID, res.RootEngineID)
		}
		if res.BadRoot.Message != "unauthorized" || !reflect.DeepEqual(res.BadRoot.Data, wantData("/", "nope")) {
			t.Errorf("bad / token: %+v", res.BadRoot)
		}
		if res.NoAuth.Message != "no token" || !reflect.DeepEqual(res.NoAuth.Data, map[string]any{"nsp": "/"}) {
			t.Errorf("no auth: %+v", res.NoAuth)
		}
		if res.Unknown.Message != "Invalid namespace" {
			t.Errorf("unknown namespace: %+v", res.Unknown)
		}
	})
}

// e2eServerAcks is what the "server-acks" handler of TestE2EAcks saw.
type e2eServerAcks struct {
	withAck       []any // EmitWithAck("ask", 21): the client's answer
	withAckErr    error
	ackFunc       []any // Emit("ask", 5, AckFunc)
	ackFuncErr    error
	plainFunc     []any // Emit("ask", 6, func(Args, error))
	plainFuncErr  error
	timeoutErr    error // Timeout(200ms).EmitWithAck("ignore", 1)
	timeoutAfter  time.Duration
	timeoutFnErr  error // Timeout(200ms).Emit("ignore", 2, AckFunc)
	timeoutFnArgs int
	ctxErr        error // EmitWithAck with a 150 ms context, "ignore" 3
	lateFnCalls   int   // AckFunc calls after the first, per emit
}

func TestE2EAcks(t *testing.T) {
	e2eEachMode(t, func(t *testing.T, mode string) {
		var (
			mu            sync.Mutex
			sa            e2eServerAcks
			never         []bool // WantsAck of each "never" event
			fireWants     = true
			fireAckErr    error
			noArgsSecond  error
			serverAcksRan = make(chan struct{}, 1)
		)
		_, url := e2eServer(t, "127.0.0.1:0", engine.Config{}, func(srv *engine.Server) {
			ns := srv.Of("/")
			ns.On("echo", func(e *engine.Event) { _ = e.Ack(e.Args) })
			ns.On("noargs", func(e *engine.Event) {
				_ = e.Ack()
				err := e.Ack("again")
				mu.Lock()
				noArgsSecond = err
				mu.Unlock()
			})
			ns.On("fire-and-forget", func(e *engine.Event) {
				err := e.Ack("nobody asked")
				mu.Lock()
				fireWants, fireAckErr = e.WantsAck(), err
				mu.Unlock()
			})
			ns.On("last-fire-and-forget", func(e *engine.Event) { _ = e.Ack(true) })
			ns.On("never", func(e *engine.Event) {
				mu.Lock()
				never = append(never, e.WantsAck())
				mu.Unlock()
			})
			ns.On("server-acks", func(e *engine.Event) {
				s := e.Socket()
				var r e2eServerAcks
				decode := func(a engine.Args) []any {
					v, err := a.Values()
					if err != nil {
						return []any{"decode error: " + err.Error()}
					}
					return v
				}
				ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
				defer cancel()

				a, err := s.EmitWithAck(ctx, "ask", 21)
				r.withAck, r.withAckErr = decode(a), err

				type answer struct {
					args []any
					err  error
				}
				ch := make(chan answer, 4)
				// wait bounds every wait, so that a handler never blocks
				// the worker pool (and the server's Shutdown) for good.
				wait := func(ch chan answer) answer {
					select {
					case a := <-ch:
						return a
					case <-time.After(3 * time.Second):
						return answer{[]any{nil}, errors.New("AckFunc not called within 3s")}
					}
				}
				calls := 0
				if err := s.Emit("ask", 5, engine.AckFunc(func(a engine.Args, err error) {
					mu.Lock()
					calls++
					mu.Unlock()
					ch <- answer{decode(a), err}
				})); err != nil {
					r.ackFuncErr = err
				} else {
					got := wait(ch)
					r.ackFunc, r.ackFuncErr = got.args, got.err
				}
				if err := s.Emit("ask", 6, func(a engine.Args, err error) { ch <- answer{decode(a), err} }); err != nil {
					r.plainFuncErr = err
				} else {
					got := wait(ch)
					r.plainFunc, r.plainFuncErr = got.args, got.err
				}

				t0 := time.Now()
				_, r.timeoutErr = s.Timeout(200*time.Millisecond).EmitWithAck(ctx, "ignore", 1)
				r.timeoutAfter = time.Since(t0)

				if err := s.Timeout(200*time.Millisecond).Emit("ignore", 2, engine.AckFunc(func(a engine.Args, err error) {
					mu.Lock()
					calls++
					mu.Unlock()
					ch <- answer{[]any{a.Len()}, err}
				})); err != nil {
					r.timeoutFnErr = err
				} else {
					got := wait(ch)
					r.timeoutFnErr = got.err
					r.timeoutFnArgs, _ = got.args[0].(int)
				}

				short, cancelShort := context.WithTimeout(ctx, 150*time.Millisecond)
				_, r.ctxErr = s.EmitWithAck(short, "ignore", 3)
				cancelShort()

				time.Sleep(50 * time.Millisecond) // a second call would come now
				mu.Lock()
				r.lateFnCalls = calls - 2
				sa = r
				mu.Unlock()
				serverAcksRan <- struct{}{}
				_ = e.Ack(map[string]any{
					"withAck":    fmt.Sprint(r.withAck, r.withAckErr),
					"ackFunc":    fmt.Sprint(r.ackFunc, r.ackFuncErr),
					"timeoutErr": fmt.Sprint(r.timeoutErr),
					"ctxErr":     fmt.Sprint(r.ctxErr),
				})
			})
		})

		var res struct {
			Transport     string
			Echo          []any
			EchoWithAck   any
			NoArgs        int
			ClientTimeout struct {
				Error   *string
				Rest    []any
				Elapsed int
			}
			ClientTimeoutWithAck struct{ Error *string }
			AfterTimeout         any
			FireAndForget        any
			Server               map[string]string
			Asked                []float64
			Ignored              []struct {
				N           float64
				HasCallback bool
			}
		}
		e2eRun(t, &res, "acks.mjs", url, mode)
		e2eWait(t, serverAcksRan, time.Second, "the server-acks handler")

		if res.Transport != e2eWant(mode) {
			t.Errorf("transport %q, want %q", res.Transport, e2eWant(mode))
		}
		// Client to server.
		if want := []any{"hi", float64(42), map[string]any{"x": []any{float64(1), float64(2), map[string]any{"y": nil}}}}; !reflect.DeepEqual(res.Echo, want) {
			t.Errorf("echo ack = %#v, want %#v", res.Echo, want)
		}
		if res.EchoWithAck != "only" || res.AfterTimeout != "still here" || res.FireAndForget != true {
			t.Errorf("emitWithAck answers: %#v, %#v, %#v", res.EchoWithAck, res.AfterTimeout, res.FireAndForget)
		}
		if res.NoArgs != 0 {
			t.Errorf("ack without arguments reached the client with %d", res.NoArgs)
		}
		mu.Lock()
		if !errors.Is(noArgsSecond, engine.ErrAlreadyAcked) {
			t.Errorf("second Ack: %v, want ErrAlreadyAcked", noArgsSecond)
		}
		if fireWants || !errors.Is(fireAckErr, engine.ErrNoAck) {
			t.Errorf("event without ack id: WantsAck %v, Ack error %v", fireWants, fireAckErr)
		}
		if !slices.Equal(never, []bool{true, true}) {
			t.Errorf(`"never" events seen by the server (WantsAck each): %v, want two`, never)
		}
		r := sa
		mu.Unlock()
		// Client-side timeouts.
		if e := res.ClientTimeout.Error; e == nil || *e != "operation has timed out" || len(res.ClientTimeout.Rest) != 0 {
			t.Errorf("client timeout: %+v", res.ClientTimeout)
		}
		if res.ClientTimeout.Elapsed < 195 {
			t.Errorf("client timeout fired after %d ms, want ≥ 200", res.ClientTimeout.Elapsed)
		}
		if e := res.ClientTimeoutWithAck.Error; e == nil || *e != "operation has timed out" {
			t.Errorf("client emitWithAck timeout: %v", e)
		}

		// Server to client.
		wantAsk := func(n float64) []any {
			return []any{map[string]any{"doubled": 2 * n, "from": "client"}, "second"}
		}
		if r.withAckErr != nil || !reflect.DeepEqual(r.withAck, wantAsk(21)) {
			t.Errorf("EmitWithAck: %#v, %v", r.withAck, r.withAckErr)
		}
		if r.ackFuncErr != nil || !reflect.DeepEqual(r.ackFunc, wantAsk(5)) {
			t.Errorf("Emit with AckFunc: %#v, %v", r.ackFunc, r.ackFuncErr)
		}
		if r.plainFuncErr != nil || !reflect.DeepEqual(r.plainFunc, wantAsk(6)) {
			t.Errorf("Emit with func(Args, error): %#v, %v", r.plainFunc, r.plainFuncErr)
		}
		if !slices.Equal(res.Asked, []float64{21, 5, 6}) {
			t.Errorf("client got asks %v", res.Asked)
		}
		// Server-side timeouts.
		if !errors.Is(r.timeoutErr, engine.ErrAckTimeout) {
			t.Errorf("Timeout(200ms).EmitWithAck: %v, want ErrAckTimeout", r.timeoutErr)
		}
		// Measured from before the emit, so a correct timer can only make
		// it longer: fewer than 200 ms means the ack timer fired early.
		if r.timeoutAfter < 200*time.Millisecond || r.timeoutAfter > 3*time.Second {
			t.Errorf("Timeout(200ms).EmitWithAck returned after %v, want at least 200ms", r.timeoutAfter)
		}
		if !errors.Is(r.timeoutFnErr, engine.ErrAckTimeout) || r.timeoutFnArgs != 0 {
			t.Errorf("Timeout(200ms).Emit with AckFunc: %v (%d args), want ErrAckTimeout", r.timeoutFnErr, r.timeoutFnArgs)
		}
		if !errors.Is(r.ctxErr, context.DeadlineExceeded) {
			t.Errorf("EmitWithAck with an expiring context: %v", r.ctxErr)
		}
		if r.lateFnCalls != 0 {
			t.Errorf("AckFuncs were called %d extra times", r.lateFnCalls)
		}
		if len(res.Ignored) != 3 {
			t.Errorf("client got ignored asks %+v, want 1, 2, 3", res.Ignored)
		}
		for i, ig := range res.Ignored {
			if ig.N != float64(i+1) || !ig.HasCallback {
				t.Errorf("ignored ask %d: %+v", i, ig)
			}
		}
	})
}

// e2eCheckBuffers compares a decoded list of attachments with want.
func e2eCheckBuffers(what string, got any, want [][]byte) []string {
	list, ok := got.([]any)
	if !ok || len(list) != len(want) {
		return []string{fmt.Sprintf("%s: got %T %.200v, want %d buffers", what, got, got, len(want))}
	}
	var bad []string
	for i, v := range list {
		b, ok := v.([]byte)
		if !ok || !bytes.Equal(b, want[i]) {
			bad = append(bad, fmt.Sprintf("%s #%d: got %T of length %d, want %d bytes", what, i, v, len(b), len(want[i])))
		}
	}
	return bad
}

// e2ePath walks maps and slices decoded from JSON.
func e2ePath(v any, path ...any) any {
	for _, p := range path {
		switch k := p.(type) {
		case string:
			m, _ := v.(map[string]any)
			v = m[k]
		case int:
			s, _ := v.([]any)
			if k >= len(s) {
				return nil
			}
			v = s[k]
		}
	}
	return v
}

func TestE2EBinary(t *testing.T) {
	wantUp := [][]byte{e2ePattern(256, 1), e2ePattern(100000, 2), {}}
	wantDown := [][]byte{e2ePattern(300, 3), e2ePattern(70000, 4), {}}
	top := e2ePattern(5, 5)
	e2eEachMode(t, func(t *testing.T, mode string) {
		var (
			mu         sync.Mutex
			upProblems []string
			upAtts     int
			downProbs  []string
		)
		_, url := e2eServer(t, "127.0.0.1:0", engine.Config{}, func(srv *engine.Server) {
			ns := srv.Of("/")
			ns.On("bin-up", func(e *engine.Event) {
				var bad []string
				var v any
				if err := e.Args.Decode(0, &v); err != nil {
					bad = append(bad, "Decode(any): "+err.Error())
				}
				list := e2ePath(v, "a", "b")
				bad = append(bad, e2eCheckBuffers("any", list, wantUp)...)
				if e2ePath(v, "label") != "up" || e2ePath(v, "n") != float64(1) {
					bad = append(bad, fmt.Sprintf("plain fields: %v", v))
				}
				var st struct {
					A struct {
						B [][]byte `json:"b"`
					} `json:"a"`
					Label string `json:"label"`
				}
				if err := e.Args.Decode(0, &st); err != nil {
					bad = append(bad, "Decode(struct): "+err.Error())
				} else if len(st.A.B) != len(wantUp) || st.Label != "up" {
					bad = append(bad, fmt.Sprintf("struct: %d buffers, label %q", len(st.A.B), st.Label))
				} else {
					for i := range wantUp {
						if !bytes.Equal(st.A.B[i], wantUp[i]) {
							bad = append(bad, fmt.Sprintf("struct #%d: %d bytes, want %d", i, len(st.A.B[i]), len(wantUp[i])))
						}
					}
				}
				var b []byte
				if err := e.Args.Decode(1, &b); err != nil || !bytes.Equal(b, top) {
					bad = append(bad, fmt.Sprintf("top-level buffer: %v %v", b, err))
				}
				mu.Lock()
				upProblems, upAtts = bad, len(e.Args.Attachments())
				mu.Unlock()
				// Ack the received buffers back in another structure.
				_ = e.Ack(map[string]any{
					"check": map[string]any{"problems": bad},
					"echo":  map[string]any{"x": []any{map[string]any{"y": list}}},
				})
			})
			ns.On("bin-request", func(e *engine.Event) {
				ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
				defer cancel()
				payload := map[string]any{
					"a":     map[string]any{"b": []any{wantDown[0], wantDown[1], wantDown[2]}},
					"label": "down",
				}
				a, err := e.Socket().EmitWithAck(ctx, "bin-down", payload, top)
				var bad []string
				if err != nil {
					bad = append(bad, "EmitWithAck: "+err.Error())
				} else {
					var v any
					if err := a.Decode(0, &v); err != nil {
						bad = append(bad, "Decode: "+err.Error())
					}
					bad = append(bad, e2eCheckBuffers("echo", e2ePath(v, "echo", "a", "b"), wantDown)...)
				}
				mu.Lock()
				downProbs = bad
				mu.Unlock()
				_ = e.Ack(map[string]any{"problems": bad})
			})
		})
		var res struct {
			Transport   string
			UpServer    struct{ Problems []string }
			UpEchoBad   []string
			UpEchoTypes []string
			DownServer  struct{ Problems []string }
			Downs       []struct {
				Bad   []string
				Types []string
			}
		}
		e2eRun(t, &res, "binary.mjs", url, mode)
		if res.Transport != e2eWant(mode) {
			t.Errorf("transport %q, want %q", res.Transport, e2eWant(mode))
		}
		mu.Lock()
		defer mu.Unlock()
		if len(upProblems) > 0 || upAtts != 4 {
			t.Errorf("client to server: %d attachments (want 4); problems: %q", upAtts, upProblems)
		}
		if len(res.UpEchoBad) > 0 {
			t.Errorf("server ack echoing the client's buffers: %q (types %q)", res.UpEchoBad, res.UpEchoTypes)
		}
		if len(res.Downs) != 1 || len(res.Downs[0].Bad) > 0 {
			t.Errorf("server to client: %+v", res.Downs)
		}
		if len(downProbs) > 0 {
			t.Errorf("client ack echoing the server's buffers: %q", downProbs)
		}
	})
}

func TestE2ERoomsExcept(t *testing.T) {
	// Client i of rooms.mjs joins these rooms.
	rooms := [][]string{{}, {"a"}, {"a", "b"}, {"b"}, {"a", "c"}, {"c"}}
	// Each broadcast's tag and the clients that must get it, once.
	want := map[string][]int{
		"to-a-except-b":        {1, 4},
		"to-a-c-except-b":      {1, 4, 5},
		"except-a":             {0, 3, 5},
		"to-b-except-client-2": {3},
		"from-1-to-a":          {2, 4},
		"from-1-except-c":      {0, 2, 3},
		"to-client-3":          {3},
		"to-a-and-client-0":    {0, 1, 2, 4},
		"all":                  {0, 1, 2, 3, 4, 5},
	}
	order := []string{"to-a-except-b", "to-a-c-except-b", "except-a", "to-b-except-client-2",
		"from-1-to-a", "from-1-except-c", "to-client-3", "to-a-and-client-0", "all"}
	e2eEachMode(t, func(t *testing.T, mode string) {
		var (
			mu      sync.Mutex
			emitErr []error
		)
		_, url := e2eServer(t, "127.0.0.1:0", engine.Config{}, func(srv *engine.Server) {
			ns := srv.Of("/")
			ns.On("join", func(e *engine.Event) {
				var rs []string
				if err := e.Args.Decode(0, &rs); err != nil {
					_ = e.Ack(err.Error())
					return
				}
				e.Socket().Join(rs...)
				_ = e.Ack(e.Socket().Rooms()[1:])
			})
			ns.On("trigger", func(e *engine.Event) {
				var ids []string
				if err := e.Args.Decode(0, &ids); err != nil || len(ids) != len(rooms) {
					_ = e.Ack(fmt.Sprint("bad ids: ", ids, err))
					return
				}
				c1 := ns.Socket(ids[1])
				if c1 == nil {
					_ = e.Ack("client 1 not found")
					return
				}
				errs := []error{
					srv.To("a").Except("b").Emit("news", "to-a-except-b"),
					ns.To("a", "c").Except("b").Emit("news", "to-a-c-except-b"),
					ns.Except("a").Emit("news", "except-a"),
					ns.In("b").Except(ids[2]).Emit("news", "to-b-except-client-2"),
					c1.To("a").Emit("news", "from-1-to-a"),
					c1.Except("c").Emit("news", "from-1-except-c"),
					ns.To(ids[3]).Emit("news", "to-client-3"),
					ns.To("a", ids[0]).Emit("news", "to-a-and-client-0"),
					ns.Emit("news", "all"),
					// Broadcasts from one goroutine arrive in order, so
					// "end" comes after every "news".
					srv.Emit("end"),
				}
				mu.Lock()
				emitErr = errs
				mu.Unlock()
				_ = e.Ack("ok")
			})
		})
		var res struct {
			Transports []string
			Joined     [][]string
			Trigger    string
			Got        [][]string
		}
		e2eRun(t, &res, "rooms.mjs", url, mode)
		for i, tr := range res.Transports {
			if tr != e2eWant(mode) {
				t.Errorf("client %d transport %q, want %q", i, tr, e2eWant(mode))
			}
		}
		mu.Lock()
		for i, err := range emitErr {
			if err != nil {
				t.Errorf("broadcast %d: %v", i, err)
			}
		}
		mu.Unlock()
		if res.Trigger != "ok" {
			t.Fatalf("trigger: %q", res.Trigger)
		}
		for i, rs := range rooms {
			if i >= len(res.Joined) || !slices.Equal(res.Joined[i], rs) {
				t.Errorf("client %d: server rooms after join %v, want %v", i, res.Joined, rs)
				break
			}
		}
		if len(res.Got) != len(rooms) {
			t.Fatalf("got reports of %d clients", len(res.Got))
		}
		for i := range rooms {
			var expect []string
			for _, tag := range order {
				if slices.Contains(want[tag], i) {
					expect = append(expect, tag)
				}
			}
			if !slices.Equal(res.Got[i], expect) {
				t.Errorf("client %d (rooms %v) got %q, want %q", i, rooms[i], res.Got[i], expect)
			}
		}
	})
}

// e2eVolatileAck is one Volatile().Timeout(...) emit with an ack.
type e2eVolatileAck struct {
	answered bool
	answer   int
	err      error
	after    time.Duration
}

func TestE2EVolatile(t *testing.T) {
	e2eEachMode(t, func(t *testing.T, mode string) {
		var (
			mu   sync.Mutex
			errs []error
			acks []e2eVolatileAck
			done = make(chan struct{}, 1)
		)
		_, url := e2eServer(t, "127.0.0.1:0", engine.Config{}, func(srv *engine.Server) {
			ns := srv.Of("/")
			ns.On("ping", func(e *engine.Event) { _ = e.Ack("pong") })
			ns.On("volatile", func(e *engine.Event) {
				s := e.Socket()
				var es []error
				for i := range 10 {
					es = append(es, s.Volatile().Emit("v", i))
				}
				for i := range 5 {
					es = append(es, ns.Volatile().Emit("vb", i))
				}
				// A volatile emit with an ack ends with the client's answer
				// or, when it was dropped, with ErrAckTimeout: never with
				// the caller's context, never without a call.
				var as []e2eVolatileAck
				record := func(a engine.Args, err error, t0 time.Time) {
					va := e2eVolatileAck{err: err, after: time.Since(t0)}
					if err == nil {
						va.answered = true
						_ = a.Decode(0, &va.answer)
					}
					as = append(as, va)
				}
				ctx, cancel := context.WithTimeout(context.Background(), time.Second)
				t0 := time.Now()
				a, err := s.Volatile().Timeout(300*time.Millisecond).EmitWithAck(ctx, "v-ack", 0)
				record(a, err, t0)
				cancel()
				// A plain emit takes a held poll first, so that on polling
				// the next volatile emit finds the connection unwritable.
				_ = s.Emit("v-filler")
				ctx, cancel = context.WithTimeout(context.Background(), time.Second)
				t0 = time.Now()
				a, err = s.Volatile().Timeout(300*time.Millisecond).EmitWithAck(ctx, "v-ack", 1)
				record(a, err, t0)
				cancel()
				_ = s.Emit("v-filler")
				type answer struct {
					a   engine.Args
					err error
				}
				ch := make(chan answer, 2)
				t0 = time.Now()
				es = append(es, s.Volatile().Timeout(300*time.Millisecond).Emit("v-ack", 2, engine.AckFunc(func(a engine.Args, err error) {
					ch <- answer{a, err}
				})))
				select {
				case got := <-ch:
					record(got.a, got.err, t0)
				case <-time.After(time.Second):
					record(engine.Args{}, errors.New("AckFunc not called within 1s"), t0)
				}
				es = append(es, s.Emit("v-end"))
				mu.Lock()
				errs, acks = es, as
				mu.Unlock()
				done <- struct{}{}
				_ = e.Ack("ok")
			})
		})
		var res struct {
			Transport string
			V, Vb     []int
			Vack      []int
			Server    string
			After     string
		}
		e2eRun(t, &res, "volatile.mjs", url, mode)
		e2eWait(t, done, time.Second, "the volatile handler")
		if res.Transport != e2eWant(mode) {
			t.Errorf("transport %q, want %q", res.Transport, e2eWant(mode))
		}
		if res.Server != "ok" || res.After != "pong" {
			t.Errorf("server answered %q, then %q", res.Server, res.After)
		}
		mu.Lock()
		defer mu.Unlock()
		for i, err := range errs {
			if err != nil {
				t.Errorf("volatile emit %d: %v", i, err)
			}
		}
		// Whatever arrives arrives once and in order.
		inOrder := func(name string, got []int, n int) {
			for i, v := range got {
				if v < 0 || v >= n || i > 0 && v <= got[i-1] {
					t.Errorf("%s: got %v, want an increasing subset of 0..%d", name, got, n-1)
					return
				}
			}
			// A WebSocket with nothing backed up is writable: every
			// volatile packet goes out.
			if mode != "polling" && len(got) != n {
				t.Errorf("%s over WebSocket: got %v, want all %d", name, got, n)
			}
		}
		inOrder("volatile emits", res.V, 10)
		inOrder("volatile broadcasts", res.Vb, 5)
		inOrder("volatile emits with ack", res.Vack, 3)
		t.Logf("%s: received %d of 10 volatile emits, %d of 5 broadcasts, %d of 3 with ack", mode, len(res.V), len(res.Vb), len(res.Vack))
		var answered []int
		for i, a := range acks {
			switch {
			case a.answered:
				if a.answer != i {
					t.Errorf("volatile ack %d answered %d", i, a.answer)
				}
				answered = append(answered, i)
			case errors.Is(a.err, engine.ErrAckTimeout):
				if mode != "polling" {
					t.Errorf("volatile ack %d over WebSocket timed out", i)
				}
			default:
				t.Errorf("volatile emit %d with Timeout(300ms) and an ack ended with %v after %v; want the answer or ErrAckTimeout (a dropped volatile packet must still time out)", i, a.err, a.after.Round(time.Millisecond))
			}
		}
		if !slices.Equal(answered, res.Vack) && !(len(answered) == 0 && len(res.Vack) == 0) {
			t.Errorf("server got answers to %v, client saw %v", answered, res.Vack)
		}
	})
}

func TestE2EBurstInOrder(t *testing.T) {
	const n = 2000
	e2eEachMode(t, func(t *testing.T, mode string) {
		var (
			mu      sync.Mutex
			got     []int
			decErr  error
			emitErr error
			discon  []string
		)
		_, url := e2eServer(t, "127.0.0.1:0", engine.Config{}, func(srv *engine.Server) {
			ns := srv.Of("/")
			ns.OnConnection(func(s *engine.Socket) {
				s.OnDisconnect(func(reason string) {
					if reason == engine.ReasonClientNamespaceDisconnect || reason == engine.ReasonTransportClose {
						return // the script closing at its end
					}
					mu.Lock()
					discon = append(discon, reason)
					mu.Unlock()
				})
			})
			ns.On("up", func(e *engine.Event) {
				var i int
				err := e.Args.Decode(0, &i)
				mu.Lock()
				got = append(got, i)
				if err != nil && decErr == nil {
					decErr = err
				}
				mu.Unlock()
			})
			ns.On("up-done", func(e *engine.Event) {
				mu.Lock()
				count, bad := len(got), -1
				for i, v := range got {
					if v != i {
						bad = i
						break
					}
				}
				mu.Unlock()
				_ = e.Ack(map[string]any{"count": count, "firstOutOfOrder": bad, "transport": e.Socket().Transport()})
			})
			ns.On("down-start", func(e *engine.Event) {
				s := e.Socket()
				var err error
				for i := 0; i < n && err == nil; i++ {
					err = s.Emit("down", i)
				}
				if err == nil {
					err = s.Emit("down-end")
				}
				mu.Lock()
				emitErr = err
				mu.Unlock()
				_ = e.Ack("sent")
			})
		})
		var res struct {
			TransportAtBurst string
			Transport        string
			Up               struct {
				Count           int
				FirstOutOfOrder int
				Transport       string
			}
			SentOn    map[string]int
			DownAck   string
			DownCount int
			DownBad   []map[string]any
		}
		// A burst like this one (a loop of emits, which the client sends as
		// one polling payload or back-to-back WebSocket frames) must fit the
		// default MaxPendingEvents and MaxPendingBytes. If it did not, the
		// server log, printed on failure, would say "closing connection
		// whose events pile up faster than handlers run".
		e2eRun(t, &res, "burst.mjs", url, mode)
		mu.Lock()
		defer mu.Unlock()
		if len(discon) > 0 {
			t.Errorf("the server disconnected the bursting client: %q", discon)
		}
		t.Logf("%s: events sent per transport: %v", mode, res.SentOn)
		if res.Transport != e2eWant(mode) {
			t.Errorf("transport %q, want %q (at the burst: %q)", res.Transport, e2eWant(mode), res.TransportAtBurst)
		}
		if decErr != nil || emitErr != nil {
			t.Errorf("decode error %v, emit error %v", decErr, emitErr)
		}
		if res.Up.Count != n || res.Up.FirstOutOfOrder != -1 || len(got) != n {
			i := max(res.Up.FirstOutOfOrder, 0)
			t.Errorf("client to server: %d events (%d at the end), first out of order at %d: got %v…",
				res.Up.Count, len(got), res.Up.FirstOutOfOrder, got[i:min(i+5, len(got))])
		}
		if res.DownAck != "sent" || res.DownCount != n || len(res.DownBad) > 0 {
			t.Errorf("server to client: ack %q, %d events, out of order: %v", res.DownAck, res.DownCount, res.DownBad)
		}
	})
}

func TestE2EReconnectAfterRestart(t *testing.T) {
	e2eEachMode(t, func(t *testing.T, mode string) {
		var (
			mu       sync.Mutex
			reasons1 []string
			buffered = make(chan string, 4)
		)
		setup := func(n int) func(*engine.Server) {
			return func(srv *engine.Server) {
				ns := srv.Of("/")
				ns.On("hello", func(e *engine.Event) {
					msg, _ := e.Args.String(0)
					_ = e.Ack(map[string]any{"server": n, "msg": msg})
				})
				ns.On("buffered", func(e *engine.Event) {
					msg, _ := e.Args.String(0)
					buffered <- fmt.Sprint(n, " ", msg)
				})
				if n == 1 {
					ns.OnConnection(func(s *engine.Socket) {
						s.OnDisconnect(func(reason string) {
							mu.Lock()
							reasons1 = append(reasons1, reason)
							mu.Unlock()
						})
					})
				}
			}
		}
		srv1, url := e2eServer(t, "127.0.0.1:0", engine.Config{}, setup(1))
		addr := srv1.Reactor().Addr().String()
		p := e2eStart(t, "reconnect.mjs", url, mode)
		p.Step("connected", 15*time.Second)

		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		t0 := time.Now()
		err := srv1.Shutdown(ctx)
		took := time.Since(t0)
		cancel()
		if err != nil {
			t.Errorf("Shutdown: %v", err)
		}
		if took > 3*time.Second {
			t.Errorf("Shutdown with one live client took %v", took)
		}
		// A new server on the same port, right away.
		_, url2 := e2eServer(t, addr, engine.Config{}, setup(2))
		if url2 != url {
			t.Fatalf("second server on %s, want %s", url2, url)
		}
		p.Step("disconnected", 10*time.Second)

		var res struct {
			Transport, TransportAfter     string
			Reason                        string
			ActiveAfterDisconnect         bool
			FirstEngineID, SecondEngineID string
			FirstSid, SecondSid           string
			First, Second                 struct {
				Server int
				Msg    string
			}
			Reconnected       int
			ReconnectAttempts []int
			Errors            []string
		}
		p.Result(&res)
		t.Logf("%s: shutdown took %v; client reconnected after %d attempt(s)", mode, took.Round(time.Millisecond), res.Reconnected)

		if res.Transport != e2eWant(mode) || res.TransportAfter != e2eWant(mode) {
			t.Errorf("transport %q, after reconnecting %q, want %q", res.Transport, res.TransportAfter, e2eWant(mode))
		}
		if res.Reason != "transport close" && res.Reason != "transport error" {
			t.Errorf("client disconnect reason %q, want transport close", res.Reason)
		}
		if !res.ActiveAfterDisconnect {
			t.Errorf("client gave up after the disconnect")
		}
		if res.First.Server != 1 || res.First.Msg != "first" || res.Second.Server != 2 || res.Second.Msg != "second" {
			t.Errorf("answers: first %+v, second %+v", res.First, res.Second)
		}
		if res.FirstEngineID == "" || res.FirstEngineID == res.SecondEngineID || res.FirstSid == res.SecondSid {
			t.Errorf("engine ids %q → %q, socket ids %q → %q: want new ones", res.FirstEngineID, res.SecondEngineID, res.FirstSid, res.SecondSid)
		}
		if res.Reconnected < 1 || len(res.ReconnectAttempts) < 1 {
			t.Errorf("reconnect attempt %d, attempts %v", res.Reconnected, res.ReconnectAttempts)
		}
		if got := e2eWait(t, buffered, 2*time.Second, "the buffered event"); got != "2 while-down" {
			t.Errorf("buffered event reached %q, want server 2", got)
		}
		mu.Lock()
		defer mu.Unlock()
		if !slices.Equal(reasons1, []string{engine.ReasonServerShuttingDown}) {
			t.Errorf("first server's disconnect reasons %q, want %q", reasons1, engine.ReasonServerShuttingDown)
		}
	})
}
