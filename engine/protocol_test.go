package engine

import (
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/heraldrt/herald/engine/eio"
)

// suiteServer is the server the official Socket.IO v5 test suite expects:
// pingInterval 300 ms, pingTimeout 200 ms, connectTimeout 1 s, namespaces
// "/" and "/custom" that emit "auth" on connection, echo "message" as
// "message-back" and answer "message-with-ack" with its arguments.
func suiteServer(t *testing.T, inline bool) *tServer {
	return suiteServerWith(t, Config{
		Engine:         eio.Config{PingInterval: 300 * time.Millisecond, PingTimeout: 200 * time.Millisecond, MaxPayload: 1e6},
		ConnectTimeout: time.Second,
		InlineHandlers: inline,
	})
}

func suiteServerWith(t *testing.T, cfg Config) *tServer {
	ts := startServer(t, cfg)
	for _, name := range []string{"/", "/custom"} {
		ns := ts.io.Of(name)
		ns.OnConnection(func(s *Socket) { _ = s.Emit("auth", s.Handshake().Auth) })
		ns.On("message", func(e *Event) { _ = e.Socket().Emit("message-back", e.Args) })
		ns.On("message-with-ack", func(e *Event) { _ = e.Ack(e.Args) })
	}
	return ts
}

// initSocketIOConnection mirrors the suite's helper: open, 40, 40{sid},
// auth.
func initSocketIOConnection(ts *tServer, o wsOpts) *wsClient {
	c := ts.ws(o)
	c.send("40")
	c.expectConnected("/")
	c.expectText(`42["auth",{}]`)
	return c
}

// TestSuiteSocketIO mirrors every Socket.IO case of the official v5 test
// suite (test-suite.js, "Socket.IO protocol"), in both handler modes.
func TestSuiteSocketIO(t *testing.T) {
	for _, mode := range handlerModes {
		t.Run(mode.name, func(t *testing.T) {
			t.Run("connect/main namespace", func(t *testing.T) {
				ts := suiteServer(t, mode.inline)
				c := ts.ws()
				c.send("40")
				sid := c.expectConnected("/")
				if sid == c.sid {
					t.Fatalf("socket id %q equals the Engine.IO sid", sid)
				}
				c.expectText(`42["auth",{}]`)
			})
			t.Run("connect/main namespace with payload", func(t *testing.T) {
				ts := suiteServer(t, mode.inline)
				c := ts.ws()
				c.send(`40{"token":"123"}`)
				c.expectConnected("/")
				c.expectText(`42["auth",{"token":"123"}]`)
			})
			t.Run("connect/custom namespace", func(t *testing.T) {
				ts := suiteServer(t, mode.inline)
				c := ts.ws()
				c.send("40/custom,")
				c.expectConnected("/custom")
				c.expectText(`42/custom,["auth",{}]`)
			})
			t.Run("connect/custom namespace with payload", func(t *testing.T) {
				ts := suiteServer(t, mode.inline)
				c := ts.ws()
				c.send(`40/custom,{"token":"abc"}`)
				c.expectConnected("/custom")
				c.expectText(`42/custom,["auth",{"token":"abc"}]`)
			})
			t.Run("connect/unknown namespace", func(t *testing.T) {
				ts := suiteServer(t, mode.inline)
				c := ts.ws()
				c.send("40/random")
				c.expectText(`44/random,{"message":"Invalid namespace"}`)
				// The connection stays usable.
				c.send("40")
				c.expectConnected("/")
			})
			t.Run("connect/invalid handshake", func(t *testing.T) {
				ts := suiteServer(t, mode.inline)
				c := ts.ws()
				c.send("4abc")
				c.expectOnlyClose()
			})
			t.Run("connect/no handshake", func(t *testing.T) {
				ts := suiteServer(t, mode.inline)
				c := ts.ws()
				start := time.Now()
				c.expectOnlyClose()
				if d := time.Since(start); d < 500*time.Millisecond || d > 3*time.Second {
					t.Fatalf("closed after %v, want about the 1 s connect timeout", d)
				}
			})
			t.Run("disconnect/main namespace", func(t *testing.T) {
				ts := suiteServer(t, mode.inline)
				c := initSocketIOConnection(ts, wsOpts{pings: true})
				c.send("41")
				// Nothing answers a DISCONNECT: the next message is the ping.
				c.expectText("2")
			})
			t.Run("disconnect/connect then disconnect from custom namespace", func(t *testing.T) {
				ts := suiteServer(t, mode.inline)
				c := initSocketIOConnection(ts, wsOpts{pings: true, noPong: true})
				c.expectText("2")
				c.send("40/custom")
				c.expectConnected("/custom")
				c.expectText(`42/custom,["auth",{}]`)
				c.send("41/custom")
				c.send(`42["message","message to main namespace"]`)
				c.expectText(`42["message-back","message to main namespace"]`)
			})
			t.Run("message/plain", func(t *testing.T) {
				ts := suiteServer(t, mode.inline)
				c := initSocketIOConnection(ts, wsOpts{})
				c.send(`42["message",1,"2",{"3":[true]}]`)
				c.expectText(`42["message-back",1,"2",{"3":[true]}]`)
			})
			t.Run("message/binary", func(t *testing.T) {
				ts := suiteServer(t, mode.inline)
				c := initSocketIOConnection(ts, wsOpts{})
				c.send(`452-["message",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]`)
				c.sendBin([]byte{1, 2, 3})
				c.sendBin([]byte{4, 5, 6})
				c.expectText(`452-["message-back",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]`)
				c.expectBin([]byte{1, 2, 3})
				c.expectBin([]byte{4, 5, 6})
			})
			t.Run("message/plain with ack", func(t *testing.T) {
				ts := suiteServer(t, mode.inline)
				c := initSocketIOConnection(ts, wsOpts{})
				c.send(`42456["message-with-ack",1,"2",{"3":[false]}]`)
				c.expectText(`43456[1,"2",{"3":[false]}]`)
			})
			t.Run("message/binary with ack", func(t *testing.T) {
				ts := suiteServer(t, mode.inline)
				c := initSocketIOConnection(ts, wsOpts{})
				c.send(`452-789["message-with-ack",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]`)
				c.sendBin([]byte{1, 2, 3})
				c.sendBin([]byte{4, 5, 6})
				c.expectText(`462-789[{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]`)
				c.expectBin([]byte{1, 2, 3})
				c.expectBin([]byte{4, 5, 6})
			})
			t.Run("message/unknown packet type", func(t *testing.T) {
				ts := suiteServer(t, mode.inline)
				c := initSocketIOConnection(ts, wsOpts{})
				c.send("4abc")
				c.expectOnlyClose()
			})
			t.Run("message/invalid payload format", func(t *testing.T) {
				ts := suiteServer(t, mode.inline)
				c := initSocketIOConnection(ts, wsOpts{})
				c.send("42{}")
				c.expectOnlyClose()
			})
			t.Run("message/invalid ack id", func(t *testing.T) {
				ts := suiteServer(t, mode.inline)
				c := initSocketIOConnection(ts, wsOpts{})
				c.send(`42abc["message-with-ack",1,"2",{"3":[false]}]`)
				c.expectOnlyClose()
			})
		})
	}
}

// TestSuiteSocketIOPolling runs the suite's connect, message and ack cases
// over HTTP long-polling, attachments as base64 "b" packets.
func TestSuiteSocketIOPolling(t *testing.T) {
	// The suite's handlers, with a heartbeat slow enough for a polling
	// client that does not poll all the time.
	ts := suiteServerWith(t, Config{})
	p := ts.polling()
	p.post("40")
	got := p.getN(2)
	if !strings.HasPrefix(string(got[0].data), `40{"sid":"`) || string(got[1].data) != `42["auth",{}]` {
		t.Fatalf("connect over polling: %v", got)
	}
	p.post(`42["message",1,"2",{"3":[true]}]`)
	got = p.getN(1)
	if string(got[0].data) != `42["message-back",1,"2",{"3":[true]}]` {
		t.Fatalf("echo over polling: %v", got)
	}
	p.post(`452-789["message-with-ack",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]`, "bAQID", "bBAUG")
	got = p.getN(3)
	if string(got[0].data) != `462-789[{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]` ||
		!got[1].binary || string(got[1].data) != "\x01\x02\x03" || !got[2].binary || string(got[2].data) != "\x04\x05\x06" {
		t.Fatalf("binary ack over polling: %v", got)
	}
	p.post("4abc")
	waitFor(t, "the session to close", func() bool {
		status, _, err := tTryHTTP("GET", p.url(), "")
		return err == nil && status == 400
	})
}

// TestConnectAnswer checks the CONNECT answer: {"sid"} with a fresh
// 20-character id that is neither the Engine.IO sid nor another socket's,
// written before the connection handlers' output.
func TestConnectAnswer(t *testing.T) {
	ts := startServer(t, Config{})
	ch := socketsOf(ts.io.Of("/"))
	ts.io.Of("/a").OnConnection(func(s *Socket) { _ = s.Emit("hello", s.ID()) })
	c := ts.ws()
	sid := c.connect("/")
	s := recv(t, ch, "connection")
	if s.ID() != sid || s.ConnID() != c.sid || sid == c.sid {
		t.Fatalf("socket id %q, conn id %q; client saw sid %q on engine sid %q", s.ID(), s.ConnID(), sid, c.sid)
	}
	if s.Namespace() != ts.io.Of("/") || !s.Connected() || s.Transport() != "websocket" {
		t.Fatalf("socket state: ns %v connected %v transport %q", s.Namespace().Name(), s.Connected(), s.Transport())
	}
	c.send("40/a,")
	sidA := c.expectConnected("/a")
	if sidA == sid || sidA == c.sid {
		t.Fatalf("socket ids not distinct: %q %q %q", sidA, sid, c.sid)
	}
	c.expectText(`42/a,["hello","` + sidA + `"]`)
	if got := ts.io.Of("/").Socket(sid); got != s {
		t.Fatalf("Namespace.Socket(%q) = %v", sid, got)
	}
	if ts.io.Of("/").Socket("nope") != nil {
		t.Fatal("Namespace.Socket of an unknown id is not nil")
	}
}

// TestAuthPayload checks the CONNECT payload as Handshake.Auth: absent
// gives {}, present is kept as sent.
func TestAuthPayload(t *testing.T) {
	ts := startServer(t, Config{})
	ch := socketsOf(ts.io.Of("/"))
	c := ts.ws()
	c.connect("/")
	s := recv(t, ch, "connection")
	if string(s.Handshake().Auth) != "{}" {
		t.Fatalf("auth without payload: %q, want {}", s.Handshake().Auth)
	}
	var m map[string]any
	if err := s.Handshake().AuthValue(&m); err != nil || len(m) != 0 {
		t.Fatalf("AuthValue: %v %v", m, err)
	}
	c2 := ts.ws()
	c2.connect("/", `{"token":"t0k","n":[1,2]}`)
	s2 := recv(t, ch, "connection")
	if string(s2.Handshake().Auth) != `{"token":"t0k","n":[1,2]}` {
		t.Fatalf("auth: %q", s2.Handshake().Auth)
	}
	var a struct {
		Token string
		N     []int
	}
	if err := s2.Handshake().AuthValue(&a); err != nil || a.Token != "t0k" || len(a.N) != 2 {
		t.Fatalf("AuthValue: %+v %v", a, err)
	}
}

// TestUnknownNamespace checks CONNECT_ERROR for unknown namespaces on "/"
// and others, and that the connection survives it.
func TestUnknownNamespace(t *testing.T) {
	ts := startServer(t, Config{})
	c := ts.ws()
	c.send("40/x")
	c.expectText(`44/x,{"message":"Invalid namespace"}`)
	c.send(`40/y,{"token":1}`)
	c.expectText(`44/y,{"message":"Invalid namespace"}`)
	c.connect("/")
	c.expectSilence(50 * time.Millisecond)
}

// TestConnectTimeout checks that a connection that never CONNECTs is
// closed after ConnectTimeout, on WebSocket and polling (a pending GET gets
// the close packet), and that one CONNECT cancels the timer for good.
func TestConnectTimeout(t *testing.T) {
	ts := startServer(t, Config{ConnectTimeout: 200 * time.Millisecond})
	c := ts.ws()
	start := time.Now()
	c.expectOnlyClose()
	if d := time.Since(start); d < 100*time.Millisecond {
		t.Fatalf("closed after %v, before the connect timeout", d)
	}

	p := ts.polling()
	got := recv(t, p.asyncGet(), "poll answer")
	if len(got) != 1 || string(got[0].data) != "1" {
		t.Fatalf("pending GET got %v, want the close packet", got)
	}

	// A refused CONNECT does not stop the timer.
	c2 := ts.ws()
	c2.send("40/nope,")
	c2.expectText(`44/nope,{"message":"Invalid namespace"}`)
	c2.expectOnlyClose()

	// A successful one does, even after leaving every namespace.
	c3 := ts.ws()
	c3.connect("/")
	c3.send("41")
	c3.expectSilence(400 * time.Millisecond)
}

// TestConnectTwice checks that a CONNECT for a namespace the connection is
// already in closes the connection, over WebSocket and polling, and that
// the socket disconnects with "forced server close".
func TestConnectTwice(t *testing.T) {
	ts := startServer(t, Config{})
	ch := socketsOf(ts.io.Of("/"))
	c := ts.ws()
	c.connect("/")
	s := recv(t, ch, "connection")
	reasons := disconnects(s)
	c.send("40")
	c.expectOnlyClose()
	expectReason(t, reasons, ReasonForcedServerClose)

	p, s := ts.pollConnect("/", ch)
	reasons = disconnects(s)
	got := p.park(s)
	p.post("40")
	expectReason(t, reasons, ReasonForcedServerClose)
	if m := recv(t, got, "poll answer"); len(m) != 1 || string(m[0].data) != "1" {
		t.Fatalf("held GET got %v, want the close packet", m)
	}
	p.expectGone()
}

// TestConnectTwiceDuringMiddleware checks a second CONNECT sent while the
// namespace middleware of the first still runs.
func TestConnectTwiceDuringMiddleware(t *testing.T) {
	ts := startServer(t, Config{})
	release := make(chan struct{})
	entered := make(chan struct{}, 2)
	ts.io.Of("/slow").Use(func(*Socket) error {
		entered <- struct{}{}
		<-release
		return nil
	})
	t.Cleanup(func() { close(release) })
	c := ts.ws()
	c.send("40/slow,")
	recv(t, entered, "middleware")
	c.send("40/slow,")
	c.expectOnlyClose()
}

// TestNotConnectedNamespace checks that packets other than CONNECT for a
// namespace the connection is not in close the whole connection, and that
// its sockets disconnect with "forced server close", over WebSocket and
// polling.
func TestNotConnectedNamespace(t *testing.T) {
	for _, pkt := range []string{
		`42/other,["ev"]`,
		`43/other,1[]`,
		`41/other,`,
		`451-/other,["ev",{"_placeholder":true,"num":0}]`,
		`44`,
		`44{"message":"x"}`,
	} {
		t.Run(pkt, func(t *testing.T) {
			ts := startServer(t, Config{})
			ts.io.Of("/other")
			ch := socketsOf(ts.io.Of("/"))
			c := ts.ws()
			c.connect("/")
			s := recv(t, ch, "connection")
			reasons := disconnects(s)
			c.send(pkt)
			if strings.HasPrefix(pkt, "45") {
				c.sendBin([]byte{1})
			}
			c.expectOnlyClose()
			expectReason(t, reasons, ReasonForcedServerClose)

			p, s := ts.pollConnect("/", ch)
			reasons = disconnects(s)
			got := p.park(s)
			if strings.HasPrefix(pkt, "45") {
				p.post(pkt, "bAQ==")
			} else {
				p.post(pkt)
			}
			expectReason(t, reasons, ReasonForcedServerClose)
			recv(t, got, "poll answer")
			p.expectGone()
		})
	}
	t.Run("event before any CONNECT", func(t *testing.T) {
		ts := startServer(t, Config{})
		c := ts.ws()
		c.send(`42["ev"]`)
		c.expectOnlyClose()
	})
}

// TestMalformedPackets checks that every decoding error closes the
// connection and disconnects its sockets with "parse error", in both
// handler modes.
func TestMalformedPackets(t *testing.T) {
	type step struct {
		text string
		bin  []byte
	}
	cases := []struct {
		name  string
		steps []step
	}{
		{"unknown type letter", []step{{text: "4abc"}}},
		{"unknown type digit", []step{{text: `47["ev"]`}}},
		{"empty packet", []step{{text: "4"}}},
		{"event payload object", []step{{text: "42{}"}}},
		{"event payload empty array", []step{{text: "42[]"}}},
		{"event payload not JSON", []step{{text: `42["ev"`}}},
		{"event reserved name", []step{{text: `42["disconnect"]`}}},
		{"event name object", []step{{text: `42[{}]`}}},
		{"event without payload", []step{{text: "42"}}},
		{"bad ack id", []step{{text: `42abc["ev",1]`}}},
		{"ack without id", []step{{text: `43[1]`}}},
		{"ack payload object", []step{{text: `431{}`}}},
		{"ack id too large", []step{{text: `429007199254740992["ev"]`}}},
		{"disconnect with payload", []step{{text: "41{}"}}},
		{"connect payload array", []step{{text: "40/a,[1]"}}},
		{"connect payload string", []step{{text: `40/a,"x"`}}},
		{"too many attachments", []step{{text: `4511-["ev",{"_placeholder":true,"num":0}]`}}},
		{"zero attachments", []step{{text: `450-["ev"]`}}},
		{"missing attachment count", []step{{text: `45-["ev"]`}}},
		{"attachment count without dash", []step{{text: `451["ev",{"_placeholder":true,"num":0}]`}}},
		{"placeholder out of range", []step{{text: `451-["ev",{"_placeholder":true,"num":1}]`}}},
		{"text while attachments pending", []step{{text: `452-["ev",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]`}, {bin: []byte{1}}, {text: `42["ev"]`}}},
		{"unexpected binary", []step{{bin: []byte{1, 2, 3}}}},
		{"binary after complete packet", []step{{text: `451-["ev",{"_placeholder":true,"num":0}]`}, {bin: []byte{1}}, {bin: []byte{2}}}},
		{"namespace with control char", []step{{text: "42/a\x01b,[\"ev\"]"}}},
	}
	for _, mode := range handlerModes {
		t.Run(mode.name, func(t *testing.T) {
			for _, tc := range cases {
				t.Run(tc.name, func(t *testing.T) {
					ts := startServer(t, Config{InlineHandlers: mode.inline})
					got := make(chan string, 16)
					ts.io.Of("/").On("ev", func(e *Event) { got <- e.Name })
					ts.io.Of("/a")
					ch := socketsOf(ts.io.Of("/"))
					// WebSocket: the connection closes and the socket
					// disconnects with "parse error".
					c := ts.ws()
					c.connect("/")
					s := recv(t, ch, "connection")
					reasons := disconnects(s)
					for _, st := range tc.steps {
						if st.bin != nil {
							c.sendBin(st.bin)
						} else {
							c.send(st.text)
						}
					}
					c.expectClosed()
					expectReason(t, reasons, ReasonParseError)
					// Polling: the same packets in one POST; the socket
					// disconnects with "parse error".
					p, s := ts.pollConnect("/", ch)
					reasons = disconnects(s)
					var body []string
					for _, st := range tc.steps {
						if st.bin != nil {
							body = append(body, "b"+base64.StdEncoding.EncodeToString(st.bin))
						} else {
							body = append(body, st.text)
						}
					}
					p.post(body...)
					expectReason(t, reasons, ReasonParseError)
					p.expectGone()
					if tc.name == "binary after complete packet" {
						// The complete packet was dispatched before the
						// stray attachment, once per transport.
						recv(t, got, "event")
						recv(t, got, "event")
					}
					select {
					case n := <-got:
						t.Fatalf("event %q dispatched from a malformed packet", n)
					default:
					}
				})
			}
		})
	}
}

// TestEventNameNumeric checks that a numeric event name, which the
// reference parser accepts, reaches the handler under its JSON text.
func TestEventNameNumeric(t *testing.T) {
	ts := startServer(t, Config{})
	got := make(chan string, 1)
	ts.io.Of("/").On("12", func(e *Event) { got <- e.Name + ":" + string(e.Args.Raw(0)) })
	c := ts.ws()
	c.connect("/")
	c.send(`42[12,"x"]`)
	if v := recv(t, got, "event"); v != `12:"x"` {
		t.Fatalf("got %q", v)
	}
}

// TestMultipleNamespacesOneConnection checks that one connection carries
// sockets of several namespaces, each with its own id and traffic, and that
// leaving one keeps the others.
func TestMultipleNamespacesOneConnection(t *testing.T) {
	ts := startServer(t, Config{})
	for _, name := range []string{"/", "/a", "/b"} {
		ts.io.Of(name).On("ping", func(e *Event) { _ = e.Ack(e.Socket().Namespace().Name()) })
	}
	c := ts.ws()
	ids := map[string]bool{}
	for _, name := range []string{"/", "/a", "/b"} {
		ids[c.connect(name)] = true
	}
	if len(ids) != 3 {
		t.Fatalf("socket ids not distinct: %v", ids)
	}
	c.send(`42/a,1["ping"]`)
	c.expectText(`43/a,1["/a"]`)
	c.send(`42/b,2["ping"]`)
	c.expectText(`43/b,2["/b"]`)
	c.send(`423["ping"]`)
	c.expectText(`433["/"]`)
	c.send("41/a,")
	c.send(`42/b,4["ping"]`)
	c.expectText(`43/b,4["/b"]`)
	waitFor(t, "the /a socket to go", func() bool { return ts.io.Of("/a").SocketCount() == 0 })
	if n := ts.io.Of("/b").SocketCount(); n != 1 {
		t.Fatalf("/b has %d sockets", n)
	}
}

// TestPollingClient checks a Socket.IO session over long-polling: connect,
// events both ways, an ack, binary both ways as base64 packets, and
// disconnect reasons after a client "41".
func TestPollingClient(t *testing.T) {
	ts := startServer(t, Config{})
	ns := ts.io.Of("/")
	ch := socketsOf(ns)
	ns.On("echo", func(e *Event) { _ = e.Ack(e.Args) })
	p := ts.polling()
	p.post("40")
	got := p.get()
	if len(got) != 1 || !strings.HasPrefix(string(got[0].data), `40{"sid":"`) {
		t.Fatalf("CONNECT answer %v", got)
	}
	s := recv(t, ch, "connection")
	if s.Transport() != "polling" {
		t.Fatalf("transport %q", s.Transport())
	}
	reasons := disconnects(s)
	_ = s.Emit("bin", map[string]any{"k": []byte{0xff, 0}})
	_ = s.Emit("plain", "x")
	got = p.getN(3)
	if len(got) != 3 || string(got[0].data) != `451-["bin",{"k":{"_placeholder":true,"num":0}}]` ||
		!got[1].binary || string(got[1].data) != "\xff\x00" || string(got[2].data) != `42["plain","x"]` {
		t.Fatalf("emits over polling: %v", got)
	}
	p.post(`4212["echo",{"a":1}]`)
	got = p.getN(1)
	if len(got) != 1 || string(got[0].data) != `4312[{"a":1}]` {
		t.Fatalf("ack over polling: %v", got)
	}
	p.post("41")
	if r := recv(t, reasons, "disconnect"); r != ReasonClientNamespaceDisconnect {
		t.Fatalf("reason %q", r)
	}
}

// TestHandshakeFields checks the Handshake of a socket: headers, query,
// auth, address, time, URL and the cross-domain flag, on both transports.
func TestHandshakeFields(t *testing.T) {
	ts := startServer(t, Config{})
	ch := socketsOf(ts.io.Of("/"))
	before := time.Now().Add(-time.Second)
	c := ts.ws(wsOpts{query: "foo=bar&x=%20y", header: map[string][]string{"X-Custom": {"v1"}, "Origin": {"http://example.com"}}})
	c.connect("/", `{"token":"abc"}`)
	s := recv(t, ch, "connection")
	h := s.Handshake()
	if h.Headers.Get("X-Custom") != "v1" || h.Headers.Get("Origin") != "http://example.com" || h.Headers.Get("Host") == "" {
		t.Fatalf("headers %v", h.Headers)
	}
	if h.Query.Get("foo") != "bar" || h.Query.Get("x") != " y" || h.Query.Get("EIO") != "4" || h.Query.Get("transport") != "websocket" {
		t.Fatalf("query %v", h.Query)
	}
	if string(h.Auth) != `{"token":"abc"}` {
		t.Fatalf("auth %q", h.Auth)
	}
	if h.Address != "127.0.0.1" {
		t.Fatalf("address %q", h.Address)
	}
	if h.Time.Before(before) || h.Time.After(time.Now().Add(time.Second)) {
		t.Fatalf("time %v", h.Time)
	}
	if !strings.HasPrefix(h.URL, "/socket.io/?EIO=4&transport=websocket&foo=bar") {
		t.Fatalf("url %q", h.URL)
	}
	if !h.XDomain || h.Secure {
		t.Fatalf("xdomain %v secure %v", h.XDomain, h.Secure)
	}
	if s.Handshake() != h {
		t.Fatal("Handshake is rebuilt on every call")
	}
	b, err := json.Marshal(h)
	if err != nil || !strings.Contains(string(b), `"Auth":{"token":"abc"}`) {
		t.Fatalf("handshake JSON %s %v", b, err)
	}

	p := ts.polling(map[string][]string{"X-Poll": {"p"}})
	p.post("40")
	s2 := recv(t, ch, "connection")
	h2 := s2.Handshake()
	if h2.Headers.Get("X-Poll") != "p" || h2.Query.Get("transport") != "polling" || h2.XDomain || string(h2.Auth) != "{}" {
		t.Fatalf("polling handshake %+v", h2)
	}
}
