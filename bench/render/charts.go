package render

import (
	"fmt"
	"image/color"
	"path/filepath"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"

	"github.com/heraldrt/herald/loadtest"
)

// chart is a PNG written next to RESULTS.md.
type chart struct {
	Title string
	File  string // relative to the output folder
}

// Chart size: readable on a page of Markdown.
const (
	chartWidth  = 18 * vg.Centimeter
	chartHeight = 9 * vg.Centimeter
)

// writeCharts draws the fanout latency over time of each server and the
// server CPU per delivery of every server.
func writeCharts(rs Results, opts Options) ([]chart, error) {
	var charts []chart
	for _, s := range rs.servers(opts.Subject, opts.Baseline) {
		r := rs.get(s, "fanout")
		if r == nil || len(r.Timeline) == 0 {
			continue
		}
		c := chart{Title: fmt.Sprintf("%s: fanout latency over time", s), File: fmt.Sprintf("fanout-latency-%s.png", s)}
		if err := latencyChart(r, c.Title, filepath.Join(opts.Out, c.File)); err != nil {
			return nil, err
		}
		charts = append(charts, c)
	}
	c := chart{Title: "Server CPU per delivery", File: "cpu-per-delivery.png"}
	ok, err := cpuChart(rs, opts, c.Title, filepath.Join(opts.Out, c.File))
	if err != nil {
		return nil, err
	}
	if ok {
		charts = append(charts, c)
	}
	return charts, nil
}

// latencyChart plots p50 and p99 of each second of publishing and
// draining, time counted from the first publish.
func latencyChart(r *loadtest.Result, title, path string) error {
	var p50, p99 plotter.XYs
	t0 := -1.0
	for _, pt := range r.Timeline {
		if pt.Phase != "publish" && pt.Phase != "drain" {
			continue
		}
		if t0 < 0 {
			t0 = pt.T - 1 // a point covers the second before it
		}
		if pt.Deliveries == 0 {
			continue
		}
		p50 = append(p50, plotter.XY{X: pt.T - t0, Y: pt.P50Ms})
		p99 = append(p99, plotter.XY{X: pt.T - t0, Y: pt.P99Ms})
	}
	p := plot.New()
	p.Title.Text = title
	p.X.Label.Text = "seconds since the first publish"
	p.Y.Label.Text = "latency (ms)"
	p.Y.Min = 0
	p.Add(plotter.NewGrid())
	for _, l := range []struct {
		name string
		xys  plotter.XYs
		col  color.RGBA
	}{
		{"p50", p50, color.RGBA{R: 0x1f, G: 0x77, B: 0xb4, A: 0xff}},
		{"p99", p99, color.RGBA{R: 0xd6, G: 0x27, B: 0x28, A: 0xff}},
	} {
		if len(l.xys) == 0 {
			continue
		}
		line, err := plotter.NewLine(l.xys)
		if err != nil {
			return fmt.Errorf("latency chart: %w", err)
		}
		line.Color = l.col
		line.Width = vg.Points(1.5)
		p.Add(line)
		p.Legend.Add(l.name, line)
	}
	p.Legend.Top = true
	if err := p.Save(chartWidth, chartHeight, path); err != nil {
		return fmt.Errorf("latency chart: %w", err)
	}
	return nil
}

// cpuChart draws server CPU per delivery as bars, one group per fanout
// scenario and one bar per server. It reports false when no run has the
// figure.
func cpuChart(rs Results, opts Options, title, path string) (bool, error) {
	servers := rs.servers(opts.Subject, opts.Baseline)
	var scenarios []string
	for _, sc := range []string{"fanout", "saturation", "memflat"} {
		for _, s := range servers {
			if r := rs.get(s, sc); r != nil && r.ServerRes.CPUPerOpUs > 0 {
				scenarios = append(scenarios, sc)
				break
			}
		}
	}
	if len(scenarios) == 0 {
		return false, nil
	}
	p := plot.New()
	p.Title.Text = title
	p.Y.Label.Text = "server CPU µs per delivery"
	p.Add(plotter.NewGrid())
	palette := []color.RGBA{
		{R: 0x2c, G: 0xa0, B: 0x2c, A: 0xff},
		{R: 0xff, G: 0x7f, B: 0x0e, A: 0xff},
		{R: 0x1f, G: 0x77, B: 0xb4, A: 0xff},
		{R: 0x94, G: 0x67, B: 0xbd, A: 0xff},
	}
	width := vg.Points(60) / vg.Length(len(scenarios))
	for i, sc := range scenarios {
		vals := make(plotter.Values, len(servers))
		for j, s := range servers {
			if r := rs.get(s, sc); r != nil {
				vals[j] = r.ServerRes.CPUPerOpUs
			}
		}
		bars, err := plotter.NewBarChart(vals, width)
		if err != nil {
			return false, fmt.Errorf("cpu chart: %w", err)
		}
		bars.Color = palette[i%len(palette)]
		bars.LineStyle.Width = 0
		bars.Offset = vg.Length(i-len(scenarios)/2)*width + vg.Length(1-len(scenarios)%2)*width/2
		p.Add(bars)
		p.Legend.Add(sc, bars)
	}
	p.Legend.Top = true
	p.Legend.Left = true
	p.NominalX(servers...)
	p.X.Min, p.X.Max = -0.75, float64(len(servers))-0.25
	if err := p.Save(chartWidth, chartHeight, path); err != nil {
		return false, fmt.Errorf("cpu chart: %w", err)
	}
	return true, nil
}
