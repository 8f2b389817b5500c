package proxy

import (
	"math"
	"testing"
)

// TestSplitDiscrepancy checks the promise in split.go: over any N consecutive
// requests the canary count is within 3 of weight*N/100, for every weight.
func TestSplitDiscrepancy(t *testing.T) {
	const total = 5000
	windows := []int{10, 50, 100, 333, 1000}
	for w := int32(1); w < 100; w++ {
		var s splitter
		thr := threshold(w)
		prefix := make([]int, total+1)
		for i := range total {
			prefix[i+1] = prefix[i]
			if s.canary(thr) {
				prefix[i+1]++
			}
		}
		for _, n := range windows {
			for start := 0; start+n <= total; start++ {
				got := prefix[start+n] - prefix[start]
				want := float64(w) * float64(n) / 100
				if math.Abs(float64(got)-want) >= 3 {
					t.Fatalf("weight %d, requests %d..%d: %d to canary, want %.1f within 3", w, start, start+n, got, want)
				}
			}
		}
	}
}

// TestSplitNoAliasing is why the sequence is not periodic: at 50%, a client
// alternating two kinds of request must still see both kinds split evenly.
func TestSplitNoAliasing(t *testing.T) {
	var s splitter
	thr := threshold(50)
	var even, odd int
	const n = 2000
	for i := range n {
		if s.canary(thr) {
			if i%2 == 0 {
				even++
			} else {
				odd++
			}
		}
	}
	for name, got := range map[string]int{"even": even, "odd": odd} {
		if got < 450 || got > 550 {
			t.Errorf("%s requests: %d of %d to canary, want about 500", name, got, n/2)
		}
	}
}

func TestThreshold(t *testing.T) {
	tests := map[string]struct {
		weight int32
		want   uint64
	}{
		"zero":     {weight: 0, want: 0},
		"negative": {weight: -5, want: 0},
		"full":     {weight: 100, want: math.MaxUint64},
		"over":     {weight: 150, want: math.MaxUint64},
		"half":     {weight: 50, want: 50 * (math.MaxUint64 / 100)},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			if got := threshold(tc.weight); got != tc.want {
				t.Errorf("threshold(%d) = %d, want %d", tc.weight, got, tc.want)
			}
		})
	}
}
