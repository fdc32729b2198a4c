package loadtest

import (
	"math"
	"math/rand/v2"
	"sync"
	"testing"
	"time"
)

func TestBucketsAreContiguous(t *testing.T) {
	prevHi := int64(0)
	for b := 0; b < numBuckets; b++ {
		lo, hi := bucketRange(b)
		if lo != prevHi {
			t.Fatalf("bucket %d starts at %d, previous ended at %d", b, lo, prevHi)
		}
		if hi <= lo {
			t.Fatalf("bucket %d is empty: [%d, %d)", b, lo, hi)
		}
		if got := bucketOf(lo); got != b {
			t.Fatalf("bucketOf(%d) = %d, want %d", lo, got, b)
		}
		if got := bucketOf(hi - 1); got != b {
			t.Fatalf("bucketOf(%d) = %d, want %d", hi-1, got, b)
		}
		prevHi = hi
	}
	if prevHi != 1<<histBits {
		t.Fatalf("buckets end at %d, want %d", prevHi, int64(1)<<histBits)
	}
	if got := bucketOf(math.MaxInt64); got != numBuckets-1 {
		t.Fatalf("bucketOf(MaxInt64) = %d", got)
	}
	if got := bucketOf(-5); got != 0 {
		t.Fatalf("bucketOf(-5) = %d", got)
	}
}

// TestQuantileError checks the promised precision: under 1% relative error
// for any single value from 1 µs to 60 s.
func TestQuantileError(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for range 20000 {
		// Log-uniform over 1 µs .. 60 s.
		v := int64(math.Exp(math.Log(1e3) + rng.Float64()*(math.Log(60e9)-math.Log(1e3))))
		var h Histogram
		h.Record(v)
		var s Snapshot
		h.Snapshot(&s)
		s.Max = 0 // test the bucket estimate, not the exact maximum
		got := s.Quantile(0.5)
		if e := math.Abs(float64(got-v)) / float64(v); e >= 0.01 {
			t.Fatalf("value %d reported as %d: error %.3f%%", v, got, 100*e)
		}
	}
}

func TestQuantilesOfUniform(t *testing.T) {
	var h Histogram
	for i := int64(1); i <= 100000; i++ {
		h.Record(i * int64(time.Microsecond))
	}
	var s Snapshot
	h.Snapshot(&s)
	if s.Total != 100000 {
		t.Fatalf("total %d", s.Total)
	}
	for _, q := range []float64{0.5, 0.9, 0.99, 0.999} {
		want := q * 100000 * float64(time.Microsecond)
		got := float64(s.Quantile(q))
		if math.Abs(got-want)/want > 0.01 {
			t.Errorf("q%.3f = %.0f, want %.0f ±1%%", q, got, want)
		}
	}
	if s.Max != 100000*int64(time.Microsecond) {
		t.Errorf("max %d", s.Max)
	}
	if got := s.Quantile(1); got != s.Max {
		t.Errorf("q1 = %d, want max %d", got, s.Max)
	}
	mean := s.Mean()
	if want := 50000.5 * float64(time.Microsecond); math.Abs(mean-want) > 1000 {
		t.Errorf("mean %.1f, want %.1f", mean, want)
	}
	sum := s.Summary()
	if sum.Count != 100000 || math.Abs(sum.P50Ms-50) > 0.5 || sum.MaxMs != 100 {
		t.Errorf("summary %+v", sum)
	}
}

func TestEmptySnapshot(t *testing.T) {
	var s Snapshot
	if s.Quantile(0.99) != 0 || s.Mean() != 0 {
		t.Fatal("empty snapshot must read zero")
	}
}

func TestMergeAndSub(t *testing.T) {
	var a, b Histogram
	for i := range 1000 {
		a.Record(int64(i) * 1000)
		b.Record(int64(i) * 2000)
	}
	var sa, sb Snapshot
	a.Snapshot(&sa)
	b.Snapshot(&sb)
	merged := sa
	merged.Merge(&sb)
	if merged.Total != 2000 || merged.Max != 999*2000 || merged.SumUs != sa.SumUs+sb.SumUs {
		t.Fatalf("merge: total %d max %d", merged.Total, merged.Max)
	}

	// One second's worth: record more, subtract the earlier snapshot.
	for range 10 {
		a.Record(5_000_000)
	}
	var later Snapshot
	a.Snapshot(&later)
	later.Sub(&sa)
	if later.Total != 10 {
		t.Fatalf("interval total %d, want 10", later.Total)
	}
	if got := later.Quantile(0.5); math.Abs(float64(got)-5e6)/5e6 > 0.01 {
		t.Fatalf("interval p50 %d", got)
	}
	if later.Max < 5_000_000 || float64(later.Max) > 5e6*1.02 {
		t.Fatalf("interval max %d, want about 5e6", later.Max)
	}
	var none Snapshot
	a.Snapshot(&none)
	none.Sub(&none)
	if none.Total != 0 || none.Max != 0 {
		t.Fatalf("empty interval: total %d max %d", none.Total, none.Max)
	}
}

// TestConcurrentSnapshot reads while a writer records, as the reporter does;
// run with -race.
func TestConcurrentSnapshot(t *testing.T) {
	var h Histogram
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := range 100000 {
			h.Record(int64(i))
		}
	}()
	var s Snapshot
	for range 20 {
		h.Snapshot(&s)
	}
	wg.Wait()
	h.Snapshot(&s)
	if s.Total != 100000 || h.count() != 100000 {
		t.Fatalf("total %d", s.Total)
	}
}

func BenchmarkHistogramRecord(b *testing.B) {
	var h Histogram
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		h.Record(int64(i&0xfffff) * 1000)
	}
}
