package nodetest

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestScriptProtocol runs a script on lib.mjs to the end: its step, then
// its result with the timings of its marks.
func TestScriptProtocol(t *testing.T) {
	p := Start(t, 20*time.Second, filepath.Join("testdata", "steps.mjs"), "ok")
	var started struct{ Step, How string }
	if err := json.Unmarshal(p.Step("started", 10*time.Second), &started); err != nil || started.How != "ok" {
		t.Fatalf("step line %+v (%v)", started, err)
	}
	var res struct {
		Args    []int
		Timings map[string]int
	}
	p.Result(&res)
	if len(res.Args) != 2 || res.Args[0] != 1 || res.Args[1] != 2 {
		t.Errorf("args %v, want [1 2]", res.Args)
	}
	if _, ok := res.Timings["ticked"]; !ok {
		t.Errorf("timings %v lack the mark", res.Timings)
	}
}

// TestScriptFailures checks what Result fails a test on, through the
// fields it reads: an error line (with the marks so far) and a failed
// exit, and a line outside the protocol.
func TestScriptFailures(t *testing.T) {
	for _, how := range []string{"fail", "stray"} {
		t.Run(how, func(t *testing.T) {
			p := Start(t, 20*time.Second, filepath.Join("testdata", "steps.mjs"), how)
			p.Step("started", 10*time.Second)
			<-p.done
			switch how {
			case "fail":
				l := <-p.final
				if l.Error == nil || !strings.Contains(*l.Error, "asked to fail") || !strings.Contains(*l.Error, `; marks: {"ticked":`) || p.err == nil {
					t.Errorf("final line %s, exit %v: want an error and a failed exit", l.raw, p.err)
				}
			case "stray":
				if bad := p.badLines(); len(bad) != 1 || bad[0] != "not json" {
					t.Errorf("unexpected lines %q, want [not json]", bad)
				}
			}
		})
	}
}
