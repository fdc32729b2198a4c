package ratelimit

import (
	"sync"
	"time"
)

// Keyed keeps one bucket per key, such as a client address, and forgets
// buckets that have refilled so that memory tracks active keys only.
type Keyed struct {
	rate  float64
	burst int
	max   int

	mu      sync.Mutex
	buckets map[string]*Bucket
	swept   time.Time
}

// NewKeyed limits each key to rate per second with bursts of burst. It
// tracks at most max keys; when full, an unknown key is refused, which
// errs on the side of the node under attack.
func NewKeyed(rate float64, burst, max int) *Keyed {
	return &Keyed{rate: rate, burst: burst, max: max, buckets: make(map[string]*Bucket)}
}

// Take takes a token from key's bucket.
func (k *Keyed) Take(key string, now time.Time) (bool, time.Duration) {
	k.mu.Lock()
	if now.Sub(k.swept) > time.Minute || len(k.buckets) >= k.max {
		k.sweep(now)
	}
	b := k.buckets[key]
	if b == nil {
		if len(k.buckets) >= k.max {
			k.mu.Unlock()
			return false, time.Second
		}
		b = New(k.rate, k.burst, now)
		k.buckets[key] = b
	}
	k.mu.Unlock()
	return b.Take(now)
}

// Len is the number of keys tracked.
func (k *Keyed) Len() int {
	k.mu.Lock()
	defer k.mu.Unlock()
	return len(k.buckets)
}

func (k *Keyed) sweep(now time.Time) {
	k.swept = now
	for key, b := range k.buckets {
		if b.full(now) {
			delete(k.buckets, key)
		}
	}
}
