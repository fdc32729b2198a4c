package eio

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestPollingReceive(t *testing.T) {
	t.Parallel()
	ts := startServer(t, Config{})
	sid, s := ts.openPolling()

	// A GET with nothing queued is held until there is something to send.
	poll := ts.asyncGet(ts.pollURL(sid))
	expectPending(t, poll, 100*time.Millisecond)
	s.SendText([]byte("hello"))
	res := recvResult(t, poll)
	if res.status != 200 || res.body != "4hello" {
		t.Fatalf("GET: %d %q", res.status, res.body)
	}
	if ct := res.header.Get("Content-Type"); ct != "text/plain; charset=UTF-8" {
		t.Fatalf("Content-Type %q", ct)
	}
	if cc := res.header.Get("Cache-Control"); cc != "no-store" {
		t.Fatalf("cache-control %q", cc)
	}
	if res.header.Get("Content-Length") != "6" {
		t.Fatalf("Content-Length %q", res.header.Get("Content-Length"))
	}

	// What is queued meanwhile goes out in one payload, in order, binary
	// packets base64 encoded after a 'b'.
	s.SendText([]byte("a"))
	s.SendBinary([]byte{1, 2, 3})
	s.SendText([]byte("é€"))
	s.SendBinary(nil)
	var b MessageBuilder
	s.Send(b.Text(4, []byte("x")).Binary([]byte{0xff}).Message())
	// Sends are asynchronous: poll until all six packets are in.
	var got []string
	for len(got) < 6 {
		res = ts.get(ts.pollURL(sid))
		if res.status != 200 {
			t.Fatalf("GET: %d %q", res.status, res.body)
		}
		if res.header.Get("Content-Length") != fmt.Sprint(len(res.body)) {
			t.Fatalf("Content-Length %q for %d bytes", res.header.Get("Content-Length"), len(res.body))
		}
		got = append(got, strings.Split(res.body, "\x1e")...)
	}
	want := "4a\x1ebAQID\x1e4é€\x1eb\x1e4x\x1eb/w=="
	if strings.Join(got, "\x1e") != want {
		t.Fatalf("payloads %q, want %q", got, want)
	}
}

func TestPollingSend(t *testing.T) {
	t.Parallel()
	ts := startServer(t, Config{})
	sid, s := ts.openPolling()
	res := ts.post(ts.pollURL(sid), "4hello\x1ebAQIDBA==\x1e4\x1e4é€\x1eb")
	if res.status != 200 || res.body != "ok" {
		t.Fatalf("POST: %d %q", res.status, res.body)
	}
	if ct := res.header.Get("Content-Type"); ct != "text/html" {
		t.Fatalf("Content-Type %q", ct)
	}
	if cc := res.header.Get("Cache-Control"); cc != "no-store" {
		t.Fatalf("cache-control %q", cc)
	}
	if res.header.Get("Content-Length") != "2" {
		t.Fatalf("Content-Length %q", res.header.Get("Content-Length"))
	}
	for _, want := range []struct {
		data   string
		binary bool
	}{{"hello", false}, {"\x01\x02\x03\x04", true}, {"", false}, {"é€", false}, {"", true}} {
		m := ts.h.expectMsg(t, want.data, want.binary)
		if m.s != s {
			t.Fatal("message for the wrong session")
		}
	}
	// A noop packet and a pong are accepted and not reported.
	ts.expectPost(sid, "6\x1e3\x1e4after", 200)
	ts.h.expectMsg(t, "after", false)
}

func TestPollingOctetStreamClosesSession(t *testing.T) {
	t.Parallel()
	ts := startServer(t, Config{})
	sid, s := ts.openPolling()
	res := ts.mustDo("POST", ts.pollURL(sid), "4hello", http.Header{"Content-Type": {"application/octet-stream"}})
	if res.status != 400 || res.body != "" {
		t.Fatalf("POST: %d %q", res.status, res.body)
	}
	ts.h.expectClose(t, s, ReasonTransportError)
	select {
	case m := <-ts.h.msgs:
		t.Fatalf("message %q delivered from a refused body", m.data)
	default:
	}
	checkJSONError(t, ts.get(ts.pollURL(sid)), 400, CodeUnknownSID, "Session ID unknown")
}

func TestPollingDuplicateGet(t *testing.T) {
	t.Parallel()
	ts := startServer(t, Config{}, ReactorConfig{Loops: 3})
	sid, s := ts.openPolling()
	first := ts.asyncGet(ts.pollURL(sid))
	waitHeld(t, s)
	second := ts.get(ts.pollURL(sid))
	if second.status != 400 || second.body != "" {
		t.Fatalf("second GET: %d %q", second.status, second.body)
	}
	if res := recvResult(t, first); res.status != 200 || res.body != "1" {
		t.Fatalf("first GET: %d %q", res.status, res.body)
	}
	ts.h.expectClose(t, s, ReasonTransportError)
	if !s.Closed() || ts.srv.SessionCount() != 0 {
		t.Fatal("session still counted")
	}
	checkJSONError(t, ts.get(ts.pollURL(sid)), 400, CodeUnknownSID, "Session ID unknown")
	checkJSONError(t, ts.post(ts.pollURL(sid), "4x"), 400, CodeUnknownSID, "Session ID unknown")
}

func TestPollingCancelledGetClosesSession(t *testing.T) {
	t.Parallel()
	ts := startServer(t, Config{})
	sid, s := ts.openPolling()
	rc := ts.dialRaw()
	rc.send("GET " + ts.path + "?EIO=4&transport=polling&sid=" + sid + " HTTP/1.1\r\nHost: x\r\n\r\n")
	waitHeld(t, s)
	ts.h.noClose(t, 0)
	rc.c.Close()
	ts.h.expectClose(t, s, ReasonTransportError)
	checkJSONError(t, ts.get(ts.pollURL(sid)), 400, CodeUnknownSID, "Session ID unknown")
}

func TestPollingInvalidPayloadClosesSession(t *testing.T) {
	t.Parallel()
	for _, body := range []string{"abc", "", "4ok\x1e", "4ok\x1e9", "bAQ!D", "\x1e4x", "7"} {
		t.Run(fmt.Sprintf("%q", body), func(t *testing.T) {
			t.Parallel()
			ts := startServer(t, Config{})
			sid, s := ts.openPolling()
			res := ts.post(ts.pollURL(sid), body)
			if res.status != 400 {
				t.Fatalf("POST: %d %q", res.status, res.body)
			}
			if strings.HasPrefix(body, "4ok") {
				ts.h.expectMsg(t, "ok", false) // packets before the bad one count
			}
			ts.h.expectClose(t, s, ReasonParseError)
			checkJSONError(t, ts.get(ts.pollURL(sid)), 400, CodeUnknownSID, "Session ID unknown")
		})
	}
}

func TestPollingClosePacket(t *testing.T) {
	t.Parallel()
	ts := startServer(t, Config{})
	sid, s := ts.openPolling()
	poll := ts.asyncGet(ts.pollURL(sid))
	waitHeld(t, s)
	// Packets before the close packet are delivered, those after are not.
	res := ts.post(ts.pollURL(sid), "4before\x1e1\x1e4after")
	if res.status != 200 || res.body != "ok" {
		t.Fatalf("POST: %d %q", res.status, res.body)
	}
	if res := recvResult(t, poll); res.status != 200 || res.body != "6" {
		t.Fatalf("pending GET: %d %q", res.status, res.body)
	}
	ts.h.expectMsg(t, "before", false)
	ts.h.expectClose(t, s, ReasonTransportClose)
	select {
	case m := <-ts.h.msgs:
		t.Fatalf("message %q after the close packet", m.data)
	default:
	}
	checkJSONError(t, ts.get(ts.pollURL(sid)), 400, CodeUnknownSID, "Session ID unknown")
}

func TestPollingClosePacketWithoutPendingGet(t *testing.T) {
	t.Parallel()
	ts := startServer(t, Config{})
	sid, s := ts.openPolling()
	ts.expectPost(sid, "1", 200, "ok")
	ts.h.expectClose(t, s, ReasonTransportClose)
	checkJSONError(t, ts.get(ts.pollURL(sid)), 400, CodeUnknownSID, "Session ID unknown")
}

func TestPollingOtherMethod(t *testing.T) {
	t.Parallel()
	ts := startServer(t, Config{})
	sid, _ := ts.openPolling()
	for _, m := range []string{"PUT", "DELETE", "PATCH"} {
		res := ts.mustDo(m, ts.pollURL(sid), "", nil)
		if res.status != 500 || res.body != "" {
			t.Fatalf("%s: %d %q", m, res.status, res.body)
		}
	}
	ts.h.noClose(t, 20*time.Millisecond)
}

func TestPollingPayloadTooLarge(t *testing.T) {
	t.Parallel()
	ts := startServer(t, Config{MaxPayload: 100})
	sid, s := ts.openPolling()
	// Exactly maxPayload is fine.
	ts.expectPost(sid, "4"+strings.Repeat("x", 99), 200)
	ts.h.expectMsg(t, strings.Repeat("x", 99), false)
	// One more is refused with 413 before the body is read, and the
	// connection is closed; the session lives on.
	rc := ts.dialRaw()
	rc.send("POST " + ts.path + "?EIO=4&transport=polling&sid=" + sid + " HTTP/1.1\r\nHost: x\r\nContent-Length: 101\r\n\r\n")
	resp, body := rc.response()
	if resp.StatusCode != 413 || body != `{"message":"Payload Too Large"}` || !resp.Close {
		t.Fatalf("%d %q close=%v", resp.StatusCode, body, resp.Close)
	}
	rc.expectEOF()
	ts.h.noClose(t, 20*time.Millisecond)
	if s.Closed() {
		t.Fatal("session closed")
	}
}

func TestPollingChunkedBody(t *testing.T) {
	t.Parallel()
	ts := startServer(t, Config{})
	sid, _ := ts.openPolling()
	rc := ts.dialRaw()
	rc.send("POST " + ts.path + "?EIO=4&transport=polling&sid=" + sid + " HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3\r\n4hi\r\n0\r\n\r\n")
	resp, body := rc.response()
	if resp.StatusCode != 411 || body != `{"message":"Length Required"}` || !resp.Close {
		t.Fatalf("%d %q close=%v", resp.StatusCode, body, resp.Close)
	}
	rc.expectEOF()
	// Any other transfer coding is not implemented.
	rc = ts.dialRaw()
	rc.send("POST " + ts.path + "?EIO=4&transport=polling&sid=" + sid + " HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\n")
	resp, body = rc.response()
	if resp.StatusCode != 501 || body != `{"message":"Not Implemented"}` {
		t.Fatalf("%d %q", resp.StatusCode, body)
	}
	rc.expectEOF()
}

func TestHTTPHeadTooLarge(t *testing.T) {
	t.Parallel()
	ts := startServer(t, Config{}, ReactorConfig{MaxHeaderBytes: 1024})
	// Under the limit is fine.
	rc := ts.dialRaw()
	rc.send("GET " + ts.path + "?EIO=4&transport=polling HTTP/1.1\r\nHost: x\r\nX-Pad: " + strings.Repeat("a", 800) + "\r\n\r\n")
	if resp, _ := rc.response(); resp.StatusCode != 200 {
		t.Fatalf("status %d", resp.StatusCode)
	}
	for name, req := range map[string]string{
		"complete": "GET " + ts.path + "?EIO=4&transport=polling HTTP/1.1\r\nHost: x\r\nX-Pad: " + strings.Repeat("a", 1100) + "\r\n\r\n",
		"endless":  "GET " + ts.path + "?EIO=4&transport=polling HTTP/1.1\r\nHost: x\r\nX-Pad: " + strings.Repeat("a", 1100),
	} {
		rc := ts.dialRaw()
		rc.send(req)
		resp, body := rc.response()
		if resp.StatusCode != 431 || body != "Request Header Fields Too Large" || !resp.Close {
			t.Fatalf("%s: %d %q", name, resp.StatusCode, body)
		}
		if ct := resp.Header.Get("Content-Type"); ct != "text/plain; charset=utf-8" {
			t.Fatalf("Content-Type %q", ct)
		}
		rc.expectEOF()
	}
}

func TestHTTPMalformedRequest(t *testing.T) {
	t.Parallel()
	ts := startServer(t, Config{})
	for _, tc := range []struct {
		req    string
		status int
		body   string
	}{
		{"GARBAGE\r\n\r\n", 400, "Bad Request"},
		{"GET /engine.io/\r\n\r\n", 400, "Bad Request"},
		{"GET /engine.io/ FTP/1.1\r\n\r\n", 400, "Bad Request"},
		{"GET /engine.io/ HTTP/1.1\r\nBad Header\r\n\r\n", 400, "Bad Request"},
		{"GET /engine.io/ HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n", 400, "Bad Request"},
		{"GET /engine.io/ HTTP/2.0\r\n\r\n", 505, "HTTP Version Not Supported"},
	} {
		rc := ts.dialRaw()
		rc.send(tc.req)
		resp, body := rc.response()
		if resp.StatusCode != tc.status || body != tc.body || !resp.Close {
			t.Fatalf("%q: %d %q", tc.req, resp.StatusCode, body)
		}
		rc.expectEOF()
	}
}

func TestHTTPKeepAlive(t *testing.T) {
	t.Parallel()
	ts := startServer(t, Config{})
	rc := ts.dialRaw()
	rc.send("GET " + ts.path + "?EIO=4&transport=polling HTTP/1.1\r\nHost: x\r\n\r\n")
	resp, body := rc.response()
	if resp.StatusCode != 200 || resp.Close {
		t.Fatalf("handshake %d close=%v", resp.StatusCode, resp.Close)
	}
	sid := parseOpen(t, body).SID
	s := ts.h.waitOpen(t)
	q := ts.path + "?EIO=4&transport=polling&sid=" + sid
	for i := 0; i < 5; i++ {
		rc.send(fmt.Sprintf("POST %s HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\n4m%d", q, i))
		if resp, body := rc.response(); resp.StatusCode != 200 || body != "ok" || resp.Close {
			t.Fatalf("POST %d: %d %q", i, resp.StatusCode, body)
		}
		ts.h.expectMsg(t, fmt.Sprintf("m%d", i), false)
		s.SendText([]byte(fmt.Sprint(i)))
		rc.send("GET " + q + " HTTP/1.1\r\nHost: x\r\n\r\n")
		if resp, body := rc.response(); resp.StatusCode != 200 || body != fmt.Sprintf("4%d", i) {
			t.Fatalf("GET %d: %d %q", i, resp.StatusCode, body)
		}
	}
	// Errors keep the connection too.
	rc.send("GET /nowhere HTTP/1.1\r\nHost: x\r\n\r\n")
	if resp, _ := rc.response(); resp.StatusCode != 404 || resp.Close {
		t.Fatalf("404: close=%v", resp.Close)
	}
	rc.send("GET " + ts.path + "?EIO=4&transport=abc HTTP/1.1\r\nHost: x\r\n\r\n")
	if resp, _ := rc.response(); resp.StatusCode != 400 || resp.Close {
		t.Fatalf("400: close=%v", resp.Close)
	}
	// Connection: close is honoured.
	rc.send("POST " + q + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: 2\r\n\r\n4z")
	if resp, body := rc.response(); resp.StatusCode != 200 || body != "ok" || !resp.Close {
		t.Fatalf("last POST: %d %q close=%v", resp.StatusCode, body, resp.Close)
	}
	rc.expectEOF()

	// HTTP/1.0 closes unless asked to keep alive.
	rc = ts.dialRaw()
	rc.send("GET " + ts.path + "?EIO=4&transport=polling HTTP/1.0\r\n\r\n")
	if resp, _ := rc.response(); resp.StatusCode != 200 || !resp.Close {
		t.Fatalf("HTTP/1.0: %d close=%v", resp.StatusCode, resp.Close)
	}
	rc.expectEOF()
	rc = ts.dialRaw()
	rc.send("GET " + ts.path + "?EIO=4&transport=polling HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
	rc.send("GET " + ts.path + "?EIO=4&transport=polling HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
	for i := 0; i < 2; i++ {
		if resp, _ := rc.response(); resp.StatusCode != 200 || resp.Close {
			t.Fatalf("HTTP/1.0 keep-alive: %d close=%v", resp.StatusCode, resp.Close)
		}
	}
}

func TestHTTPPipelinedWhileGetHeld(t *testing.T) {
	t.Parallel()
	ts := startServer(t, Config{}, ReactorConfig{Loops: 3})
	sid, s := ts.openPolling()
	q := ts.path + "?EIO=4&transport=polling&sid=" + sid
	rc := ts.dialRaw()
	// A held GET, then a POST and a handshake pipelined behind it, in one
	// write.
	rc.send("GET " + q + " HTTP/1.1\r\nHost: x\r\n\r\n" +
		"POST " + q + " HTTP/1.1\r\nHost: x\r\nContent-Length: 9\r\n\r\n4pipeline" +
		"GET " + ts.path + "?EIO=4&transport=polling HTTP/1.1\r\nHost: x\r\n\r\n")
	rc.expectSilence(150 * time.Millisecond)
	select {
	case m := <-ts.h.msgs:
		t.Fatalf("pipelined POST processed while the GET was held: %q", m.data)
	default:
	}
	s.SendText([]byte("release"))
	if resp, body := rc.response(); resp.StatusCode != 200 || body != "4release" {
		t.Fatalf("GET: %d %q", resp.StatusCode, body)
	}
	if resp, body := rc.response(); resp.StatusCode != 200 || body != "ok" {
		t.Fatalf("POST: %d %q", resp.StatusCode, body)
	}
	ts.h.expectMsg(t, "pipeline", false)
	resp, body := rc.response()
	if resp.StatusCode != 200 {
		t.Fatalf("handshake: %d %q", resp.StatusCode, body)
	}
	parseOpen(t, body)
}

func TestPollingManyMessagesBothWays(t *testing.T) {
	t.Parallel()
	ts := startServer(t, Config{}, ReactorConfig{Loops: 3})
	sid, s := ts.openPolling()
	const n = 1000
	go func() {
		for i := 0; i < n; i++ {
			s.SendText([]byte(fmt.Sprint(i)))
		}
	}()
	next := 0
	for next < n {
		res := ts.get(ts.pollURL(sid))
		if res.status != 200 {
			t.Fatalf("GET: %d %q", res.status, res.body)
		}
		for _, p := range strings.Split(res.body, "\x1e") {
			if p != fmt.Sprintf("4%d", next) {
				t.Fatalf("packet %q, want 4%d", p, next)
			}
			next++
		}
	}
	var body strings.Builder
	for i := 0; i < n; i++ {
		if body.Len() > 0 {
			body.WriteByte(0x1e)
		}
		fmt.Fprintf(&body, "4%d", i)
		if i%100 == 99 {
			ts.expectPost(sid, body.String(), 200)
			body.Reset()
		}
	}
	for i := 0; i < n; i++ {
		ts.h.expectMsg(t, fmt.Sprint(i), false)
	}
}

func TestPollingQueueBound(t *testing.T) {
	t.Parallel()
	ts := startServer(t, Config{}, ReactorConfig{MaxOutboundBytes: 64 << 10})
	sid, s := ts.openPolling()
	before := ts.r.SlowConsumers()
	chunk := make([]byte, 8<<10)
	for i := 0; i < 16; i++ {
		s.SendBinary(chunk)
	}
	ts.h.expectClose(t, s, ReasonTransportError)
	if got := ts.r.SlowConsumers(); got != before+1 {
		t.Fatalf("SlowConsumers %d, want %d", got, before+1)
	}
	checkJSONError(t, ts.get(ts.pollURL(sid)), 400, CodeUnknownSID, "Session ID unknown")
}

func TestHTTPPipelineBound(t *testing.T) {
	t.Parallel()
	ts := startServer(t, Config{MaxPayload: 1000}, ReactorConfig{MaxHeaderBytes: 1024})
	sid, s := ts.openPolling()
	rc := ts.dialRaw()
	rc.send("GET " + ts.path + "?EIO=4&transport=polling&sid=" + sid + " HTTP/1.1\r\nHost: x\r\n\r\n")
	waitHeld(t, s)
	// More than a head and a body may wait behind a held request.
	rc.send(strings.Repeat("x", 3000))
	rc.expectEOF()
	ts.h.expectClose(t, s, ReasonTransportError)
}

func TestSessionWritable(t *testing.T) {
	t.Parallel()
	ts := startServer(t, Config{})
	c, _, wsSess := ts.openWS()
	sid, pollSess := ts.openPolling()
	writable := func(s *Session) bool {
		ch := make(chan bool, 1)
		s.Loop().Post(TaskFunc(func(*Loop) { ch <- s.Writable() }))
		return <-ch
	}
	if !writable(wsSess) {
		t.Fatal("idle WebSocket session not writable")
	}
	if writable(pollSess) {
		t.Fatal("polling session without a GET writable")
	}
	poll := ts.asyncGet(ts.pollURL(sid))
	waitFor(t, func() bool { return writable(pollSess) }, "the held GET to make the session writable")
	pollSess.SendText([]byte("x"))
	if res := recvResult(t, poll); res.body != "4x" {
		t.Fatalf("GET %q", res.body)
	}
	if writable(pollSess) {
		t.Fatal("polling session writable after its GET was answered")
	}
	c.conn.Close()
	ts.h.expectClosed(t, wsSess)
	if writable(wsSess) {
		t.Fatal("closed session writable")
	}
}

// TestHTTPIdleTimeout: a connection that completes no request within
// IdleTimeout is closed, whether it sent nothing, half a head or half a
// body; one that keeps completing requests stays, and a poll held longer
// than IdleTimeout is not cut.
func TestHTTPIdleTimeout(t *testing.T) {
	t.Parallel()
	const idle = 300 * time.Millisecond
	ts := startServer(t, Config{PingInterval: 800 * time.Millisecond, PingTimeout: time.Second}, ReactorConfig{IdleTimeout: idle})
	halfBody := "POST " + ts.path + "?EIO=4&transport=polling HTTP/1.1\r\nContent-Length: 10\r\n\r\nabc"
	for _, sent := range []string{"", "GET / HTTP/1.1\r\nHost:", halfBody} {
		rc := ts.dialRaw()
		start := time.Now()
		if sent != "" {
			rc.send(sent)
		}
		rc.expectEOF()
		if d := time.Since(start); d < idle-50*time.Millisecond {
			t.Errorf("%q: closed after %v, before the idle timeout", sent, d)
		}
	}

	rc := ts.dialRaw()
	rc.send("GET " + ts.path + "?EIO=4&transport=polling HTTP/1.1\r\nHost: x\r\n\r\n")
	resp, body := rc.response()
	if resp.StatusCode != 200 {
		t.Fatalf("handshake: %d", resp.StatusCode)
	}
	q := ts.path + "?EIO=4&transport=polling&sid=" + parseOpen(t, body).SID
	ts.h.waitOpen(t)
	for i := range 4 { // 4 × 150 ms: twice the idle timeout, in requests
		time.Sleep(idle / 2)
		rc.send(fmt.Sprintf("POST %s HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\n4m%d", q, i))
		if resp, body := rc.response(); resp.StatusCode != 200 || body != "ok" {
			t.Fatalf("POST %d on a busy keep-alive connection: %d %q", i, resp.StatusCode, body)
		}
	}
	// A body that starts arriving after an idle gap gets the whole
	// timeout of its own: 200 ms idle, then the head, then 200 ms more.
	time.Sleep(idle * 2 / 3)
	rc.send("POST " + q + " HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\n")
	time.Sleep(idle * 2 / 3)
	rc.send("4zz")
	if resp, body := rc.response(); resp.StatusCode != 200 || body != "ok" {
		t.Fatalf("POST whose body came after an idle gap: %d %q", resp.StatusCode, body)
	}
	// After the pong, a GET is held until the next ping, 800 ms: longer
	// than the idle timeout.
	rc.send("GET " + q + " HTTP/1.1\r\nHost: x\r\n\r\n")
	if resp, body := rc.response(); resp.StatusCode != 200 || body != "2" {
		t.Fatalf("GET: %d %q, want the ping", resp.StatusCode, body)
	}
	rc.send("POST " + q + " HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\n\r\n3")
	if resp, _ := rc.response(); resp.StatusCode != 200 {
		t.Fatalf("pong: %d", resp.StatusCode)
	}
	start := time.Now()
	rc.send("GET " + q + " HTTP/1.1\r\nHost: x\r\n\r\n")
	if resp, body := rc.response(); resp.StatusCode != 200 || body != "2" {
		t.Fatalf("held GET: %d %q, want the next ping", resp.StatusCode, body)
	}
	if d := time.Since(start); d < idle {
		t.Fatalf("the GET was held %v only; the test needs more than the idle timeout", d)
	}
}
