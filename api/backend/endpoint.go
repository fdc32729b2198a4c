package backend

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"sync/atomic"
	"time"

	"github.com/valyala/fasthttp"
)

const (
	defaultTimeout     = 5 * time.Second
	defaultMaxInFlight = 1024
	// defaultIdleConn stays below Node.js's 5 s keep-alive timeout: fasthttp
	// cannot see that the server closed an idle connection, and a POST
	// written to such a connection fails without being retried.
	defaultIdleConn = 4 * time.Second
)

// CallStats counts the requests of a Forwarder or ConnectHook since it was
// made. Sent = OK + Failed + InFlight; Rejected and Busy requests were
// never sent.
type CallStats struct {
	// Sent requests reached the HTTP client.
	Sent int64
	// OK requests got a usable answer (for a ConnectHook, a refusal too).
	OK int64
	// Failed requests got a non-2xx status, an invalid answer, a timeout
	// or a connection failure.
	Failed int64
	// Timeouts is the part of Failed that timed out.
	Timeouts int64
	// Rejected requests were failed fast by the open breaker.
	Rejected int64
	// Busy requests gave up waiting for an in-flight slot.
	Busy int64
	// InFlight is the number of requests holding a slot right now.
	InFlight int
	// Breaker is the breaker's state; BreakerOpens counts its openings.
	Breaker      BreakerState
	BreakerOpens int64
}

// header is one configured request header.
type header struct{ name, value string }

// endpoint is one backend URL with its client, bounds, breaker and
// counters; Forwarder and ConnectHook are thin layers over it.
type endpoint struct {
	client  *fasthttp.Client
	url     string
	headers []header
	timeout time.Duration
	maxBody int
	sem     chan struct{}
	br      *breaker

	sent, ok, failed, timeouts, rejected, busy atomic.Int64
}

type endpointConfig struct {
	url         string
	timeout     time.Duration
	maxInFlight int
	maxBody     int
	headers     map[string]string
	breaker     BreakerConfig
	idleConn    time.Duration
	client      *fasthttp.Client
}

func newEndpoint(what string, c endpointConfig) (*endpoint, error) {
	if err := checkURL(c.url); err != nil {
		return nil, fmt.Errorf("backend: %s: %w", what, err)
	}
	hs, err := checkHeaders(c.headers)
	if err != nil {
		return nil, fmt.Errorf("backend: %s: %w", what, err)
	}
	if c.timeout <= 0 {
		c.timeout = defaultTimeout
	}
	if c.maxInFlight <= 0 {
		c.maxInFlight = defaultMaxInFlight
	}
	client := c.client
	if client == nil {
		client = newClient(c.maxInFlight, c.maxBody, c.timeout, c.idleConn)
	}
	return &endpoint{
		client:  client,
		url:     c.url,
		headers: hs,
		timeout: c.timeout,
		maxBody: c.maxBody,
		sem:     make(chan struct{}, c.maxInFlight),
		br:      newBreaker(c.breaker, nil),
	}, nil
}

// newClient returns a client whose pool can hold every request the
// in-flight bound admits, so that requests never queue inside fasthttp.
func newClient(conns, maxBody int, timeout, idle time.Duration) *fasthttp.Client {
	if idle <= 0 {
		idle = defaultIdleConn
	}
	return &fasthttp.Client{
		Name:                      "herald",
		MaxConnsPerHost:           conns,
		MaxConnWaitTimeout:        timeout,
		MaxIdleConnDuration:       idle,
		MaxResponseBodySize:       maxBody,
		ReadBufferSize:            8 << 10, // response headers bound
		MaxIdemponentCallAttempts: 1,       // retries are ours to decide
		DialDualStack:             true,
		DisablePathNormalizing:    true,
	}
}

func checkURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil {
		return fmt.Errorf("bad URL: %w", err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return fmt.Errorf("URL %q: scheme must be http or https", raw)
	}
	if u.Host == "" {
		return fmt.Errorf("URL %q: no host", raw)
	}
	return nil
}

// checkHeaders refuses names and values that could split the request.
func checkHeaders(m map[string]string) ([]header, error) {
	hs := make([]header, 0, len(m))
	for k, v := range m {
		if k == "" || strings.ContainsFunc(k, func(r rune) bool {
			return r <= ' ' || r >= 0x7f || strings.ContainsRune(`"(),/:;<=>?@[\]{}`, r)
		}) {
			return nil, fmt.Errorf("bad header name %q", k)
		}
		if strings.ContainsAny(v, "\r\n\x00") {
			return nil, fmt.Errorf("header %s: value holds CR, LF or NUL", k)
		}
		hs = append(hs, header{k, v})
	}
	return hs, nil
}

// acquire admits a request: the breaker is asked first so that a dead
// backend fails callers fast instead of queueing them for a slot. On
// success the caller (post) owns a slot and a ticket, and must pass them
// to do and then call finish.
func (e *endpoint) acquire(ctx context.Context) (ticket, *Error) {
	if !e.br.ready() {
		e.rejected.Add(1)
		return ticket{}, newError(CodeUnavailable, 0, "backend unavailable", errBreakerOpen)
	}
	if err := ctx.Err(); err != nil {
		e.busy.Add(1)
		return ticket{}, newError(CodeBusy, 0, "backend busy", err)
	}
	select {
	case e.sem <- struct{}{}:
	default:
		select {
		case e.sem <- struct{}{}:
		case <-ctx.Done():
			e.busy.Add(1)
			return ticket{}, newError(CodeBusy, 0, "backend busy", context.Cause(ctx))
		}
	}
	t, ok := e.br.allow()
	if !ok {
		<-e.sem
		e.rejected.Add(1)
		return ticket{}, newError(CodeUnavailable, 0, "backend unavailable", errBreakerOpen)
	}
	return t, nil
}

var errBreakerOpen = errors.New("circuit breaker open")

// newPostRequest returns a pooled POST request to url with headers and a
// JSON content type.
func newPostRequest(url string, headers []header) *fasthttp.Request {
	req := fasthttp.AcquireRequest()
	req.SetRequestURI(url)
	req.Header.SetMethod(fasthttp.MethodPost)
	for _, h := range headers {
		req.Header.Set(h.name, h.value)
	}
	req.Header.SetContentType("application/json")
	return req
}

// post makes one call: it admits it (acquire), lets build write the body
// into the request's reused buffer and set any more headers, sends it
// (do), hands the answer to read, and counts the outcome (finish). It
// returns the first error.
func (e *endpoint) post(ctx context.Context, build func(req *fasthttp.Request, body []byte) []byte, read func(resp *fasthttp.Response) *Error) *Error {
	t, err := e.acquire(ctx)
	if err != nil {
		return err
	}
	req := newPostRequest(e.url, e.headers)
	resp := fasthttp.AcquireResponse()
	body := req.SwapBody(nil)
	req.SwapBody(build(req, body[:0]))
	err = e.do(ctx, t, req, resp)
	if err == nil {
		err = read(resp)
	}
	fasthttp.ReleaseRequest(req)
	fasthttp.ReleaseResponse(resp)
	e.finish(err)
	return err
}

// do sends req, which acquire admitted, and reads the answer into resp.
// It returns nil when an answer arrived, whatever its status; the breaker
// learns the outcome here. The caller then calls finish.
func (e *endpoint) do(ctx context.Context, t ticket, req *fasthttp.Request, resp *fasthttp.Response) *Error {
	e.sent.Add(1)
	deadline := time.Now().Add(e.timeout)
	cut := false // the caller's deadline, not ours, bounds the request
	if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
		deadline, cut = d, true
	}
	err := e.client.DoDeadline(req, resp, deadline)
	if err == nil && e.maxBody > 0 && len(resp.Body()) > e.maxBody {
		err = fasthttp.ErrBodyTooLarge // only a caller-supplied client lets it through
	}
	if err == nil || errors.Is(err, fasthttp.ErrBodyTooLarge) {
		// An answer arrived, headers at least: the backend is up unless it
		// says otherwise.
		status := resp.StatusCode()
		if status >= 500 {
			e.br.failure(t)
		} else {
			e.br.success(t)
		}
		switch {
		case err == nil:
			return nil
		case status < 200 || status > 299:
			return statusError(status, nil)
		}
		return newError(CodeInvalid, status, "backend answer invalid", err)
	}
	var ne interface{ Timeout() bool }
	switch {
	case errors.Is(err, fasthttp.ErrTimeout), errors.Is(err, fasthttp.ErrDialTimeout),
		errors.As(err, &ne) && ne.Timeout():
		if cut {
			e.br.cancel(t)
		} else {
			e.br.failure(t)
		}
		e.timeouts.Add(1)
		return newError(CodeTimeout, 0, "backend timed out", err)
	case errors.Is(err, fasthttp.ErrNoFreeConns):
		e.br.cancel(t)
		return newError(CodeBusy, 0, "backend busy", err)
	default:
		e.br.failure(t)
		return newError(CodeUnavailable, 0, "backend unavailable", err)
	}
}

// finish frees the slot and counts the outcome.
func (e *endpoint) finish(err *Error) {
	<-e.sem
	if err == nil {
		e.ok.Add(1)
	} else {
		e.failed.Add(1)
	}
}

func (e *endpoint) stats() CallStats {
	return CallStats{
		Sent:         e.sent.Load(),
		OK:           e.ok.Load(),
		Failed:       e.failed.Load(),
		Timeouts:     e.timeouts.Load(),
		Rejected:     e.rejected.Load(),
		Busy:         e.busy.Load(),
		InFlight:     len(e.sem),
		Breaker:      e.br.State(),
		BreakerOpens: e.br.opens.Load(),
	}
}

// validBody reports whether a 2xx body is usable: empty, or JSON.
func validBody(b []byte) bool { return len(b) == 0 || json.Valid(b) }
