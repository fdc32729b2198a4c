package engine

import (
	"encoding/json"
	"net"
	"net/http"
	"net/url"
	"time"
)

// Handshake describes the request that opened a socket's connection, and
// the auth payload of its CONNECT packet.
type Handshake struct {
	Headers http.Header
	Query   url.Values
	// Auth is the CONNECT payload as JSON, or nil when the client sent none.
	Auth    json.RawMessage
	Address string
	Time    time.Time
	URL     string
	Secure  bool
	XDomain bool
}

// AuthValue unmarshals the auth payload into v.
func (h *Handshake) AuthValue(v any) error {
	if len(h.Auth) == 0 {
		return json.Unmarshal([]byte("{}"), v)
	}
	return json.Unmarshal(h.Auth, v)
}

func (s *Socket) buildHandshake() *Handshake {
	req := s.sess.Request()
	h := &Handshake{
		Headers: req.Headers(),
		Query:   req.Query(),
		Auth:    json.RawMessage(s.auth),
		Time:    req.Time(),
		URL:     req.URL(),
	}
	if a, ok := req.RemoteAddr().(*net.TCPAddr); ok {
		h.Address = a.IP.String()
	} else if req.RemoteAddr() != nil {
		h.Address = req.RemoteAddr().String()
	}
	h.XDomain = h.Headers.Get("Origin") != ""
	return h
}
