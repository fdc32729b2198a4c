package engine

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
)

// pollFleet is a large set of real Engine.IO polling sessions carried by a
// few keep-alive TCP connections: every session is a complete server-side
// session and socket, homed on the loop of the connection that opened it,
// but it costs the test no file descriptor and no goroutine. The fleet
// pipelines its requests, and a session's requests always go over the
// connection that opened it, so they never cross loops.
//
// Sessions without a held GET queue what they are sent; Drain fetches it.
// The queues keep their capacity across drains, which makes deliveries to
// a drained fleet allocation-free on the server.
type pollFleet struct {
	t     testing.TB
	ts    *tServer
	conns []*fleetConn
}

type fleetConn struct {
	c    net.Conn
	br   *bufio.Reader
	sids []string
}

const fleetBatch = 256

// newPollFleet opens n sessions over nconns connections and connects each
// to namespace "/".
func newPollFleet(t testing.TB, ts *tServer, n, nconns int) *pollFleet {
	t.Helper()
	f := &pollFleet{t: t, ts: ts}
	for i := range nconns {
		c, err := net.Dial("tcp", ts.addr)
		if err != nil {
			t.Fatalf("dial: %v", err)
		}
		t.Cleanup(func() { c.Close() })
		fc := &fleetConn{c: c, br: bufio.NewReaderSize(c, 64<<10)}
		f.conns = append(f.conns, fc)
		k := n / nconns
		if i < n%nconns {
			k++
		}
		for k > 0 {
			b := min(k, fleetBatch)
			reqs := strings.Repeat(fmt.Sprintf("GET %s?EIO=4&transport=polling HTTP/1.1\r\nHost: t\r\n\r\n", ts.path()), b)
			for _, body := range fc.roundTrip(t, reqs, b) {
				var hs struct{ SID string }
				if !strings.HasPrefix(body, "0{") || json.Unmarshal([]byte(body[1:]), &hs) != nil {
					t.Fatalf("fleet handshake %q", body)
				}
				fc.sids = append(fc.sids, hs.SID)
			}
			k -= b
		}
	}
	f.post("40")
	return f
}

// roundTrip writes pipelined requests and reads n responses' bodies.
func (fc *fleetConn) roundTrip(t testing.TB, reqs string, n int) []string {
	t.Helper()
	errc := make(chan error, 1)
	go func() {
		_, err := io.WriteString(fc.c, reqs)
		errc <- err
	}()
	out := make([]string, 0, n)
	for range n {
		resp, err := http.ReadResponse(fc.br, nil)
		if err != nil {
			t.Fatalf("fleet response: %v", err)
		}
		b, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil || resp.StatusCode != 200 {
			t.Fatalf("fleet response %d %q %v", resp.StatusCode, b, err)
		}
		out = append(out, string(b))
	}
	if err := <-errc; err != nil {
		t.Fatalf("fleet write: %v", err)
	}
	return out
}

// each sends one request per session, built by req, and returns every
// session's response body.
func (f *pollFleet) each(req func(sid string) string) map[string]string {
	f.t.Helper()
	out := make(map[string]string, f.size())
	for _, fc := range f.conns {
		for i := 0; i < len(fc.sids); i += fleetBatch {
			sids := fc.sids[i:min(i+fleetBatch, len(fc.sids))]
			var b strings.Builder
			for _, sid := range sids {
				b.WriteString(req(sid))
			}
			for j, body := range fc.roundTrip(f.t, b.String(), len(sids)) {
				out[sids[j]] = body
			}
		}
	}
	return out
}

// post sends one polling POST with body to every session.
func (f *pollFleet) post(body string) {
	f.t.Helper()
	for sid, got := range f.each(func(sid string) string {
		return fmt.Sprintf("POST %s?EIO=4&transport=polling&sid=%s HTTP/1.1\r\nHost: t\r\nContent-Type: text/plain;charset=UTF-8\r\nContent-Length: %d\r\n\r\n%s",
			f.ts.path(), sid, len(body), body)
	}) {
		if got != "ok" {
			f.t.Fatalf("POST for %s: %q", sid, got)
		}
	}
}

// drain fetches what every session has queued, with one GET each; every
// session must have something queued, or its GET would be held and stall
// the pipeline.
func (f *pollFleet) drain() map[string][]string {
	f.t.Helper()
	out := make(map[string][]string, f.size())
	for sid, body := range f.each(func(sid string) string {
		return fmt.Sprintf("GET %s?EIO=4&transport=polling&sid=%s HTTP/1.1\r\nHost: t\r\n\r\n", f.ts.path(), sid)
	}) {
		out[sid] = strings.Split(body, "\x1e")
	}
	return out
}

func (f *pollFleet) size() int {
	n := 0
	for _, fc := range f.conns {
		n += len(fc.sids)
	}
	return n
}
