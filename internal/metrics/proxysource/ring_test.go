package proxysource

import (
	"testing"
	"time"
)

func TestRingAtOrBefore(t *testing.T) {
	r := newRing(4)
	for i := range 6 { // wraps: keeps seconds 2, 3, 4, 5
		r.push(sample{at: t0.Add(time.Duration(i) * time.Second)})
	}
	tests := map[string]struct {
		at   time.Duration
		want int
	}{
		"before all":      {at: time.Second, want: -1},
		"on oldest":       {at: 2 * time.Second, want: 0},
		"between":         {at: 3500 * time.Millisecond, want: 1},
		"on newest":       {at: 5 * time.Second, want: 3},
		"after all":       {at: time.Hour, want: 3},
		"just before one": {at: 4*time.Second - 1, want: 1},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			if got := r.atOrBefore(t0.Add(tc.at)); got != tc.want {
				t.Errorf("atOrBefore(t0+%v) = %d, want %d", tc.at, got, tc.want)
			}
		})
	}
	if r.len() != 4 || !r.at(0).at.Equal(t0.Add(2*time.Second)) || !r.last().at.Equal(t0.Add(5*time.Second)) {
		t.Errorf("ring holds %d samples from %v to %v", r.len(), r.at(0).at, r.last().at)
	}
}
