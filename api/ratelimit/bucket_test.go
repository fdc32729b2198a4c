package ratelimit

import (
	"fmt"
	"testing"
	"time"
)

func TestBucketBurstThenRate(t *testing.T) {
	now := time.Unix(1000, 0)
	b := New(10, 3, now)
	for i := range 3 {
		if !b.Allow(now) {
			t.Fatalf("token %d of the burst refused", i)
		}
	}
	ok, wait := b.Take(now)
	if ok || wait != 100*time.Millisecond {
		t.Fatalf("empty bucket: ok=%v wait=%v, want refused with 100ms", ok, wait)
	}
	if b.Allow(now.Add(50 * time.Millisecond)) {
		t.Fatal("half a token allowed")
	}
	if !b.Allow(now.Add(100 * time.Millisecond)) {
		t.Fatal("refilled token refused")
	}
	// A long pause refills to the burst and no more.
	later := now.Add(time.Hour)
	n := 0
	for b.Allow(later) {
		n++
	}
	if n != 3 {
		t.Fatalf("after a long pause got %d tokens, want the burst of 3", n)
	}
}

func TestBucketZeroRateNeverRefills(t *testing.T) {
	now := time.Unix(0, 0)
	b := New(0, 1, now)
	if !b.Allow(now) || b.Allow(now.Add(time.Hour)) {
		t.Fatal("a zero-rate bucket must give its burst once")
	}
}

func TestBucketClockGoingBackwards(t *testing.T) {
	now := time.Unix(1000, 0)
	b := New(1, 1, now)
	b.Allow(now)
	if b.Allow(now.Add(-time.Hour)) {
		t.Fatal("a clock step back must not refill")
	}
}

func TestKeyedSeparatesKeysAndForgetsIdleOnes(t *testing.T) {
	now := time.Unix(1000, 0)
	k := NewKeyed(1, 1, 100)
	if ok, _ := k.Take("a", now); !ok {
		t.Fatal("first take of a refused")
	}
	if ok, _ := k.Take("a", now); ok {
		t.Fatal("second take of a allowed")
	}
	if ok, _ := k.Take("b", now); !ok {
		t.Fatal("b limited by a's bucket")
	}
	k.Take("c", now.Add(2*time.Minute)) // sweeps a and b, refilled by now
	if k.Len() != 1 {
		t.Fatalf("tracking %d keys after the sweep, want 1", k.Len())
	}
}

func TestKeyedBoundsMemory(t *testing.T) {
	now := time.Unix(1000, 0)
	k := NewKeyed(1, 1, 10)
	for i := range 10 {
		k.Take(fmt.Sprint(i), now)
	}
	if ok, _ := k.Take("new", now); ok {
		t.Fatal("a new key was tracked beyond the bound")
	}
	if k.Len() > 10 {
		t.Fatalf("tracking %d keys, bound is 10", k.Len())
	}
}

func BenchmarkBucketTake(b *testing.B) {
	now := time.Unix(0, 0)
	bk := New(1e9, 1e9, now)
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		bk.Take(now.Add(time.Duration(i)))
	}
}

func BenchmarkKeyedTake(b *testing.B) {
	now := time.Unix(0, 0)
	k := NewKeyed(1e9, 1e9, 1<<20)
	keys := make([]string, 1024)
	for i := range keys {
		keys[i] = fmt.Sprint("10.0.0.", i)
	}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		k.Take(keys[i%len(keys)], now)
	}
}
