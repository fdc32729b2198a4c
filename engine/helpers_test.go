package engine

// Test helpers: a test server, a raw Socket.IO client over WebSocket and one
// over HTTP long-polling, and small waiting utilities. Every test of the
// package lives in package engine so that the few internal checks
// (benchmarks of unexported hot paths, ack-table inspection) can share these
// helpers; the rest only use the exported API.

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
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

	"github.com/heraldrt/herald/engine/eio"
)

// tWait bounds every wait for something that must happen.
const tWait = 10 * time.Second

var tDiscardLog = slog.New(slog.DiscardHandler)

var tSIDRE = regexp.MustCompile(`^[A-Za-z0-9_-]{20}$`)

// tBgShutdowns tracks servers shut down in the background at test cleanup:
// gnet's engine stop polls every 500 ms, which would otherwise add half a
// second to every test. TestMain waits for them (bounded).
var tBgShutdowns sync.WaitGroup

func TestMain(m *testing.M) {
	code := m.Run()
	done := make(chan struct{})
	go func() { tBgShutdowns.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		fmt.Fprintln(os.Stderr, "engine tests: background shutdowns did not finish in 20 s")
		if code == 0 {
			code = 1
		}
	}
	os.Exit(code)
}

// ---------------------------------------------------------------------------
// Test server

type tServer struct {
	t    testing.TB
	io   *Server
	addr string
}

// startServer starts a Socket.IO server on 127.0.0.1:0 with a silent logger
// and shuts it down in the background at cleanup. Configure namespaces on
// ts.io before dialing.
func startServer(t testing.TB, cfg Config, rcs ...eio.ReactorConfig) *tServer {
	t.Helper()
	ts := listenServer(t, cfg, rcs...)
	t.Cleanup(func() { shutdownInBackground(ts.io) })
	return ts
}

// listenServer is startServer for the tests that shut the server down
// themselves: no shutdown at cleanup.
func listenServer(t testing.TB, cfg Config, rcs ...eio.ReactorConfig) *tServer {
	t.Helper()
	if cfg.Logger == nil {
		cfg.Logger = tDiscardLog
	}
	var rc eio.ReactorConfig
	if len(rcs) > 0 {
		rc = rcs[0]
	}
	if rc.Logger == nil {
		rc.Logger = tDiscardLog
	}
	srv, err := NewServer(cfg)
	if err != nil {
		t.Fatalf("NewServer: %v", err)
	}
	if err := srv.Listen("127.0.0.1:0", rc); err != nil {
		t.Fatalf("Listen: %v", err)
	}
	return &tServer{t: t, io: srv, addr: srv.Reactor().Addr().String()}
}

func shutdownInBackground(srv *Server) {
	tBgShutdowns.Add(1)
	go func() {
		defer tBgShutdowns.Done()
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
	}()
}

func (ts *tServer) path() string { return ts.io.Config().Path }

func (ts *tServer) httpURL(query string) string {
	u := "http://" + ts.addr + ts.path() + "?EIO=4"
	if query != "" {
		u += "&" + query
	}
	return u
}

// ---------------------------------------------------------------------------
// Raw WebSocket client

// tMsg is one Engine.IO message as the client received it: a text frame
// (with its Engine.IO type digit) or a binary frame.
type tMsg struct {
	data   []byte
	binary bool
}

func (m tMsg) String() string {
	if m.binary {
		return fmt.Sprintf("<binary %v>", m.data)
	}
	return fmt.Sprintf("%q", m.data)
}

type wsOpts struct {
	query  string      // extra query, appended to EIO=4&transport=websocket
	header http.Header // extra handshake headers
	noPong bool        // do not answer pings
	pings  bool        // also deliver pings ("2") as messages
	noOpen bool        // do not wait for the open packet
	buf    int         // message queue size; default 8192
}

// wsClient is a raw Socket.IO client on one WebSocket. A reader goroutine
// answers pings and queues every other message; the test reads the queue.
type wsClient struct {
	t    testing.TB
	conn net.Conn
	sid  string // Engine.IO session id
	hs   map[string]any

	wmu  sync.Mutex
	msgs chan tMsg
	done chan struct{} // closed when the connection ends
	// set before done is closed
	closeFrame bool
	closeCode  ws.StatusCode
	readErr    error

	noPong atomic.Bool
	pings  bool
	drop   atomic.Bool // drop messages from now on (load generators)
	pinged atomic.Int32
	count  atomic.Int64 // messages received, dropped ones included
}

func (ts *tServer) dialWS(o wsOpts) (*wsClient, error) {
	d := ws.Dialer{Timeout: tWait}
	if o.header != nil {
		d.Header = ws.HandshakeHeaderHTTP(o.header)
	}
	u := "ws://" + ts.addr + ts.path() + "?EIO=4&transport=websocket"
	if o.query != "" {
		u += "&" + o.query
	}
	conn, br, _, err := d.Dial(context.Background(), u)
	if err != nil {
		return nil, err
	}
	var r io.Reader = conn
	if br != nil {
		// The dialer may have read past the 101 response.
		r = io.MultiReader(br, conn)
	}
	if o.buf == 0 {
		o.buf = 8192
	}
	c := &wsClient{t: ts.t, conn: conn, msgs: make(chan tMsg, o.buf), done: make(chan struct{}), pings: o.pings}
	c.noPong.Store(o.noPong)
	ts.t.Cleanup(func() { conn.Close() })
	go c.readLoop(bufio.NewReaderSize(r, 4096))
	if !o.noOpen {
		m, ok := c.tryNext(tWait)
		if !ok {
			conn.Close()
			return nil, errors.New("no open packet")
		}
		if m.binary || len(m.data) < 2 || m.data[0] != '0' {
			conn.Close()
			return nil, fmt.Errorf("first message %v is not an open packet", m)
		}
		if err := json.Unmarshal(m.data[1:], &c.hs); err != nil {
			return nil, err
		}
		c.sid, _ = c.hs["sid"].(string)
	}
	return c, nil
}

// ws opens a WebSocket-only Engine.IO session.
func (ts *tServer) ws(opts ...wsOpts) *wsClient {
	ts.t.Helper()
	var o wsOpts
	if len(opts) > 0 {
		o = opts[0]
	}
	c, err := ts.dialWS(o)
	if err != nil {
		ts.t.Fatalf("dial websocket: %v", err)
	}
	return c
}

func (c *wsClient) readLoop(r io.Reader) {
	defer close(c.done)
	for {
		h, err := ws.ReadHeader(r)
		if err != nil {
			c.readErr = err
			return
		}
		p := make([]byte, h.Length)
		if _, err := io.ReadFull(r, p); err != nil {
			c.readErr = err
			return
		}
		if h.Masked {
			c.readErr = errors.New("server frame is masked")
			return
		}
		switch h.OpCode {
		case ws.OpClose:
			c.closeFrame = true
			c.closeCode, _ = ws.ParseCloseFrameData(p)
			return
		case ws.OpPing:
			c.wmu.Lock()
			_ = wsutil.WriteClientMessage(c.conn, ws.OpPong, p)
			c.wmu.Unlock()
			continue
		case ws.OpPong:
			continue
		}
		if !h.Fin {
			c.readErr = errors.New("fragmented server message")
			return
		}
		binary := h.OpCode == ws.OpBinary
		if !binary && len(p) == 1 && p[0] == '2' {
			c.pinged.Add(1)
			if !c.noPong.Load() {
				c.sendRaw(ws.OpText, []byte("3"))
			}
			if !c.pings {
				continue
			}
		}
		c.count.Add(1)
		if c.drop.Load() {
			continue
		}
		c.msgs <- tMsg{data: p, binary: binary}
	}
}

func (c *wsClient) sendRaw(op ws.OpCode, p []byte) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	_ = c.conn.SetWriteDeadline(time.Now().Add(tWait))
	return wsutil.WriteClientMessage(c.conn, op, p)
}

// send sends one Engine.IO text packet, such as "42[\"ev\"]".
func (c *wsClient) send(text string) {
	c.t.Helper()
	if err := c.sendRaw(ws.OpText, []byte(text)); err != nil {
		c.t.Fatalf("send %q: %v", text, err)
	}
}

// sendBin sends one binary Engine.IO message (a Socket.IO attachment).
func (c *wsClient) sendBin(p []byte) {
	c.t.Helper()
	if err := c.sendRaw(ws.OpBinary, p); err != nil {
		c.t.Fatalf("send binary: %v", err)
	}
}

// trySend is send for goroutines other than the test's.
func (c *wsClient) trySend(text string) error { return c.sendRaw(ws.OpText, []byte(text)) }

func (c *wsClient) tryNext(d time.Duration) (tMsg, bool) {
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case m := <-c.msgs:
		return m, true
	case <-c.done:
		select {
		case m := <-c.msgs:
			return m, true
		default:
			return tMsg{}, false
		}
	case <-timer.C:
		return tMsg{}, false
	}
}

// next returns the next message, failing when none comes.
func (c *wsClient) next() tMsg {
	c.t.Helper()
	m, ok := c.tryNext(tWait)
	if !ok {
		select {
		case <-c.done:
			c.t.Fatalf("connection closed while waiting for a message (close frame %v code %d, err %v)", c.closeFrame, c.closeCode, c.readErr)
		default:
			c.t.Fatal("timed out waiting for a message")
		}
	}
	return m
}

// nextText returns the next message, which must be text.
func (c *wsClient) nextText() string {
	c.t.Helper()
	m := c.next()
	if m.binary {
		c.t.Fatalf("got binary message %v, want text", m.data)
	}
	return string(m.data)
}

func (c *wsClient) expectText(want string) {
	c.t.Helper()
	if got := c.nextText(); got != want {
		c.t.Fatalf("got %q, want %q", got, want)
	}
}

func (c *wsClient) expectBin(want []byte) {
	c.t.Helper()
	m := c.next()
	if !m.binary || !bytes.Equal(m.data, want) {
		c.t.Fatalf("got %v, want binary %v", m, want)
	}
}

// expectClosed waits until the server ends the connection, whatever
// arrives meanwhile.
func (c *wsClient) expectClosed() {
	c.t.Helper()
	select {
	case <-c.done:
	case <-time.After(tWait):
		c.t.Fatal("timed out waiting for the server to close the connection")
	}
}

// expectCloseAfter waits for the connection to end and checks that no
// message other than pings arrived first.
func (c *wsClient) expectOnlyClose() {
	c.t.Helper()
	c.expectClosed()
	select {
	case m := <-c.msgs:
		c.t.Fatalf("unexpected message %v before close", m)
	default:
	}
}

// expectSilence checks that no message arrives within d and the
// connection stays open.
func (c *wsClient) expectSilence(d time.Duration) {
	c.t.Helper()
	select {
	case m := <-c.msgs:
		c.t.Fatalf("unexpected message %v", m)
	case <-c.done:
		c.t.Fatalf("connection closed unexpectedly (close frame %v code %d, err %v)", c.closeFrame, c.closeCode, c.readErr)
	case <-time.After(d):
	}
}

func (c *wsClient) close() { c.conn.Close() }

// nspPrefix is how a namespace appears in a packet: nothing for "/".
func nspPrefix(nsp string) string {
	if nsp == "" || nsp == "/" {
		return ""
	}
	return nsp + ","
}

// connect joins namespace nsp with an optional auth payload and returns the
// socket id from the server's CONNECT answer.
func (c *wsClient) connect(nsp string, auth ...string) string {
	c.t.Helper()
	a := ""
	if len(auth) > 0 {
		a = auth[0]
	}
	c.send("40" + nspPrefix(nsp) + a)
	return c.expectConnected(nsp)
}

// expectConnected reads the CONNECT answer for nsp and returns its sid,
// checking that the payload is exactly {"sid":...}.
func (c *wsClient) expectConnected(nsp string) string {
	c.t.Helper()
	got := c.nextText()
	prefix := "40" + nspPrefix(nsp)
	if !strings.HasPrefix(got, prefix+"{") {
		c.t.Fatalf("CONNECT answer %q, want prefix %q", got, prefix+"{")
	}
	var m map[string]any
	if err := json.Unmarshal([]byte(got[len(prefix):]), &m); err != nil {
		c.t.Fatalf("CONNECT answer %q: %v", got, err)
	}
	sid, _ := m["sid"].(string)
	if len(m) != 1 || !tSIDRE.MatchString(sid) {
		c.t.Fatalf("CONNECT payload %q, want exactly {\"sid\":<20 chars>}", got)
	}
	return sid
}

// tEvent is a decoded EVENT or ACK as the client received it.
type tEvent struct {
	raw  string
	typ  byte // '2', '3', '5', '6'
	nsp  string
	id   int64 // -1 when absent
	natt int
	name string
	args []json.RawMessage
	atts [][]byte
}

var tPacketRE = regexp.MustCompile(`^4([0-6])(?:(\d+)-)?(?:(/[^,]*),)?(\d*)(.*)$`)

// parsePacket parses a Socket.IO packet the test expects to be well formed.
func parsePacket(t testing.TB, text string) tEvent {
	t.Helper()
	m := tPacketRE.FindStringSubmatch(text)
	if m == nil {
		t.Fatalf("cannot parse packet %q", text)
	}
	ev := tEvent{raw: text, typ: m[1][0], nsp: "/", id: -1}
	if m[2] != "" {
		fmt.Sscan(m[2], &ev.natt)
	}
	if m[3] != "" {
		ev.nsp = m[3]
	}
	if m[4] != "" {
		fmt.Sscan(m[4], &ev.id)
	}
	if ev.typ == '2' || ev.typ == '3' || ev.typ == '5' || ev.typ == '6' {
		var arr []json.RawMessage
		if err := json.Unmarshal([]byte(m[5]), &arr); err != nil {
			t.Fatalf("packet %q payload: %v", text, err)
		}
		if ev.typ == '2' || ev.typ == '5' {
			if len(arr) == 0 || json.Unmarshal(arr[0], &ev.name) != nil {
				t.Fatalf("packet %q has no event name", text)
			}
			arr = arr[1:]
		}
		ev.args = arr
	}
	return ev
}

// nextPacket reads a packet and, for binary types, its attachments.
func (c *wsClient) nextPacket() tEvent {
	c.t.Helper()
	ev := parsePacket(c.t, c.nextText())
	for range ev.natt {
		m := c.next()
		if !m.binary {
			c.t.Fatalf("got %v, want a binary attachment of %q", m, ev.raw)
		}
		ev.atts = append(ev.atts, m.data)
	}
	return ev
}

// ---------------------------------------------------------------------------
// Raw long-polling client

type pollClient struct {
	t   testing.TB
	ts  *tServer
	sid string
	hc  *http.Client
}

var tHTTPClient = &http.Client{
	Timeout:   tWait,
	Transport: &http.Transport{DisableCompression: true, MaxIdleConnsPerHost: 64},
}

// polling opens a polling Engine.IO session.
func (ts *tServer) polling(header ...http.Header) *pollClient {
	ts.t.Helper()
	status, body := tHTTP(ts.t, "GET", ts.httpURL("transport=polling"), "", header...)
	if status != 200 || !strings.HasPrefix(body, "0{") {
		ts.t.Fatalf("polling handshake: %d %q", status, body)
	}
	var hs struct{ SID string }
	if err := json.Unmarshal([]byte(body[1:]), &hs); err != nil {
		ts.t.Fatalf("polling handshake %q: %v", body, err)
	}
	return &pollClient{t: ts.t, ts: ts, sid: hs.SID, hc: tHTTPClient}
}

func tHTTP(t testing.TB, method, url, body string, header ...http.Header) (int, string) {
	t.Helper()
	status, b, err := tTryHTTP(method, url, body, header...)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	return status, b
}

func tTryHTTP(method, url, body string, header ...http.Header) (int, string, error) {
	var rd io.Reader
	if method == "POST" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		return 0, "", err
	}
	if method == "POST" {
		req.Header.Set("Content-Type", "text/plain;charset=UTF-8")
	}
	for _, h := range header {
		for k, v := range h {
			req.Header[k] = v
		}
	}
	resp, err := tHTTPClient.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), err
}

func (p *pollClient) url() string { return p.ts.httpURL("transport=polling&sid=" + p.sid) }

// post sends Engine.IO packets joined by the record separator.
func (p *pollClient) post(packets ...string) {
	p.t.Helper()
	status, body := tHTTP(p.t, "POST", p.url(), strings.Join(packets, "\x1e"))
	if status != 200 || body != "ok" {
		p.t.Fatalf("POST: %d %q", status, body)
	}
}

// get long-polls once and returns the packets, binary ones decoded and
// marked with a leading 'b' removed (see tMsg).
func (p *pollClient) get() []tMsg {
	p.t.Helper()
	status, body := tHTTP(p.t, "GET", p.url(), "")
	if status != 200 {
		p.t.Fatalf("GET: %d %q", status, body)
	}
	return splitPayload(p.t, body)
}

// asyncGet starts a long-poll and returns its result channel.
func (p *pollClient) asyncGet() <-chan []tMsg {
	ch := make(chan []tMsg, 1)
	go func() {
		status, body, err := tTryHTTP("GET", p.url(), "")
		if err != nil || status != 200 {
			ch <- []tMsg{{data: []byte(fmt.Sprintf("error %d %v %s", status, err, body))}}
			return
		}
		ch <- splitPayload(nil, body)
	}()
	return ch
}

func splitPayload(t testing.TB, body string) []tMsg {
	var out []tMsg
	for _, part := range strings.Split(body, "\x1e") {
		if strings.HasPrefix(part, "b") {
			b, err := base64.StdEncoding.DecodeString(part[1:])
			if err != nil && t != nil {
				t.Fatalf("bad base64 packet %q", part)
			}
			out = append(out, tMsg{data: b, binary: true})
			continue
		}
		out = append(out, tMsg{data: []byte(part)})
	}
	return out
}

// ---------------------------------------------------------------------------
// Waiting

// waitFor polls cond until it holds.
func waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(tWait)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// recv receives from ch or fails.
func recv[T any](t testing.TB, ch <-chan T, what string) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(tWait):
		t.Fatalf("timed out waiting for %s", what)
		var zero T
		return zero
	}
}

// noRecv checks that nothing arrives on ch within d.
func noRecv[T any](t testing.TB, ch <-chan T, d time.Duration, what string) {
	t.Helper()
	select {
	case v := <-ch:
		t.Fatalf("unexpected %s: %v", what, v)
	case <-time.After(d):
	}
}

// socketsOf collects the sockets connecting to ns, in order.
func socketsOf(ns *Namespace) <-chan *Socket {
	ch := make(chan *Socket, 4096)
	ns.OnConnection(func(s *Socket) { ch <- s })
	return ch
}

// disconnects records a socket's disconnect reason.
func disconnects(s *Socket) <-chan string {
	ch := make(chan string, 4)
	s.OnDisconnect(func(r string) { ch <- r })
	return ch
}

// handlerModes runs a test with handlers on the worker pool and inline.
var handlerModes = []struct {
	name   string
	inline bool
}{{"workers", false}, {"inline", true}}

// pollParked reports whether the socket's polling session holds a GET,
// asked on the session's home loop (Session.Writable is home-loop only).
func pollParked(s *Socket) bool {
	ch := make(chan bool, 1)
	s.sess.Loop().Post(eio.TaskFunc(func(*eio.Loop) { ch <- s.sess.Writable() }))
	select {
	case v := <-ch:
		return v
	case <-time.After(tWait):
		return false
	}
}

// pollConnect opens a polling session, connects it to nsp and returns the
// client and the server's socket, which ch (from socketsOf) delivers.
func (ts *tServer) pollConnect(nsp string, ch <-chan *Socket) (*pollClient, *Socket) {
	ts.t.Helper()
	p := ts.polling()
	p.post("40" + nspPrefix(nsp))
	got := p.get()
	if len(got) != 1 || !strings.HasPrefix(string(got[0].data), "40"+nspPrefix(nsp)+`{"sid":"`) {
		ts.t.Fatalf("polling CONNECT answer %v", got)
	}
	return p, recv(ts.t, ch, "connection")
}

// park starts a long-poll and waits until the server holds it.
func (p *pollClient) park(s *Socket) <-chan []tMsg {
	p.t.Helper()
	ch := p.asyncGet()
	waitFor(p.t, "the GET to be held", func() bool { return pollParked(s) })
	return ch
}

// expectGone checks that the session is unknown to the server now.
func (p *pollClient) expectGone() {
	p.t.Helper()
	waitFor(p.t, "the session to be gone", func() bool {
		status, _, err := tTryHTTP("GET", p.url(), "")
		return err == nil && status == 400
	})
}

// expectReason waits for a disconnect reason and checks it.
func expectReason(t testing.TB, reasons <-chan string, want string) {
	t.Helper()
	if got := recv(t, reasons, "disconnect"); got != want {
		t.Fatalf("disconnect reason %q, want %q", got, want)
	}
}

// getN long-polls until at least n packets arrived (pings answered and
// dropped, noops dropped).
func (p *pollClient) getN(n int) []tMsg {
	p.t.Helper()
	var out []tMsg
	deadline := time.Now().Add(tWait)
	for len(out) < n {
		if time.Now().After(deadline) {
			p.t.Fatalf("got %v, want %d packets", out, n)
		}
		for _, m := range p.get() {
			switch {
			case !m.binary && string(m.data) == "2":
				p.post("3")
			case !m.binary && string(m.data) == "6":
			default:
				out = append(out, m)
			}
		}
	}
	return out
}

// wsConnect opens a WebSocket session, connects it to nsp and returns the
// client and the server's socket, which ch (from socketsOf) delivers.
func (ts *tServer) wsConnect(nsp string, ch <-chan *Socket, opts ...wsOpts) (*wsClient, *Socket) {
	ts.t.Helper()
	c := ts.ws(opts...)
	sid := c.connect(nsp)
	s := recv(ts.t, ch, "connection")
	if s.ID() != sid {
		ts.t.Fatalf("socket %q connected, client saw %q", s.ID(), sid)
	}
	return c, s
}
