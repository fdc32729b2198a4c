package loadtest

import (
	"encoding/csv"
	"fmt"
	"io"
	"sort"
	"strconv"
	"text/tabwriter"
	"time"
)

// Result is what a run measured. It is printed as a table or as one JSON
// object, which the bench renderer reads.
type Result struct {
	Server    string    `json:"server,omitempty"`
	Scenario  string    `json:"scenario,omitempty"`
	Mode      Mode      `json:"mode"`
	Transport string    `json:"transport"`
	URL       string    `json:"url"`
	StartedAt time.Time `json:"started_at"`
	WallS     float64   `json:"wall_s"`

	Conns          int     `json:"conns"`
	Ready          int64   `json:"ready"`
	ConnectFailed  int64   `json:"connect_failed"`
	Dropped        int64   `json:"dropped"`
	ConnectSeconds float64 `json:"connect_s"`

	// Fanout, push and churn.
	Rate             float64  `json:"rate,omitempty"`
	Messages         int      `json:"messages,omitempty"`
	Payload          int      `json:"payload_bytes,omitempty"`
	Sent             int64    `json:"sent,omitempty"`
	PublishFailed    int64    `json:"publish_failed,omitempty"`
	PublishS         float64  `json:"publish_s,omitempty"`
	Recipients       int64    `json:"recipients,omitempty"`
	Expected         int64    `json:"expected,omitempty"`
	Deliveries       int64    `json:"deliveries,omitempty"`
	DeliveriesPerSec float64  `json:"deliveries_per_s,omitempty"`
	Latency          *Latency `json:"latency,omitempty"`
	Malformed        int64    `json:"malformed,omitempty"`

	// Echo.
	EchoOps   int64    `json:"echo_ops,omitempty"`
	OpsPerSec float64  `json:"ops_per_s,omitempty"`
	RTT       *Latency `json:"rtt,omitempty"`

	// Churn.
	Churn *ChurnResult `json:"churn,omitempty"`

	// WindowS is the measured window: publishing to the last delivery, the
	// echo loop, or the idle hold. CPU figures cover it.
	WindowS    float64   `json:"window_s"`
	ServerRes  Resources `json:"server_usage"`
	Generator  Resources `json:"generator_usage"`
	ClockTicks int64     `json:"clock_ticks"`
	// LoadAvg is the machine's one-minute load average at the start and the
	// end of the run: other work on the machine skews every figure.
	LoadAvg [2]float64 `json:"load_avg"`
	// CPUPressurePct is the share of the run's wall time during which some
	// task on the machine waited for a CPU (Linux pressure stall
	// information); -1 when unknown. The server and the generator make
	// some of it; far above what they explain, the figures are skewed.
	CPUPressurePct float64 `json:"cpu_pressure_pct"`

	// Complete is true when every connection was ready, none dropped, and
	// every expected delivery, echo or churn operation happened.
	Complete bool             `json:"complete"`
	Errors   map[string]int64 `json:"errors,omitempty"`
	Timeline []Point          `json:"timeline,omitempty"`
}

// ChurnResult counts connect+disconnect operations.
type ChurnResult struct {
	Rate   float64 `json:"rate"`
	OK     int64   `json:"ok"`
	Failed int64   `json:"failed"`
}

// Resources is a process's use of CPU and memory over the window.
type Resources struct {
	PID        int     `json:"pid,omitempty"`
	CPUSeconds float64 `json:"cpu_s"`
	// CPUCores is CPU seconds per second of the window.
	CPUCores float64 `json:"cpu_cores"`
	// CPUPerOpUs is CPU microseconds per delivery (fanout) or per echo.
	CPUPerOpUs float64 `json:"cpu_per_op_us,omitempty"`
	// RSS figures, in bytes, for the server only.
	RSSBefore      int64       `json:"rss_before,omitempty"`
	RSSAfter       int64       `json:"rss_after,omitempty"`
	RSSPerConn     float64     `json:"rss_per_conn,omitempty"`
	RSSSamples     []RSSSample `json:"rss_samples,omitempty"`
	RSSGrowthPct   float64     `json:"rss_growth_pct,omitempty"`
	RSSMax         int64       `json:"rss_max,omitempty"`
	RSSGrowthBasis string      `json:"rss_growth_basis,omitempty"`
}

// RSSSample is the server's RSS T seconds into the measured window.
type RSSSample struct {
	T   float64 `json:"t_s"`
	RSS int64   `json:"rss"`
}

// Point is one second of the run, for the timeline.
type Point struct {
	T          float64 `json:"t_s"`
	Phase      string  `json:"phase"`
	Ready      int64   `json:"ready"`
	Deliveries uint64  `json:"deliveries"`
	P50Ms      float64 `json:"p50_ms"`
	P90Ms      float64 `json:"p90_ms"`
	P99Ms      float64 `json:"p99_ms"`
	P999Ms     float64 `json:"p999_ms"`
	MaxMs      float64 `json:"max_ms"`
	EchoOps    uint64  `json:"echo_ops"`
	RTTP50Ms   float64 `json:"rtt_p50_ms"`
	RTTP99Ms   float64 `json:"rtt_p99_ms"`
	ChurnOK    int64   `json:"churn_ok"`
	ServerCPU  float64 `json:"server_cpu_cores"`
	ServerRSS  int64   `json:"server_rss"`
	GenCPU     float64 `json:"gen_cpu_cores"`
}

// WriteTable prints the result as a two-column table.
func (res *Result) WriteTable(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	row := func(k, format string, a ...any) { fmt.Fprintf(tw, "%s\t"+format+"\n", append([]any{k}, a...)...) }
	if res.Server != "" || res.Scenario != "" {
		row("server / scenario", "%s / %s", res.Server, res.Scenario)
	}
	row("mode", "%s over %s, %s", res.Mode, res.Transport, res.URL)
	row("connections", "%d ready of %d (%d failed, %d dropped) in %.1f s", res.Ready, res.Conns, res.ConnectFailed, res.Dropped, res.ConnectSeconds)
	if res.Messages > 0 {
		row("published", "%d of %d at %.0f/s over %.1f s, %d-byte payload (%d failed)", res.Sent, res.Messages, res.Rate, res.PublishS, res.Payload, res.PublishFailed)
		row("deliveries", "%d of %d expected (%.2f%%), %.0f/s", res.Deliveries, res.Expected, pct(res.Deliveries, res.Expected), res.DeliveriesPerSec)
	}
	if l := res.Latency; l != nil {
		row("latency", "p50 %s  p90 %s  p99 %s  p99.9 %s  max %s", fmtMs(l.P50Ms), fmtMs(l.P90Ms), fmtMs(l.P99Ms), fmtMs(l.P999Ms), fmtMs(l.MaxMs))
	}
	if l := res.RTT; l != nil {
		row("echo", "%d ops, %.0f ops/s", res.EchoOps, res.OpsPerSec)
		row("round trip", "p50 %s  p90 %s  p99 %s  p99.9 %s  max %s", fmtMs(l.P50Ms), fmtMs(l.P90Ms), fmtMs(l.P99Ms), fmtMs(l.P999Ms), fmtMs(l.MaxMs))
	}
	if c := res.Churn; c != nil {
		row("churn", "%d ok, %d failed at %.0f/s", c.OK, c.Failed, c.Rate)
	}
	s, g := res.ServerRes, res.Generator
	row("window", "%.1f s", res.WindowS)
	if s.PID > 0 {
		row("server CPU", "%.2f s, %.2f cores, %.2f µs per op", s.CPUSeconds, s.CPUCores, s.CPUPerOpUs)
		if s.RSSBefore > 0 || s.RSSAfter > 0 {
			row("server RSS", "%s before, %s after, %.0f bytes per connection", fmtBytes(s.RSSBefore), fmtBytes(s.RSSAfter), s.RSSPerConn)
		}
		if len(s.RSSSamples) > 1 {
			row("server RSS growth", "%+.1f%% (%s), max %s", s.RSSGrowthPct, s.RSSGrowthBasis, fmtBytes(s.RSSMax))
		}
	}
	row("generator CPU", "%.2f s, %.2f cores, %.2f µs per op", g.CPUSeconds, g.CPUCores, g.CPUPerOpUs)
	row("machine load", "%.2f at start, %.2f at end (1-minute average); CPU pressure %.0f%%", res.LoadAvg[0], res.LoadAvg[1], res.CPUPressurePct)
	if res.Malformed > 0 {
		row("malformed", "%d", res.Malformed)
	}
	keys := make([]string, 0, len(res.Errors))
	for k := range res.Errors {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		row("error", "%s ×%d", k, res.Errors[k])
	}
	row("complete", "%v", res.Complete)
	return tw.Flush()
}

// WriteTimelineCSV writes the per-second timeline as CSV, for charts.
func (res *Result) WriteTimelineCSV(w io.Writer) error {
	cw := csv.NewWriter(w)
	_ = cw.Write([]string{"t_s", "phase", "ready", "deliveries", "p50_ms", "p90_ms", "p99_ms", "p999_ms", "max_ms",
		"echo_ops", "rtt_p50_ms", "rtt_p99_ms", "churn_ok", "server_cpu_cores", "server_rss", "gen_cpu_cores"})
	f := func(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }
	for _, p := range res.Timeline {
		_ = cw.Write([]string{f(p.T), p.Phase, strconv.FormatInt(p.Ready, 10), strconv.FormatUint(p.Deliveries, 10),
			f(p.P50Ms), f(p.P90Ms), f(p.P99Ms), f(p.P999Ms), f(p.MaxMs),
			strconv.FormatUint(p.EchoOps, 10), f(p.RTTP50Ms), f(p.RTTP99Ms), strconv.FormatInt(p.ChurnOK, 10),
			f(p.ServerCPU), strconv.FormatInt(p.ServerRSS, 10), f(p.GenCPU)})
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("write timeline: %w", err)
	}
	return nil
}

func pct(a, b int64) float64 {
	if b == 0 {
		return 0
	}
	return 100 * float64(a) / float64(b)
}

func fmtMs(ms float64) string {
	switch {
	case ms >= 1000:
		return fmt.Sprintf("%.2fs", ms/1000)
	case ms >= 10:
		return fmt.Sprintf("%.0fms", ms)
	case ms >= 1:
		return fmt.Sprintf("%.1fms", ms)
	}
	return fmt.Sprintf("%.0fµs", ms*1000)
}

func fmtBytes(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.2f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}
