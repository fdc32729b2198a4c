// Command benchserver implements the bench app of shared/BENCH_PROTOCOL.md
// on Herald's engine, through the same API a library user has: join, leave,
// echo and publish events on "/", and POST /broadcast over HTTP.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/pprof"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/heraldrt/herald/engine"
	"github.com/heraldrt/herald/engine/eio"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:3100", "Socket.IO listen address")
	httpAddr := flag.String("http-addr", "127.0.0.1:3101", "listen address of POST /broadcast")
	loops := flag.Int("loops", 0, "event loops (0: one per CPU)")
	inline := flag.Bool("inline", true, "run the bench handlers on the event loops (they never block)")
	pprofAddr := flag.String("pprof", "", "serve net/http/pprof on this address, for profiling (off when empty)")
	flag.Usage = func() {
		fmt.Fprintf(flag.CommandLine.Output(), `Usage: benchserver [flags]

Serves the bench app: Socket.IO on -addr (path /socket.io/, namespace "/")
and POST /broadcast {"room","event","data"} on -http-addr, answering
{"recipients": N}.

`)
		flag.PrintDefaults()
	}
	flag.Parse()
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	if *pprofAddr != "" {
		go servePprof(*pprofAddr, log)
	}
	if err := run(*addr, *httpAddr, *loops, *inline, log); err != nil {
		fmt.Fprintln(os.Stderr, "benchserver:", err)
		os.Exit(1)
	}
}

func run(addr, httpAddr string, loops int, inline bool, log *slog.Logger) error {
	io, err := engine.NewServer(engine.Config{InlineHandlers: inline, Logger: log})
	if err != nil {
		return err
	}
	register(io.Of("/"))
	if err := io.Listen(addr, eio.ReactorConfig{Loops: loops}); err != nil {
		return err
	}
	api := &fasthttp.Server{Handler: broadcastHandler(io.Of("/")), Name: "herald-bench"}
	apiErr := make(chan error, 1)
	go func() { apiErr <- api.ListenAndServe(httpAddr) }()
	fmt.Fprintf(os.Stderr, "benchserver: socket.io on %s, POST /broadcast on %s, pid %d\n", io.Reactor().Addr(), httpAddr, os.Getpid())

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	select {
	case <-ctx.Done():
	case err := <-apiErr:
		return fmt.Errorf("broadcast API: %w", err)
	}
	shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = api.ShutdownWithContext(shutdown)
	return io.Shutdown(shutdown)
}

// servePprof serves the profiles on a mux of its own, not the default one.
func servePprof(addr string, log *slog.Logger) {
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	if err := http.ListenAndServe(addr, mux); err != nil {
		log.Error("pprof server", "err", err)
	}
}

// register installs the bench app's handlers on the namespace, once for
// every socket.
func register(ns *engine.Namespace) {
	ns.On("join", func(e *engine.Event) {
		if room, ok := e.Args.String(0); ok {
			e.Socket().Join(room)
		}
		_ = e.Ack(true)
	})
	ns.On("leave", func(e *engine.Event) {
		if room, ok := e.Args.String(0); ok {
			e.Socket().Leave(room)
		}
		_ = e.Ack(true)
	})
	ns.On("echo", func(e *engine.Event) {
		_ = e.Ack(e.Args)
	})
	ns.On("publish", func(e *engine.Event) {
		room, ok := e.Args.String(0)
		if !ok || e.Args.Len() < 2 {
			return
		}
		_ = ns.To(room).Emit("msg", e.Args.Raw(1))
	})
}

type broadcastRequest struct {
	Room  string          `json:"room"`
	Event string          `json:"event"`
	Data  json.RawMessage `json:"data"`
}

func broadcastHandler(ns *engine.Namespace) fasthttp.RequestHandler {
	return func(ctx *fasthttp.RequestCtx) {
		if string(ctx.Path()) != "/broadcast" {
			ctx.Error(`{"error":"not found"}`, fasthttp.StatusNotFound)
			return
		}
		if !ctx.IsPost() {
			ctx.Error(`{"error":"method not allowed"}`, fasthttp.StatusMethodNotAllowed)
			return
		}
		var req broadcastRequest
		if err := json.Unmarshal(ctx.PostBody(), &req); err != nil || req.Room == "" || req.Event == "" {
			ctx.Error(`{"error":"body must be {\"room\",\"event\",\"data\"}"}`, fasthttp.StatusBadRequest)
			return
		}
		op := ns.To(req.Room)
		var args []any
		if req.Data != nil {
			args = append(args, req.Data)
		}
		n, err := op.EmitCount(ctx, req.Event, args...)
		if err != nil {
			status := fasthttp.StatusBadRequest
			if errors.Is(err, context.DeadlineExceeded) {
				status = fasthttp.StatusServiceUnavailable
			}
			ctx.Error(fmt.Sprintf(`{"error":%q}`, err.Error()), status)
			return
		}
		ctx.SetContentType("application/json")
		fmt.Fprintf(ctx, `{"recipients":%d}`, n)
	}
}
