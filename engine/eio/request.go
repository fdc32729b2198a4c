package eio

import (
	"net"
	"net/http"
	"net/url"
	"time"

	"github.com/heraldrt/herald/protocol/httphead"
)

// Request is the handshake request of a session. It keeps one copy of the
// request head and parses headers and query on demand, so an idle session
// pays only for the bytes the client sent.
type Request struct {
	head   []byte
	remote net.Addr
	time   time.Time
}

func newRequest(head []byte, remote net.Addr, now time.Time) *Request {
	return &Request{head: append([]byte(nil), head...), remote: remote, time: now}
}

func (r *Request) parsed() *httphead.Request {
	var req httphead.Request
	// The head was parsed once already; it cannot fail now.
	_, _ = req.Parse(r.head, len(r.head)+1)
	return &req
}

// Method is the request method.
func (r *Request) Method() string { return string(r.parsed().Method) }

// URL is the request target as sent, path and query.
func (r *Request) URL() string { return string(r.parsed().Target) }

// Header returns the first value of the named header, or "".
func (r *Request) Header(name string) string { return string(r.parsed().Header(name)) }

// Headers returns every header, keyed by canonical name.
func (r *Request) Headers() http.Header {
	h := make(http.Header)
	for _, f := range r.parsed().Headers {
		h.Add(string(f.Name), string(f.Value))
	}
	return h
}

// Query returns the decoded query parameters.
func (r *Request) Query() url.Values {
	v, _ := url.ParseQuery(string(r.parsed().Query))
	return v
}

// QueryValue returns the first decoded value of one query parameter.
func (r *Request) QueryValue(key string) string {
	raw, ok := httphead.QueryValue(r.parsed().Query, key)
	if !ok {
		return ""
	}
	return string(httphead.Unescape(nil, raw))
}

// RemoteAddr is the peer's address.
func (r *Request) RemoteAddr() net.Addr { return r.remote }

// Time is when the request arrived.
func (r *Request) Time() time.Time { return r.time }
