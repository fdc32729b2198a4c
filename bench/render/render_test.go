package render

import (
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestRenderFixture renders the results in testdata (small real runs of
// herald-load against Herald's and Node.js's bench servers, and one run
// that printed nothing) and checks the Markdown and the charts.
func TestRenderFixture(t *testing.T) {
	out := t.TempDir()
	opts := Options{
		Raw: "testdata", Out: out, Command: "bench/compare.sh --quick",
		Now:   time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC),
		Setup: "Herald's bench server ran as `benchserver --loops 1`.",
	}
	if err := Render(opts); err != nil {
		t.Fatal(err)
	}
	md, err := os.ReadFile(filepath.Join(out, "RESULTS.md"))
	if err != nil {
		t.Fatal(err)
	}
	text := string(md)
	for _, want := range []string{
		"# Benchmark results: herald, node",
		"Generated 2026-11-26 12:00 UTC by `bench/compare.sh --quick`.",
		"\n\nHerald's bench server ran as `benchserver --loops 1`.\n\n",
		"| target | herald | node | herald ÷ node | verdict |",
		"| idle: server RSS per connection ≤ 3 KB |",
		"| echo: ops/s ≥ 2 × Node.js |",
		"| server | scenario | ready | deliveries (of expected) |",
		"| herald | fanout | 100/100 | 6000 (6000) |",
		"| node | fanout | 100/100 |",
		"| herald | memflat |",
		"![herald: fanout latency over time](fanout-latency-herald.png)",
		"![Server CPU per delivery](cpu-per-delivery.png)",
		"broken-run.json: not a result",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("RESULTS.md lacks %q", want)
		}
	}
	// The saturation target has no Node.js run in the fixture: n/a, not a
	// verdict made up from half the data.
	if !strings.Contains(text, "| saturation 100 msg/s: deliveries/s ≥ 4 × Node.js |") ||
		!strings.Contains(lineWith(text, "saturation 100 msg/s"), "| n/a |") {
		t.Errorf("saturation target: %q", lineWith(text, "saturation 100 msg/s"))
	}
	// Scenarios are in their fixed order, the subject first within each.
	if strings.Index(text, "| herald | idle |") > strings.Index(text, "| herald | fanout |") ||
		strings.Index(text, "| herald | fanout |") > strings.Index(text, "| node | fanout |") {
		t.Error("rows out of order")
	}
	for _, name := range []string{"fanout-latency-herald.png", "fanout-latency-node.png", "cpu-per-delivery.png"} {
		f, err := os.Open(filepath.Join(out, name))
		if err != nil {
			t.Fatal(err)
		}
		img, err := png.Decode(f)
		f.Close()
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if b := img.Bounds(); b.Dx() < 300 || b.Dy() < 150 {
			t.Errorf("%s: %v is too small", name, b)
		}
	}
}

func TestRenderNoResults(t *testing.T) {
	if err := Render(Options{Raw: t.TempDir(), Out: t.TempDir()}); err == nil {
		t.Fatal("rendering nothing succeeded")
	}
}

func TestEvaluateRatios(t *testing.T) {
	rs, _, err := Load("testdata")
	if err != nil {
		t.Fatal(err)
	}
	for _, tr := range evaluate(rs, "herald", "node") {
		if strings.HasPrefix(tr.Name, "echo: ops/s") {
			if tr.Subject == na || tr.Baseline == na || tr.Ratio == na || tr.Verdict == na {
				t.Fatalf("echo target not evaluated: %+v", tr)
			}
		}
	}
}

func lineWith(text, sub string) string {
	for _, l := range strings.Split(text, "\n") {
		if strings.Contains(l, sub) {
			return l
		}
	}
	return ""
}
