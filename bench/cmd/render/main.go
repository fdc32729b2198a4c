// Command render writes bench/results/RESULTS.md and its charts from the raw
// herald-load results of bench/compare.sh.
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/heraldrt/herald/bench/render"
)

func main() {
	var opts render.Options
	flag.StringVar(&opts.Raw, "raw", "bench/results/raw", "folder of herald-load JSON results")
	flag.StringVar(&opts.Out, "out", "bench/results", "folder to write RESULTS.md and the charts to")
	flag.StringVar(&opts.Command, "command", "bench/compare.sh", "command quoted in RESULTS.md")
	flag.StringVar(&opts.Subject, "subject", "herald", "server checked against the targets")
	flag.StringVar(&opts.Baseline, "baseline", "node", "server the targets compare with")
	flag.StringVar(&opts.Setup, "setup", "", "how the servers ran (their flags), quoted in RESULTS.md")
	flag.Parse()
	if err := render.Render(opts); err != nil {
		fmt.Fprintln(os.Stderr, "render:", err)
		os.Exit(1)
	}
}
