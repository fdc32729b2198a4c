package eio

import (
	"errors"
	"unicode/utf8"

	"github.com/gobwas/ws"

	"github.com/heraldrt/herald/protocol/websocket"
)

// readWebSocket handles at most one frame and reports whether it did.
func (c *conn) readWebSocket() bool {
	buffered := c.gc.InboundBuffered()
	if buffered < 2 || buffered < c.need {
		return false
	}
	head, _ := c.gc.Peek(min(buffered, websocket.MaxHeaderSize))
	h, hn, err := websocket.ParseHeader(head)
	if errors.Is(err, websocket.ErrShort) {
		return false
	}
	if err != nil {
		c.wsFail(ws.StatusProtocolError, err)
		return false
	}
	limit := int64(c.maxPayload())
	size := h.Length
	if h.OpCode == ws.OpContinuation {
		size += int64(len(c.frag))
	}
	if size > limit {
		c.wsFail(ws.StatusMessageTooBig, errMessageTooBig)
		return false
	}
	total := hn + int(h.Length)
	if buffered < total {
		c.need = total
		return false
	}
	c.need = 0
	frame, _ := c.gc.Peek(total)
	payload := frame[hn:total]
	websocket.Unmask(payload, h.Mask)
	c.onFrame(h, payload)
	if !c.closed {
		_, _ = c.gc.Discard(total)
	}
	return true
}

var (
	errMessageTooBig = errors.New("eio: websocket message exceeds maxPayload")
	errFragment      = errors.New("eio: websocket fragment out of sequence")
	errUTF8          = errors.New("eio: websocket text message is not valid UTF-8")
)

func (c *conn) maxPayload() int {
	if c.s != nil {
		return c.s.srv.cfg.MaxPayload
	}
	return c.l.r.maxBody()
}

func (c *conn) onFrame(h ws.Header, payload []byte) {
	switch h.OpCode {
	case ws.OpPing:
		c.write(websocket.AppendFrame(nil, ws.OpPong, payload))
		return
	case ws.OpPong:
		return
	case ws.OpClose:
		code, err := websocket.ParseClose(payload)
		if err != nil {
			c.wsFail(ws.StatusProtocolError, err)
			return
		}
		if len(payload) > 2 && !utf8.Valid(payload[2:]) {
			c.wsFail(ws.StatusProtocolError, errUTF8)
			return
		}
		if code == ws.StatusNoStatusRcvd {
			code = ws.StatusNormalClosure
		}
		c.wsCloseWith(code, "")
		return
	case ws.OpContinuation:
		if c.frag == nil {
			c.wsFail(ws.StatusProtocolError, errFragment)
			return
		}
		c.frag = append(c.frag, payload...)
		if !h.Fin {
			return
		}
		msg, op := c.frag, c.fragOp
		c.frag = nil
		c.onMessage(op, msg)
		return
	}
	if c.frag != nil {
		c.wsFail(ws.StatusProtocolError, errFragment)
		return
	}
	if !h.Fin {
		c.fragOp = h.OpCode
		c.frag = append(make([]byte, 0, max(len(payload)*2, 512)), payload...)
		return
	}
	c.onMessage(h.OpCode, payload)
}

func (c *conn) onMessage(op ws.OpCode, data []byte) {
	if op == ws.OpText && !utf8.Valid(data) {
		c.wsFail(ws.StatusInvalidFramePayloadData, errUTF8)
		return
	}
	if c.wsClose {
		return
	}
	if c.s == nil {
		return
	}
	c.s.onTransportMessage(c.l, c, data, op == ws.OpBinary)
}

// wsFail closes the connection with a close frame after a protocol error,
// telling the session it died of a transport error.
func (c *conn) wsFail(code ws.StatusCode, err error) {
	c.l.r.log.Info("eio: websocket protocol error", "remote", c.gc.RemoteAddr(), "err", err)
	if !c.wsClose {
		c.wsClose = true
		c.write(websocket.AppendClose(nil, code, ""))
	}
	if c.s != nil {
		c.s.transportError(c.l, c, err)
	}
	c.closeNow()
}

// wsCloseWith answers or starts a close handshake and then closes the TCP
// connection; the server side closes first, as RFC 6455 allows.
func (c *conn) wsCloseWith(code ws.StatusCode, reason string) {
	if !c.wsClose {
		c.wsClose = true
		c.write(websocket.AppendClose(nil, code, reason))
	}
	c.closeNow()
}
