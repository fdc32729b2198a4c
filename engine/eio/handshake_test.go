package eio

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gobwas/ws"
)

func TestHandshakePolling(t *testing.T) {
	t.Parallel()
	ts := startServer(t, Config{
		PingInterval: 1500 * time.Millisecond,
		PingTimeout:  1200 * time.Millisecond,
		MaxPayload:   5000,
	})
	res := ts.get(ts.url("transport=polling"))
	if res.status != 200 {
		t.Fatalf("status %d", res.status)
	}
	if ct := res.header.Get("Content-Type"); ct != "text/plain; charset=UTF-8" {
		t.Fatalf("Content-Type %q", ct)
	}
	if cc := res.header.Get("Cache-Control"); cc != "no-store" {
		t.Fatalf("cache-control %q", cc)
	}
	if res.header.Get("Set-Cookie") != "" || res.header.Get("Access-Control-Allow-Origin") != "" {
		t.Fatalf("unexpected headers %v", res.header)
	}
	hs := parseOpen(t, res.body)
	want := fmt.Sprintf(`0{"sid":"%s","upgrades":["websocket"],"pingInterval":1500,"pingTimeout":1200,"maxPayload":5000}`, hs.SID)
	if res.body != want {
		t.Fatalf("open packet %s, want %s", res.body, want)
	}
	s := ts.h.waitOpen(t)
	if s.ID() != hs.SID || s.Transport() != Polling || s.Closed() {
		t.Fatalf("session %s transport %s closed %v", s.ID(), s.Transport(), s.Closed())
	}
	if s.Server() != ts.srv || ts.srv.SessionCount() != 1 || ts.srv.Reactor() != ts.r {
		t.Fatalf("server bookkeeping: count %d", ts.srv.SessionCount())
	}
	// Writes counts writev calls, after they return.
	waitFor(t, func() bool { return ts.r.Writes() >= 1 }, "Writes to count the response")
}

func TestHandshakeWebSocket(t *testing.T) {
	t.Parallel()
	ts := startServer(t, Config{
		PingInterval: 1500 * time.Millisecond,
		PingTimeout:  1200 * time.Millisecond,
		MaxPayload:   5000,
	})
	seen := map[string]bool{}
	for i := 0; i < 2; i++ {
		c := ts.mustDialWS("transport=websocket")
		// The open packet comes in one unfragmented text frame.
		h, p := c.readFrame()
		if h.OpCode != ws.OpText || !h.Fin {
			t.Fatalf("header %+v", h)
		}
		hs := parseOpen(t, string(p))
		want := fmt.Sprintf(`0{"sid":"%s","upgrades":[],"pingInterval":1500,"pingTimeout":1200,"maxPayload":5000}`, hs.SID)
		if string(p) != want {
			t.Fatalf("open packet %s, want %s", p, want)
		}
		s := ts.h.waitOpen(t)
		if s.ID() != hs.SID || s.Transport() != WebSocket {
			t.Fatalf("session %s transport %s", s.ID(), s.Transport())
		}
		if seen[hs.SID] {
			t.Fatal("two sessions share a sid")
		}
		seen[hs.SID] = true
	}
}

func TestHandshakeRawWebSocketResponse(t *testing.T) {
	t.Parallel()
	ts := startServer(t, Config{})
	rc := ts.dialRaw()
	rc.send("GET /engine.io/?EIO=4&transport=websocket HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
		"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n")
	head := readHead(t, rc)
	want := "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n"
	if head != want {
		t.Fatalf("response head %q, want %q", head, want)
	}
}

// readHead reads an HTTP response head byte by byte.
func readHead(t *testing.T, rc *rawConn) string {
	t.Helper()
	_ = rc.c.SetReadDeadline(time.Now().Add(waitTimeout))
	var b strings.Builder
	for !strings.HasSuffix(b.String(), "\r\n\r\n") {
		c, err := rc.br.ReadByte()
		if err != nil {
			t.Fatalf("reading head %q: %v", b.String(), err)
		}
		b.WriteByte(c)
	}
	return b.String()
}

func TestHandshakeUpgradesList(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		cfg  Config
		want string
	}{
		{"default", Config{}, `["websocket"]`},
		{"disabled", Config{DisableUpgrades: true}, `[]`},
		{"polling only", Config{Transports: []string{Polling}}, `[]`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ts := startServer(t, tc.cfg)
			res := ts.get(ts.url("transport=polling"))
			if !strings.Contains(res.body, `"upgrades":`+tc.want+`,`) {
				t.Fatalf("open packet %s, want upgrades %s", res.body, tc.want)
			}
		})
	}
}

func TestHandshakeSIDsAreUnique(t *testing.T) {
	t.Parallel()
	ts := startServer(t, Config{})
	seen := map[string]bool{}
	for i := 0; i < 50; i++ {
		res := ts.get(ts.url("transport=polling"))
		hs := parseOpen(t, res.body)
		if seen[hs.SID] {
			t.Fatalf("sid %s issued twice", hs.SID)
		}
		seen[hs.SID] = true
	}
	if n := ts.srv.SessionCount(); n != 50 {
		t.Fatalf("SessionCount %d", n)
	}
}

func TestHandshakeTransportRestrictions(t *testing.T) {
	t.Parallel()
	t.Run("websocket only", func(t *testing.T) {
		t.Parallel()
		ts := startServer(t, Config{Transports: []string{WebSocket}})
		checkJSONError(t, ts.get(ts.url("transport=polling")), 400, CodeUnknownTransport, "Transport unknown")
		ts.openWS()
	})
	t.Run("polling only", func(t *testing.T) {
		t.Parallel()
		ts := startServer(t, Config{Transports: []string{Polling}})
		expectWSRefusedWith(t, ts, "EIO=4&transport=websocket", "Transport unknown")
		ts.openPolling()
	})
}

// expectWSRefusedWith checks the answer to a refused WebSocket handshake:
// 400, text/html, Connection: close, the message as body, then EOF. query
// is the whole query string.
func expectWSRefusedWith(t *testing.T, ts *testServer, query, message string) {
	t.Helper()
	rc := ts.dialRaw()
	rc.send("GET " + ts.path + "?" + query + " HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
		"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n")
	resp, body := rc.response()
	if resp.StatusCode != 400 || body != message {
		t.Fatalf("status %d body %q, want 400 %q", resp.StatusCode, body, message)
	}
	if ct := resp.Header.Get("Content-Type"); ct != "text/html" {
		t.Fatalf("Content-Type %q", ct)
	}
	if !resp.Close {
		t.Fatal("no Connection: close")
	}
	rc.expectEOF()
}

func TestErrorResponses(t *testing.T) {
	t.Parallel()
	ts := startServer(t, Config{})
	pollSID, _ := ts.openPolling()
	_, wsHS, _ := ts.openWS()
	cases := []struct {
		name    string
		method  string
		url     string
		status  int
		code    int
		message string
	}{
		{"no transport", "GET", ts.url(""), 400, CodeUnknownTransport, "Transport unknown"},
		{"unknown transport", "GET", ts.url("transport=abc"), 400, CodeUnknownTransport, "Transport unknown"},
		{"webtransport", "GET", ts.url("transport=webtransport"), 400, CodeUnknownTransport, "Transport unknown"},
		{"unknown sid GET", "GET", ts.url("transport=polling&sid=abc"), 400, CodeUnknownSID, "Session ID unknown"},
		{"unknown sid POST", "POST", ts.url("transport=polling&sid=abc"), 400, CodeUnknownSID, "Session ID unknown"},
		{"handshake POST", "POST", ts.url("transport=polling"), 400, CodeBadHandshakeMethod, "Bad handshake method"},
		{"handshake PUT", "PUT", ts.url("transport=polling"), 400, CodeBadHandshakeMethod, "Bad handshake method"},
		{"handshake DELETE", "DELETE", ts.url("transport=polling"), 400, CodeBadHandshakeMethod, "Bad handshake method"},
		{"handshake OPTIONS", "OPTIONS", ts.url("transport=polling"), 400, CodeBadHandshakeMethod, "Bad handshake method"},
		{"websocket without upgrade", "GET", ts.url("transport=websocket"), 400, CodeBadRequest, "Bad request"},
		{"polling sid as websocket", "GET", ts.url("transport=websocket&sid=" + pollSID), 400, CodeBadRequest, "Bad request"},
		{"websocket sid as polling", "GET", ts.url("transport=polling&sid=" + wsHS.SID), 400, CodeBadRequest, "Bad request"},
		{"websocket sid POST", "POST", ts.url("transport=polling&sid=" + wsHS.SID), 400, CodeBadRequest, "Bad request"},
		{"no EIO", "GET", ts.rawURL("transport=polling"), 400, CodeUnsupportedProtocol, "Unsupported protocol version"},
		{"EIO=3", "GET", ts.rawURL("EIO=3&transport=polling"), 400, CodeUnsupportedProtocol, "Unsupported protocol version"},
		{"EIO=abc", "GET", ts.rawURL("EIO=abc&transport=polling"), 400, CodeUnsupportedProtocol, "Unsupported protocol version"},
		{"EIO=5", "GET", ts.rawURL("EIO=5&transport=polling"), 400, CodeUnsupportedProtocol, "Unsupported protocol version"},
	}
	for _, tc := range cases {
		res := ts.mustDo(tc.method, tc.url, "", nil)
		t.Run(tc.name, func(t *testing.T) {
			checkJSONError(t, res, tc.status, tc.code, tc.message)
		})
	}
	// None of these touched the two sessions.
	ts.h.noClose(t, 20*time.Millisecond)
	if n := ts.srv.SessionCount(); n != 2 {
		t.Fatalf("SessionCount %d", n)
	}
}

func TestErrorResponsesWebSocket(t *testing.T) {
	t.Parallel()
	ts := startServer(t, Config{})
	pollSID, _ := ts.openPolling()
	cases := []struct{ query, message string }{
		{"EIO=4&transport=abc", "Transport unknown"},
		{"EIO=4", "Transport unknown"},
		{"EIO=4&transport=websocket&sid=abc", "Session ID unknown"},
		{"EIO=3&transport=websocket", "Unsupported protocol version"},
		{"transport=websocket", "Unsupported protocol version"},
	}
	for _, tc := range cases {
		t.Run(tc.query, func(t *testing.T) {
			expectWSRefusedWith(t, ts, tc.query, tc.message)
		})
	}
	// The upgrade of an existing session needs a valid WebSocket handshake.
	t.Run("bad version", func(t *testing.T) {
		rc := ts.dialRaw()
		rc.send("GET " + ts.path + "?EIO=4&transport=websocket&sid=" + pollSID + " HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
			"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 8\r\n\r\n")
		resp, body := rc.response()
		if resp.StatusCode != 400 || body != "Missing or invalid Sec-WebSocket-Version header" {
			t.Fatalf("%d %q", resp.StatusCode, body)
		}
		rc.expectEOF()
	})
	t.Run("bad key", func(t *testing.T) {
		rc := ts.dialRaw()
		rc.send("GET " + ts.path + "?EIO=4&transport=websocket HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
			"Sec-WebSocket-Key: short\r\nSec-WebSocket-Version: 13\r\n\r\n")
		resp, body := rc.response()
		if resp.StatusCode != 400 || body != "Missing or invalid Sec-WebSocket-Key header" {
			t.Fatalf("%d %q", resp.StatusCode, body)
		}
		rc.expectEOF()
	})
	if n := ts.srv.SessionCount(); n != 1 {
		t.Fatalf("SessionCount %d", n)
	}
}

func TestForbidden(t *testing.T) {
	t.Parallel()
	h := newRecorder()
	seen := make(chan *Request, 8)
	ts := startServer(t, Config{
		Handler: h,
		AllowRequest: func(r *Request) error {
			seen <- r
			if r.Header("X-Token") == "secret" {
				return nil
			}
			return errors.New(`token "missing"`)
		},
	})
	checkJSONError(t, ts.get(ts.url("transport=polling")), 403, CodeForbidden, `token "missing"`)
	r := <-seen
	if r.Method() != "GET" || r.QueryValue("transport") != "polling" {
		t.Fatalf("AllowRequest saw %s %s", r.Method(), r.URL())
	}
	res := ts.mustDo("GET", ts.url("transport=polling"), "", http.Header{"X-Token": {"secret"}})
	if res.status != 200 {
		t.Fatalf("allowed handshake: %d %q", res.status, res.body)
	}
	parseOpen(t, res.body)
	<-seen
	expectWSRefusedWith(t, ts, "EIO=4&transport=websocket", `token "missing"`)
	<-seen
	c, err := ts.dialWS("transport=websocket", http.Header{"X-Token": {"secret"}})
	if err != nil {
		t.Fatalf("allowed websocket: %v", err)
	}
	parseOpen(t, c.readText())
	<-seen
	// Requests of an open session are not vetted again.
	sid := parseOpen(t, res.body).SID
	if res := ts.mustDo("POST", ts.pollURL(sid), "4x", nil); res.status != 200 {
		t.Fatalf("POST: %d %q", res.status, res.body)
	}
	select {
	case <-seen:
		t.Fatal("AllowRequest called twice for one handshake")
	default:
	}
}

func TestNotFound(t *testing.T) {
	t.Parallel()
	ts := startServer(t, Config{})
	for _, path := range []string{"/", "/foo", "/engine.iox/?EIO=4&transport=polling", "/socket.io/?EIO=4&transport=polling"} {
		res := ts.get("http://" + ts.addr + path)
		if res.status != 404 || res.body != `{"message":"Not Found"}` || res.header.Get("Content-Type") != "application/json" {
			t.Fatalf("%s: %d %q %v", path, res.status, res.body, res.header)
		}
	}
	// The mount path matches with and without its trailing slash, and below.
	for _, path := range []string{"/engine.io?EIO=4&transport=polling", "/engine.io/?EIO=4&transport=polling", "/engine.io/x?EIO=4&transport=polling"} {
		res := ts.get("http://" + ts.addr + path)
		if res.status != 200 {
			t.Fatalf("%s: %d %q", path, res.status, res.body)
		}
	}
}

func TestMultipleMounts(t *testing.T) {
	t.Parallel()
	ha, hb := newRecorder(), newRecorder()
	a, err := NewServer(Config{Handler: ha, MaxPayload: 111})
	if err != nil {
		t.Fatal(err)
	}
	b, err := NewServer(Config{Handler: hb, MaxPayload: 222})
	if err != nil {
		t.Fatal(err)
	}
	r := NewReactor(ReactorConfig{Logger: discardLogger})
	r.Mount("a", a)
	r.Mount("/b/", b)
	if err := r.Start("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { shutdownInBackground(r) })
	ts := &testServer{t: t, r: r, addr: r.Addr().String(), client: http.DefaultClient}
	ra := ts.get("http://" + ts.addr + "/a/?EIO=4&transport=polling")
	rb := ts.get("http://" + ts.addr + "/b/?EIO=4&transport=polling")
	if parseOpen(t, ra.body).MaxPayload != 111 || parseOpen(t, rb.body).MaxPayload != 222 {
		t.Fatalf("routing: %s / %s", ra.body, rb.body)
	}
	sa, sb := ha.waitOpen(t), hb.waitOpen(t)
	if sa.Server() != a || sb.Server() != b {
		t.Fatal("sessions on the wrong server")
	}
	// A sid is only known to its own server.
	checkJSONError(t, ts.get("http://"+ts.addr+"/b/?EIO=4&transport=polling&sid="+sa.ID()), 400, CodeUnknownSID, "Session ID unknown")
}

func TestHandshakeWebSocketHeaderVariants(t *testing.T) {
	t.Parallel()
	ts := startServer(t, Config{})
	// Firefox sends "Connection: keep-alive, Upgrade"; tokens are case
	// insensitive.
	rc := ts.dialRaw()
	rc.send("GET " + ts.path + "?EIO=4&transport=websocket HTTP/1.1\r\nHost: x\r\nUpgrade: WebSocket\r\nConnection: keep-alive, Upgrade\r\n" +
		"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n")
	if head := readHead(t, rc); !strings.HasPrefix(head, "HTTP/1.1 101 Switching Protocols\r\n") {
		t.Fatalf("head %q", head)
	}
	ts.h.waitOpen(t)
}
