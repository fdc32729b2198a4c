package eio

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gobwas/ws"
	"github.com/gobwas/ws/wsutil"
)

// waitTimeout bounds every wait of the tests for an event that must happen.
const waitTimeout = 5 * time.Second

// discardLogger keeps the reactor's log lines out of the test output.
var discardLogger = slog.New(slog.DiscardHandler)

// ---------------------------------------------------------------------------
// Recording handler

type msgEvent struct {
	s      *Session
	data   []byte
	binary bool
}

type closeEvent struct {
	s      *Session
	reason string
	err    error
}

// recorder is a Handler that reports every event on a buffered channel. Its
// methods run on event loops, so they never block: an event that does not
// fit is counted in dropped, which fails the test at cleanup.
type recorder struct {
	opens   chan *Session
	msgs    chan msgEvent
	closes  chan closeEvent
	dropped atomic.Int64

	// echo sends every message back to its sender.
	echo bool
	// onOpen and onMessage, when set, run on the loop after recording.
	onOpen    func(*Session)
	onMessage func(s *Session, data []byte, binary bool)
	onClose   func(s *Session, reason string)
}

func newRecorder() *recorder {
	return &recorder{
		opens:  make(chan *Session, 4096),
		msgs:   make(chan msgEvent, 4096),
		closes: make(chan closeEvent, 4096),
	}
}

func (h *recorder) OnOpen(s *Session) {
	select {
	case h.opens <- s:
	default:
		h.dropped.Add(1)
	}
	if h.onOpen != nil {
		h.onOpen(s)
	}
}

func (h *recorder) OnMessage(s *Session, data []byte, binary bool) {
	select {
	case h.msgs <- msgEvent{s: s, data: bytes.Clone(data), binary: binary}:
	default:
		h.dropped.Add(1)
	}
	if h.echo {
		if binary {
			s.Deliver(s.Loop(), NewBinaryMessage(data))
		} else {
			s.Deliver(s.Loop(), NewTextMessage(data))
		}
	}
	if h.onMessage != nil {
		h.onMessage(s, data, binary)
	}
}

func (h *recorder) OnClose(s *Session, reason string, err error) {
	select {
	case h.closes <- closeEvent{s: s, reason: reason, err: err}:
	default:
		h.dropped.Add(1)
	}
	if h.onClose != nil {
		h.onClose(s, reason)
	}
}

func (h *recorder) waitOpen(t testing.TB) *Session {
	t.Helper()
	select {
	case s := <-h.opens:
		return s
	case <-time.After(waitTimeout):
		t.Fatal("timed out waiting for OnOpen")
		return nil
	}
}

func (h *recorder) waitMsg(t testing.TB) msgEvent {
	t.Helper()
	select {
	case m := <-h.msgs:
		return m
	case <-time.After(waitTimeout):
		t.Fatal("timed out waiting for OnMessage")
		return msgEvent{}
	}
}

func (h *recorder) waitClose(t testing.TB) closeEvent {
	t.Helper()
	select {
	case c := <-h.closes:
		return c
	case <-time.After(waitTimeout):
		t.Fatal("timed out waiting for OnClose")
		return closeEvent{}
	}
}

// expectClose waits for OnClose of s and checks its reason.
func (h *recorder) expectClose(t testing.TB, s *Session, reason string) closeEvent {
	t.Helper()
	ev := h.waitClose(t)
	if s != nil && ev.s != s {
		t.Fatalf("OnClose for session %s, want %s", ev.s.ID(), s.ID())
	}
	if ev.reason != reason {
		t.Fatalf("OnClose reason %q (err %v), want %q", ev.reason, ev.err, reason)
	}
	return ev
}

// expectClosed waits for OnClose of s, whatever the reason.
func (h *recorder) expectClosed(t testing.TB, s *Session) closeEvent {
	t.Helper()
	ev := h.waitClose(t)
	if s != nil && ev.s != s {
		t.Fatalf("OnClose for session %s, want %s", ev.s.ID(), s.ID())
	}
	return ev
}

// noClose checks that no session closes within d.
func (h *recorder) noClose(t testing.TB, d time.Duration) {
	t.Helper()
	select {
	case c := <-h.closes:
		t.Fatalf("unexpected OnClose %q (err %v)", c.reason, c.err)
	case <-time.After(d):
	}
}

// expectMsg waits for a message and checks its content.
func (h *recorder) expectMsg(t testing.TB, data string, binary bool) msgEvent {
	t.Helper()
	m := h.waitMsg(t)
	if string(m.data) != data || m.binary != binary {
		t.Fatalf("OnMessage(%q, binary=%v), want (%q, binary=%v)", m.data, m.binary, data, binary)
	}
	return m
}

// ---------------------------------------------------------------------------
// Test server

// bgShutdowns tracks the reactors that tests leave to shut down in the
// background: gnet's Engine.Stop polls every 500 ms, which would otherwise
// add half a second to every test. TestMain waits for them.
var bgShutdowns sync.WaitGroup

func shutdownInBackground(r *Reactor) {
	bgShutdowns.Add(1)
	go func() {
		defer bgShutdowns.Done()
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		_ = r.Shutdown(ctx)
	}()
}

func TestMain(m *testing.M) {
	code := m.Run()
	bgShutdowns.Wait()
	os.Exit(code)
}

type testServer struct {
	t      testing.TB
	r      *Reactor
	srv    *Server
	h      *recorder
	addr   string // host:port
	path   string // mount path, "/engine.io/"
	client *http.Client
}

// startServer starts a reactor on 127.0.0.1:0 with one server mounted at
// /engine.io/. cfg.Handler defaults to a new recorder; heartbeat settings
// default to values long enough not to interfere. The reactor is shut down
// at cleanup.
func startServer(t testing.TB, cfg Config, rcfgs ...ReactorConfig) *testServer {
	t.Helper()
	var rcfg ReactorConfig
	if len(rcfgs) > 0 {
		rcfg = rcfgs[0]
	}
	if rcfg.Logger == nil {
		rcfg.Logger = discardLogger
	}
	h, _ := cfg.Handler.(*recorder)
	if cfg.Handler == nil {
		h = newRecorder()
		cfg.Handler = h
	}
	if cfg.PingInterval == 0 {
		cfg.PingInterval = 20 * time.Second
	}
	if cfg.PingTimeout == 0 {
		cfg.PingTimeout = 10 * time.Second
	}
	srv, err := NewServer(cfg)
	if err != nil {
		t.Fatalf("NewServer: %v", err)
	}
	r := NewReactor(rcfg)
	r.Mount("/engine.io", srv)
	if err := r.Start("127.0.0.1:0"); err != nil {
		t.Fatalf("Start: %v", err)
	}
	ts := &testServer{
		t:    t,
		r:    r,
		srv:  srv,
		h:    h,
		addr: r.Addr().String(),
		path: "/engine.io/",
		client: &http.Client{
			Timeout: waitTimeout,
			Transport: &http.Transport{
				DisableCompression:  true,
				MaxIdleConnsPerHost: 16,
			},
		},
	}
	t.Cleanup(func() {
		ts.client.CloseIdleConnections()
		if h != nil && h.dropped.Load() > 0 {
			t.Errorf("recorder dropped %d events", h.dropped.Load())
		}
		shutdownInBackground(r)
	})
	return ts
}

// url is the HTTP URL of the endpoint with EIO=4 and the given query.
func (ts *testServer) url(query string) string {
	u := "http://" + ts.addr + ts.path + "?EIO=4"
	if query != "" {
		u += "&" + query
	}
	return u
}

// rawURL is the HTTP URL of the endpoint with exactly the given query.
func (ts *testServer) rawURL(query string) string {
	return "http://" + ts.addr + ts.path + "?" + query
}

func (ts *testServer) wsURL(query string) string {
	return strings.Replace(ts.url(query), "http://", "ws://", 1)
}

func (ts *testServer) pollURL(sid string) string {
	return ts.url("transport=polling&sid=" + sid)
}

// ---------------------------------------------------------------------------
// HTTP helpers

type httpResult struct {
	status int
	header http.Header
	body   string
}

func (ts *testServer) do(method, url, body string, header http.Header) (*httpResult, error) {
	var rd io.Reader
	if body != "" || method == "POST" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		return nil, err
	}
	for k, v := range header {
		req.Header[k] = v
	}
	resp, err := ts.client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	return &httpResult{status: resp.StatusCode, header: resp.Header, body: string(b)}, nil
}

func (ts *testServer) mustDo(method, url, body string, header http.Header) *httpResult {
	ts.t.Helper()
	res, err := ts.do(method, url, body, header)
	if err != nil {
		ts.t.Fatalf("%s %s: %v", method, url, err)
	}
	return res
}

func (ts *testServer) get(url string) *httpResult {
	ts.t.Helper()
	return ts.mustDo("GET", url, "", nil)
}

func (ts *testServer) post(url, body string) *httpResult {
	ts.t.Helper()
	return ts.mustDo("POST", url, body, http.Header{"Content-Type": {"text/plain;charset=UTF-8"}})
}

// expectPoll GETs sid's polling URL and fails the test unless the answer
// has status and, when given, the body.
func (ts *testServer) expectPoll(sid string, status int, body ...string) {
	ts.t.Helper()
	ts.expectResult("GET", ts.get(ts.pollURL(sid)), status, body)
}

// expectPost POSTs payload to sid's polling URL and fails the test unless
// the answer has status and, when given, the body.
func (ts *testServer) expectPost(sid, payload string, status int, body ...string) {
	ts.t.Helper()
	ts.expectResult("POST", ts.post(ts.pollURL(sid), payload), status, body)
}

func (ts *testServer) expectResult(method string, res *httpResult, status int, body []string) {
	ts.t.Helper()
	if res.status != status || len(body) > 0 && res.body != body[0] {
		ts.t.Fatalf("%s: %d %q, want %d %q", method, res.status, res.body, status, body)
	}
}

type handshakeJSON struct {
	SID          string   `json:"sid"`
	Upgrades     []string `json:"upgrades"`
	PingInterval int      `json:"pingInterval"`
	PingTimeout  int      `json:"pingTimeout"`
	MaxPayload   int      `json:"maxPayload"`
}

var sidRE = regexp.MustCompile(`^[A-Za-z0-9_-]{20}$`)

// parseOpen checks an open packet and returns its fields, failing unless it
// has exactly the five keys of the protocol.
func parseOpen(t testing.TB, packet string) handshakeJSON {
	t.Helper()
	if !strings.HasPrefix(packet, "0{") {
		t.Fatalf("open packet %q does not start with 0{", packet)
	}
	var keys map[string]json.RawMessage
	if err := json.Unmarshal([]byte(packet[1:]), &keys); err != nil {
		t.Fatalf("open packet %q: %v", packet, err)
	}
	if len(keys) != 5 {
		t.Fatalf("open packet %q has %d keys, want 5", packet, len(keys))
	}
	var hs handshakeJSON
	dec := json.NewDecoder(strings.NewReader(packet[1:]))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&hs); err != nil {
		t.Fatalf("open packet %q: %v", packet, err)
	}
	if !sidRE.MatchString(hs.SID) {
		t.Fatalf("sid %q is not 20 URL-safe base64 characters", hs.SID)
	}
	return hs
}

// openPolling performs a polling handshake and returns the sid and the
// session as the handler saw it.
func (ts *testServer) openPolling() (string, *Session) {
	ts.t.Helper()
	res := ts.get(ts.url("transport=polling"))
	if res.status != 200 {
		ts.t.Fatalf("handshake status %d body %q", res.status, res.body)
	}
	hs := parseOpen(ts.t, res.body)
	var s *Session
	if ts.h != nil {
		s = ts.h.waitOpen(ts.t)
		if s.ID() != hs.SID {
			ts.t.Fatalf("OnOpen sid %s, handshake sid %s", s.ID(), hs.SID)
		}
	}
	return hs.SID, s
}

// asyncGet starts a GET and returns a channel with its result.
func (ts *testServer) asyncGet(url string) <-chan *httpResult {
	ch := make(chan *httpResult, 1)
	go func() {
		res, err := ts.do("GET", url, "", nil)
		if err != nil {
			res = &httpResult{status: -1, body: err.Error()}
		}
		ch <- res
	}()
	return ch
}

func recvResult(t testing.TB, ch <-chan *httpResult) *httpResult {
	t.Helper()
	select {
	case r := <-ch:
		return r
	case <-time.After(waitTimeout):
		t.Fatal("timed out waiting for an HTTP response")
		return nil
	}
}

// expectPending checks that the request behind ch has not been answered
// after d.
func expectPending(t testing.TB, ch <-chan *httpResult, d time.Duration) {
	t.Helper()
	select {
	case r := <-ch:
		t.Fatalf("request answered early: %d %q", r.status, r.body)
	case <-time.After(d):
	}
}

// checkJSONError checks an Engine.IO error response.
func checkJSONError(t testing.TB, res *httpResult, status, code int, message string) {
	t.Helper()
	if res.status != status {
		t.Fatalf("status %d body %q, want %d", res.status, res.body, status)
	}
	if ct := res.header.Get("Content-Type"); ct != "application/json" {
		t.Fatalf("Content-Type %q, want application/json", ct)
	}
	want := fmt.Sprintf(`{"code":%d,"message":%q}`, code, message)
	if res.body != want {
		t.Fatalf("body %s, want %s", res.body, want)
	}
}

// onLoop runs fn on l and waits for it: once it returns, every task posted
// to l before by the calling goroutine (a Session.Close, a Send) has run.
func onLoop(t testing.TB, l *Loop, fn func()) {
	t.Helper()
	done := make(chan struct{})
	l.Post(TaskFunc(func(*Loop) { fn(); close(done) }))
	select {
	case <-done:
	case <-time.After(waitTimeout):
		t.Fatal("loop task did not run")
	}
}

// waitHeld waits until s holds a GET.
func waitHeld(t testing.TB, s *Session) {
	t.Helper()
	waitFor(t, func() bool {
		held := false
		onLoop(t, s.Loop(), func() { held = s.pollConn != nil })
		return held
	}, "the session to hold a GET")
}

// waitFor polls cond until it holds.
func waitFor(t testing.TB, cond func() bool, what string) {
	t.Helper()
	deadline := time.Now().Add(waitTimeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// ---------------------------------------------------------------------------
// Raw TCP helpers

type rawConn struct {
	t  testing.TB
	c  net.Conn
	br *bufio.Reader
}

func (ts *testServer) dialRaw() *rawConn {
	ts.t.Helper()
	c, err := net.DialTimeout("tcp", ts.addr, waitTimeout)
	if err != nil {
		ts.t.Fatalf("dial: %v", err)
	}
	ts.t.Cleanup(func() { c.Close() })
	return &rawConn{t: ts.t, c: c, br: bufio.NewReader(c)}
}

func (rc *rawConn) send(s string) {
	rc.t.Helper()
	_ = rc.c.SetWriteDeadline(time.Now().Add(waitTimeout))
	if _, err := io.WriteString(rc.c, s); err != nil {
		rc.t.Fatalf("write: %v", err)
	}
}

// response reads one HTTP response with its whole body.
func (rc *rawConn) response() (*http.Response, string) {
	rc.t.Helper()
	resp, body, err := rc.tryResponse(waitTimeout)
	if err != nil {
		rc.t.Fatalf("reading response: %v", err)
	}
	return resp, body
}

func (rc *rawConn) tryResponse(d time.Duration) (*http.Response, string, error) {
	_ = rc.c.SetReadDeadline(time.Now().Add(d))
	resp, err := http.ReadResponse(rc.br, nil)
	if err != nil {
		return nil, "", err
	}
	b, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	return resp, string(b), err
}

// expectEOF checks that the server closes the connection with nothing more
// to read.
func (rc *rawConn) expectEOF() {
	rc.t.Helper()
	_ = rc.c.SetReadDeadline(time.Now().Add(waitTimeout))
	b, err := io.ReadAll(rc.br)
	if err != nil && !isConnReset(err) {
		rc.t.Fatalf("waiting for EOF: %v (read %q)", err, b)
	}
	if len(b) > 0 {
		rc.t.Fatalf("unexpected bytes before EOF: %q", b)
	}
}

// expectSilence checks that nothing arrives within d.
func (rc *rawConn) expectSilence(d time.Duration) {
	rc.t.Helper()
	_ = rc.c.SetReadDeadline(time.Now().Add(d))
	b, err := rc.br.Peek(1)
	var ne net.Error
	if !errors.As(err, &ne) || !ne.Timeout() {
		rc.t.Fatalf("expected silence, got %q %v", b, err)
	}
}

func isConnReset(err error) bool {
	return err != nil && (strings.Contains(err.Error(), "connection reset") || strings.Contains(err.Error(), "broken pipe"))
}

// ---------------------------------------------------------------------------
// WebSocket client helpers

type wsClient struct {
	t    testing.TB
	conn net.Conn
	r    io.Reader // bytes the dialer buffered, then conn
}

func (ts *testServer) dialWS(query string, header http.Header) (*wsClient, error) {
	d := ws.Dialer{Timeout: waitTimeout}
	if header != nil {
		d.Header = ws.HandshakeHeaderHTTP(header)
	}
	return ts.dialWSWith(d, ts.wsURL(query))
}

func (ts *testServer) dialWSWith(d ws.Dialer, url string) (*wsClient, error) {
	conn, br, _, err := d.Dial(context.Background(), url)
	if err != nil {
		return nil, err
	}
	ts.t.Cleanup(func() { conn.Close() })
	c := &wsClient{t: ts.t, conn: conn, r: conn}
	if br != nil {
		c.r = io.MultiReader(br, conn)
	}
	return c, nil
}

func (ts *testServer) mustDialWS(query string) *wsClient {
	ts.t.Helper()
	c, err := ts.dialWS(query, nil)
	if err != nil {
		ts.t.Fatalf("dial websocket %q: %v", query, err)
	}
	return c
}

// openWS opens a WebSocket-only session and returns the client, the parsed
// open packet and the session.
func (ts *testServer) openWS() (*wsClient, handshakeJSON, *Session) {
	ts.t.Helper()
	c := ts.mustDialWS("transport=websocket")
	op, data := c.read()
	if op != ws.OpText {
		ts.t.Fatalf("first frame opcode %v, want text", op)
	}
	hs := parseOpen(ts.t, string(data))
	var s *Session
	if ts.h != nil {
		s = ts.h.waitOpen(ts.t)
		if s.ID() != hs.SID {
			ts.t.Fatalf("OnOpen sid %s, handshake sid %s", s.ID(), hs.SID)
		}
	}
	return c, hs, s
}

// readFrame reads one frame, unmasked, failing on error.
func (c *wsClient) readFrame() (ws.Header, []byte) {
	c.t.Helper()
	h, p, err := c.tryReadFrame(waitTimeout)
	if err != nil {
		c.t.Fatalf("read frame: %v", err)
	}
	return h, p
}

func (c *wsClient) tryReadFrame(d time.Duration) (ws.Header, []byte, error) {
	_ = c.conn.SetReadDeadline(time.Now().Add(d))
	h, err := ws.ReadHeader(c.r)
	if err != nil {
		return h, nil, err
	}
	if h.Masked {
		return h, nil, errors.New("server frame is masked")
	}
	p := make([]byte, h.Length)
	if _, err := io.ReadFull(c.r, p); err != nil {
		return h, nil, err
	}
	return h, p, nil
}

// read returns the next data message, failing on a control frame other
// than pong or on error. Server messages are never fragmented.
func (c *wsClient) read() (ws.OpCode, []byte) {
	c.t.Helper()
	for {
		h, p := c.readFrame()
		switch {
		case h.OpCode == ws.OpPong:
			continue
		case h.OpCode == ws.OpClose:
			code, reason := ws.ParseCloseFrameData(p)
			c.t.Fatalf("unexpected close frame %d %q", code, reason)
		case !h.Fin:
			c.t.Fatalf("unexpected fragmented server message")
		}
		return h.OpCode, p
	}
}

// readText returns the next message, which must be text.
func (c *wsClient) readText() string {
	c.t.Helper()
	op, p := c.read()
	if op != ws.OpText {
		c.t.Fatalf("opcode %v (%q), want text", op, p)
	}
	return string(p)
}

// expectText reads the next message and checks it.
func (c *wsClient) expectText(want string) {
	c.t.Helper()
	if got := c.readText(); got != want {
		c.t.Fatalf("got %q, want %q", got, want)
	}
}

// expectClose reads until a close frame, checks its status code and that
// the server then closes the TCP connection.
func (c *wsClient) expectClose(code ws.StatusCode) {
	c.t.Helper()
	for {
		h, p := c.readFrame()
		if h.OpCode != ws.OpClose {
			continue
		}
		got, _ := ws.ParseCloseFrameData(p)
		if got != code {
			c.t.Fatalf("close code %d, want %d", got, code)
		}
		break
	}
	c.expectEOF()
}

// expectEOF checks that the server closes the connection.
func (c *wsClient) expectEOF() {
	c.t.Helper()
	_ = c.conn.SetReadDeadline(time.Now().Add(waitTimeout))
	b, err := io.ReadAll(c.r)
	if err != nil && !isConnReset(err) {
		c.t.Fatalf("waiting for EOF: %v", err)
	}
	if len(b) > 0 {
		c.t.Fatalf("unexpected bytes before EOF: %q", b)
	}
}

func (c *wsClient) send(op ws.OpCode, p []byte) {
	c.t.Helper()
	_ = c.conn.SetWriteDeadline(time.Now().Add(waitTimeout))
	if err := wsutil.WriteClientMessage(c.conn, op, p); err != nil {
		c.t.Fatalf("write: %v", err)
	}
}

func (c *wsClient) sendText(s string) { c.t.Helper(); c.send(ws.OpText, []byte(s)) }

// writeFrame writes one frame, masked unless unmasked is set.
func (c *wsClient) writeFrame(op ws.OpCode, fin bool, p []byte, unmasked bool) {
	c.t.Helper()
	f := ws.NewFrame(op, fin, bytes.Clone(p))
	if !unmasked {
		f = ws.MaskFrameInPlace(f)
	}
	_ = c.conn.SetWriteDeadline(time.Now().Add(waitTimeout))
	if err := ws.WriteFrame(c.conn, f); err != nil {
		c.t.Fatalf("write frame: %v", err)
	}
}

// wsProbe opens a WebSocket to a polling session and probes it: 2probe,
// 3probe. The upgrade is not complete until the client sends 5.
func (ts *testServer) wsProbe(sid string) *wsClient {
	ts.t.Helper()
	c := ts.mustDialWS("transport=websocket&sid=" + sid)
	c.sendText("2probe")
	c.expectText("3probe")
	return c
}

// wsUpgrade completes the upgrade of a polling session to a WebSocket
// connection: 2probe, 3probe, then 5.
func (ts *testServer) wsUpgrade(sid string) *wsClient {
	ts.t.Helper()
	c := ts.wsProbe(sid)
	c.sendText("5")
	return c
}
