// Package ratelimit holds the token buckets that bound clients of Herald:
// events per socket, connections per address and requests per API key.
package ratelimit

import (
	"sync"
	"time"
)

// Bucket is a token bucket: it holds up to Burst tokens and refills at Rate
// per second. The zero value refuses everything; use New.
type Bucket struct {
	mu     sync.Mutex
	rate   float64
	burst  float64
	tokens float64
	last   time.Time
}

// New returns a full bucket.
func New(rate float64, burst int, now time.Time) *Bucket {
	b := &Bucket{}
	b.init(rate, burst, now)
	return b
}

func (b *Bucket) init(rate float64, burst int, now time.Time) {
	b.rate, b.burst = rate, float64(burst)
	b.tokens, b.last = b.burst, now
}

// Allow takes one token if there is one.
func (b *Bucket) Allow(now time.Time) bool {
	ok, _ := b.Take(now)
	return ok
}

// Take takes one token if there is one; otherwise it reports how long until
// there will be, for Retry-After.
func (b *Bucket) Take(now time.Time) (bool, time.Duration) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.refill(now)
	if b.tokens >= 1 {
		b.tokens--
		return true, 0
	}
	if b.rate <= 0 {
		return false, time.Hour
	}
	wait := time.Duration((1 - b.tokens) / b.rate * float64(time.Second))
	return false, wait
}

func (b *Bucket) refill(now time.Time) {
	if elapsed := now.Sub(b.last).Seconds(); elapsed > 0 {
		b.tokens = min(b.burst, b.tokens+elapsed*b.rate)
		b.last = now
	}
}

// full reports whether the bucket has refilled completely, so a keyed
// limiter can forget it.
func (b *Bucket) full(now time.Time) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.refill(now)
	return b.tokens >= b.burst
}
