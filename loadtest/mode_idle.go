package loadtest

import (
	"context"
)

// idle opens the connections, holds them for the configured duration while
// answering pings, and reports the server's RSS per connection.
func (r *run) idle(ctx context.Context, tr transport, rep *reporter, res *Result) error {
	before := r.server.rss()
	conns, err := r.openMembers(ctx, tr, res)
	defer r.closeAll(conns)
	if err != nil {
		return err
	}
	rep.setPhase("hold")
	rep.measure()
	w := r.openWindow()
	sleepCtx(ctx, r.cfg.Duration)
	w.closeNow(r, res, 0)
	after := r.server.rss()
	rep.setPhase("close")
	s := &res.ServerRes
	s.RSSBefore, s.RSSAfter = before, after
	if n := r.conns.ready.Load(); n > 0 && after > 0 {
		s.RSSPerConn = float64(after-before) / float64(n)
	}
	return ctx.Err()
}
