package backend

import (
	"context"
	"encoding/json"
	"time"

	"github.com/valyala/fasthttp"
)

const defaultMaxBody = 1 << 20

// ForwarderConfig configures a Forwarder. Zero fields take the defaults.
type ForwarderConfig struct {
	// URL is where events are POSTed; http or https.
	URL string
	// Timeout bounds each request, connecting included; default 5 s.
	Timeout time.Duration
	// MaxInFlight bounds the requests in flight at once; default 1024.
	// Callers beyond it wait for a slot until their context ends, so that a
	// slow backend pushes back on clients instead of piling up requests.
	MaxInFlight int
	// MaxBody bounds the backend's answer; default 1 MiB.
	MaxBody int
	// Headers are added to every request, e.g. the backend's Authorization.
	Headers map[string]string
	// Breaker tunes the circuit breaker.
	Breaker BreakerConfig
	// IdleConnTimeout closes keep-alive connections idle that long; keep it
	// below the backend's own keep-alive timeout. Default 4 s.
	IdleConnTimeout time.Duration
	// Client replaces the HTTP client, for tests; its limits are then the
	// caller's business.
	Client *fasthttp.Client
}

// Forwarder carries client events to the backend and brings back its
// answers. It is safe for concurrent use.
type Forwarder struct {
	ep *endpoint
}

// Event is a client event to forward.
type Event struct {
	SocketID  string
	UserID    string // empty for an anonymous socket
	Namespace string
	Name      string
	// Args are the event's arguments as a JSON array (nil means []), with
	// binary attachments left as {"_placeholder":true,"num":i}.
	Args json.RawMessage
	// Attachments are the binary attachments, in placeholder order.
	Attachments [][]byte
	// WantsAck tells the backend whether the client waits for its answer.
	WantsAck bool
}

// Reply is the backend's answer to an event.
type Reply struct {
	// Status is the backend's 2xx status.
	Status int
	// Body is the answer's JSON, or nil when it had no body (204).
	Body json.RawMessage
}

// NewForwarder checks cfg and returns a Forwarder. It makes no connection.
func NewForwarder(cfg ForwarderConfig) (*Forwarder, error) {
	if cfg.MaxBody <= 0 {
		cfg.MaxBody = defaultMaxBody
	}
	ep, err := newEndpoint("forwarder", endpointConfig{
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
	return &Forwarder{ep: ep}, nil
}

// Forward POSTs ev to the backend and returns its 2xx answer. Every other
// outcome is an *Error, except ErrInvalidEvent for malformed Args.
//
// ctx bounds the wait for an in-flight slot, and its deadline, when
// earlier than the Timeout, bounds the request. Cancelling ctx without a
// deadline does not interrupt a request already sent; Timeout does.
func (f *Forwarder) Forward(ctx context.Context, ev Event) (Reply, error) {
	if !validArgs(ev.Args) {
		return Reply{}, ErrInvalidEvent
	}
	var reply Reply
	e := f.ep.post(ctx, func(req *fasthttp.Request, body []byte) []byte {
		setEventHeader(req, ev.Name)
		return appendEvent(body, &ev)
	}, func(resp *fasthttp.Response) (e *Error) {
		reply, e = readReply(resp)
		return e
	})
	if e != nil {
		return Reply{}, e
	}
	return reply, nil
}

// setEventHeader sets X-Herald-Event, percent-encoding names that are not
// plain tokens; the body's "event" stays the authoritative name.
func setEventHeader(req *fasthttp.Request, name string) {
	if !headerNeedsEscape(name) {
		req.Header.Set("X-Herald-Event", name)
		return
	}
	var buf [256]byte
	req.Header.SetBytesV("X-Herald-Event", appendHeaderValue(buf[:0], name))
}

// readReply turns an answer into a Reply or an *Error.
func readReply(resp *fasthttp.Response) (Reply, *Error) {
	status := resp.StatusCode()
	body := resp.Body()
	if status < 200 || status > 299 {
		return Reply{}, statusError(status, body)
	}
	if !validBody(body) {
		return Reply{}, newError(CodeInvalid, status, "backend answer invalid", errNotJSON)
	}
	r := Reply{Status: status}
	if len(body) > 0 {
		r.Body = append(json.RawMessage(nil), body...)
	}
	return r, nil
}

// Stats returns the Forwarder's counters.
func (f *Forwarder) Stats() CallStats { return f.ep.stats() }

// CloseIdleConnections closes the keep-alive connections not in use, for
// shutdown; the Forwarder stays usable.
func (f *Forwarder) CloseIdleConnections() { f.ep.client.CloseIdleConnections() }
