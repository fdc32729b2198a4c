package loadtest

import (
	"math"
	"math/bits"
	"sync/atomic"
	"time"
)

// The histogram is log-linear, in the manner of HDR histograms: values below
// subBuckets are counted exactly, and every power of two above is split into
// subBuckets/2 equal buckets. A bucket is at most 1/64 of its lower bound
// wide, and a quantile is reported as the bucket's midpoint, so the error is
// at most 0.8% over the whole range of nanoseconds from 1 ns to 2^histBits ns
// (about 68 s); larger values are counted in the last bucket and the exact
// maximum is kept apart.
const (
	subBits    = 7
	subBuckets = 1 << subBits // 128
	histBits   = 36           // 2^36 ns ≈ 68.7 s
	numBuckets = subBuckets + (histBits-subBits)*subBuckets/2
)

// Histogram counts durations in nanoseconds. Record may be called from one
// goroutine while others read it with Snapshot: every counter is atomic, and
// a histogram written by a single goroutine costs uncontended atomic adds
// only. Give each event loop its own Histogram and merge snapshots to read.
type Histogram struct {
	counts [numBuckets]atomic.Uint64
	total  atomic.Uint64
	max    atomic.Int64
	// sumUs is the sum in microseconds, which a long saturated run (tens of
	// millions of values of tens of seconds) cannot overflow.
	sumUs atomic.Int64
}

// bucketOf maps a value in nanoseconds to its bucket.
func bucketOf(v int64) int {
	if v < subBuckets {
		if v < 0 {
			return 0
		}
		return int(v)
	}
	if v >= 1<<histBits {
		return numBuckets - 1
	}
	shift := bits.Len64(uint64(v)) - subBits // ≥ 1
	// v>>shift is in [subBuckets/2, subBuckets).
	return subBuckets + (shift-1)*subBuckets/2 + int(v>>shift) - subBuckets/2
}

// bucketRange is the half-open interval [lo, hi) of values counted in bucket b.
func bucketRange(b int) (lo, hi int64) {
	if b < subBuckets {
		return int64(b), int64(b) + 1
	}
	shift := (b-subBuckets)/(subBuckets/2) + 1
	mant := int64((b-subBuckets)%(subBuckets/2) + subBuckets/2)
	return mant << shift, (mant + 1) << shift
}

// Record counts one value; negative values count as zero.
func (h *Histogram) Record(ns int64) {
	if ns < 0 {
		ns = 0
	}
	h.counts[bucketOf(ns)].Add(1)
	h.total.Add(1)
	h.sumUs.Add(ns / 1000)
	for {
		m := h.max.Load()
		if ns <= m || h.max.CompareAndSwap(m, ns) {
			return
		}
	}
}

// Snapshot is a point-in-time copy of a Histogram that can be merged,
// subtracted and queried without synchronisation.
type Snapshot struct {
	Counts [numBuckets]uint64
	Total  uint64
	SumUs  int64
	// Max is exact for a snapshot of a Histogram and for merges of them; for a
	// difference of snapshots it is the upper bound of the highest bucket.
	Max int64
}

// Snapshot copies the histogram's counters into s, replacing its contents.
// Counters written during the copy may or may not be included.
func (h *Histogram) Snapshot(s *Snapshot) {
	s.Total = 0
	for i := range h.counts {
		c := h.counts[i].Load()
		s.Counts[i] = c
		s.Total += c
	}
	s.SumUs = h.sumUs.Load()
	s.Max = h.max.Load()
}

// Merge adds o's counts to s.
func (s *Snapshot) Merge(o *Snapshot) {
	for i := range s.Counts {
		s.Counts[i] += o.Counts[i]
	}
	s.Total += o.Total
	s.SumUs += o.SumUs
	s.Max = max(s.Max, o.Max)
}

// Sub turns s into the counts recorded since the earlier snapshot prev, such
// as one second's worth for a timeline.
func (s *Snapshot) Sub(prev *Snapshot) {
	top := -1
	s.Total = 0
	for i := range s.Counts {
		s.Counts[i] -= prev.Counts[i]
		if s.Counts[i] != 0 {
			top = i
		}
		s.Total += s.Counts[i]
	}
	s.SumUs -= prev.SumUs
	// The largest value since prev lies in the top bucket, and it cannot
	// exceed the running maximum, which bounds it more tightly when it falls
	// in the same bucket.
	if top < 0 {
		s.Max = 0
		return
	}
	_, hi := bucketRange(top)
	s.Max = min(hi-1, s.Max)
}

// Quantile returns the value at quantile q in [0, 1], or 0 when empty. The
// result is the midpoint of the bucket holding it, capped by the maximum.
func (s *Snapshot) Quantile(q float64) int64 {
	if s.Total == 0 {
		return 0
	}
	rank := uint64(math.Ceil(q * float64(s.Total)))
	rank = max(rank, 1)
	var seen uint64
	for i, c := range s.Counts {
		seen += c
		if seen >= rank {
			lo, hi := bucketRange(i)
			mid := lo + (hi-lo-1)/2
			if s.Max > 0 && mid > s.Max {
				return s.Max
			}
			return mid
		}
	}
	return s.Max
}

// Mean is the arithmetic mean of the recorded values in nanoseconds, to
// the microsecond, or 0 when empty.
func (s *Snapshot) Mean() float64 {
	if s.Total == 0 {
		return 0
	}
	return 1000 * float64(s.SumUs) / float64(s.Total)
}

// Latency is the summary of a latency distribution as reported, in
// milliseconds so that tables and JSON read naturally.
type Latency struct {
	Count  uint64  `json:"count"`
	MeanMs float64 `json:"mean_ms"`
	P50Ms  float64 `json:"p50_ms"`
	P90Ms  float64 `json:"p90_ms"`
	P99Ms  float64 `json:"p99_ms"`
	P999Ms float64 `json:"p999_ms"`
	MaxMs  float64 `json:"max_ms"`
}

// Summary computes the reported percentiles.
func (s *Snapshot) Summary() Latency {
	ms := func(ns int64) float64 { return float64(ns) / float64(time.Millisecond) }
	return Latency{
		Count:  s.Total,
		MeanMs: s.Mean() / float64(time.Millisecond),
		P50Ms:  ms(s.Quantile(0.50)),
		P90Ms:  ms(s.Quantile(0.90)),
		P99Ms:  ms(s.Quantile(0.99)),
		P999Ms: ms(s.Quantile(0.999)),
		MaxMs:  ms(s.Max),
	}
}

// count is the number of values recorded so far.
func (h *Histogram) count() uint64 { return h.total.Load() }
