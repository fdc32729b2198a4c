package backend

import (
	"container/heap"
	"container/list"
	"context"
	"crypto/hmac"
	crand "crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/valyala/fasthttp"
)

// Hook types Herald sends.
const (
	HookConnect    = "connect"
	HookDisconnect = "disconnect"
)

// WebhookConfig configures Webhooks. Zero fields take the defaults.
type WebhookConfig struct {
	// URL is where hooks are POSTed; http or https.
	URL string
	// Timeout bounds each delivery attempt; default 5 s.
	Timeout time.Duration
	// MaxAttempts bounds the attempts per hook; default 8.
	MaxAttempts int
	// Backoff is the wait after the first failed attempt; default 200 ms.
	// It doubles per attempt up to MaxBackoff, with jitter, and a longer
	// Retry-After from the receiver is honoured up to MaxBackoff.
	Backoff time.Duration
	// MaxBackoff caps the wait between attempts; default 30 s.
	MaxBackoff time.Duration
	// QueueSize bounds the hooks waiting for an attempt, new or retried;
	// default 10,000. When it is full the oldest waiting hook is dropped,
	// so that a dead receiver costs old hooks, not memory or new ones.
	QueueSize int
	// Workers is the number of concurrent deliveries; default 4.
	Workers int
	// Headers are added to every request.
	Headers map[string]string
	// Secret, when set, signs every delivery: X-Herald-Signature:
	// t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">.
	Secret []byte
	// IdleConnTimeout closes keep-alive connections idle that long; default
	// 4 s.
	IdleConnTimeout time.Duration
	// Logger receives hooks given up or dropped; default slog.Default().
	Logger *slog.Logger
	// Client replaces the HTTP client, for tests.
	Client *fasthttp.Client
}

// Hook is a lifecycle event for the backend.
type Hook struct {
	// Type is HookConnect or HookDisconnect.
	Type string
	// ID identifies the hook across retries so that receivers can drop
	// duplicates; Send sets a random one when empty.
	ID        string
	SocketID  string
	UserID    string
	Namespace string
	// Reason is why a socket disconnected.
	Reason string
	// Time is when it happened; Send sets now when zero.
	Time time.Time
	// Data is sent as the "data" object; Send encodes it at once, so the
	// caller may reuse it afterwards.
	Data map[string]any
}

// WebhookStats counts the hooks of a Webhooks since it was made.
type WebhookStats struct {
	// Queued hooks wait for an attempt, new or retried; InFlight are being
	// attempted.
	Queued   int
	InFlight int
	// Accepted hooks were taken by Send.
	Accepted int64
	// Delivered hooks got a 2xx answer.
	Delivered int64
	// Attempts counts every request, retries included.
	Attempts int64
	// Failed hooks were given up after MaxAttempts, or could not be
	// encoded.
	Failed int64
	// Dropped hooks were pushed out of a full queue.
	Dropped int64
	// Discarded hooks came after Close, or were abandoned when Close's
	// context ended.
	Discarded int64
}

// Webhooks delivers lifecycle hooks at least once, in the background, so
// that a slow or dead receiver never holds up a connection. Every request
// carries X-Herald-Delivery: <ID>, the same on every retry.
type Webhooks struct {
	client      *fasthttp.Client
	url         string
	headers     []header
	timeout     time.Duration
	maxAttempts int
	backoff     time.Duration
	maxBackoff  time.Duration
	queueSize   int
	secret      []byte
	log         *slog.Logger

	wake      chan struct{} // a hook became due; one token per idle worker
	closing   chan struct{} // closed by Close
	abort     chan struct{} // closed when Close's context ended
	done      chan struct{} // closed when every worker has exited
	closeOnce sync.Once
	abortOnce sync.Once

	mu       sync.Mutex
	due      dueHeap   // waiting deliveries, earliest first
	order    list.List // pending deliveries, oldest first, in flight included
	seq      uint64
	inflight int
	closed   bool
	aborted  bool
	dropLog  time.Time // last overflow log line
	dropSeen int64     // drops since that line

	accepted, delivered, attempts, failed, dropped, discarded atomic.Int64
}

// delivery is one hook on its way.
type delivery struct {
	id, typ  string
	body     []byte
	seq      uint64
	due      time.Time
	attempt  int // attempts made
	idx      int // index in the due heap, -1 when not in it
	elem     *list.Element
	inflight bool
}

// NewWebhooks checks cfg and starts the workers; Close stops them.
func NewWebhooks(cfg WebhookConfig) (*Webhooks, error) {
	if err := checkURL(cfg.URL); err != nil {
		return nil, fmt.Errorf("backend: webhooks: %w", err)
	}
	hs, err := checkHeaders(cfg.Headers)
	if err != nil {
		return nil, fmt.Errorf("backend: webhooks: %w", err)
	}
	w := &Webhooks{
		url:         cfg.URL,
		headers:     hs,
		timeout:     orDuration(cfg.Timeout, defaultTimeout),
		maxAttempts: orInt(cfg.MaxAttempts, 8),
		backoff:     orDuration(cfg.Backoff, 200*time.Millisecond),
		maxBackoff:  orDuration(cfg.MaxBackoff, 30*time.Second),
		queueSize:   orInt(cfg.QueueSize, 10_000),
		secret:      append([]byte(nil), cfg.Secret...),
		log:         cfg.Logger,
		client:      cfg.Client,
		closing:     make(chan struct{}),
		abort:       make(chan struct{}),
		done:        make(chan struct{}),
	}
	workers := orInt(cfg.Workers, 4)
	if w.log == nil {
		w.log = slog.Default()
	}
	if w.client == nil {
		w.client = newClient(workers, 64<<10, w.timeout, cfg.IdleConnTimeout)
	}
	w.wake = make(chan struct{}, workers)
	var wg sync.WaitGroup
	for range workers {
		wg.Go(w.worker)
	}
	go func() {
		wg.Wait()
		w.client.CloseIdleConnections()
		close(w.done)
	}()
	return w, nil
}

func orDuration(v, def time.Duration) time.Duration {
	if v <= 0 {
		return def
	}
	return v
}

func orInt(v, def int) int {
	if v <= 0 {
		return def
	}
	return v
}

// Send queues h for delivery and returns at once.
func (w *Webhooks) Send(h Hook) {
	if h.ID == "" {
		h.ID = crand.Text()
	}
	if h.Time.IsZero() {
		h.Time = time.Now()
	}
	var data []byte
	if h.Data != nil {
		var err error
		if data, err = json.Marshal(h.Data); err != nil {
			w.failed.Add(1)
			w.log.Error("backend: webhook not encodable", "id", h.ID, "type", h.Type, "err", err)
			return
		}
	}
	d := &delivery{id: h.ID, typ: h.Type, body: appendHook(nil, &h, data), idx: -1}

	w.mu.Lock()
	if w.closed {
		w.mu.Unlock()
		w.discarded.Add(1)
		return
	}
	if len(w.due) >= w.queueSize {
		w.dropOldest()
	}
	w.seq++
	d.seq = w.seq
	d.due = time.Now()
	d.elem = w.order.PushBack(d)
	heap.Push(&w.due, d)
	w.mu.Unlock()
	w.accepted.Add(1)
	w.signal()
}

// signal wakes one idle worker, if any is waiting for a token.
func (w *Webhooks) signal() {
	select {
	case w.wake <- struct{}{}:
	default:
	}
}

// dropOldest removes the oldest waiting delivery; deliveries in flight,
// at most one per worker, are skipped. w.mu must be held.
func (w *Webhooks) dropOldest() {
	for e := w.order.Front(); e != nil; e = e.Next() {
		d := e.Value.(*delivery)
		if d.inflight {
			continue
		}
		heap.Remove(&w.due, d.idx)
		w.order.Remove(e)
		w.dropped.Add(1)
		w.dropSeen++
		if now := time.Now(); now.Sub(w.dropLog) >= 10*time.Second {
			w.log.Warn("backend: webhook queue full, dropping oldest hooks",
				"dropped", w.dropSeen, "last_id", d.id, "queue", w.queueSize)
			w.dropLog, w.dropSeen = now, 0
		}
		return
	}
}

func (w *Webhooks) worker() {
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	for {
		d := w.next(timer)
		if d == nil {
			return
		}
		retryAfter, err := w.attempt(d)
		w.settle(d, retryAfter, err)
	}
}

// next takes the earliest due delivery, waiting for it as needed. It
// returns nil when the worker should exit: closed with nothing waiting, or
// aborted.
func (w *Webhooks) next(timer *time.Timer) *delivery {
	w.mu.Lock()
	for {
		if w.aborted {
			w.mu.Unlock()
			return nil
		}
		wait := time.Duration(-1)
		if len(w.due) > 0 {
			if wait = time.Until(w.due[0].due); wait <= 0 {
				d := heap.Pop(&w.due).(*delivery)
				d.inflight = true
				w.inflight++
				more := len(w.due) > 0
				w.mu.Unlock()
				if more {
					w.signal() // let an idle worker look at the rest
				}
				return d
			}
		} else if w.closed {
			w.mu.Unlock()
			return nil
		}
		closing := w.closing
		if w.closed {
			closing = nil // seen; waiting on it again would spin
		}
		w.mu.Unlock()

		var tc <-chan time.Time
		if wait >= 0 {
			timer.Reset(wait)
			tc = timer.C
		}
		select {
		case <-w.wake:
		case <-tc:
		case <-closing:
		case <-w.abort:
		}
		timer.Stop()
		w.mu.Lock()
	}
}

// attempt makes one delivery attempt; err is nil on a 2xx answer.
func (w *Webhooks) attempt(d *delivery) (retryAfter time.Duration, err error) {
	d.attempt++
	w.attempts.Add(1)
	req := newPostRequest(w.url, w.headers)
	resp := fasthttp.AcquireResponse()
	defer func() {
		fasthttp.ReleaseRequest(req)
		fasthttp.ReleaseResponse(resp)
	}()
	req.Header.Set("X-Herald-Delivery", d.id)
	req.Header.Set("X-Herald-Hook", d.typ)
	req.Header.Set("X-Herald-Attempt", strconv.Itoa(d.attempt))
	if len(w.secret) > 0 {
		req.Header.Set("X-Herald-Signature", Sign(w.secret, time.Now(), d.body))
	}
	req.SetBodyRaw(d.body)
	err = w.client.DoTimeout(req, resp, w.timeout)
	status := resp.StatusCode()
	switch {
	case err == nil && status >= 200 && status <= 299:
		return 0, nil
	case errors.Is(err, fasthttp.ErrBodyTooLarge) && status >= 200 && status <= 299:
		return 0, nil // delivered; the receiver merely talks too much
	case err != nil:
		return 0, err
	}
	if s, err := strconv.Atoi(string(resp.Header.Peek("Retry-After"))); err == nil && s > 0 {
		retryAfter = time.Duration(min(s, 86400)) * time.Second
	}
	return retryAfter, fmt.Errorf("status %d", status)
}

// settle records the outcome of an attempt and schedules the retry.
func (w *Webhooks) settle(d *delivery, retryAfter time.Duration, err error) {
	w.mu.Lock()
	d.inflight = false
	w.inflight--
	if err != nil && d.attempt < w.maxAttempts && !w.aborted {
		d.due = time.Now().Add(w.delay(d.attempt, retryAfter))
		heap.Push(&w.due, d)
		w.mu.Unlock()
		return
	}
	w.order.Remove(d.elem)
	aborted := w.aborted
	w.mu.Unlock()
	switch {
	case err == nil:
		w.delivered.Add(1)
	case aborted:
		w.discarded.Add(1)
	default:
		w.failed.Add(1)
		w.log.Warn("backend: webhook given up", "id", d.id, "type", d.typ, "attempts", d.attempt, "err", err)
	}
}

// delay is the wait after failed attempt n (1-based): Backoff·2^(n-1)
// capped at MaxBackoff, drawn from its upper half so that hooks failed
// together do not come back together; a longer Retry-After wins, capped.
func (w *Webhooks) delay(n int, retryAfter time.Duration) time.Duration {
	d := w.backoff
	for i := 1; i < n && d < w.maxBackoff; i++ {
		d *= 2
	}
	d = min(d, w.maxBackoff)
	d = d/2 + rand.N(d/2+1)
	if retryAfter > d {
		d = min(retryAfter, w.maxBackoff)
	}
	return d
}

// Close stops accepting hooks and waits until every queued hook has been
// delivered or given up, or until ctx ends; then the hooks still waiting
// are discarded and ctx's error returned. An attempt in flight at that
// moment still completes within Timeout.
func (w *Webhooks) Close(ctx context.Context) error {
	w.closeOnce.Do(func() {
		w.mu.Lock()
		w.closed = true
		w.mu.Unlock()
		close(w.closing)
	})
	select {
	case <-w.done:
		return nil
	case <-ctx.Done():
	}
	w.abortOnce.Do(func() {
		w.mu.Lock()
		w.aborted = true
		n := len(w.due)
		for len(w.due) > 0 {
			d := heap.Pop(&w.due).(*delivery)
			w.order.Remove(d.elem)
		}
		w.mu.Unlock()
		close(w.abort)
		w.discarded.Add(int64(n))
		if n > 0 {
			w.log.Warn("backend: webhooks closed before the queue drained", "discarded", n)
		}
	})
	return ctx.Err()
}

// Stats returns the counters.
func (w *Webhooks) Stats() WebhookStats {
	w.mu.Lock()
	queued, inflight := len(w.due), w.inflight
	w.mu.Unlock()
	return WebhookStats{
		Queued:    queued,
		InFlight:  inflight,
		Accepted:  w.accepted.Load(),
		Delivered: w.delivered.Load(),
		Attempts:  w.attempts.Load(),
		Failed:    w.failed.Load(),
		Dropped:   w.dropped.Load(),
		Discarded: w.discarded.Load(),
	}
}

// Sign returns the X-Herald-Signature value Webhooks sends for body at
// time t; receivers can compare it, or use VerifySignature.
func Sign(secret []byte, t time.Time, body []byte) string {
	ts := strconv.FormatInt(t.Unix(), 10)
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(ts))
	m.Write([]byte{'.'})
	m.Write(body)
	return "t=" + ts + ",v1=" + hex.EncodeToString(m.Sum(nil))
}

// ErrBadSignature is returned by VerifySignature for a missing, malformed,
// wrong or stale signature.
var ErrBadSignature = errors.New("backend: bad webhook signature")

// VerifySignature checks an X-Herald-Signature value against body, for
// receivers written in Go. maxAge > 0 also rejects a timestamp further than
// maxAge from now, so that a captured delivery cannot be replayed later.
func VerifySignature(secret []byte, value string, body []byte, maxAge time.Duration) error {
	var ts string
	var sigs []string
	for part := range strings.SplitSeq(value, ",") {
		k, v, _ := strings.Cut(strings.TrimSpace(part), "=")
		switch k {
		case "t":
			ts = v
		case "v1":
			sigs = append(sigs, v)
		}
	}
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil || len(sigs) == 0 {
		return ErrBadSignature
	}
	t := time.Unix(sec, 0)
	if maxAge > 0 {
		if age := time.Since(t); age > maxAge || age < -maxAge {
			return ErrBadSignature
		}
	}
	want := Sign(secret, t, body)
	want = want[strings.LastIndexByte(want, '=')+1:]
	for _, s := range sigs {
		if hmac.Equal([]byte(s), []byte(want)) {
			return nil
		}
	}
	return ErrBadSignature
}

// dueHeap orders waiting deliveries by due time, then age.
type dueHeap []*delivery

func (h dueHeap) Len() int { return len(h) }
func (h dueHeap) Less(i, j int) bool {
	if !h[i].due.Equal(h[j].due) {
		return h[i].due.Before(h[j].due)
	}
	return h[i].seq < h[j].seq
}
func (h dueHeap) Swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].idx = i
	h[j].idx = j
}
func (h *dueHeap) Push(x any) {
	d := x.(*delivery)
	d.idx = len(*h)
	*h = append(*h, d)
}
func (h *dueHeap) Pop() any {
	old := *h
	d := old[len(old)-1]
	old[len(old)-1] = nil
	*h = old[:len(old)-1]
	d.idx = -1
	return d
}
