package backend

import (
	"sync"
	"sync/atomic"
	"time"
)

// BreakerConfig tunes the circuit breaker that stops a dead backend from
// holding every caller for a full timeout.
type BreakerConfig struct {
	// Failures is the number of consecutive failures (timeouts, connection
	// errors, 5xx answers) that opens the breaker; default 5. A negative
	// value disables the breaker.
	Failures int
	// Cooldown is how long the breaker stays open before it lets one trial
	// request through; default 10 s.
	Cooldown time.Duration
}

// BreakerState is where a circuit breaker stands.
type BreakerState int32

const (
	// BreakerClosed lets every request through.
	BreakerClosed BreakerState = iota
	// BreakerOpen fails every request fast with backend_unavailable.
	BreakerOpen
	// BreakerHalfOpen lets one trial request through; its outcome closes
	// or reopens the breaker.
	BreakerHalfOpen
)

// String names the state for logs and metrics labels.
func (s BreakerState) String() string {
	switch s {
	case BreakerClosed:
		return "closed"
	case BreakerOpen:
		return "open"
	case BreakerHalfOpen:
		return "half-open"
	}
	return "unknown"
}

// breaker is a consecutive-failure circuit breaker. Every state change
// starts a new generation; an outcome reported with the ticket of an older
// generation is ignored, so a slow request that started before the breaker
// opened cannot close it behind the trial's back.
type breaker struct {
	threshold int // <= 0: disabled
	cooldown  time.Duration
	now       func() time.Time

	// snap mirrors gen<<2|state so that the closed state's hot path takes
	// no lock; failures mirrors the count for the same reason. Both are
	// written under mu only.
	snap     atomic.Uint64
	failures atomic.Int32
	opens    atomic.Int64

	mu       sync.Mutex
	state    BreakerState
	gen      uint64
	openedAt time.Time
	trial    bool // half-open: the trial request is out
}

// ticket ties an outcome to the generation that allowed the request.
type ticket struct {
	gen   uint64
	trial bool
}

func newBreaker(cfg BreakerConfig, now func() time.Time) *breaker {
	if cfg.Failures == 0 {
		cfg.Failures = 5
	}
	if cfg.Cooldown <= 0 {
		cfg.Cooldown = 10 * time.Second
	}
	if now == nil {
		now = time.Now
	}
	return &breaker{threshold: cfg.Failures, cooldown: cfg.Cooldown, now: now}
}

func (b *breaker) disabled() bool { return b.threshold <= 0 }

// setState moves to s and starts a new generation. b.mu must be held.
func (b *breaker) setState(s BreakerState) {
	b.state = s
	b.gen++
	b.trial = false
	b.failures.Store(0)
	if s == BreakerOpen {
		b.openedAt = b.now()
		b.opens.Add(1)
	}
	b.snap.Store(b.gen<<2 | uint64(s))
}

// ready reports, without taking the trial, whether allow could succeed, so
// that callers fail fast before queueing for an in-flight slot.
func (b *breaker) ready() bool {
	if b.disabled() || BreakerState(b.snap.Load()&3) == BreakerClosed {
		return true
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	switch b.state {
	case BreakerOpen:
		return b.now().Sub(b.openedAt) >= b.cooldown
	case BreakerHalfOpen:
		return !b.trial
	}
	return true
}

// allow asks to send a request. When it returns true the caller must
// report the outcome with success, failure or cancel.
func (b *breaker) allow() (ticket, bool) {
	if b.disabled() {
		return ticket{}, true
	}
	if s := b.snap.Load(); BreakerState(s&3) == BreakerClosed {
		return ticket{gen: s >> 2}, true
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	switch b.state {
	case BreakerClosed:
		return ticket{gen: b.gen}, true
	case BreakerOpen:
		if b.now().Sub(b.openedAt) < b.cooldown {
			return ticket{}, false
		}
		b.setState(BreakerHalfOpen)
	}
	if b.trial {
		return ticket{}, false
	}
	b.trial = true
	return ticket{gen: b.gen, trial: true}, true
}

// success reports that the backend answered.
func (b *breaker) success(t ticket) {
	if b.disabled() {
		return
	}
	if s := b.snap.Load(); s == t.gen<<2|uint64(BreakerClosed) && b.failures.Load() == 0 {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if t.gen != b.gen {
		return
	}
	switch b.state {
	case BreakerClosed:
		b.failures.Store(0)
	case BreakerHalfOpen:
		if t.trial {
			b.setState(BreakerClosed)
		}
	}
}

// failure reports a timeout, a connection failure or a 5xx answer.
func (b *breaker) failure(t ticket) {
	if b.disabled() {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if t.gen != b.gen {
		return
	}
	switch b.state {
	case BreakerClosed:
		if n := b.failures.Add(1); int(n) >= b.threshold {
			b.setState(BreakerOpen)
		}
	case BreakerHalfOpen:
		if t.trial {
			b.setState(BreakerOpen)
		}
	}
}

// cancel reports that an allowed request ended without telling anything
// about the backend (it was never sent, or the caller's own deadline cut
// it short). A trial is handed back for the next caller.
func (b *breaker) cancel(t ticket) {
	if !t.trial {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if t.gen == b.gen && b.state == BreakerHalfOpen {
		b.trial = false
	}
}

// State is the current state; an open breaker whose cooldown has passed
// reports half-open, as the next request will be its trial.
func (b *breaker) State() BreakerState {
	if b.disabled() {
		return BreakerClosed
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.state == BreakerOpen && b.now().Sub(b.openedAt) >= b.cooldown {
		return BreakerHalfOpen
	}
	return b.state
}
