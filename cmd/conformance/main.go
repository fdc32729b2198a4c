// Command conformance runs the servers the official Engine.IO v4 and
// Socket.IO v5 test suites expect, on one port: an Engine.IO echo server
// at /engine.io/ and a Socket.IO server at /socket.io/ with namespaces "/"
// and "/custom", both with pingInterval 300 ms, pingTimeout 200 ms and
// maxPayload 1e6.
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/heraldrt/herald/engine"
	"github.com/heraldrt/herald/engine/eio"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:3000", "listen address")
	verbose := flag.Bool("v", false, "log debug lines")
	flag.Parse()
	level := slog.LevelInfo
	if *verbose {
		level = slog.LevelDebug
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))
	if err := run(*addr, log); err != nil {
		fmt.Fprintln(os.Stderr, "conformance:", err)
		os.Exit(1)
	}
}

// suiteEngine is the Engine.IO configuration both suites expect.
func suiteEngine() eio.Config {
	return eio.Config{
		PingInterval: 300 * time.Millisecond,
		PingTimeout:  200 * time.Millisecond,
		MaxPayload:   1e6,
	}
}

func run(addr string, log *slog.Logger) error {
	// The suites race concurrent requests of one session against each
	// other (a poll against a close, a poll against an upgrade) and expect
	// the outcome of processing them in arrival order, as the single-threaded
	// reference does; one loop does the same. Their 300/200 ms heartbeats
	// also want finer timers than the default 10 ms tick.
	r := eio.NewReactor(eio.ReactorConfig{Logger: log, Loops: 1, Tick: time.Millisecond})
	ecfg := suiteEngine()
	ecfg.Handler = echoHandler{}
	echo, err := eio.NewServer(ecfg)
	if err != nil {
		return err
	}
	r.Mount("/engine.io/", echo)
	io, err := newSocketIO(log)
	if err != nil {
		return err
	}
	io.Attach(r)
	if err := r.Start(addr); err != nil {
		return err
	}
	log.Info("conformance server listening", "addr", r.Addr())
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	<-ctx.Done()
	shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return r.Shutdown(shutdown)
}

// newSocketIO builds the server of the reference Socket.IO test suite.
func newSocketIO(log *slog.Logger) (*engine.Server, error) {
	io, err := engine.NewServer(engine.Config{
		Engine:         suiteEngine(),
		ConnectTimeout: time.Second,
		Logger:         log,
	})
	if err != nil {
		return nil, err
	}
	for _, name := range []string{"/", "/custom"} {
		ns := io.Of(name)
		ns.OnConnection(func(s *engine.Socket) {
			_ = s.Emit("auth", s.Handshake().Auth)
		})
		ns.On("message", func(e *engine.Event) {
			_ = e.Socket().Emit("message-back", e.Args)
		})
		ns.On("message-with-ack", func(e *engine.Event) {
			_ = e.Ack(e.Args)
		})
	}
	return io, nil
}

// echoHandler sends every Engine.IO message back to its sender.
type echoHandler struct{}

func (echoHandler) OnOpen(*eio.Session) {}

func (echoHandler) OnMessage(s *eio.Session, data []byte, binary bool) {
	if binary {
		s.Deliver(s.Loop(), eio.NewBinaryMessage(data))
		return
	}
	s.Deliver(s.Loop(), eio.NewTextMessage(data))
}

func (echoHandler) OnClose(*eio.Session, string, error) {}
