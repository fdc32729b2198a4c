package engine_test

// Helpers of the end-to-end tests (e2e_test.go, browser_test.go): they run
// real Herald servers on loopback ports and drive them with the official
// socket.io-client from Node.js scripts in testdata/e2e/. Every name here
// starts with e2e so as not to collide with the package's other tests.

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/heraldrt/herald/engine"
	"github.com/heraldrt/herald/engine/eio"
)

// e2eModes are the transport sets every scenario runs against; the scripts
// map them to client options (see testdata/e2e/lib.mjs).
var e2eModes = []string{"polling", "websocket", "upgrade"}

// e2eScriptTimeout bounds one Node.js process.
const e2eScriptTimeout = 40 * time.Second

// e2eEachMode runs fn once per transport mode, in parallel subtests.
func e2eEachMode(t *testing.T, fn func(t *testing.T, mode string)) {
	t.Helper()
	for _, mode := range e2eModes {
		t.Run(mode, func(t *testing.T) {
			t.Parallel()
			fn(t, mode)
		})
	}
}

var (
	e2eRootOnce sync.Once
	e2eRoot     string
	e2eRootErr  error
)

// e2eRepoRoot is the directory holding go.mod, found by walking up from
// the package directory.
func e2eRepoRoot(t testing.TB) string {
	t.Helper()
	e2eRootOnce.Do(func() {
		dir, err := os.Getwd()
		if err != nil {
			e2eRootErr = err
			return
		}
		for {
			if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
				e2eRoot = dir
				return
			}
			parent := filepath.Dir(dir)
			if parent == dir {
				e2eRootErr = fmt.Errorf("no go.mod above %s", dir)
				return
			}
			dir = parent
		}
	})
	if e2eRootErr != nil {
		t.Fatalf("e2e: cannot find the repository root: %v", e2eRootErr)
	}
	return e2eRoot
}

// e2eRequireNode fails the test unless node and the npm packages are there.
// CI installs both (.ci/run); the tests never skip silently.
func e2eRequireNode(t testing.TB, packages ...string) string {
	t.Helper()
	node, err := exec.LookPath("node")
	if err != nil {
		t.Fatalf("e2e: node is not installed (%v): install Node.js (Debian: apt-get install nodejs npm), then run `npm ci` in the repository root", err)
	}
	root := e2eRepoRoot(t)
	for _, p := range append([]string{"socket.io-client"}, packages...) {
		if _, err := os.Stat(filepath.Join(root, "node_modules", p, "package.json")); err != nil {
			t.Fatalf("e2e: node_modules/%s is missing (%v): run `npm ci` in %s", p, err, root)
		}
	}
	return node
}

// e2eLog collects a server's log lines and prints them when the test
// fails, without touching t after the test ends.
type e2eLog struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *e2eLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *e2eLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

// e2eServer builds a server with cfg, lets setup install its handlers, and
// starts it on addr ("127.0.0.1:0" for a free port). It is shut down when
// the test ends. It returns the server and its base URL.
func e2eServer(t *testing.T, addr string, cfg engine.Config, setup func(*engine.Server)) (*engine.Server, string) {
	t.Helper()
	logs := &e2eLog{}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	srv, err := engine.NewServer(cfg)
	if err != nil {
		t.Fatalf("NewServer: %v", err)
	}
	if setup != nil {
		setup(srv)
	}
	if err := srv.Listen(addr, eio.ReactorConfig{}); err != nil {
		t.Fatalf("Listen(%s): %v", addr, err)
	}
	t.Cleanup(func() {
		if t.Failed() {
			if s := logs.String(); s != "" {
				t.Logf("server log (%s):\n%s", srv.Reactor().Addr(), s)
			}
		}
		// The scripts close their connections before they exit, so this
		// rarely waits; the bound keeps a session whose client died
		// between two polls from holding the test up.
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx) // a second Shutdown of a stopped server is a no-op
	})
	return srv, "http://" + srv.Reactor().Addr().String()
}

// e2eLine is one line a script prints.
type e2eLine struct {
	Step   string          `json:"step"`
	Result json.RawMessage `json:"result"`
	Error  *string         `json:"error"`
	raw    []byte
}

// e2eNode is a running Node.js script.
type e2eNode struct {
	t      *testing.T
	name   string
	cmd    *exec.Cmd
	cancel context.CancelFunc
	steps  chan e2eLine
	final  chan e2eLine
	stderr *e2eLog
	done   chan struct{}
	err    error // exit status, once done is closed

	mu  sync.Mutex
	bad []string // stdout lines that are not the protocol's
}

func (p *e2eNode) badLine(s string) {
	p.mu.Lock()
	p.bad = append(p.bad, s)
	p.mu.Unlock()
}

func (p *e2eNode) badLines() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.bad...)
}

// e2eStart starts `node engine/testdata/e2e/<script> args...` from the
// repository root, so that the script resolves the root's node_modules.
func e2eStart(t *testing.T, script string, args ...string) *e2eNode {
	t.Helper()
	node := e2eRequireNode(t)
	root := e2eRepoRoot(t)
	ctx, cancel := context.WithTimeout(context.Background(), e2eScriptTimeout)
	path := filepath.Join("engine", "testdata", "e2e", script)
	cmd := exec.CommandContext(ctx, node, append([]string{path}, args...)...)
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "NODE_NO_WARNINGS=1")
	cmd.WaitDelay = 2 * time.Second
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	p := &e2eNode{
		t: t, name: script, cmd: cmd, cancel: cancel,
		steps:  make(chan e2eLine, 64),
		final:  make(chan e2eLine, 1),
		stderr: &e2eLog{},
		done:   make(chan struct{}),
	}
	cmd.Stderr = p.stderr
	if err := cmd.Start(); err != nil {
		cancel()
		t.Fatalf("e2e: start %s: %v", script, err)
	}
	go func() {
		sc := bufio.NewScanner(stdout)
		sc.Buffer(make([]byte, 0, 64<<10), 16<<20)
		for sc.Scan() {
			var l e2eLine
			l.raw = append([]byte(nil), sc.Bytes()...)
			if err := json.Unmarshal(l.raw, &l); err != nil {
				p.badLine(string(l.raw))
				continue
			}
			switch {
			case l.Step != "":
				select {
				case p.steps <- l:
				default:
					p.badLine("step channel full: " + string(l.raw))
				}
			case l.Result != nil || l.Error != nil:
				select {
				case p.final <- l:
				default:
					p.badLine("second final line: " + string(l.raw))
				}
			default:
				p.badLine(string(l.raw))
			}
		}
		_, _ = io.Copy(io.Discard, stdout)
		p.err = cmd.Wait()
		close(p.done)
	}()
	t.Cleanup(func() {
		cancel()
		<-p.done
	})
	return p
}

// Step waits for the script to print {"step": name}, and returns the line.
func (p *e2eNode) Step(name string, timeout time.Duration) e2eLine {
	p.t.Helper()
	select {
	case l := <-p.steps:
		if l.Step != name {
			p.t.Fatalf("e2e %s: got step %q (%s), want %q", p.name, l.Step, l.raw, name)
		}
		return l
	case <-p.done:
		p.t.Fatalf("e2e %s exited (%v) before step %q\n%s", p.name, p.err, name, p.diag())
	case <-time.After(timeout):
		p.t.Fatalf("e2e %s: no step %q after %v\n%s", p.name, name, timeout, p.diag())
	}
	return e2eLine{}
}

// Result waits for the script to exit, checks that it succeeded, and
// unmarshals its result into v.
func (p *e2eNode) Result(v any) {
	p.t.Helper()
	<-p.done
	var l e2eLine
	select {
	case l = <-p.final:
	default:
		p.t.Fatalf("e2e %s printed no result (exit: %v)\n%s", p.name, p.err, p.diag())
	}
	if l.Error != nil {
		p.t.Fatalf("e2e %s failed (exit: %v): %s\n%s", p.name, p.err, *l.Error, p.diag())
	}
	if p.err != nil {
		p.t.Fatalf("e2e %s: exit status %v\n%s", p.name, p.err, p.diag())
	}
	if bad := p.badLines(); len(bad) > 0 {
		p.t.Errorf("e2e %s printed unexpected lines: %q", p.name, bad)
	}
	if v != nil {
		if err := json.Unmarshal(l.Result, v); err != nil {
			p.t.Fatalf("e2e %s: bad result %s: %v", p.name, l.Result, err)
		}
	}
	p.t.Logf("e2e %s result: %s", p.name, e2eShorten(string(l.Result), 4000))
}

func (p *e2eNode) diag() string {
	var b strings.Builder
	if s := p.stderr.String(); s != "" {
		fmt.Fprintf(&b, "stderr:\n%s\n", s)
	}
	if bad := p.badLines(); len(bad) > 0 {
		fmt.Fprintf(&b, "unexpected stdout: %q\n", bad)
	}
	return b.String()
}

// e2eRun runs a script to the end and unmarshals its result into v.
func e2eRun(t *testing.T, v any, script string, args ...string) {
	t.Helper()
	e2eStart(t, script, args...).Result(v)
}

func e2eShorten(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// e2ePattern is testdata/e2e/lib.mjs's pattern(): n deterministic bytes.
func e2ePattern(n, seed int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i*131 + seed*7 + i>>8)
	}
	return b
}

// e2eWant names the transport a mode ends on.
func e2eWant(mode string) string {
	if mode == "polling" {
		return "polling"
	}
	return "websocket"
}

// e2eWait receives from ch or fails after d.
func e2eWait[T any](t *testing.T, ch <-chan T, d time.Duration, what string) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(d):
		t.Fatalf("timed out after %v waiting for %s", d, what)
	}
	var zero T
	return zero
}
