// Command herald-load is the load generator of the bench: it drives the
// bench app of shared/BENCH_PROTOCOL.md on any Socket.IO server and reports
// latency, throughput, and the server's CPU and memory. See package
// loadtest for how it works.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/pprof"
	"syscall"
	"time"

	"github.com/heraldrt/herald/loadtest"
)

// exitIncomplete is the exit status of a run that finished but missed
// deliveries or connections, with --require-complete.
const exitIncomplete = 3

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("herald-load", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var cfg loadtest.Config
	var (
		mode            = fs.String("mode", "fanout", "scenario: idle, fanout, push, echo or churn")
		jsonOut         = fs.Bool("json", false, "print one JSON object instead of the table")
		timeline        = fs.String("timeline", "", "write the per-second timeline as CSV to `file`")
		quiet           = fs.Bool("quiet", false, "no progress lines on stderr")
		requireComplete = fs.Bool("require-complete", false, fmt.Sprintf("exit %d unless every connection, delivery and operation completed", exitIncomplete))
		deadline        = fs.Duration("deadline", 0, "abort the run after this long (0: no limit)")
		cpuProfile      = fs.String("cpuprofile", "", "write the generator's CPU profile to `file`")
	)
	fs.StringVar(&cfg.URL, "url", "http://127.0.0.1:3100", "server base URL")
	fs.StringVar(&cfg.Path, "path", "/socket.io/", "Engine.IO path")
	fs.StringVar(&cfg.BroadcastURL, "broadcast-url", "http://127.0.0.1:3101/broadcast", "POST /broadcast URL (push mode)")
	fs.StringVar(&cfg.Transport, "transport", "websocket", "websocket or polling")
	fs.IntVar(&cfg.Conns, "conns", 100, "connections (room members in fanout)")
	fs.Float64Var(&cfg.Rate, "rate", 20, "messages published per second")
	fs.IntVar(&cfg.Messages, "messages", 0, "messages to publish (0: rate × duration)")
	fs.DurationVar(&cfg.Duration, "duration", 10*time.Second, "publishing time, echo loop time, or idle hold")
	fs.IntVar(&cfg.Payload, "payload", 64, "payload size in bytes")
	fs.IntVar(&cfg.ServerPID, "server-pid", 0, "server process id, for its CPU and RSS")
	fs.Float64Var(&cfg.Ramp, "ramp", 1000, "connections opened per second")
	fs.Float64Var(&cfg.ChurnRate, "churn-rate", 50, "connect+disconnect operations per second (churn mode)")
	fs.StringVar(&cfg.Room, "room", "bench", "room the fanout members join")
	fs.DurationVar(&cfg.Drain, "drain", 30*time.Second, "longest wait for deliveries after the last publish")
	fs.DurationVar(&cfg.DrainIdle, "drain-idle", 5*time.Second, "stop draining after this long without a delivery")
	fs.DurationVar(&cfg.ConnectTimeout, "connect-timeout", 30*time.Second, "wait for connections to be ready, beyond the ramp")
	fs.DurationVar(&cfg.RSSEvery, "rss-every", 10*time.Second, "interval of server RSS samples")
	fs.IntVar(&cfg.Loops, "loops", 0, "client event loops (0: one per CPU)")
	fs.StringVar(&cfg.Name, "name", "", "server name recorded in the result")
	fs.StringVar(&cfg.Scenario, "scenario", "", "scenario name recorded in the result")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), `Usage: herald-load [flags]

Drives the bench app (shared/BENCH_PROTOCOL.md) on a Socket.IO server:
  idle    open --conns websocket connections and hold them: server RSS per connection
  fanout  members join a room, one publishes --messages at --rate: latency, deliveries/s
  push    fanout through POST --broadcast-url
  echo    each connection emits "echo" with an ack in a closed loop for --duration
  churn   fanout while --churn-rate connections per second come and go

Prints a progress line a second on stderr and a summary on stdout.

`)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	cfg.Mode = loadtest.Mode(*mode)
	if !*quiet {
		cfg.Progress = stderr
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if *deadline > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, *deadline)
		defer cancel()
	}
	if *cpuProfile != "" {
		stopProfile, err := startProfile(*cpuProfile)
		if err != nil {
			fmt.Fprintln(stderr, "herald-load:", err)
			return 1
		}
		defer stopProfile()
	}
	res, err := loadtest.Run(ctx, cfg)
	if res == nil {
		fmt.Fprintln(stderr, "herald-load:", err)
		return 1
	}
	if err != nil {
		fmt.Fprintln(stderr, "herald-load: run ended early:", err)
	}
	if *timeline != "" {
		if terr := writeTimeline(*timeline, res); terr != nil {
			fmt.Fprintln(stderr, "herald-load:", terr)
			return 1
		}
	}
	if *jsonOut {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if jerr := enc.Encode(res); jerr != nil {
			fmt.Fprintln(stderr, "herald-load: write JSON:", jerr)
			return 1
		}
	} else if terr := res.WriteTable(stdout); terr != nil {
		fmt.Fprintln(stderr, "herald-load: write table:", terr)
		return 1
	}
	switch {
	case err != nil:
		return 1
	case *requireComplete && !res.Complete:
		fmt.Fprintln(stderr, "herald-load: run incomplete")
		return exitIncomplete
	}
	return 0
}

func writeTimeline(path string, res *loadtest.Result) error {
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("timeline: %w", err)
	}
	if err := res.WriteTimelineCSV(f); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// startProfile profiles the generator itself, to check where its CPU goes.
func startProfile(path string) (stop func(), err error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("cpu profile: %w", err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, fmt.Errorf("cpu profile: %w", err)
	}
	return func() {
		pprof.StopCPUProfile()
		f.Close()
	}, nil
}
