package loadtest

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

// recorder is an out that keeps what a session sends.
type recorder struct {
	sent   []string
	closed bool
	buf    []byte
}

func (r *recorder) scratch() []byte { return r.buf[:0] }
func (r *recorder) send(p []byte) error {
	r.sent = append(r.sent, string(p))
	r.buf = p[:0]
	return nil
}
func (r *recorder) close() { r.closed = true }

func testRun(t testing.TB, mode Mode) *run {
	t.Helper()
	cfg, err := Config{Mode: mode, Conns: 1}.withDefaults()
	if err != nil {
		t.Fatal(err)
	}
	r, err := newRun(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func feed(t *testing.T, s *session, o out, pkts ...string) {
	t.Helper()
	for _, p := range pkts {
		if err := s.handle(o, []byte(p), time.Now().UnixNano()); err != nil {
			t.Fatalf("packet %q: %v", p, err)
		}
	}
}

func TestSessionFanout(t *testing.T) {
	r := testRun(t, ModeFanout)
	s := &session{run: r, shard: r.newShard(), state: stOpening}
	var o recorder
	feed(t, s, &o, `0{"sid":"x","pingInterval":25000}`, `40{"sid":"y"}`)
	if strings.Join(o.sent, " ") != `40 420["join","bench"]` || s.state != stJoining {
		t.Fatalf("sent %q, state %d", o.sent, s.state)
	}
	feed(t, s, &o, `430[true]`)
	if s.state != stReady || r.conns.ready.Load() != 1 {
		t.Fatalf("state %d ready %d", s.state, r.conns.ready.Load())
	}
	sent := time.Now().Add(-3 * time.Millisecond).UnixNano()
	feed(t, s, &o, fmt.Sprintf(`42["msg",{"t":%d,"p":"xx"}]`, sent), `42["other",{}]`, `42/admin,["msg",{}]`, "2", "6")
	if o.sent[len(o.sent)-1] != "3" {
		t.Fatalf("ping answered with %q", o.sent[len(o.sent)-1])
	}
	var snap Snapshot
	s.shard.lat.Snapshot(&snap)
	if snap.Total != 1 || snap.Max < int64(3*time.Millisecond) {
		t.Fatalf("latency total %d max %d", snap.Total, snap.Max)
	}
	feed(t, s, &o, `42["msg",{"p":"no time"}]`)
	if s.shard.malformed.Load() != 1 {
		t.Fatal("message without time not counted as malformed")
	}
	if err := s.handle(&o, []byte("41"), 0); !errors.Is(err, errServerDisconnect) {
		t.Fatalf("disconnect: %v", err)
	}
	if err := s.handle(&o, []byte("1"), 0); !errors.Is(err, errServerClose) {
		t.Fatalf("close: %v", err)
	}
	if err := s.handle(&o, []byte("44{}"), 0); !errors.Is(err, errConnectRefused) {
		t.Fatalf("connect error: %v", err)
	}
	if err := s.handle(&o, []byte("0{}"), 0); !errors.Is(err, errUnexpectedOpen) {
		t.Fatalf("second open: %v", err)
	}
}

func TestSessionEcho(t *testing.T) {
	r := testRun(t, ModeEcho)
	s := &session{run: r, shard: r.newShard(), state: stOpening}
	var o recorder
	feed(t, s, &o, `0{}`, `40{"sid":"y"}`)
	if s.state != stReady || len(o.sent) != 1 {
		t.Fatalf("echo members do not join: sent %q", o.sent)
	}
	r.echoUntil.Store(time.Now().Add(time.Minute).UnixNano())
	if err := s.sendEcho(&o); err != nil {
		t.Fatal(err)
	}
	first := o.sent[len(o.sent)-1]
	if !strings.HasPrefix(first, `420["echo",{"t":`) {
		t.Fatalf("echo %q", first)
	}
	// The server acks with the same arguments.
	ack := "430[" + first[len(`420["echo",`):]
	feed(t, s, &o, ack)
	if last := o.sent[len(o.sent)-1]; !strings.HasPrefix(last, `421["echo",`) {
		t.Fatalf("next echo %q", last)
	}
	if s.shard.rtt.count() != 1 {
		t.Fatal("round trip not recorded")
	}
	// A stale ack id is not an echo.
	feed(t, s, &o, ack)
	if s.shard.malformed.Load() != 1 {
		t.Fatal("stale ack not counted")
	}
	// After the deadline acks stop the loop.
	r.echoUntil.Store(0)
	n := len(o.sent)
	feed(t, s, &o, "431"+ack[3:])
	if len(o.sent) != n || s.shard.rtt.count() != 1 {
		t.Fatal("echo went on after the deadline")
	}
}

func TestSessionChurn(t *testing.T) {
	r := testRun(t, ModeChurn)
	s := &session{run: r, shard: r.newShard(), state: stOpening, role: roleChurn}
	var o recorder
	feed(t, s, &o, `0{}`, `40{"sid":"y"}`)
	if !o.closed || o.sent[len(o.sent)-1] != "41" || r.churn.ok.Load() != 1 || s.state != stClosing {
		t.Fatalf("churn: sent %q closed %v ok %d", o.sent, o.closed, r.churn.ok.Load())
	}
	// A close after that is not a failure.
	r.fail(s, errServerClose)
	if r.churn.failed.Load() != 0 {
		t.Fatal("counted a close the generator asked for")
	}
}

func TestFailAccounting(t *testing.T) {
	r := testRun(t, ModeFanout)
	connecting := &session{run: r, state: stConnecting}
	ready := &session{run: r, state: stReady}
	r.fail(connecting, nil)
	r.fail(ready, errors.New("boom"))
	r.fail(ready, errors.New("boom again")) // counted once
	if r.conns.failed.Load() != 1 || r.conns.dropped.Load() != 1 {
		t.Fatalf("failed %d dropped %d", r.conns.failed.Load(), r.conns.dropped.Load())
	}
	errs := r.errs.snapshot()
	if errs["dropped: boom"] != 1 || errs["connect (connecting): "+errServerClose.Error()] != 1 {
		t.Fatalf("errors %v", errs)
	}
	r.stopping.Store(true)
	r.fail(&session{run: r, state: stReady}, errors.New("late"))
	if r.conns.dropped.Load() != 1 {
		t.Fatal("close while stopping counted")
	}
	if !strings.Contains(r.errs.summary(), "boom ×1") {
		t.Fatalf("summary %q", r.errs.summary())
	}
}
