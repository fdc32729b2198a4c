package push_test

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/heraldrt/herald/internal/nodetest"
)

// TestOfficialClient pushes to the official socket.io-client from Node.js
// over each transport: JSON data, binary attachments, an ack answered with
// binary, and a disconnect with its reason.
func TestOfficialClient(t *testing.T) {
	nodetest.Require(t, "socket.io-client")
	n := startNode(t, nil)
	for _, mode := range []string{"polling", "websocket", "upgrade"} {
		t.Run(mode, func(t *testing.T) {
			t.Parallel()
			user := "node-" + mode
			p := nodetest.Start(t, 30*time.Second, filepath.Join("testdata", "client.mjs"), n.sio, mode, token(t, user))
			var ready struct {
				ID, Transport string
			}
			if err := json.Unmarshal(p.Step("ready", 20*time.Second), &ready); err != nil {
				t.Fatal(err)
			}
			want := "websocket"
			if mode == "polling" {
				want = "polling"
			}
			if ready.ID == "" || ready.Transport != want {
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
				Events     []json.RawMessage
				Disconnect string
			}
			p.Result(&res)
			got := make([]string, len(res.Events))
			for i, e := range res.Events {
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
			if res.Disconnect != "io server disconnect" {
				t.Fatalf("disconnect reason %q, want io server disconnect", res.Disconnect)
			}
		})
	}
}
