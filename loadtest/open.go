package loadtest

import (
	"context"
	"sync"
	"time"
)

// dialConcurrency bounds dials in flight: a TCP connect on loopback takes
// microseconds, and a server's accept backlog (511 for Node.js) is better
// not flooded.
const dialConcurrency = 64

// openMembers dials the configured member connections at the configured
// ramp, then waits until each is ready (connected, and joined when the run
// has a room) or has failed, or until the connect timeout, and records in
// res how long that took. It returns the connections dialed; the run's
// counters say how many are ready.
func (r *run) openMembers(ctx context.Context, tr transport, res *Result) ([]conn, error) {
	n := r.cfg.Conns
	defer func(t0 time.Time) { res.ConnectSeconds = time.Since(t0).Seconds() }(time.Now())
	var (
		mu    sync.Mutex
		conns = make([]conn, 0, n)
		wg    sync.WaitGroup
		sem   = make(chan struct{}, dialConcurrency)
	)
	interval := time.Duration(float64(time.Second) / r.cfg.Ramp)
	start := time.Now()
	for i := 0; i < n; i++ {
		if !sleepCtx(ctx, time.Until(start.Add(time.Duration(i)*interval))) {
			break
		}
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
		}
		if ctx.Err() != nil {
			break
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			c, err := tr.dial(ctx, roleMember)
			if err != nil {
				r.dialFailed(roleMember, err)
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
		}()
	}
	wg.Wait()
	deadline := time.Now().Add(r.cfg.ConnectTimeout)
	for r.conns.ready.Load()+r.conns.failed.Load() < int64(n) && time.Now().Before(deadline) {
		if !sleepCtx(ctx, 10*time.Millisecond) {
			break
		}
	}
	return conns, ctx.Err()
}

// closeAll closes every connection, no longer counting closes as failures,
// and waits a bounded time for them to go.
func (r *run) closeAll(conns []conn) {
	r.stopping.Store(true)
	for _, c := range conns {
		c.shutdown()
	}
	deadline := time.Now().Add(10 * time.Second)
	for r.conns.open.Load() > 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
}
