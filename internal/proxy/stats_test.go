package proxy

import (
	"math"
	"sort"
	"testing"
	"time"
)

func TestLatencyBounds(t *testing.T) {
	if !sort.Float64sAreSorted(LatencyBounds) {
		t.Fatal("LatencyBounds are not sorted")
	}
	if first, last := LatencyBounds[0], LatencyBounds[len(LatencyBounds)-1]; first != 0.0005 || last != 30 {
		t.Errorf("bounds span %v..%v s, want 0.0005..30", first, last)
	}
	for i := 1; i < len(LatencyBounds); i++ {
		// Fine enough to tell a 200 ms shift apart anywhere below 2 s.
		if r := LatencyBounds[i] / LatencyBounds[i-1]; r > 2.1 {
			t.Errorf("bucket ratio %v/%v = %.2f, want <= 2.1", LatencyBounds[i], LatencyBounds[i-1], r)
		}
	}
}

func TestBucketIndex(t *testing.T) {
	tests := map[string]struct {
		d    time.Duration
		want int
	}{
		"zero":           {d: 0, want: 0},
		"on first bound": {d: 500 * time.Microsecond, want: 0},
		"past first":     {d: 501 * time.Microsecond, want: 1},
		"50ms is le 50":  {d: 50 * time.Millisecond, want: indexOf(t, 0.05)},
		"just over 50ms": {d: 50*time.Millisecond + 1, want: indexOf(t, 0.075)},
		"on last bound":  {d: 30 * time.Second, want: len(LatencyBounds) - 1},
		"overflow":       {d: time.Minute, want: len(LatencyBounds)},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			if got := bucketIndex(tc.d); got != tc.want {
				t.Errorf("bucketIndex(%v) = %d, want %d", tc.d, got, tc.want)
			}
		})
	}
}

func indexOf(t *testing.T, bound float64) int {
	t.Helper()
	for i, b := range LatencyBounds {
		if b == bound {
			return i
		}
	}
	t.Fatalf("%v is not a bound", bound)
	return -1
}

// histogram builds Buckets with the given count at each bound.
func histogram(t *testing.T, counts map[float64]uint64) []uint64 {
	t.Helper()
	b := make([]uint64, len(LatencyBounds)+1)
	for bound, n := range counts {
		if math.IsInf(bound, 1) {
			b[len(LatencyBounds)] = n
			continue
		}
		b[indexOf(t, bound)] = n
	}
	return b
}

func TestQuantile(t *testing.T) {
	tests := map[string]struct {
		buckets map[float64]uint64
		q       float64
		want    float64
		wantOK  bool
	}{
		"empty": {q: 0.5},
		"q out of range": {
			buckets: map[float64]uint64{0.1: 10},
			q:       1.5,
		},
		"q NaN": {
			buckets: map[float64]uint64{0.1: 10},
			q:       math.NaN(),
		},
		"interpolates inside the bucket": {
			// 100 requests in (75ms, 100ms]: the median is halfway.
			buckets: map[float64]uint64{0.1: 100},
			q:       0.5, want: 0.0875, wantOK: true,
		},
		"first bucket starts at zero": {
			buckets: map[float64]uint64{0.0005: 10},
			q:       0.5, want: 0.00025, wantOK: true,
		},
		"p99 in the slow tail": {
			// 98 fast, 2 in (400ms, 500ms]: p99 is rank 99, halfway in the tail.
			buckets: map[float64]uint64{0.01: 98, 0.5: 2},
			q:       0.99, want: 0.45, wantOK: true,
		},
		"skips empty buckets": {
			buckets: map[float64]uint64{0.01: 50, 1: 50},
			q:       0.75, want: 0.875, wantOK: true,
		},
		"overflow reports last bound": {
			buckets: map[float64]uint64{0.01: 1, math.Inf(1): 99},
			q:       0.99, want: 30, wantOK: true,
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			v := VersionStats{Buckets: histogram(t, tc.buckets)}
			got, ok := v.Quantile(tc.q)
			if ok != tc.wantOK || math.Abs(got-tc.want) > 1e-9 {
				t.Errorf("Quantile(%v) = %v, %v; want %v, %v", tc.q, got, ok, tc.want, tc.wantOK)
			}
		})
	}
}

func TestSub(t *testing.T) {
	b := func(fast, slow uint64) []uint64 {
		return histogram(t, map[float64]uint64{0.01: fast, 1: slow})
	}
	tests := map[string]struct {
		now, old VersionStats
		want     VersionStats
	}{
		"delta": {
			now:  VersionStats{Requests: 30, Errors: 5, Buckets: b(20, 10), Sum: 12},
			old:  VersionStats{Requests: 10, Errors: 1, Buckets: b(8, 2), Sum: 2},
			want: VersionStats{Requests: 20, Errors: 4, Buckets: b(12, 8), Sum: 10},
		},
		"from zero value": {
			now:  VersionStats{Requests: 3, Buckets: b(3, 0), Sum: 0.03},
			old:  VersionStats{},
			want: VersionStats{Requests: 3, Buckets: b(3, 0), Sum: 0.03},
		},
		"reset returns current": {
			now:  VersionStats{Requests: 5, Errors: 1, Buckets: b(5, 0), Sum: 1},
			old:  VersionStats{Requests: 50, Errors: 2, Buckets: b(40, 10), Sum: 9},
			want: VersionStats{Requests: 5, Errors: 1, Buckets: b(5, 0), Sum: 1},
		},
		"bucket went backwards is a reset": {
			now:  VersionStats{Requests: 50, Buckets: b(10, 40), Sum: 10},
			old:  VersionStats{Requests: 40, Buckets: b(20, 20), Sum: 5},
			want: VersionStats{Requests: 50, Buckets: b(10, 40), Sum: 10},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			got := tc.now.Sub(tc.old)
			if got.Requests != tc.want.Requests || got.Errors != tc.want.Errors || math.Abs(got.Sum-tc.want.Sum) > 1e-9 {
				t.Errorf("Sub = %+v, want %+v", got, tc.want)
			}
			for i := range tc.want.Buckets {
				if got.Buckets[i] != tc.want.Buckets[i] {
					t.Fatalf("Sub bucket %d = %d, want %d", i, got.Buckets[i], tc.want.Buckets[i])
				}
			}
			got.Buckets[0]++
			if tc.now.Buckets[0] == got.Buckets[0] {
				t.Error("Sub shares its buckets with the receiver")
			}
		})
	}
}

func TestCountersSnapshot(t *testing.T) {
	c := newCounters()
	c.observe(200, 10*time.Millisecond, true)
	c.observe(503, 600*time.Millisecond, true)
	c.observe(502, time.Millisecond, true)
	c.observe(101, time.Hour, false)
	c.observe(404, 2*time.Millisecond, true)
	got := c.snapshot()
	if got.Requests != 5 || got.Errors != 2 {
		t.Errorf("Requests, Errors = %d, %d; want 5, 2", got.Requests, got.Errors)
	}
	var timed uint64
	for _, n := range got.Buckets {
		timed += n
	}
	if timed != 4 {
		t.Errorf("timed requests in buckets = %d, want 4 (the upgrade is not timed)", timed)
	}
	if want := 0.613; math.Abs(got.Sum-want) > 1e-9 {
		t.Errorf("Sum = %v, want %v", got.Sum, want)
	}
}
