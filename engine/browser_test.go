package engine_test

// The browser end-to-end test: headless Chromium (Debian's chromium
// package, driven by playwright-core from testdata/e2e/browser.mjs) loads a
// page from a plain net/http test server, and the page talks to a Herald
// server on another origin with the official socket.io browser bundle, over
// polling (cross-origin, so through CORS), WebSocket, and polling upgraded
// to WebSocket. CI installs chromium (.ci/run); without it the test fails.

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/heraldrt/herald/engine"
	"github.com/heraldrt/herald/engine/eio"
	"github.com/heraldrt/herald/internal/nodetest"
)

const browserChromium = "/usr/bin/chromium"

func TestBrowserChromium(t *testing.T) {
	if _, err := os.Stat(browserChromium); err != nil {
		t.Fatalf("browser test: %s is missing (%v): install Debian's chromium (apt-get install -y chromium), as .ci/run does", browserChromium, err)
	}
	e2eRequireNode(t, "playwright-core")
	root := nodetest.Root(t)
	dir := filepath.Join(root, "engine", "testdata", "e2e")

	// The page's origin: a separate HTTP server, since Herald serves only
	// its Socket.IO path.
	mux := http.NewServeMux()
	mux.HandleFunc("GET /page.html", func(w http.ResponseWriter, r *http.Request) {
		http.ServeFile(w, r, filepath.Join(dir, "browser.html"))
	})
	for _, f := range []string{"browser-page.js", "bytes.mjs"} {
		mux.HandleFunc("GET /"+f, func(w http.ResponseWriter, r *http.Request) {
			http.ServeFile(w, r, filepath.Join(dir, f))
		})
	}
	mux.HandleFunc("GET /socket.io.min.js", func(w http.ResponseWriter, r *http.Request) {
		http.ServeFile(w, r, filepath.Join(root, "node_modules", "socket.io-client", "dist", "socket.io.min.js"))
	})
	mux.HandleFunc("GET /favicon.ico", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) })
	page := httptest.NewServer(mux)
	t.Cleanup(page.Close)

	wantUp := [][]byte{e2ePattern(256, 1), e2ePattern(100000, 2)}
	wantDown := [][]byte{e2ePattern(300, 3), e2ePattern(70000, 4)}
	var (
		mu         sync.Mutex
		transports = map[string]string{} // engine id → transport at the last event
		origins    []string
		problems   []string
	)
	problem := func(format string, args ...any) {
		mu.Lock()
		problems = append(problems, fmt.Sprintf(format, args...))
		mu.Unlock()
	}
	seen := func(e *engine.Event) {
		s := e.Socket()
		mu.Lock()
		transports[s.ConnID()] = s.Transport()
		mu.Unlock()
	}
	_, sioURL := e2eServer(t, "127.0.0.1:0", engine.Config{
		Engine: eio.Config{CORS: &eio.CORS{Origins: []string{page.URL}}},
	}, func(srv *engine.Server) {
		ns := srv.Of("/")
		ns.Use(e2eTokenMiddleware("browser"))
		ns.OnConnection(func(s *engine.Socket) {
			mu.Lock()
			origins = append(origins, s.Handshake().Headers.Get("Origin"))
			mu.Unlock()
		})
		ns.On("echo", func(e *engine.Event) {
			seen(e)
			_ = e.Ack(e.Args)
		})
		ns.On("bin-up", func(e *engine.Event) {
			seen(e)
			var v any
			if err := e.Args.Decode(0, &v); err != nil {
				problem("bin-up: %v", err)
			}
			list := e2ePath(v, "a", "b")
			bad := e2eCheckBuffers("bin-up", list, wantUp)
			if len(bad) > 0 {
				problem("%q", bad)
			}
			_ = e.Ack(map[string]any{"check": map[string]any{"problems": bad}, "echo": list})
		})
		ns.On("request-push", func(e *engine.Event) {
			seen(e)
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			a, err := e.Socket().EmitWithAck(ctx, "push", map[string]any{
				"a":    map[string]any{"b": []any{wantDown[0], wantDown[1]}},
				"text": "ünïcode ✓",
			})
			var bad []string
			var v any
			if err != nil {
				bad = append(bad, "EmitWithAck: "+err.Error())
			} else if err := a.Decode(0, &v); err != nil {
				bad = append(bad, "Decode: "+err.Error())
			} else {
				bad = append(bad, e2eCheckBuffers("push echo", e2ePath(v, "echo"), wantDown)...)
			}
			if len(bad) > 0 {
				problem("%q", bad)
			}
			_ = e.Ack(map[string]any{"clientOK": e2ePath(v, "ok"), "problems": bad})
		})
		ns.On("never", func(e *engine.Event) { seen(e) })
	})

	pageURL := page.URL + "/page.html?server=" + url.QueryEscape(sioURL)
	type run struct {
		Mode           string
		Transport      string
		TransportAtEnd string
		EngineID       string
		Echo           map[string]any
		BinUp          struct {
			Server    struct{ Problems []string }
			EchoOK    bool
			EchoKinds []string
		}
		Push struct {
			ClientOK any
			Problems []string
		}
		Pushes []struct {
			OK    bool
			Kinds []string
			Text  string
		}
		Timeout string
		Error   string
	}
	var res struct {
		Page struct {
			UserAgent string
			Runs      map[string]run
			Error     string
		}
		DomStatus      string
		DomMatches     bool
		Console        []string
		PageErrors     []string
		FailedRequests []string
	}
	t0 := time.Now()
	e2eRun(t, &res, "browser.mjs", pageURL, browserChromium)
	t.Logf("browser run took %v (%s)", time.Since(t0).Round(time.Millisecond), res.Page.UserAgent)

	if res.Page.Error != "" || len(res.PageErrors) > 0 {
		t.Errorf("page error: %s %q", res.Page.Error, res.PageErrors)
	}
	if res.DomStatus != "done" || !res.DomMatches {
		t.Errorf("DOM: status %q, result matches window.heraldResult: %v", res.DomStatus, res.DomMatches)
	}
	mu.Lock()
	defer mu.Unlock()
	for _, p := range problems {
		t.Errorf("server: %s", p)
	}
	for _, mode := range e2eModes {
		r, ok := res.Page.Runs[mode]
		if !ok {
			t.Errorf("%s: no run", mode)
			continue
		}
		if r.Error != "" {
			t.Errorf("%s: %s", mode, r.Error)
			continue
		}
		want := e2eWant(mode)
		if r.Transport != want || r.TransportAtEnd != want || transports[r.EngineID] != want {
			t.Errorf("%s: transport %q then %q, server saw %q; want %q", mode, r.Transport, r.TransportAtEnd, transports[r.EngineID], want)
		}
		if r.Echo["text"] != "héllo ✓ 🚀" || r.Echo["n"] != float64(1) {
			t.Errorf("%s: echo %v", mode, r.Echo)
		}
		if len(r.BinUp.Server.Problems) > 0 || !r.BinUp.EchoOK || !slices.Equal(r.BinUp.EchoKinds, []string{"ArrayBuffer(256)", "ArrayBuffer(100000)"}) {
			t.Errorf("%s: binary up: %+v", mode, r.BinUp)
		}
		if r.Push.ClientOK != true || len(r.Push.Problems) > 0 || len(r.Pushes) != 1 || !r.Pushes[0].OK || r.Pushes[0].Text != "ünïcode ✓" {
			t.Errorf("%s: binary down: server %+v, client %+v", mode, r.Push, r.Pushes)
		}
		if r.Timeout != "operation has timed out" {
			t.Errorf("%s: client ack timeout: %q", mode, r.Timeout)
		}
	}
	for _, o := range origins {
		if o != page.URL {
			t.Errorf("handshake Origin %q, want the page's %q", o, page.URL)
		}
	}
	if len(origins) != len(e2eModes) {
		t.Errorf("%d connections, want %d", len(origins), len(e2eModes))
	}
	if len(res.FailedRequests) > 0 {
		t.Logf("failed requests (expected only for aborted polls on disconnect): %q", res.FailedRequests)
	}
}
