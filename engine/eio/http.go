package eio

import (
	"bytes"
	"errors"
	"strconv"

	"github.com/heraldrt/herald/protocol/httphead"
)

// onTraffic consumes as much buffered input as the connection's state allows.
func (c *conn) onTraffic() {
	for !c.closed {
		var progressed bool
		switch c.mode {
		case modeHTTP:
			progressed = c.readHTTP()
		case modeWebSocket:
			progressed = c.readWebSocket()
		}
		if !progressed {
			return
		}
	}
}

// readHTTP handles at most one request and reports whether it consumed one.
func (c *conn) readHTTP() bool {
	buffered := c.gc.InboundBuffered()
	if c.busy {
		// A pipelined request waits for the one in flight; bound how much
		// a client may pile up meanwhile.
		if buffered > c.l.r.cfg.MaxHeaderBytes+c.l.r.maxBody() {
			c.l.r.log.Warn("eio: closing connection that pipelined too much during a pending request",
				"remote", c.gc.RemoteAddr(), "buffered", buffered)
			c.closeNow()
		}
		return false
	}
	if buffered == 0 || buffered < c.need {
		return false
	}
	buf, _ := c.gc.Peek(-1)
	req := &c.l.req
	n, err := req.Parse(buf, c.l.r.cfg.MaxHeaderBytes)
	switch {
	case errors.Is(err, httphead.ErrIncomplete):
		c.need = len(buf) + 1
		return false
	case errors.Is(err, httphead.ErrTooLarge), errors.Is(err, httphead.ErrTooManyHeaders):
		c.l.r.log.Info("eio: refusing request", "remote", c.gc.RemoteAddr(), "err", err)
		c.plainError(431, "Request Header Fields Too Large")
		return false
	case errors.Is(err, httphead.ErrVersion):
		c.plainError(505, "HTTP Version Not Supported")
		return false
	case err != nil:
		c.l.r.log.Info("eio: refusing malformed request", "remote", c.gc.RemoteAddr(), "err", err)
		c.plainError(400, "Bad Request")
		return false
	}
	srv := c.l.r.route(req.Path)
	if srv == nil {
		c.keepAlive = req.KeepAlive
		c.discardBody(req, n) // may turn keep-alive off
		c.respondJSONError(404, -1, "Not Found", nil)
		return true
	}
	if req.TransferCoded {
		status, msg := 501, "Not Implemented"
		if req.Chunked {
			status, msg = 411, "Length Required"
		}
		c.l.r.log.Info("eio: refusing request with Transfer-Encoding", "remote", c.gc.RemoteAddr())
		c.keepAlive = false
		c.respondJSONError(status, -1, msg, nil)
		c.closeAfterFlush()
		return false
	}
	bodyLen := int(max(req.ContentLength, 0))
	if bodyLen > srv.cfg.MaxPayload {
		c.l.r.log.Info("eio: refusing oversized body", "remote", c.gc.RemoteAddr(), "length", bodyLen)
		c.keepAlive = false
		c.respondJSONError(413, -1, "Payload Too Large", nil)
		c.closeAfterFlush()
		return false
	}
	if len(buf) < n+bodyLen {
		if c.postFor == nil && string(req.Method) == "POST" {
			srv.bodyArriving(c, req)
		}
		c.need = n + bodyLen
		c.freeAt = c.l.mono() // the body has the whole timeout to arrive
		return false
	}
	c.need = 0
	c.keepAlive = req.KeepAlive
	srv.serveHTTP(c, req, buf[n:n+bodyLen])
	if !c.closed {
		_, _ = c.gc.Discard(n + bodyLen)
	}
	return true
}

// discardBody drops a request that will not be served. A body that is not
// all here, or not framed by a length, cannot be skipped, so the
// connection closes after the answer rather than read its bytes as
// requests.
func (c *conn) discardBody(req *httphead.Request, head int) {
	if req.ContentLength > 0 && int(req.ContentLength) <= c.l.r.maxBody() && c.gc.InboundBuffered() >= head+int(req.ContentLength) {
		_, _ = c.gc.Discard(head + int(req.ContentLength))
		return
	}
	if req.ContentLength > 0 || req.TransferCoded {
		c.keepAlive = false
	}
	_, _ = c.gc.Discard(head)
}

func (r *Reactor) route(path []byte) *Server {
	for _, m := range r.mounts {
		if bytes.HasPrefix(path, []byte(m.path)) || string(path) == m.path[:len(m.path)-1] {
			return m.srv
		}
	}
	return nil
}

func (r *Reactor) maxBody() int {
	n := 0
	for _, m := range r.mounts {
		n = max(n, m.srv.cfg.MaxPayload)
	}
	return n
}

func statusLine(dst []byte, status int) []byte {
	dst = append(dst, "HTTP/1.1 "...)
	dst = strconv.AppendInt(dst, int64(status), 10)
	dst = append(dst, ' ')
	return append(dst, statusText(status)...)
}

func statusText(status int) string {
	switch status {
	case 101:
		return "Switching Protocols"
	case 200:
		return "OK"
	case 204:
		return "No Content"
	case 400:
		return "Bad Request"
	case 403:
		return "Forbidden"
	case 404:
		return "Not Found"
	case 405:
		return "Method Not Allowed"
	case 411:
		return "Length Required"
	case 413:
		return "Payload Too Large"
	case 431:
		return "Request Header Fields Too Large"
	case 500:
		return "Internal Server Error"
	case 501:
		return "Not Implemented"
	case 503:
		return "Service Unavailable"
	case 505:
		return "HTTP Version Not Supported"
	}
	return "Status"
}

// respond queues a whole response on c, which must belong to the calling
// loop, and releases the connection for its next request.
func (c *conn) respond(head []byte, body ...[]byte) {
	if c.closed {
		return
	}
	c.write(head)
	for _, b := range body {
		c.write(b)
	}
	c.busy = false
	c.freeAt = c.l.mono()
	if !c.keepAlive {
		c.closeAfterFlush()
		return
	}
	if c.gc.InboundBuffered() > 0 {
		// A pipelined request arrived while this one was held.
		_ = c.gc.Wake(nil)
	}
}

// closeAfterFlush closes c once its queued output has been written.
func (c *conn) closeAfterFlush() {
	if c.closed {
		return
	}
	c.busy = true // accept nothing more
	c.closeAfter = true
	c.l.markDirty(c)
}

// appendHead builds a response head with the given headers (each a full
// "Name: value" line without CRLF) and Content-Length.
func appendHead(dst []byte, status int, contentType string, length int, keepAlive bool, extra ...[]byte) []byte {
	dst = statusLine(dst, status)
	dst = append(dst, "\r\n"...)
	if contentType != "" {
		dst = append(dst, "Content-Type: "...)
		dst = append(dst, contentType...)
		dst = append(dst, "\r\n"...)
	}
	dst = append(dst, "Content-Length: "...)
	dst = strconv.AppendInt(dst, int64(length), 10)
	dst = append(dst, "\r\n"...)
	if !keepAlive {
		dst = append(dst, "Connection: close\r\n"...)
	}
	for _, h := range extra {
		if len(h) > 0 {
			dst = append(dst, h...)
		}
	}
	return append(dst, "\r\n"...)
}

// respondJSONError answers with the reference server's error body
// {"code":N,"message":"…"}; code < 0 leaves the code out.
func (c *conn) respondJSONError(status, code int, message string, extra []byte) {
	body := make([]byte, 0, 48+len(message))
	body = append(body, '{')
	if code >= 0 {
		body = append(body, `"code":`...)
		body = strconv.AppendInt(body, int64(code), 10)
		body = append(body, ',')
	}
	body = append(body, `"message":`...)
	body = appendJSONString(body, message)
	body = append(body, '}')
	head := appendHead(nil, status, "application/json", len(body), c.keepAlive, extra)
	c.respond(head, body)
}

// plainError answers a request that could not be parsed, then closes.
func (c *conn) plainError(status int, text string) {
	c.keepAlive = false
	head := appendHead(nil, status, "text/plain; charset=utf-8", len(text), false)
	c.respond(head, []byte(text))
}

func appendJSONString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	for i := 0; i < len(s); i++ {
		ch := s[i]
		switch {
		case ch == '"' || ch == '\\':
			dst = append(dst, '\\', ch)
		case ch < 0x20:
			dst = append(dst, `\u00`...)
			dst = append(dst, "0123456789abcdef"[ch>>4], "0123456789abcdef"[ch&15])
		default:
			dst = append(dst, ch)
		}
	}
	return append(dst, '"')
}
