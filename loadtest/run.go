package loadtest

import (
	"context"
	"fmt"
	"os"
	"sort"
	"sync"
	"sync/atomic"
	"time"
)

// shard holds the statistics of one event loop (or of a group of polling
// connections): each is written by one goroutine at a time, so its atomic
// adds stay uncontended, and the reporter merges them.
type shard struct {
	lat       Histogram // fanout delivery latency
	rtt       Histogram // echo round trips
	malformed atomic.Int64

	// pkt and frame are scratch buffers of the loop that owns the shard,
	// used by websocket connections only.
	pkt, frame []byte
}

// connCounters count member connections.
type connCounters struct {
	open    atomic.Int64 // transport connections open now, churn included
	ready   atomic.Int64 // connected (and joined)
	failed  atomic.Int64 // never became ready
	dropped atomic.Int64 // closed by the server or broken after being ready
}

// churnCounters count churn operations (connect, then disconnect).
type churnCounters struct {
	started atomic.Int64
	ok      atomic.Int64
	failed  atomic.Int64
}

// run is the state of one Run: its configuration, the packets it sends and
// the counters every connection updates.
type run struct {
	cfg   Config
	pk    *packets
	conns connCounters
	churn churnCounters
	// echoUntil is the Unix-ns deadline of the echo loop; 0 stops it.
	echoUntil atomic.Int64
	// stopping is set when the generator closes everything: closes are no
	// longer failures.
	stopping atomic.Bool
	errs     errorLog

	shardsMu sync.Mutex
	shards   []*shard

	server, self proc
}

func newRun(cfg Config) (*run, error) {
	pk, err := newPackets(cfg.Room, cfg.Payload)
	if err != nil {
		return nil, err
	}
	if cfg.Mode == ModeIdle || cfg.Mode == ModeEcho {
		pk.join = nil // members only connect
	}
	ticks := clockTicks()
	r := &run{
		cfg:    cfg,
		pk:     pk,
		server: proc{pid: cfg.ServerPID, ticks: ticks},
		self:   proc{pid: os.Getpid(), ticks: ticks},
	}
	return r, nil
}

// newShard adds a statistics shard.
func (r *run) newShard() *shard {
	s := new(shard)
	r.shardsMu.Lock()
	r.shards = append(r.shards, s)
	r.shardsMu.Unlock()
	return s
}

// snapshot merges every shard's histograms into lat and rtt.
func (r *run) snapshot(lat, rtt *Snapshot) (malformed int64) {
	*lat, *rtt = Snapshot{}, Snapshot{}
	var one Snapshot
	r.shardsMu.Lock()
	defer r.shardsMu.Unlock()
	for _, s := range r.shards {
		s.lat.Snapshot(&one)
		lat.Merge(&one)
		s.rtt.Snapshot(&one)
		rtt.Merge(&one)
		malformed += s.malformed.Load()
	}
	return malformed
}

// deliveries is the number of fanout messages received so far.
func (r *run) deliveries() int64 {
	var n uint64
	r.shardsMu.Lock()
	defer r.shardsMu.Unlock()
	for _, s := range r.shards {
		n += s.lat.count()
	}
	return int64(n)
}

// fail accounts for a connection that is closing because of err (nil for a
// clean close by the server) and marks it closing, so that it is counted
// once. Closes the generator asked for are not counted.
func (r *run) fail(s *session, err error) {
	prev := s.state
	s.state = stClosing
	if prev == stClosing || r.stopping.Load() {
		return
	}
	if err == nil {
		err = errServerClose
	}
	switch {
	case s.role == roleChurn:
		r.churn.failed.Add(1)
		r.errs.add("churn (" + prev.String() + "): " + err.Error())
	case prev < stReady:
		r.conns.failed.Add(1)
		r.errs.add("connect (" + prev.String() + "): " + err.Error())
	default:
		r.conns.dropped.Add(1)
		r.errs.add("dropped: " + err.Error())
	}
}

// dialFailed accounts for a connection that could not be opened.
func (r *run) dialFailed(rl role, err error) {
	if rl == roleChurn {
		r.churn.failed.Add(1)
		r.errs.add("churn: " + err.Error())
		return
	}
	r.conns.failed.Add(1)
	r.errs.add("connect: " + err.Error())
}

// errorLog counts errors by message, keeping a bounded number of them, so
// that a report says what went wrong and not only how often.
type errorLog struct {
	mu     sync.Mutex
	counts map[string]int64
	other  int64
}

const maxErrorKinds = 32

func (l *errorLog) add(msg string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.counts == nil {
		l.counts = make(map[string]int64)
	}
	if _, ok := l.counts[msg]; !ok && len(l.counts) >= maxErrorKinds {
		l.other++
		return
	}
	l.counts[msg]++
}

// snapshot copies the counts, other errors under "(other)".
func (l *errorLog) snapshot() map[string]int64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.counts) == 0 && l.other == 0 {
		return nil
	}
	m := make(map[string]int64, len(l.counts)+1)
	for k, v := range l.counts {
		m[k] = v
	}
	if l.other > 0 {
		m["(other)"] = l.other
	}
	return m
}

// summary is a one-line digest of the most frequent errors.
func (l *errorLog) summary() string {
	m := l.snapshot()
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return m[keys[i]] > m[keys[j]] })
	s := ""
	for i, k := range keys {
		if i == 3 {
			s += "; …"
			break
		}
		if i > 0 {
			s += "; "
		}
		s += fmt.Sprintf("%s ×%d", k, m[k])
	}
	return s
}

// sleepCtx sleeps for d or until ctx is done, reporting whether it slept
// the whole time.
func sleepCtx(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return ctx.Err() == nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}
