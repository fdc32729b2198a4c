package loadtest

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// echo runs the closed echo loop: every connection emits "echo" with an ack
// and emits the next as soon as the ack arrives, for the configured
// duration. Ops per second and round trips measure the request path.
func (r *run) echo(ctx context.Context, tr transport, rep *reporter, res *Result) error {
	conns, err := r.openMembers(ctx, tr, res)
	defer r.closeAll(conns)
	if err != nil {
		return err
	}
	if r.conns.ready.Load() == 0 {
		return fmt.Errorf("no connection became ready: %s", r.errs.summary())
	}
	rep.setPhase("echo")
	rep.measure()
	w := r.openWindow()
	deadline := w.start.Add(r.cfg.Duration)
	r.echoUntil.Store(deadline.UnixNano())
	var errs []error
	for _, c := range conns {
		err := c.exec(func(s *session, o out) error {
			if s.state != stReady {
				return nil
			}
			return s.sendEcho(o)
		})
		if err != nil {
			errs = append(errs, err)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("start echo loop: %w", err)
	}
	sleepCtx(ctx, time.Until(deadline))
	srv, gen := r.server.cpu(), r.self.cpu()
	var lat, rtt Snapshot
	res.Malformed = r.snapshot(&lat, &rtt)
	res.EchoOps = int64(rtt.Total)
	w.close(r, res, deadline, srv, gen, res.EchoOps)
	res.OpsPerSec = float64(res.EchoOps) / r.cfg.Duration.Seconds()
	sum := rtt.Summary()
	res.RTT = &sum
	res.Payload = r.cfg.Payload
	rep.setPhase("close")
	return ctx.Err()
}
