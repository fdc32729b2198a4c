package loadtest

import (
	"context"
	"fmt"
	"sync"
	"time"
)

// churnSettle bounds the wait for churn operations in flight when churn
// stops; those still unfinished then count as failed.
const churnSettle = 10 * time.Second

// startChurn starts connect+disconnect operations at ChurnRate per second,
// each a new connection that disconnects as soon as its CONNECT is
// answered. Operations in flight are bounded (a server that stops
// answering must not exhaust the generator's files); one over the bound
// counts as failed. The returned function stops churn and settles the
// counts.
func (r *run) startChurn(ctx context.Context, tr transport) (stop func()) {
	// Stopping ends the schedule only: operations under way finish with
	// the run's context, or they would be counted as failures of ours.
	pacer, cancel := context.WithCancel(ctx)
	maxInflight := int64(max(2*r.cfg.ChurnRate, 64))
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		conns []conn
	)
	inflight := func() int64 { return r.churn.started.Load() - r.churn.ok.Load() - r.churn.failed.Load() }
	wg.Add(1)
	go func() {
		defer wg.Done()
		interval := time.Duration(float64(time.Second) / r.cfg.ChurnRate)
		start := time.Now()
		for i := 0; ; i++ {
			if !sleepCtx(pacer, time.Until(start.Add(time.Duration(i)*interval))) {
				return
			}
			r.churn.started.Add(1)
			if inflight() > maxInflight {
				r.churn.failed.Add(1)
				r.errs.add("churn: too many operations in flight")
				continue
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				c, err := tr.dial(ctx, roleChurn)
				if err != nil {
					r.dialFailed(roleChurn, err)
					return
				}
				mu.Lock()
				conns = append(conns, c)
				mu.Unlock()
			}()
		}
	}()
	return func() {
		cancel()
		wg.Wait()
		deadline := time.Now().Add(churnSettle)
		for inflight() > 0 && time.Now().Before(deadline) {
			time.Sleep(10 * time.Millisecond)
		}
		if n := inflight(); n > 0 {
			r.churn.failed.Add(n)
			r.errs.add(fmt.Sprintf("churn: no answer to CONNECT within %s", churnSettle))
		}
		for _, c := range conns {
			_ = c.exec(func(s *session, o out) error {
				s.state = stClosing
				o.close()
				return nil
			})
		}
	}
}
