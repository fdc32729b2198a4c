// Command zishang520 serves the bench app of shared/BENCH_PROTOCOL.md on the
// github.com/zishang520/socket.io v3 Go port, so that Herald can be measured
// against it: join, leave, echo and publish events on "/", and
// POST /broadcast over net/http.
//
// The library runs with its defaults (polling and websocket, 25 s / 20 s
// pings, no per-message deflate), like the other servers of the benchmark.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/zishang520/socket.io/servers/socket/v3"
)

// maxBody bounds a /broadcast request body; it matches the 4 MiB that
// Herald's bench server accepts.
const maxBody = 4 << 20

func main() {
	addr := flag.String("addr", "127.0.0.1:3300", "Socket.IO listen address")
	httpAddr := flag.String("http-addr", "127.0.0.1:3301", "listen address of POST /broadcast (the same as -addr: one port for both)")
	flag.Usage = func() {
		fmt.Fprintf(flag.CommandLine.Output(), `Usage: zishang520 [flags]

Serves the bench app on github.com/zishang520/socket.io v3: Socket.IO on
-addr (path /socket.io/, namespace "/") and POST /broadcast
{"room","event","data"} on -http-addr, answering {"recipients": N}.

`)
		flag.PrintDefaults()
	}
	flag.Parse()
	if err := run(*addr, *httpAddr); err != nil {
		fmt.Fprintln(os.Stderr, "zishang520:", err)
		os.Exit(1)
	}
}

func run(addr, httpAddr string) error {
	io := socket.NewServer(nil, nil)
	register(io)

	// Listen before serving so that the address line is printed only once
	// both ports accept connections.
	ioMux := http.NewServeMux()
	ioMux.Handle("/socket.io/", io.ServeHandler(nil))
	ioLn, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	servers := []*http.Server{{Handler: ioMux}}
	listeners := []net.Listener{ioLn}
	apiLn := ioLn
	if httpAddr == addr {
		ioMux.HandleFunc("/broadcast", broadcastHandler(io))
	} else {
		apiMux := http.NewServeMux()
		apiMux.HandleFunc("/broadcast", broadcastHandler(io))
		if apiLn, err = net.Listen("tcp", httpAddr); err != nil {
			ioLn.Close()
			return err
		}
		servers = append(servers, &http.Server{Handler: apiMux})
		listeners = append(listeners, apiLn)
	}

	errc := make(chan error, len(servers))
	for i, srv := range servers {
		go func() { errc <- srv.Serve(listeners[i]) }()
	}
	fmt.Fprintf(os.Stderr, "zishang520: socket.io on %s, POST /broadcast on %s, pid %d\n", ioLn.Addr(), apiLn.Addr(), os.Getpid())

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	var serveErr error
	select {
	case <-ctx.Done():
	case serveErr = <-errc:
	}
	// Close the Socket.IO server first: http.Server.Shutdown does not track
	// the hijacked websocket connections, and it would wait for the open
	// long-polling requests.
	io.Close(nil)
	shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	for _, srv := range servers {
		_ = srv.Shutdown(shutdown)
	}
	return serveErr
}

// register installs the bench app's handlers on every socket of "/".
func register(io *socket.Server) {
	io.On("connection", func(args ...any) {
		client := args[0].(*socket.Socket)
		client.On("join", func(args ...any) {
			args, ack := splitAck(args)
			if room, ok := arg[string](args, 0); ok {
				client.Join(socket.Room(room))
			}
			if ack != nil {
				ack([]any{true}, nil)
			}
		})
		client.On("leave", func(args ...any) {
			args, ack := splitAck(args)
			if room, ok := arg[string](args, 0); ok {
				client.Leave(socket.Room(room))
			}
			if ack != nil {
				ack([]any{true}, nil)
			}
		})
		client.On("echo", func(args ...any) {
			if args, ack := splitAck(args); ack != nil {
				ack(args, nil)
			}
		})
		client.On("publish", func(args ...any) {
			args, _ = splitAck(args)
			room, ok := arg[string](args, 0)
			if !ok || len(args) < 2 {
				return
			}
			_ = io.To(socket.Room(room)).Emit("msg", args[1])
		})
	})
}

// splitAck separates the acknowledgement callback, which the library appends
// as the last argument when the client asked for one, from the event's
// arguments.
func splitAck(args []any) ([]any, socket.Ack) {
	if n := len(args); n > 0 {
		if ack, ok := args[n-1].(socket.Ack); ok {
			return args[:n-1], ack
		}
	}
	return args, nil
}

// arg returns args[i] as a T; the library passes event arguments untyped.
func arg[T any](args []any, i int) (T, bool) {
	var zero T
	if i >= len(args) {
		return zero, false
	}
	v, ok := args[i].(T)
	return v, ok
}

type broadcastRequest struct {
	Room  string          `json:"room"`
	Event string          `json:"event"`
	Data  json.RawMessage `json:"data"` // nil when absent; "null" is sent as null
}

func broadcastHandler(io *socket.Server) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			writeJSON(w, http.StatusMethodNotAllowed, map[string]string{"error": "method not allowed"})
			return
		}
		var req broadcastRequest
		err := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxBody)).Decode(&req)
		if err != nil || req.Room == "" || req.Event == "" {
			writeJSON(w, http.StatusBadRequest, map[string]string{"error": `body must be {"room","event","data"}`})
			return
		}
		// The room's size is read before the emit, as the Node.js peer does:
		// the library's broadcast does not report how many sockets it reached.
		n := 0
		if sids, ok := io.Sockets().Adapter().Rooms().Load(socket.Room(req.Room)); ok {
			n = sids.Len()
		}
		// The data is decoded into plain values, as the Node.js peer does, so
		// that the library encodes it like any other event argument.
		var args []any
		if req.Data != nil {
			var data any
			if err := json.Unmarshal(req.Data, &data); err != nil {
				writeJSON(w, http.StatusBadRequest, map[string]string{"error": err.Error()})
				return
			}
			args = append(args, data)
		}
		if err := io.To(socket.Room(req.Room)).Emit(req.Event, args...); err != nil {
			writeJSON(w, http.StatusBadRequest, map[string]string{"error": err.Error()})
			return
		}
		writeJSON(w, http.StatusOK, map[string]int{"recipients": n})
	}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	body, _ := json.Marshal(v) // maps of strings and ints always marshal
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(body)
}
