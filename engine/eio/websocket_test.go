package eio

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/gobwas/ws"
)

func TestWebSocketMessages(t *testing.T) {
	t.Parallel()
	ts := startServer(t, Config{})
	c, _, s := ts.openWS()
	c.sendText("4hello")
	c.sendText("4")
	c.sendText("4é€")
	c.send(ws.OpBinary, []byte{0, 1, 2})
	c.send(ws.OpBinary, nil)
	c.sendText("6") // noop: ignored
	ts.h.expectMsg(t, "hello", false)
	ts.h.expectMsg(t, "", false)
	ts.h.expectMsg(t, "é€", false)
	ts.h.expectMsg(t, "\x00\x01\x02", true)
	ts.h.expectMsg(t, "", true)

	s.SendText([]byte("text"))
	s.SendBinary([]byte{7, 7})
	big := bytes.Repeat([]byte("z"), 70000) // 64-bit length header
	s.SendBinary(big)
	mid := strings.Repeat("m", 300) // 16-bit length header
	s.SendText([]byte(mid))
	c.expectText("4text")
	if op, p := c.read(); op != ws.OpBinary || string(p) != "\x07\x07" {
		t.Fatalf("got %v %q", op, p)
	}
	if op, p := c.read(); op != ws.OpBinary || !bytes.Equal(p, big) {
		t.Fatalf("got %v of %d bytes", op, len(p))
	}
	c.expectText("4" + mid)

	// A multi-packet Message goes out as one frame per packet.
	var b MessageBuilder
	m := b.Text(4, []byte("a")).Binary([]byte{1}).Text(4, []byte("b")).Message()
	if m.Packets() != 3 || m.Len() != len(m.Frames()) {
		t.Fatalf("Packets %d Len %d", m.Packets(), m.Len())
	}
	s.Send(m)
	c.expectText("4a")
	if op, p := c.read(); op != ws.OpBinary || string(p) != "\x01" {
		t.Fatalf("got %v %q", op, p)
	}
	c.expectText("4b")
}

func TestWebSocketSeveralFramesInOneSegment(t *testing.T) {
	t.Parallel()
	ts := startServer(t, Config{})
	c, _, _ := ts.openWS()
	var buf bytes.Buffer
	for i := 0; i < 100; i++ {
		f := ws.MaskFrameInPlace(ws.NewTextFrame([]byte(fmt.Sprint("4m", i))))
		if err := ws.WriteFrame(&buf, f); err != nil {
			t.Fatal(err)
		}
	}
	// Send it in odd-sized pieces, to cut headers and payloads.
	data := buf.Bytes()
	for len(data) > 0 {
		n := min(len(data), 7)
		if _, err := c.conn.Write(data[:n]); err != nil {
			t.Fatal(err)
		}
		data = data[n:]
		if len(data)%5 == 0 {
			time.Sleep(time.Millisecond)
		}
	}
	for i := 0; i < 100; i++ {
		ts.h.expectMsg(t, fmt.Sprint("m", i), false)
	}
}

func TestWebSocketFragmentedMessages(t *testing.T) {
	t.Parallel()
	ts := startServer(t, Config{})
	c, _, s := ts.openWS()
	// A text message in three fragments with a ping and an empty fragment
	// in between.
	c.writeFrame(ws.OpText, false, []byte("4he"), false)
	c.writeFrame(ws.OpPing, true, []byte("ping-data"), false)
	c.writeFrame(ws.OpContinuation, false, nil, false)
	c.writeFrame(ws.OpContinuation, false, []byte("ll"), false)
	c.writeFrame(ws.OpPong, true, []byte("unsolicited"), false)
	c.writeFrame(ws.OpContinuation, true, []byte("o"), false)
	h, p := c.readFrame()
	if h.OpCode != ws.OpPong || string(p) != "ping-data" || !h.Fin {
		t.Fatalf("got %v %q, want pong ping-data", h.OpCode, p)
	}
	ts.h.expectMsg(t, "hello", false)
	// A binary one.
	c.writeFrame(ws.OpBinary, false, []byte{1}, false)
	c.writeFrame(ws.OpContinuation, true, []byte{2, 3}, false)
	ts.h.expectMsg(t, "\x01\x02\x03", true)
	// A multibyte character split across fragments is valid UTF-8 once
	// assembled.
	euro := []byte("4€")
	c.writeFrame(ws.OpText, false, euro[:2], false)
	c.writeFrame(ws.OpContinuation, true, euro[2:], false)
	ts.h.expectMsg(t, "€", false)
	if s.Closed() {
		t.Fatal("closed")
	}
}

func TestWebSocketPingPong(t *testing.T) {
	t.Parallel()
	ts := startServer(t, Config{})
	c, _, _ := ts.openWS()
	for _, payload := range []string{"", "abc", strings.Repeat("p", 125)} {
		c.writeFrame(ws.OpPing, true, []byte(payload), false)
		h, p := c.readFrame()
		if h.OpCode != ws.OpPong || string(p) != payload || h.Masked {
			t.Fatalf("got %+v %q, want pong %q", h, p, payload)
		}
	}
}

// expectWSFailure sends raw bytes on a fresh WebSocket session and checks
// that the server answers with a close frame of the given code, closes the
// TCP connection and closes the session.
func expectWSFailure(t *testing.T, cfg Config, code ws.StatusCode, send func(c *wsClient)) {
	t.Helper()
	ts := startServer(t, cfg)
	c, _, s := ts.openWS()
	send(c)
	c.expectClose(code)
	ts.h.expectClosed(t, s) // reason: see TestBug_WebSocketCloseReason
}

func TestWebSocketProtocolErrors(t *testing.T) {
	t.Parallel()
	raw := func(b ...byte) func(*wsClient) {
		return func(c *wsClient) {
			if _, err := c.conn.Write(b); err != nil {
				t.Error(err)
			}
		}
	}
	mask := []byte{1, 2, 3, 4}
	cases := []struct {
		name string
		code ws.StatusCode
		send func(*wsClient)
	}{
		{"unmasked frame", ws.StatusProtocolError, func(c *wsClient) { c.writeFrame(ws.OpText, true, []byte("4hi"), true) }},
		{"reserved bits", ws.StatusProtocolError, raw(append([]byte{0x80 | 0x40 | 0x1, 0x80}, mask...)...)},
		{"reserved opcode", ws.StatusProtocolError, raw(append([]byte{0x80 | 0x3, 0x80}, mask...)...)},
		{"fragmented control frame", ws.StatusProtocolError, raw(append([]byte{0x9, 0x80}, mask...)...)},
		{"oversized control frame", ws.StatusProtocolError, raw(append([]byte{0x89, 0x80 | 126, 0, 126}, mask...)...)},
		{"non-minimal length", ws.StatusProtocolError, raw(append([]byte{0x81, 0x80 | 126, 0, 5}, mask...)...)},
		{"continuation without start", ws.StatusProtocolError, func(c *wsClient) { c.writeFrame(ws.OpContinuation, true, []byte("x"), false) }},
		{"new message inside fragmented one", ws.StatusProtocolError, func(c *wsClient) {
			c.writeFrame(ws.OpText, false, []byte("4a"), false)
			c.writeFrame(ws.OpText, true, []byte("4b"), false)
		}},
		{"one-byte close", ws.StatusProtocolError, func(c *wsClient) { c.writeFrame(ws.OpClose, true, []byte{3}, false) }},
		{"close with reserved code", ws.StatusProtocolError, func(c *wsClient) {
			c.writeFrame(ws.OpClose, true, ws.NewCloseFrameBody(ws.StatusNoStatusRcvd, ""), false)
		}},
		{"close with invalid UTF-8 reason", ws.StatusProtocolError, func(c *wsClient) {
			c.writeFrame(ws.OpClose, true, append(ws.NewCloseFrameBody(ws.StatusNormalClosure, ""), 0xff), false)
		}},
		{"invalid UTF-8 text", ws.StatusInvalidFramePayloadData, func(c *wsClient) { c.writeFrame(ws.OpText, true, []byte{'4', 0xff, 0xfe}, false) }},
		{"invalid UTF-8 across fragments", ws.StatusInvalidFramePayloadData, func(c *wsClient) {
			c.writeFrame(ws.OpText, false, []byte{'4', 0xe2, 0x82}, false)
			c.writeFrame(ws.OpContinuation, true, []byte{'x'}, false)
		}},
		{"message over maxPayload", ws.StatusMessageTooBig, func(c *wsClient) {
			c.writeFrame(ws.OpText, true, []byte("4"+strings.Repeat("x", 100)), false)
		}},
		{"fragments over maxPayload", ws.StatusMessageTooBig, func(c *wsClient) {
			c.writeFrame(ws.OpText, false, []byte("4"+strings.Repeat("x", 60)), false)
			c.writeFrame(ws.OpContinuation, true, []byte(strings.Repeat("y", 40)), false)
		}},
		{"huge declared length", ws.StatusMessageTooBig, func(c *wsClient) {
			h := []byte{0x82, 0x80 | 127}
			h = binary.BigEndian.AppendUint64(h, 1<<40)
			raw(append(h, mask...)...)(c)
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			expectWSFailure(t, Config{MaxPayload: 100}, tc.code, tc.send)
		})
	}
}

func TestWebSocketMaxPayloadBoundary(t *testing.T) {
	t.Parallel()
	ts := startServer(t, Config{MaxPayload: 100})
	c, _, s := ts.openWS()
	c.sendText("4" + strings.Repeat("x", 99))
	ts.h.expectMsg(t, strings.Repeat("x", 99), false)
	c.send(ws.OpBinary, bytes.Repeat([]byte{1}, 100))
	ts.h.expectMsg(t, string(bytes.Repeat([]byte{1}, 100)), true)
	c.writeFrame(ws.OpText, false, []byte("4"+strings.Repeat("a", 49)), false)
	c.writeFrame(ws.OpContinuation, true, []byte(strings.Repeat("b", 50)), false)
	ts.h.expectMsg(t, strings.Repeat("a", 49)+strings.Repeat("b", 50), false)
	if s.Closed() {
		t.Fatal("closed")
	}
}

func TestWebSocketCloseHandshake(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		body []byte
		want ws.StatusCode
	}{
		{"normal", ws.NewCloseFrameBody(ws.StatusNormalClosure, "bye"), ws.StatusNormalClosure},
		{"going away", ws.NewCloseFrameBody(ws.StatusGoingAway, ""), ws.StatusGoingAway},
		{"application code", ws.NewCloseFrameBody(4001, "app"), 4001},
		{"no status", nil, ws.StatusNormalClosure},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ts := startServer(t, Config{})
			c, _, s := ts.openWS()
			c.writeFrame(ws.OpClose, true, tc.body, false)
			c.expectClose(tc.want)
			ts.h.expectClose(t, s, ReasonTransportClose)
			if ts.srv.SessionCount() != 0 {
				t.Fatal("session still counted")
			}
		})
	}
}

func TestWebSocketClientDisconnect(t *testing.T) {
	t.Parallel()
	ts := startServer(t, Config{})
	c, hs, s := ts.openWS()
	c.conn.Close()
	ts.h.expectClose(t, s, ReasonTransportClose)
	// The sid is gone.
	expectWSRefusedWith(t, ts, "EIO=4&transport=websocket&sid="+hs.SID, "Session ID unknown")
	waitFor(t, func() bool { return ts.r.ConnCount() == 0 }, "connections to close")
}

func TestWebSocketInvalidPackets(t *testing.T) {
	t.Parallel()
	for _, p := range []string{"", "abc", "9", "bAQ!D"} {
		t.Run(fmt.Sprintf("%q", p), func(t *testing.T) {
			t.Parallel()
			ts := startServer(t, Config{})
			c, _, s := ts.openWS()
			c.sendText(p)
			c.expectClose(ws.StatusNormalClosure)
			ts.h.expectClosed(t, s) // reason: see TestBug_WebSocketCloseReason
		})
	}
	// "b" + base64 in a text frame is a binary message, as over polling.
	t.Run("base64 in text frame", func(t *testing.T) {
		t.Parallel()
		ts := startServer(t, Config{})
		c, _, _ := ts.openWS()
		c.sendText("bAQID")
		ts.h.expectMsg(t, "\x01\x02\x03", true)
	})
}

func TestWebSocketFramesInHandshakeSegment(t *testing.T) {
	t.Parallel()
	ts := startServer(t, Config{}, ReactorConfig{Loops: 3})
	upgrade := func(query string) string {
		return "GET " + ts.path + "?EIO=4&" + query + " HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
			"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
	}
	// A new session's first message in the same segment as the handshake.
	rc := ts.dialRaw()
	rc.send(upgrade("transport=websocket") + string(maskedText("4early")))
	ts.h.waitOpen(t)
	ts.h.expectMsg(t, "early", false)
	// A probe's 2probe and 5 in the same segment as its upgrade request.
	sid, s := ts.openPolling()
	rc = ts.dialRaw()
	rc.send(upgrade("transport=websocket&sid="+sid) + string(maskedText("2probe")) + string(maskedText("5")) + string(maskedText("4up")))
	ts.h.expectMsg(t, "up", false)
	waitFor(t, func() bool { return s.Transport() == WebSocket }, "the upgrade")
	readHead(t, rc)
	c := &wsClient{t: t, conn: rc.c, r: rc.br}
	c.expectText("3probe")
	s.SendText([]byte("down"))
	c.expectText("4down")
}
