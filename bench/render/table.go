package render

import (
	"bytes"
	"fmt"
	"strings"

	"github.com/heraldrt/herald/loadtest"
)

// markdown writes RESULTS.md: provenance, the targets, every figure of every
// run, the charts, and how the figures are measured.
func markdown(rs Results, opts Options, charts []chart, warnings []string) []byte {
	var b bytes.Buffer
	servers := rs.servers(opts.Subject, opts.Baseline)
	fmt.Fprintf(&b, "# Benchmark results: %s\n\n", strings.Join(servers, ", "))
	fmt.Fprintf(&b, "Generated %s by `%s`.\n\n", opts.Now.UTC().Format("2006-01-02 15:04 MST"), opts.Command)
	b.WriteString("Every figure comes from `herald-load` (package `loadtest`) on one machine, loopback only, " +
		"with the load generator sharing the machine: its own CPU is shown beside the server's.\n\n")
	if opts.Setup != "" {
		fmt.Fprintf(&b, "%s\n\n", opts.Setup)
	}

	b.WriteString("## Targets\n\n")
	fmt.Fprintf(&b, "| target | %s | %s | %s ÷ %s | verdict |\n|---|---|---|---|---|\n",
		opts.Subject, opts.Baseline, opts.Subject, opts.Baseline)
	for _, t := range evaluate(rs, opts.Subject, opts.Baseline) {
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s |\n", t.Name, t.Subject, t.Baseline, t.Ratio, t.Verdict)
	}

	b.WriteString("\n## All figures\n\n")
	b.WriteString("Latency columns hold delivery latency for fanout scenarios and the round trip for echo. " +
		"CPU per op is per delivery (fanout) or per echo. Machine says how busy the machine was: the share of " +
		"the run during which some task waited for a CPU (Linux pressure stall information) and the " +
		"one-minute load average at the end. The machine has 2 cores: far above what the server and the " +
		"generator explain, other work competed with them and every figure is skewed.\n\n")
	b.WriteString("| server | scenario | ready | deliveries (of expected) | deliveries/s | ops/s | p50 | p90 | p99 | p99.9 | max " +
		"| server CPU | server CPU/op | generator CPU | RSS/conn | RSS growth | complete | machine |\n")
	b.WriteString("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n")
	for _, sc := range rs.scenarios() {
		for _, s := range servers {
			res := rs.get(s, sc)
			if res == nil {
				continue
			}
			b.WriteString(row(res))
		}
	}

	if len(charts) > 0 {
		b.WriteString("\n## Charts\n\n")
		for _, c := range charts {
			fmt.Fprintf(&b, "### %s\n\n![%s](%s)\n\n", c.Title, c.Title, c.File)
		}
	}

	if errs := errorLines(rs, servers); len(errs) > 0 || len(warnings) > 0 {
		b.WriteString("\n## Problems seen\n\n")
		for _, w := range warnings {
			fmt.Fprintf(&b, "- %s\n", w)
		}
		for _, e := range errs {
			fmt.Fprintf(&b, "- %s\n", e)
		}
	}

	b.WriteString("\n## How it is measured\n\n")
	b.WriteString("- **idle**: N websocket connections connect to `/`; the server's VmRSS is read before " +
		"connecting and after holding them: RSS/conn is the difference over N.\n" +
		"- **fanout**, **saturation**, **ceiling**, **memflat**: N sockets join one room with an ack; one of them " +
		"publishes at the given rate a payload `{\"t\": send time in ns, \"p\": padding}` (64 bytes); " +
		"latency is receive time minus `t`. Deliveries/s counts from the first publish to the last " +
		"delivery; server CPU (utime+stime from /proc/PID/stat) over the same window is divided by the " +
		"deliveries.\n" +
		"- **echo**: every connection emits `echo` with an ack and sends the next on the ack, for the " +
		"duration: ops/s and round trip.\n" +
		"- **RSS growth** (memflat): last RSS sample against the sample one interval (10 s) into the run, " +
		"so that buffers allocated once on the first messages are not taken for growth.\n" +
		"- KB are 1000 bytes; CPU seconds come from clock ticks (USER_HZ, read from the auxiliary vector).\n")
	return b.Bytes()
}

// row is one result's line of the main table.
func row(r *loadtest.Result) string {
	dash := "—"
	deliveries, dps, ops := dash, dash, dash
	var lat *loadtest.Latency
	switch {
	case r.Latency != nil:
		lat = r.Latency
		deliveries = fmt.Sprintf("%d (%d)", r.Deliveries, r.Expected)
		dps = fmt.Sprintf("%.0f", r.DeliveriesPerSec)
	case r.RTT != nil:
		lat = r.RTT
		ops = fmt.Sprintf("%.0f", r.OpsPerSec)
	}
	p := [5]string{dash, dash, dash, dash, dash}
	if lat != nil && lat.Count > 0 {
		p = [5]string{ms(lat.P50Ms), ms(lat.P90Ms), ms(lat.P99Ms), ms(lat.P999Ms), ms(lat.MaxMs)}
	}
	srv := r.ServerRes
	cpu, cpuOp, rssConn, growth := dash, dash, dash, dash
	if srv.PID > 0 {
		cpu = fmt.Sprintf("%.2f cores", srv.CPUCores)
		if srv.CPUPerOpUs > 0 {
			cpuOp = fmt.Sprintf("%.2f µs", srv.CPUPerOpUs)
		}
		if srv.RSSPerConn != 0 {
			rssConn = fmt.Sprintf("%.1f KB", srv.RSSPerConn/1000)
		}
		// Growth means something over several samples only, measured
		// from one past the warm-up (see loadtest.Result).
		if len(srv.RSSSamples) > 2 {
			growth = fmt.Sprintf("%+.1f%%", srv.RSSGrowthPct)
		}
	}
	complete := "yes"
	if !r.Complete {
		complete = "**no**"
	}
	return fmt.Sprintf("| %s | %s | %d/%d | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %.2f cores | %s | %s | %s | %s |\n",
		r.Server, r.Scenario, r.Ready, r.Conns, deliveries, dps, ops, p[0], p[1], p[2], p[3], p[4],
		cpu, cpuOp, r.Generator.CPUCores, rssConn, growth, complete, machine(r))
}

// machine describes how busy the machine was during a run: CPU pressure
// and the load average at its end.
func machine(r *loadtest.Result) string {
	if r.CPUPressurePct < 0 {
		return fmt.Sprintf("load %.1f", r.LoadAvg[1])
	}
	return fmt.Sprintf("%.0f%% stalled, load %.1f", r.CPUPressurePct, r.LoadAvg[1])
}

// errorLines lists what went wrong in each run.
func errorLines(rs Results, servers []string) []string {
	var out []string
	for _, s := range servers {
		for _, sc := range rs.scenarios() {
			r := rs.get(s, sc)
			if r == nil {
				continue
			}
			if r.ConnectFailed > 0 || r.Dropped > 0 {
				out = append(out, fmt.Sprintf("%s %s: %d connections failed, %d dropped", s, sc, r.ConnectFailed, r.Dropped))
			}
			for _, k := range sortedKeys(r.Errors) {
				out = append(out, fmt.Sprintf("%s %s: %s (×%d)", s, sc, k, r.Errors[k]))
			}
		}
	}
	return out
}

// ms formats milliseconds with sensible precision.
func ms(v float64) string {
	switch {
	case v >= 1000:
		return fmt.Sprintf("%.2f s", v/1000)
	case v >= 100:
		return fmt.Sprintf("%.0f ms", v)
	case v >= 1:
		return fmt.Sprintf("%.1f ms", v)
	}
	return fmt.Sprintf("%.0f µs", v*1000)
}
