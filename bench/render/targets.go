package render

import (
	"fmt"

	"github.com/heraldrt/herald/loadtest"
)

// verdict of a target.
const (
	pass = "pass"
	fail = "**fail**"
	na   = "n/a"
)

// targetResult is one line of the targets table.
type targetResult struct {
	Name                              string
	Subject, Baseline, Ratio, Verdict string
}

// target is a goal from the issue, checked on one scenario: an absolute
// bound on the subject, or a bound on its ratio to the baseline.
type target struct {
	name     string
	scenario string
	// value extracts the figure; ok is false when the run lacks it.
	value  func(r *loadtest.Result) (v float64, ok bool)
	format func(v float64) string
	// Exactly one of absolute and ratio applies. absolute checks the
	// subject's value; ratio checks subject ÷ baseline.
	absolute func(v float64) bool
	ratio    func(q float64) bool
	// needsComplete marks targets whose figure means nothing when
	// deliveries or connections were lost.
	needsComplete bool
	// capped reports whether the subject's figure is only a lower bound:
	// it did all the work offered, so the run did not find its limit.
	capped func(r *loadtest.Result) bool
}

// targets returns the goals the issue sets Herald.
func targets() []target {
	return []target{
		{
			name: "idle: server RSS per connection ≤ 3 KB", scenario: "idle",
			value:    func(r *loadtest.Result) (float64, bool) { return r.ServerRes.RSSPerConn, r.ServerRes.RSSAfter > 0 },
			format:   func(v float64) string { return fmt.Sprintf("%.2f KB", v/1000) },
			absolute: func(v float64) bool { return v <= 3000 }, needsComplete: true,
		},
		{
			name: "fanout 20 msg/s: p99 latency ≤ 50 ms", scenario: "fanout",
			value:    func(r *loadtest.Result) (float64, bool) { return latency(r, 99) },
			format:   ms,
			absolute: func(v float64) bool { return v <= 50 }, needsComplete: true,
		},
		{
			name: "fanout 20 msg/s: server CPU per delivery ≤ 0.6 × Node.js", scenario: "fanout",
			value:  func(r *loadtest.Result) (float64, bool) { return r.ServerRes.CPUPerOpUs, r.ServerRes.CPUPerOpUs > 0 },
			format: func(v float64) string { return fmt.Sprintf("%.2f µs", v) },
			ratio:  func(q float64) bool { return q <= 0.6 }, needsComplete: true,
		},
		{
			name: "saturation 100 msg/s: deliveries/s ≥ 4 × Node.js", scenario: "saturation",
			value:  func(r *loadtest.Result) (float64, bool) { return r.DeliveriesPerSec, r.DeliveriesPerSec > 0 },
			format: func(v float64) string { return fmt.Sprintf("%.0f/s", v) },
			ratio:  func(q float64) bool { return q >= 4 },
			capped: func(r *loadtest.Result) bool { return r.Complete },
		},
		{
			name: "ceiling (1000 msg/s offered): deliveries/s ≥ 4 × Node.js", scenario: "ceiling",
			value:  func(r *loadtest.Result) (float64, bool) { return r.DeliveriesPerSec, r.DeliveriesPerSec > 0 },
			format: func(v float64) string { return fmt.Sprintf("%.0f/s", v) },
			ratio:  func(q float64) bool { return q >= 4 },
			capped: func(r *loadtest.Result) bool { return r.Complete },
		},
		{
			name: "echo: ops/s ≥ 2 × Node.js", scenario: "echo",
			value:  func(r *loadtest.Result) (float64, bool) { return r.OpsPerSec, r.OpsPerSec > 0 },
			format: func(v float64) string { return fmt.Sprintf("%.0f/s", v) },
			ratio:  func(q float64) bool { return q >= 2 }, needsComplete: true,
		},
		{
			name: "echo: p99 round trip ≤ ½ Node.js", scenario: "echo",
			value:  func(r *loadtest.Result) (float64, bool) { return latency(r, 99) },
			format: ms,
			ratio:  func(q float64) bool { return q <= 0.5 }, needsComplete: true,
		},
		{
			name: "memflat 5 min: server RSS growth ≤ 10%", scenario: "memflat",
			value: func(r *loadtest.Result) (float64, bool) {
				return r.ServerRes.RSSGrowthPct, len(r.ServerRes.RSSSamples) > 1
			},
			format:   func(v float64) string { return fmt.Sprintf("%+.1f%%", v) },
			absolute: func(v float64) bool { return v <= 10 }, needsComplete: true,
		},
	}
}

// latency returns a percentile of the run's delivery latency, or of its
// round trip for echo.
func latency(r *loadtest.Result, p int) (float64, bool) {
	l := r.Latency
	if l == nil {
		l = r.RTT
	}
	if l == nil || l.Count == 0 {
		return 0, false
	}
	if p == 50 {
		return l.P50Ms, true
	}
	return l.P99Ms, true
}

// evaluate checks every target.
func evaluate(rs Results, subject, baseline string) []targetResult {
	var out []targetResult
	for _, t := range targets() {
		tr := targetResult{Name: t.name, Subject: na, Baseline: na, Ratio: na, Verdict: na}
		sv, sok := extract(t, rs.get(subject, t.scenario))
		bv, bok := extract(t, rs.get(baseline, t.scenario))
		if sok {
			tr.Subject = t.format(sv)
		}
		if bok {
			tr.Baseline = t.format(bv)
		}
		if sok && bok && bv != 0 {
			tr.Ratio = fmt.Sprintf("%.2f", sv/bv)
		}
		switch {
		case t.absolute != nil && sok:
			tr.Verdict = verdict(t.absolute(sv))
		case t.ratio != nil && sok && bok && bv != 0:
			tr.Verdict = verdict(t.ratio(sv / bv))
		}
		sr := rs.get(subject, t.scenario)
		switch {
		case sok && t.needsComplete && !sr.Complete:
			tr.Verdict = fail + " (run incomplete)"
		case sok && tr.Verdict == fail && t.capped != nil && t.capped(sr):
			tr.Verdict = "inconclusive: " + subject + " delivered everything offered, so its figure is a lower bound; raise the rate"
		}
		out = append(out, tr)
	}
	return out
}

func extract(t target, r *loadtest.Result) (float64, bool) {
	if r == nil {
		return 0, false
	}
	return t.value(r)
}

func verdict(ok bool) string {
	if ok {
		return pass
	}
	return fail
}
