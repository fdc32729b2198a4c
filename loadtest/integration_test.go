package loadtest

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/heraldrt/herald/engine"
	"github.com/heraldrt/herald/engine/eio"
)

// startHerald runs Herald's engine in-process with the bench app's handlers
// (as cmd/benchserver registers them) and POST /broadcast on a second
// port. It returns the Socket.IO base URL and the broadcast URL.
func startHerald(t *testing.T) (string, string) {
	t.Helper()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	io, err := engine.NewServer(engine.Config{InlineHandlers: true, Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	ns := io.Of("/")
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
	ns.On("echo", func(e *engine.Event) { _ = e.Ack(e.Args) })
	ns.On("publish", func(e *engine.Event) {
		room, ok := e.Args.String(0)
		if !ok || e.Args.Len() < 2 {
			return
		}
		_ = ns.To(room).Emit("msg", e.Args.Raw(1))
	})
	if err := io.Listen("127.0.0.1:0", eio.ReactorConfig{Loops: 2}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = io.Shutdown(ctx)
	})

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var req struct {
			Room  string          `json:"room"`
			Event string          `json:"event"`
			Data  json.RawMessage `json:"data"`
		}
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil || r.URL.Path != "/broadcast" {
			http.Error(w, "bad request", http.StatusBadRequest)
			return
		}
		n, err := ns.To(req.Room).EmitCount(r.Context(), req.Event, req.Data)
		if err != nil {
			http.Error(w, err.Error(), http.StatusServiceUnavailable)
			return
		}
		fmt.Fprintf(w, `{"recipients":%d}`, n)
	})}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })
	return "http://" + io.Reactor().Addr().String(), "http://" + ln.Addr().String() + "/broadcast"
}

// TestModesAgainstHerald runs every mode briefly against Herald's engine
// and requires every connection, delivery and operation to complete.
func TestModesAgainstHerald(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a server")
	}
	url, broadcast := startHerald(t)
	tests := []struct {
		mode      Mode
		transport string
	}{
		{ModeIdle, TransportWebSocket},
		{ModeFanout, TransportWebSocket},
		{ModePush, TransportWebSocket},
		{ModeEcho, TransportWebSocket},
		{ModeChurn, TransportWebSocket},
		{ModeFanout, TransportPolling},
		{ModeEcho, TransportPolling},
		{ModeChurn, TransportPolling},
	}
	for _, tt := range tests {
		t.Run(string(tt.mode)+"/"+tt.transport, func(t *testing.T) {
			var progress strings.Builder
			cfg := Config{
				Mode: tt.mode, URL: url, BroadcastURL: broadcast, Transport: tt.transport,
				Conns: 50, Rate: 20, Duration: 1500 * time.Millisecond, Ramp: 2000, ChurnRate: 20,
				ServerPID: os.Getpid(), ConnectTimeout: 10 * time.Second, Drain: 10 * time.Second,
				Progress: &progress, RSSEvery: time.Second,
			}
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			res, err := Run(ctx, cfg)
			if err != nil {
				t.Fatalf("run: %v", err)
			}
			var table strings.Builder
			_ = res.WriteTable(&table)
			if !res.Complete {
				t.Fatalf("incomplete run:\n%s", table.String())
			}
			switch tt.mode {
			case ModeFanout, ModePush, ModeChurn:
				if res.Expected != 30*50 || res.Deliveries != res.Expected || res.Latency.P50Ms <= 0 {
					t.Fatalf("deliveries %d of %d:\n%s", res.Deliveries, res.Expected, table.String())
				}
			case ModeEcho:
				if res.RTT == nil || res.RTT.Count == 0 || res.OpsPerSec <= 0 {
					t.Fatalf("no echo:\n%s", table.String())
				}
			case ModeIdle:
				if res.ServerRes.RSSAfter == 0 {
					t.Fatalf("no RSS:\n%s", table.String())
				}
			}
			if tt.mode == ModePush && res.Recipients != 30*50 {
				t.Fatalf("recipients %d, want %d", res.Recipients, 30*50)
			}
			if res.ServerRes.CPUSeconds <= 0 || res.Generator.CPUSeconds <= 0 {
				t.Fatalf("no CPU figures:\n%s", table.String())
			}
			if !strings.Contains(progress.String(), "ready 50/50") {
				t.Fatalf("progress lines:\n%s", progress.String())
			}
			if len(res.Timeline) == 0 {
				t.Fatal("no timeline")
			}
		})
	}
}

func TestConfigErrors(t *testing.T) {
	for _, cfg := range []Config{
		{Mode: "nope", Conns: 1},
		{Mode: ModeFanout},
		{Mode: ModeFanout, Conns: 1, Transport: "carrier-pigeon"},
		{Mode: ModeFanout, Conns: 1, URL: "ftp://x"},
		{Mode: ModeFanout, Conns: 1, Rate: -1},
	} {
		if _, err := Run(context.Background(), cfg); err == nil {
			t.Errorf("config %+v accepted", cfg)
		}
	}
}

// TestUnreachableServer reports failures instead of hanging.
func TestUnreachableServer(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	res, err := Run(context.Background(), Config{Mode: ModeFanout, URL: "http://" + addr, Conns: 3, Duration: time.Second, ConnectTimeout: time.Second})
	if err == nil || res == nil || res.ConnectFailed != 3 || res.Complete {
		t.Fatalf("err %v, result %+v", err, res)
	}
}
