// Package loadtest is Herald's load generator: a Socket.IO v5 / Engine.IO v4
// client written for load, which drives the bench app of
// shared/BENCH_PROTOCOL.md on any server and measures latency, throughput,
// and the server's CPU and memory per connection and per message.
//
// The generator shares the machine with the server it measures, so its own
// cost matters as much as its correctness. Websocket connections live on
// gnet's client event loops (one per core, no goroutine per connection);
// frames are parsed in place in the loop's read buffer; a received message
// is recognised by its first bytes and its send time read by scanning for
// its "t" key, with no JSON decoding and no allocation; latencies go into
// per-loop log-linear histograms. Every result reports the generator's own
// CPU next to the server's, so a reader can check it was not the bottleneck.
package loadtest

import (
	"context"
	"fmt"
	"time"
)

// Run performs one scenario and returns what it measured. The result is
// returned even when err is not nil, holding what was measured until then.
func Run(ctx context.Context, cfg Config) (*Result, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	r, err := newRun(cfg)
	if err != nil {
		return nil, err
	}
	res := &Result{
		Server: cfg.Name, Scenario: cfg.Scenario, Mode: cfg.Mode, Transport: cfg.Transport,
		URL: cfg.URL, StartedAt: time.Now().UTC(), Conns: cfg.Conns, ClockTicks: r.server.ticks,
		LoadAvg: [2]float64{loadAvg(), 0},
	}
	tr, err := r.newTransport()
	if err != nil {
		return nil, err
	}
	stall0, stallOK := cpuStall()
	rep := newReporter(r, cfg.Progress)
	repCtx, stopRep := context.WithCancel(ctx)
	repDone := make(chan struct{})
	go func() {
		defer close(repDone)
		rep.loop(repCtx)
	}()

	switch cfg.Mode {
	case ModeIdle:
		err = r.idle(ctx, tr, rep, res)
	case ModeEcho:
		err = r.echo(ctx, tr, rep, res)
	default:
		err = r.fanout(ctx, tr, rep, res)
	}
	stopRep()
	<-repDone
	if stopErr := tr.stop(); err == nil {
		err = stopErr
	}
	r.finish(res, rep)
	res.CPUPressurePct = -1
	if stall1, ok := cpuStall(); ok && stallOK && res.WallS > 0 {
		res.CPUPressurePct = 100 * (stall1 - stall0).Seconds() / res.WallS
	}
	return res, err
}

// finish fills in the figures every mode reports and judges completeness.
func (r *run) finish(res *Result, rep *reporter) {
	res.WallS = time.Since(res.StartedAt).Seconds()
	res.LoadAvg[1] = loadAvg()
	res.Ready = r.conns.ready.Load()
	res.ConnectFailed = r.conns.failed.Load()
	res.Dropped = r.conns.dropped.Load()
	res.Errors = r.errs.snapshot()
	res.Timeline, res.ServerRes.RSSSamples = rep.results()
	if rs := res.ServerRes.RSSSamples; len(rs) > 1 {
		// Growth is measured from the sample one interval into the window,
		// so that buffers a server allocates once, on its first messages,
		// are not taken for a leak; with two samples only, from the first.
		base := rs[min(1, len(rs)-2)]
		end := rs[len(rs)-1]
		for _, s := range rs {
			res.ServerRes.RSSMax = max(res.ServerRes.RSSMax, s.RSS)
		}
		if base.RSS > 0 {
			res.ServerRes.RSSGrowthPct = 100 * float64(end.RSS-base.RSS) / float64(base.RSS)
		}
		res.ServerRes.RSSGrowthBasis = fmt.Sprintf("%.0f s to %.0f s", base.T, end.T)
	}
	complete := res.Ready == int64(res.Conns) && res.ConnectFailed == 0 && res.Dropped == 0
	switch res.Mode {
	case ModeFanout, ModePush, ModeChurn:
		complete = complete && res.Sent == int64(res.Messages) && res.Deliveries == res.Expected && res.Expected > 0
	case ModeEcho:
		complete = complete && res.EchoOps > 0
	}
	if res.Churn != nil {
		complete = complete && res.Churn.Failed == 0 && res.Churn.OK > 0
	}
	res.Complete = complete
}

// window is a measured interval: CPU of both processes is read at its ends.
type window struct {
	start      time.Time
	srv0, gen0 time.Duration
}

func (r *run) openWindow() window {
	return window{start: time.Now(), srv0: r.server.cpu(), gen0: r.self.cpu()}
}

// close fills the result's resource figures for a window ending at end,
// with CPU readings srv and gen taken then and ops operations done in it.
func (w window) close(r *run, res *Result, end time.Time, srv, gen time.Duration, ops int64) {
	secs := end.Sub(w.start).Seconds()
	res.WindowS = secs
	fill := func(p *Resources, pid int, cpu time.Duration) {
		p.PID = pid
		p.CPUSeconds = cpu.Seconds()
		if secs > 0 {
			p.CPUCores = p.CPUSeconds / secs
		}
		if ops > 0 {
			p.CPUPerOpUs = p.CPUSeconds * 1e6 / float64(ops)
		}
	}
	if r.server.pid > 0 {
		fill(&res.ServerRes, r.server.pid, srv-w.srv0)
	}
	fill(&res.Generator, r.self.pid, gen-w.gen0)
}

// closeWindowNow closes w at the current time.
func (w window) closeNow(r *run, res *Result, ops int64) {
	w.close(r, res, time.Now(), r.server.cpu(), r.self.cpu(), ops)
}
