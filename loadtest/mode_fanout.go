package loadtest

import (
	"context"
	"fmt"
	"net/http"
	"time"
)

// fanout runs the fanout, push and churn scenarios: every member joins the
// room, messages are published at the configured rate (by the first member,
// or through POST /broadcast in push mode), and every member records each
// message's latency. Churn adds connections that come and go meanwhile.
func (r *run) fanout(ctx context.Context, tr transport, rep *reporter, res *Result) error {
	res.Rate, res.Messages, res.Payload = r.cfg.Rate, r.cfg.Messages, r.cfg.Payload
	conns, err := r.openMembers(ctx, tr, res)
	defer r.closeAll(conns)
	if err != nil {
		return err
	}
	members := r.conns.ready.Load()
	if members == 0 || len(conns) == 0 {
		return fmt.Errorf("no connection became ready: %s", r.errs.summary())
	}

	var pc pubCounters
	pub, concurrent := r.socketPublisher(conns[0], &pc), false
	if r.cfg.Mode == ModePush {
		hc := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: pushConcurrency}}
		defer hc.CloseIdleConnections()
		pub, concurrent = r.pushPublisher(hc, &pc), true
	}

	rep.setPhase("publish")
	rep.measure()
	w := r.openWindow()
	stopChurn := func() {}
	if r.cfg.Mode == ModeChurn {
		stopChurn = r.startChurn(ctx, tr)
	}
	publishAll(ctx, pub, r.cfg.Messages, r.cfg.Rate, concurrent)
	res.PublishS = time.Since(w.start).Seconds()

	rep.setPhase("drain")
	expected := func() int64 { return pc.sent.Load() * members }
	end, srv, gen := r.drain(ctx, expected)
	stopChurn()
	rep.setPhase("close")

	var lat, rtt Snapshot
	res.Malformed = r.snapshot(&lat, &rtt)
	res.Sent, res.PublishFailed, res.Recipients = pc.sent.Load(), pc.failed.Load(), pc.recipients.Load()
	res.Expected = expected()
	res.Deliveries = int64(lat.Total)
	w.close(r, res, end, srv, gen, res.Deliveries)
	if res.WindowS > 0 {
		res.DeliveriesPerSec = float64(res.Deliveries) / res.WindowS
	}
	sum := lat.Summary()
	res.Latency = &sum
	if r.cfg.Mode == ModeChurn {
		res.Churn = &ChurnResult{Rate: r.cfg.ChurnRate, OK: r.churn.ok.Load(), Failed: r.churn.failed.Load()}
	}
	return ctx.Err()
}

// drainPoll is how often drain looks at the delivery count.
const drainPoll = 10 * time.Millisecond

// drain waits after the last publish until the deliveries reach expected,
// or none arrives for DrainIdle, or Drain has passed. It returns when the
// last delivery was seen, with both processes' CPU read then, so that the
// window ends with the work and not with the wait.
func (r *run) drain(ctx context.Context, expected func() int64) (end time.Time, srv, gen time.Duration) {
	start := time.Now()
	end, srv, gen = start, r.server.cpu(), r.self.cpu()
	last := r.deliveries()
	for last < expected() {
		if !sleepCtx(ctx, drainPoll) {
			break
		}
		now := time.Now()
		if d := r.deliveries(); d > last {
			last, end = d, now
			srv, gen = r.server.cpu(), r.self.cpu()
			continue
		}
		if now.Sub(end) > r.cfg.DrainIdle || now.Sub(start) > r.cfg.Drain {
			r.errs.add(fmt.Sprintf("drain: gave up waiting for %d deliveries", expected()-last))
			break
		}
	}
	return end, srv, gen
}
