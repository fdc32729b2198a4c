// Package render turns the raw results of bench/compare.sh (one herald-load
// JSON object per server and scenario) into bench/results/RESULTS.md and its
// charts, so that a comparison is read the same way every time it is run.
package render

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"time"

	"github.com/heraldrt/herald/loadtest"
)

// Options says what to render and where.
type Options struct {
	// Raw is the folder of herald-load JSON results.
	Raw string
	// Out is the folder RESULTS.md and the PNG charts are written to.
	Out string
	// Command is the command that produced the results, quoted in the
	// Markdown.
	Command string
	// Subject is the server measured against the targets ("herald"), and
	// Baseline the one the targets compare with ("node").
	Subject, Baseline string
	// Now is the time stamped in the Markdown; zero means time.Now.
	Now time.Time
	// Setup says how the servers ran (their flags), quoted in the
	// Markdown; empty leaves it out.
	Setup string
}

// Results are the runs of one comparison, keyed by server then scenario.
type Results map[string]map[string]*loadtest.Result

// get returns a server's result for a scenario, or nil.
func (rs Results) get(server, scenario string) *loadtest.Result {
	return rs[server][scenario]
}

// servers lists the servers, subject first, baseline second, the rest by
// name.
func (rs Results) servers(subject, baseline string) []string {
	var names []string
	for s := range rs {
		names = append(names, s)
	}
	rank := func(s string) int {
		switch s {
		case subject:
			return 0
		case baseline:
			return 1
		}
		return 2
	}
	sort.Slice(names, func(i, j int) bool {
		if ri, rj := rank(names[i]), rank(names[j]); ri != rj {
			return ri < rj
		}
		return names[i] < names[j]
	})
	return names
}

// scenarioOrder is the order scenarios are shown in; others follow by name.
func scenarioOrder() []string {
	return []string{"idle", "fanout", "saturation", "ceiling", "echo", "memflat", "push", "churn"}
}

func (rs Results) scenarios() []string {
	seen := map[string]bool{}
	for _, m := range rs {
		for sc := range m {
			seen[sc] = true
		}
	}
	var out []string
	for _, sc := range scenarioOrder() {
		if seen[sc] {
			out = append(out, sc)
			delete(seen, sc)
		}
	}
	var rest []string
	for sc := range seen {
		rest = append(rest, sc)
	}
	sort.Strings(rest)
	return append(out, rest...)
}

// Load reads every *.json result in dir. Files that are empty or not a
// result (a run that died before printing) are skipped and reported in
// the returned warnings, so that one broken run does not hide the others.
func Load(dir string) (Results, []string, error) {
	paths, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err != nil {
		return nil, nil, fmt.Errorf("list results: %w", err)
	}
	rs := Results{}
	var warnings []string
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			return nil, nil, fmt.Errorf("read result: %w", err)
		}
		var res loadtest.Result
		if err := json.Unmarshal(bytes.TrimSpace(b), &res); err != nil || res.Mode == "" {
			warnings = append(warnings, fmt.Sprintf("%s: not a result (the run produced no JSON)", filepath.Base(p)))
			continue
		}
		if res.Server == "" || res.Scenario == "" {
			warnings = append(warnings, fmt.Sprintf("%s: result without server or scenario name", filepath.Base(p)))
			continue
		}
		if rs[res.Server] == nil {
			rs[res.Server] = map[string]*loadtest.Result{}
		}
		rs[res.Server][res.Scenario] = &res
	}
	return rs, warnings, nil
}

// Render loads the results and writes RESULTS.md and the charts.
func Render(opts Options) error {
	if opts.Subject == "" {
		opts.Subject = "herald"
	}
	if opts.Baseline == "" {
		opts.Baseline = "node"
	}
	if opts.Now.IsZero() {
		opts.Now = time.Now()
	}
	rs, warnings, err := Load(opts.Raw)
	if err != nil {
		return err
	}
	if len(rs) == 0 {
		return errors.New("render: no results in " + opts.Raw)
	}
	if err := os.MkdirAll(opts.Out, 0o755); err != nil {
		return fmt.Errorf("render: %w", err)
	}
	charts, err := writeCharts(rs, opts)
	if err != nil {
		return err
	}
	md := markdown(rs, opts, charts, warnings)
	if err := os.WriteFile(filepath.Join(opts.Out, "RESULTS.md"), md, 0o644); err != nil {
		return fmt.Errorf("render: %w", err)
	}
	return nil
}

// sortedKeys returns a map's keys in order.
func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
