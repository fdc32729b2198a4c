// Package nodetest runs the Node.js scripts of Herald's end-to-end tests.
// It finds the repository root and its node_modules, fails the test (the
// tests never skip) when Node.js or an npm package is missing, runs a
// script with a time limit, and collects what the script prints.
//
// Scripts talk back on stdout, one JSON object per line: {"step": name,
// ...} while they run, then exactly one {"result": ...} or {"error": ...}
// line before they exit; anything else on stdout fails the test. lib.mjs,
// next to this file, is the scripts' side of that protocol; the scripts
// import it by relative path.
//
// Only tests import this package.
package nodetest

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

var (
	rootOnce sync.Once
	rootDir  string
	rootErr  error
)

// Root is the repository root: the directory holding go.mod, found by
// walking up from the test's working directory (its package directory).
func Root(t testing.TB) string {
	t.Helper()
	rootOnce.Do(func() {
		dir, err := os.Getwd()
		if err != nil {
			rootErr = err
			return
		}
		for {
			if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
				rootDir = dir
				return
			}
			parent := filepath.Dir(dir)
			if parent == dir {
				rootErr = fmt.Errorf("no go.mod above %s", dir)
				return
			}
			dir = parent
		}
	})
	if rootErr != nil {
		t.Fatalf("cannot find the repository root: %v", rootErr)
	}
	return rootDir
}

// Require fails the test unless node is on the PATH and each of packages
// is installed in the root's node_modules, and returns node's path. CI
// installs both (.ci/run).
func Require(t testing.TB, packages ...string) string {
	t.Helper()
	node, err := exec.LookPath("node")
	if err != nil {
		t.Fatalf("node is not installed (%v): install Node.js (Debian: apt-get install nodejs npm), then run `npm ci` in the repository root", err)
	}
	root := Root(t)
	for _, p := range packages {
		if _, err := os.Stat(filepath.Join(root, "node_modules", p, "package.json")); err != nil {
			t.Fatalf("node_modules/%s is missing (%v): run `npm ci` in %s", p, err, root)
		}
	}
	return node
}

// Command returns the command `node <script> args...`, run from the
// repository root and killed when ctx is done. A relative script is
// relative to the test's package directory.
func Command(ctx context.Context, t testing.TB, script string, args ...string) *exec.Cmd {
	t.Helper()
	node := Require(t)
	path, err := filepath.Abs(script)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.CommandContext(ctx, node, append([]string{path}, args...)...)
	cmd.Dir = Root(t)
	cmd.Env = append(os.Environ(), "NODE_NO_WARNINGS=1")
	cmd.WaitDelay = 2 * time.Second
	return cmd
}

// Buffer is a bytes.Buffer safe for concurrent use: a script's stderr, or
// a server's log, kept to be printed when a test fails.
type Buffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *Buffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *Buffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// line is one line a script prints.
type line struct {
	Step   string          `json:"step"`
	Result json.RawMessage `json:"result"`
	Error  *string         `json:"error"`
	raw    []byte
}

// Script is a running Node.js script.
type Script struct {
	t      *testing.T
	name   string
	steps  chan line
	final  chan line
	stderr Buffer
	done   chan struct{}
	err    error // exit status, once done is closed

	mu  sync.Mutex
	bad []string // stdout lines that are not the protocol's
}

// Start starts script (see Command) with args, bounded by timeout. The
// script is stopped, if it still runs, when the test ends.
func Start(t *testing.T, timeout time.Duration, script string, args ...string) *Script {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	cmd := Command(ctx, t, script, args...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	p := &Script{
		t: t, name: filepath.Base(script),
		steps: make(chan line, 64),
		final: make(chan line, 1),
		done:  make(chan struct{}),
	}
	cmd.Stderr = &p.stderr
	if err := cmd.Start(); err != nil {
		cancel()
		t.Fatalf("node: start %s: %v", script, err)
	}
	go func() {
		sc := bufio.NewScanner(stdout)
		sc.Buffer(make([]byte, 0, 64<<10), 16<<20)
		for sc.Scan() {
			var l line
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

func (p *Script) badLine(s string) {
	p.mu.Lock()
	p.bad = append(p.bad, s)
	p.mu.Unlock()
}

func (p *Script) badLines() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.bad...)
}

// Step waits up to d for the script to print {"step": name, ...}, and
// returns the line.
func (p *Script) Step(name string, d time.Duration) json.RawMessage {
	p.t.Helper()
	select {
	case l := <-p.steps:
		if l.Step != name {
			p.t.Fatalf("node %s: got step %q (%s), want %q", p.name, l.Step, l.raw, name)
		}
		return l.raw
	case <-p.done:
		select {
		case l := <-p.final:
			if l.Error != nil {
				p.t.Fatalf("node %s failed before step %q: %s\n%s", p.name, name, *l.Error, p.diag())
			}
		default:
		}
		p.t.Fatalf("node %s exited (%v) before step %q\n%s", p.name, p.err, name, p.diag())
	case <-time.After(d):
		p.t.Fatalf("node %s: no step %q after %v\n%s", p.name, name, d, p.diag())
	}
	return nil
}

// Result waits for the script to exit, checks that it succeeded and
// printed nothing outside the protocol, and unmarshals its result into v
// (unless v is nil).
func (p *Script) Result(v any) {
	p.t.Helper()
	<-p.done
	var l line
	select {
	case l = <-p.final:
	default:
		p.t.Fatalf("node %s printed no result (exit: %v)\n%s", p.name, p.err, p.diag())
	}
	if l.Error != nil {
		p.t.Fatalf("node %s failed (exit: %v): %s\n%s", p.name, p.err, *l.Error, p.diag())
	}
	if p.err != nil {
		p.t.Fatalf("node %s: exit status %v\n%s", p.name, p.err, p.diag())
	}
	if bad := p.badLines(); len(bad) > 0 {
		p.t.Errorf("node %s printed unexpected lines: %q", p.name, bad)
	}
	if v != nil {
		if err := json.Unmarshal(l.Result, v); err != nil {
			p.t.Fatalf("node %s: bad result %s: %v", p.name, l.Result, err)
		}
	}
	p.t.Logf("node %s result: %s", p.name, shorten(string(l.Result), 4000))
}

// diag is what the script printed outside the protocol, for failures.
func (p *Script) diag() string {
	var b strings.Builder
	if s := p.stderr.String(); s != "" {
		fmt.Fprintf(&b, "stderr:\n%s\n", s)
	}
	if bad := p.badLines(); len(bad) > 0 {
		fmt.Fprintf(&b, "unexpected stdout: %q\n", bad)
	}
	return b.String()
}

func shorten(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
