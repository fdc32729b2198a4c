package loadtest

import (
	"context"
	"fmt"
	"io"
	"sync"
	"time"
)

// reporter samples the run once a second: it prints a progress line, keeps
// the timeline, and samples the server's RSS during the measured window.
type reporter struct {
	r     *run
	w     io.Writer
	start time.Time

	mu       sync.Mutex
	phase    string
	timeline []Point
	// measured is when the measured window began, zero before.
	measured time.Time
	rss      []RSSSample
	lastRSS  time.Time

	// Previous second's cumulative figures; only the reporter's goroutine
	// touches them.
	prevLat, prevRTT Snapshot
	prevSrv, prevGen time.Duration
	prevAt           time.Time
	lat, rtt         Snapshot
}

func newReporter(r *run, w io.Writer) *reporter {
	now := time.Now()
	return &reporter{r: r, w: w, start: now, prevAt: now, phase: "connect",
		prevSrv: r.server.cpu(), prevGen: r.self.cpu()}
}

// setPhase names what the run is doing, for the timeline.
func (p *reporter) setPhase(phase string) {
	p.mu.Lock()
	p.phase = phase
	p.mu.Unlock()
}

// measure marks the start of the measured window and takes the first RSS
// sample.
func (p *reporter) measure() {
	now := time.Now()
	rss := p.r.server.rss()
	p.mu.Lock()
	defer p.mu.Unlock()
	p.measured, p.lastRSS = now, now
	if p.r.server.pid > 0 {
		p.rss = append(p.rss[:0], RSSSample{T: 0, RSS: rss})
	}
}

// loop ticks every second until ctx is done.
func (p *reporter) loop(ctx context.Context) {
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			p.tick()
		}
	}
}

// tick records one timeline point and prints it.
func (p *reporter) tick() {
	now := time.Now()
	r := p.r
	r.snapshot(&p.lat, &p.rtt)
	latTotal, rttTotal := p.lat.Total, p.rtt.Total
	dLat, dRTT := p.lat, p.rtt
	dLat.Sub(&p.prevLat)
	dRTT.Sub(&p.prevRTT)
	p.prevLat, p.prevRTT = p.lat, p.rtt

	srv, gen := r.server.cpu(), r.self.cpu()
	secs := now.Sub(p.prevAt).Seconds()
	srvCores := (srv - p.prevSrv).Seconds() / secs
	genCores := (gen - p.prevGen).Seconds() / secs
	p.prevSrv, p.prevGen, p.prevAt = srv, gen, now
	rss := r.server.rss()

	ms := func(ns int64) float64 { return float64(ns) / 1e6 }
	pt := Point{
		T:          now.Sub(p.start).Round(time.Millisecond).Seconds(),
		Ready:      r.conns.ready.Load(),
		Deliveries: dLat.Total,
		P50Ms:      ms(dLat.Quantile(0.5)),
		P90Ms:      ms(dLat.Quantile(0.9)),
		P99Ms:      ms(dLat.Quantile(0.99)),
		P999Ms:     ms(dLat.Quantile(0.999)),
		MaxMs:      ms(dLat.Max),
		EchoOps:    dRTT.Total,
		RTTP50Ms:   ms(dRTT.Quantile(0.5)),
		RTTP99Ms:   ms(dRTT.Quantile(0.99)),
		ChurnOK:    r.churn.ok.Load(),
		ServerCPU:  srvCores,
		ServerRSS:  rss,
		GenCPU:     genCores,
	}
	p.mu.Lock()
	pt.Phase = p.phase
	p.timeline = append(p.timeline, pt)
	if !p.measured.IsZero() && r.server.pid > 0 && now.Sub(p.lastRSS) >= r.cfg.RSSEvery-time.Second/2 {
		p.rss = append(p.rss, RSSSample{T: now.Sub(p.measured).Round(time.Second).Seconds(), RSS: rss})
		p.lastRSS = now
	}
	p.mu.Unlock()

	if p.w == nil {
		return
	}
	line := fmt.Sprintf("[%4.0fs] %-7s ready %d/%d open %d", pt.T, pt.Phase, pt.Ready, r.cfg.Conns, r.conns.open.Load())
	if n := r.conns.failed.Load() + r.conns.dropped.Load(); n > 0 {
		line += fmt.Sprintf(" failed %d dropped %d", r.conns.failed.Load(), r.conns.dropped.Load())
	}
	if latTotal > 0 {
		line += fmt.Sprintf(" | recv %d +%d/s p50 %s p99 %s max %s", latTotal, dLat.Total,
			fmtMs(pt.P50Ms), fmtMs(pt.P99Ms), fmtMs(pt.MaxMs))
	}
	if rttTotal > 0 {
		line += fmt.Sprintf(" | echo %d/s rtt p50 %s p99 %s", dRTT.Total, fmtMs(pt.RTTP50Ms), fmtMs(pt.RTTP99Ms))
	}
	if n := r.churn.started.Load(); n > 0 {
		line += fmt.Sprintf(" | churn ok %d failed %d", r.churn.ok.Load(), r.churn.failed.Load())
	}
	if r.server.pid > 0 {
		line += fmt.Sprintf(" | server %.2f cores %s", srvCores, fmtBytes(rss))
	}
	line += fmt.Sprintf(" | gen %.2f cores", genCores)
	fmt.Fprintln(p.w, line)
}

// results returns the timeline and RSS samples so far.
func (p *reporter) results() ([]Point, []RSSSample) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]Point(nil), p.timeline...), append([]RSSSample(nil), p.rss...)
}
