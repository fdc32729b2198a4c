package backend

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/textproto"
	"slices"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/heraldrt/herald/protocol/socketio"
)

const defaultConnectMaxBody = 64 << 10

// defaultForwardHeaders are the handshake headers a connect hook sees: what
// a backend needs to identify a browser, and nothing about Herald's own
// transport.
var defaultForwardHeaders = []string{"Origin", "User-Agent", "Cookie", "Authorization", "X-Forwarded-For"}

// ConnectHookConfig configures a ConnectHook. Zero fields take the
// defaults.
type ConnectHookConfig struct {
	// URL is where handshakes are POSTed; http or https.
	URL string
	// Timeout bounds each request; default 5 s.
	Timeout time.Duration
	// MaxInFlight bounds the requests in flight at once; default 1024.
	MaxInFlight int
	// MaxBody bounds the backend's answer; default 64 KiB.
	MaxBody int
	// Headers are added to every request.
	Headers map[string]string
	// ForwardHeaders names handshake headers to pass on beyond Origin,
	// User-Agent, Cookie, Authorization and X-Forwarded-For.
	ForwardHeaders []string
	// Breaker tunes the circuit breaker.
	Breaker BreakerConfig
	// IdleConnTimeout closes keep-alive connections idle that long; default
	// 4 s.
	IdleConnTimeout time.Duration
	// Client replaces the HTTP client, for tests.
	Client *fasthttp.Client
}

// ConnectHook asks the backend who a connecting client is: an alternative
// to JWTs for applications whose sessions live in the backend. It is safe
// for concurrent use.
type ConnectHook struct {
	ep    *endpoint
	allow map[string]bool // canonical header names passed on
}

// ConnectRequest is the handshake of a connecting client.
type ConnectRequest struct {
	Namespace string
	// Auth is the CONNECT packet's payload as JSON, nil when none.
	Auth  json.RawMessage
	Query map[string][]string
	// Headers are the handshake's headers; only the allowed ones are sent.
	Headers map[string][]string
	// Address is the client's remote address.
	Address string
}

// Grant is the backend's "yes": who the user is and what the socket may
// do. Herald carries the lists as given; their meaning is the
// integrator's.
type Grant struct {
	// UserID is never empty.
	UserID string
	// Rooms are rooms the socket joins right away.
	Rooms []string
	// Join are rooms the client may ask to join.
	Join []string
	// Publish are rooms the client may publish to.
	Publish []string
	// Data is attached to the socket; numbers are json.Number.
	Data map[string]any
}

// NewConnectHook checks cfg and returns a ConnectHook. It makes no
// connection.
func NewConnectHook(cfg ConnectHookConfig) (*ConnectHook, error) {
	if cfg.MaxBody <= 0 {
		cfg.MaxBody = defaultConnectMaxBody
	}
	allow := make(map[string]bool, len(defaultForwardHeaders)+len(cfg.ForwardHeaders))
	for _, n := range slices.Concat(defaultForwardHeaders, cfg.ForwardHeaders) {
		if n == "" {
			return nil, errors.New("backend: connect hook: empty ForwardHeaders name")
		}
		allow[textproto.CanonicalMIMEHeaderKey(n)] = true
	}
	ep, err := newEndpoint("connect hook", endpointConfig{
		url:         cfg.URL,
		timeout:     cfg.Timeout,
		maxInFlight: cfg.MaxInFlight,
		maxBody:     cfg.MaxBody,
		headers:     cfg.Headers,
		breaker:     cfg.Breaker,
		idleConn:    cfg.IdleConnTimeout,
		client:      cfg.Client,
	})
	if err != nil {
		return nil, err
	}
	return &ConnectHook{ep: ep, allow: allow}, nil
}

// Authorize POSTs the handshake and returns the backend's Grant. A 401 or
// 403 answer is a *Refusal, to show the client; anything else that is not
// a valid grant is an *Error. ctx works as for Forwarder.Forward.
func (h *ConnectHook) Authorize(ctx context.Context, cr ConnectRequest) (Grant, error) {
	var (
		g   Grant
		ref *Refusal
	)
	e := h.ep.post(ctx, func(_ *fasthttp.Request, body []byte) []byte {
		return h.appendRequest(body, &cr)
	}, func(resp *fasthttp.Response) (e *Error) {
		g, ref, e = readGrant(resp)
		return e
	})
	switch {
	case e != nil:
		return Grant{}, e
	case ref != nil:
		return Grant{}, ref
	}
	return g, nil
}

// Stats returns the ConnectHook's counters; refusals count as OK.
func (h *ConnectHook) Stats() CallStats { return h.ep.stats() }

// CloseIdleConnections closes the keep-alive connections not in use, for
// shutdown; the ConnectHook stays usable.
func (h *ConnectHook) CloseIdleConnections() { h.ep.client.CloseIdleConnections() }

// appendRequest appends the body of a connect hook request.
func (h *ConnectHook) appendRequest(dst []byte, cr *ConnectRequest) []byte {
	dst = append(dst, '{')
	dst = appendKey(dst, "namespace", true)
	dst = socketio.AppendJSONString(dst, cr.Namespace)
	dst = appendKey(dst, "auth", false)
	if len(cr.Auth) > 0 && json.Valid(cr.Auth) {
		dst = append(dst, cr.Auth...)
	} else {
		dst = append(dst, "null"...)
	}
	dst = appendKey(dst, "query", false)
	dst = appendStringsMap(dst, cr.Query)
	dst = appendKey(dst, "headers", false)
	hs := make(map[string][]string, len(h.allow))
	for k, v := range cr.Headers {
		if k = textproto.CanonicalMIMEHeaderKey(k); h.allow[k] {
			hs[k] = append(hs[k], v...)
		}
	}
	dst = appendStringsMap(dst, hs)
	dst = appendKey(dst, "address", false)
	dst = socketio.AppendJSONString(dst, cr.Address)
	return append(dst, '}')
}

// readGrant interprets the connect hook's answer.
func readGrant(resp *fasthttp.Response) (Grant, *Refusal, *Error) {
	status := resp.StatusCode()
	body := resp.Body()
	switch {
	case status == 401 || status == 403:
		msg, data, _ := decodeMessage(body)
		if msg == "" {
			msg = statusText(status)
		}
		return Grant{}, &Refusal{Status: status, Message: msg, Data: data}, nil
	case status < 200 || status > 299:
		return Grant{}, nil, statusError(status, body)
	}
	g, err := decodeGrant(body)
	if err != nil {
		return Grant{}, nil, newError(CodeInvalid, status, "backend answer invalid", err)
	}
	return g, nil, nil
}

// maxUserID bounds the user id a backend may hand out; ids end up in logs,
// webhooks and room names.
const maxUserID = 1024

// decodeGrant decodes a 2xx connect hook answer:
//
//	{"user_id":"u1","rooms":[…],"join":[…],"publish":[…],"data":{…}}
//
// user_id is a non-empty string or an integer; the lists hold non-empty
// strings; data is an object; unknown members are ignored.
func decodeGrant(body []byte) (Grant, error) {
	body = bytes.TrimLeft(body, " \t\r\n")
	if len(body) == 0 || body[0] != '{' || !json.Valid(body) {
		return Grant{}, errors.New("answer is not a JSON object")
	}
	var w struct {
		UserID  json.RawMessage `json:"user_id"`
		Rooms   []string        `json:"rooms"`
		Join    []string        `json:"join"`
		Publish []string        `json:"publish"`
		Data    map[string]any  `json:"data"`
	}
	d := json.NewDecoder(bytes.NewReader(body))
	d.UseNumber()
	if err := d.Decode(&w); err != nil {
		return Grant{}, fmt.Errorf("answer does not fit a grant: %w", err)
	}
	uid, err := decodeUserID(w.UserID)
	if err != nil {
		return Grant{}, err
	}
	for _, l := range [...]struct {
		name  string
		rooms []string
	}{{"rooms", w.Rooms}, {"join", w.Join}, {"publish", w.Publish}} {
		if slices.Contains(l.rooms, "") {
			return Grant{}, fmt.Errorf("answer's %s holds an empty room name", l.name)
		}
	}
	return Grant{UserID: uid, Rooms: w.Rooms, Join: w.Join, Publish: w.Publish, Data: w.Data}, nil
}

func decodeUserID(raw json.RawMessage) (string, error) {
	var uid string
	switch {
	case len(raw) == 0 || string(raw) == "null":
		return "", errors.New("answer has no user_id")
	case raw[0] == '"':
		if err := json.Unmarshal(raw, &uid); err != nil {
			return "", fmt.Errorf("answer's user_id: %w", err)
		}
	case isInteger(raw):
		uid = string(raw)
	default:
		return "", errors.New("answer's user_id is neither a string nor an integer")
	}
	if uid == "" {
		return "", errors.New("answer's user_id is empty")
	}
	if len(uid) > maxUserID {
		return "", errors.New("answer's user_id is too long")
	}
	return uid, nil
}

// isInteger reports whether a JSON number is written as an integer.
func isInteger(b []byte) bool {
	if len(b) > 0 && b[0] == '-' {
		b = b[1:]
	}
	if len(b) == 0 {
		return false
	}
	for _, c := range b {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}
