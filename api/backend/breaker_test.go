package backend

import (
	"sync"
	"testing"
	"time"
)

// clock is a hand-moved time source.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func newTestBreaker(failures int, cooldown time.Duration) (*breaker, *clock) {
	c := &clock{t: time.Unix(1_700_000_000, 0)}
	return newBreaker(BreakerConfig{Failures: failures, Cooldown: cooldown}, c.now), c
}

func mustAllow(t *testing.T, b *breaker) ticket {
	t.Helper()
	tk, ok := b.allow()
	if !ok {
		t.Fatalf("allow refused in state %v", b.State())
	}
	return tk
}

func wantState(t *testing.T, b *breaker, want BreakerState) {
	t.Helper()
	if got := b.State(); got != want {
		t.Fatalf("state %v, want %v", got, want)
	}
}

func TestBreakerDefaults(t *testing.T) {
	b := newBreaker(BreakerConfig{}, nil)
	if b.threshold != 5 || b.cooldown != 10*time.Second {
		t.Fatalf("defaults: %d, %v", b.threshold, b.cooldown)
	}
}

func TestBreakerOpensAfterConsecutiveFailures(t *testing.T) {
	b, _ := newTestBreaker(3, time.Second)
	for range 2 {
		b.failure(mustAllow(t, b))
	}
	b.success(mustAllow(t, b)) // resets the count
	for range 2 {
		b.failure(mustAllow(t, b))
	}
	wantState(t, b, BreakerClosed)
	b.failure(mustAllow(t, b))
	wantState(t, b, BreakerOpen)
	if b.ready() {
		t.Fatal("ready while open")
	}
	if _, ok := b.allow(); ok {
		t.Fatal("allowed while open")
	}
	if n := b.opens.Load(); n != 1 {
		t.Fatalf("opens %d", n)
	}
}

func TestBreakerHalfOpenSingleTrial(t *testing.T) {
	b, c := newTestBreaker(1, time.Second)
	b.failure(mustAllow(t, b))
	c.add(999 * time.Millisecond)
	if _, ok := b.allow(); ok {
		t.Fatal("allowed before cooldown")
	}
	c.add(time.Millisecond)
	wantState(t, b, BreakerHalfOpen)
	if !b.ready() {
		t.Fatal("not ready after cooldown")
	}
	trial := mustAllow(t, b)
	if !trial.trial {
		t.Fatal("first request after cooldown is not the trial")
	}
	if b.ready() {
		t.Fatal("ready while the trial is out")
	}
	if _, ok := b.allow(); ok {
		t.Fatal("second request allowed while the trial is out")
	}
	b.success(trial)
	wantState(t, b, BreakerClosed)
	for range 3 {
		b.success(mustAllow(t, b))
	}
}

func TestBreakerTrialFailureReopens(t *testing.T) {
	b, c := newTestBreaker(2, time.Second)
	b.failure(mustAllow(t, b))
	b.failure(mustAllow(t, b))
	c.add(time.Second)
	b.failure(mustAllow(t, b))
	wantState(t, b, BreakerOpen)
	c.add(500 * time.Millisecond)
	if _, ok := b.allow(); ok {
		t.Fatal("reopened breaker did not restart its cooldown")
	}
	c.add(500 * time.Millisecond)
	b.success(mustAllow(t, b))
	wantState(t, b, BreakerClosed)
	if n := b.opens.Load(); n != 2 {
		t.Fatalf("opens %d, want 2", n)
	}
}

func TestBreakerCancelHandsTrialBack(t *testing.T) {
	b, c := newTestBreaker(1, time.Second)
	b.failure(mustAllow(t, b))
	c.add(time.Second)
	trial := mustAllow(t, b)
	b.cancel(trial)
	wantState(t, b, BreakerHalfOpen)
	trial2 := mustAllow(t, b)
	if !trial2.trial {
		t.Fatal("no new trial after cancel")
	}
	b.cancel(ticket{}) // a non-trial cancel changes nothing
	if _, ok := b.allow(); ok {
		t.Fatal("a non-trial cancel freed the trial")
	}
}

func TestBreakerIgnoresStaleOutcomes(t *testing.T) {
	b, c := newTestBreaker(1, time.Second)
	slow := mustAllow(t, b) // started while closed
	b.failure(mustAllow(t, b))
	wantState(t, b, BreakerOpen)
	c.add(time.Second)
	trial := mustAllow(t, b)
	b.success(slow) // the old request finishing must not close it
	wantState(t, b, BreakerHalfOpen)
	b.failure(slow)
	wantState(t, b, BreakerHalfOpen)
	b.failure(trial)
	wantState(t, b, BreakerOpen)
}

func TestBreakerSuccessesNeverOpen(t *testing.T) {
	// The Forwarder reports 4xx answers as successes.
	b, _ := newTestBreaker(2, time.Second)
	for range 100 {
		b.success(mustAllow(t, b))
	}
	wantState(t, b, BreakerClosed)
}

func TestBreakerDisabled(t *testing.T) {
	b, _ := newTestBreaker(-1, time.Second)
	for range 100 {
		b.failure(mustAllow(t, b))
	}
	wantState(t, b, BreakerClosed)
}

func TestBreakerConcurrent(t *testing.T) {
	b, c := newTestBreaker(3, time.Millisecond)
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			for j := range 2000 {
				tk, ok := b.allow()
				if !ok {
					c.add(time.Millisecond)
					continue
				}
				switch (i + j) % 3 {
				case 0:
					b.success(tk)
				case 1:
					b.failure(tk)
				default:
					b.cancel(tk)
				}
			}
		})
	}
	wg.Wait()
	// Whatever happened, the breaker must still be able to close.
	c.add(time.Second)
	b.success(mustAllow(t, b))
	wantState(t, b, BreakerClosed)
}

func TestBreakerStateString(t *testing.T) {
	for s, want := range map[BreakerState]string{BreakerClosed: "closed", BreakerOpen: "open", BreakerHalfOpen: "half-open", 9: "unknown"} {
		if s.String() != want {
			t.Errorf("%d: %q", s, s.String())
		}
	}
}
