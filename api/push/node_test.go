package push_test

import (
	"bufio"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestOfficialClient pushes to the official socket.io-client from Node.js
// over each transport: JSON data, binary attachments, an ack answered with
// binary, and a disconnect with its reason.
func TestOfficialClient(t *testing.T) {
	nodeBin := requireNode(t)
	n := startNode(t, nil)
	for _, mode := range []string{"polling", "websocket", "upgrade"} {
		t.Run(mode, func(t *testing.T) {
			t.Parallel()
			user := "node-" + mode
			p := startScript(t, nodeBin, "client.mjs", n.sio, mode, token(t, user))
			var ready struct {
				Step, ID, Transport string
			}
			p.line(t, &ready)
			want := "websocket"
			if mode == "polling" {
				want = "polling"
			}
			if ready.Step != "ready" || ready.ID == "" || ready.Transport != want {
				t.Fatalf("ready line %+v", ready)
			}
			to := map[string]any{"users": []string{user}}
			if got := recipients(t, n.mustPost(t, "/v1/emit", keyEmit, map[string]any{"event": "note", "args": []any{"hi", map[string]any{"n": 1}}, "targets": to})); got != 1 {
				t.Fatalf("note: %d recipients", got)
			}
			n.mustPost(t, "/v1/emit", keyEmit, map[string]any{"event": "file", "targets": map[string]any{"sockets": []string{ready.ID}},
				"args": []any{map[string]any{"name": "f.bin", "body": map[string]any{"$binary": "AAH/"}}, map[string]any{"$binary": "aGk="}}})
			out := n.mustPost(t, "/v1/emit", keyEmit, map[string]any{"event": "ask", "data": "q", "targets": to, "ack_timeout_ms": 5000})
			acks, _ := json.Marshal(out["acks"])
			if string(acks) != `[[{"answer":42},{"$binary":"CQgH"}]]` || out["timed_out"] != false {
				t.Fatalf("ack answer %v", out)
			}
			if d := n.mustPost(t, "/v1/sockets/disconnect", keyAdmin, map[string]any{"targets": to, "reason": "bye " + mode}); d["disconnected"] != float64(1) {
				t.Fatalf("disconnect answer %v", d)
			}
			var res struct {
				Result struct {
					Events     []json.RawMessage
					Disconnect string
				}
			}
			p.line(t, &res)
			got := make([]string, len(res.Result.Events))
			for i, e := range res.Result.Events {
				got[i] = string(e)
			}
			wantEvents := []string{
				`{"name":"note","args":["hi",{"n":1}]}`,
				`{"name":"file","file":"f.bin","body":{"binary":true,"hex":"0001ff"},"bin":{"binary":true,"hex":"6869"}}`,
				`{"name":"ask","q":"q"}`,
				`{"name":"herald:disconnect","reason":"bye ` + mode + `"}`,
			}
			if strings.Join(got, "\n") != strings.Join(wantEvents, "\n") {
				t.Fatalf("the client saw\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(wantEvents, "\n"))
			}
			if res.Result.Disconnect != "io server disconnect" {
				t.Fatalf("disconnect reason %q, want io server disconnect", res.Result.Disconnect)
			}
			p.wait(t)
		})
	}
}

// requireNode finds node and the npm packages, failing (not skipping) the
// test when they are missing, as the engine's end-to-end tests do.
func requireNode(t *testing.T) string {
	t.Helper()
	bin, err := exec.LookPath("node")
	if err != nil {
		t.Fatalf("node is not installed (%v): install Node.js, then run `npm ci` in the repository root", err)
	}
	if _, err := os.Stat(filepath.Join(repoRoot(t), "node_modules", "socket.io-client", "package.json")); err != nil {
		t.Fatalf("node_modules/socket.io-client is missing (%v): run `npm ci` in the repository root", err)
	}
	return bin
}

func repoRoot(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("no go.mod above the package")
		}
		dir = parent
	}
}

// script is a running Node.js script printing one JSON object per line.
type script struct {
	cmd    *exec.Cmd
	lines  chan string
	stderr *logBuffer
}

// startScript runs testdata/<name> from the repository root, so that it
// resolves the root's node_modules.
func startScript(t *testing.T, nodeBin, name string, args ...string) *script {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	path, err := filepath.Abs(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.CommandContext(ctx, nodeBin, append([]string{path}, args...)...)
	cmd.Dir = repoRoot(t)
	cmd.WaitDelay = 2 * time.Second
	p := &script{cmd: cmd, lines: make(chan string, 16), stderr: &logBuffer{}}
	cmd.Stderr = p.stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		cancel()
		t.Fatalf("start %s: %v", name, err)
	}
	go func() {
		sc := bufio.NewScanner(stdout)
		sc.Buffer(nil, 1<<20)
		for sc.Scan() {
			p.lines <- sc.Text()
		}
		close(p.lines)
	}()
	t.Cleanup(func() {
		cancel()
		_ = cmd.Wait()
	})
	return p
}

// line reads the script's next line into v; an {"error"} line fails.
func (p *script) line(t *testing.T, v any) {
	t.Helper()
	select {
	case l, ok := <-p.lines:
		if !ok {
			t.Fatalf("the script ended early; stderr:\n%s", p.stderr.String())
		}
		var e struct{ Error *string }
		if json.Unmarshal([]byte(l), &e) == nil && e.Error != nil {
			t.Fatalf("the script failed: %s\nstderr:\n%s", *e.Error, p.stderr.String())
		}
		if err := json.Unmarshal([]byte(l), v); err != nil {
			t.Fatalf("script line %q: %v", l, err)
		}
	case <-time.After(20 * time.Second):
		t.Fatalf("no line from the script; stderr:\n%s", p.stderr.String())
	}
}

// wait checks that the script exits 0.
func (p *script) wait(t *testing.T) {
	t.Helper()
	for range p.lines {
	}
	if err := p.cmd.Wait(); err != nil {
		t.Fatalf("script: %v; stderr:\n%s", err, p.stderr.String())
	}
}
