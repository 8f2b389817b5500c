package proxy

import (
	"testing"
	"time"
)

// fakeClock is a settable clock for ejection timing.
type fakeClock struct{ t time.Time }

func (c *fakeClock) now() time.Time { return c.t }

func TestOutlierEjection(t *testing.T) {
	type step struct {
		advance  time.Duration
		fail     version // numVersions means: record a success of stable
		otherIn  bool
		failures int
	}
	tests := map[string]struct {
		steps []step
		// want, after the steps, for stable
		wantEjected   bool
		wantEjections uint64
		wantFor       time.Duration // remaining ejection
	}{
		"below threshold": {
			steps:       []step{{fail: stable, otherIn: true, failures: 4}},
			wantEjected: false,
		},
		"at threshold": {
			steps:       []step{{fail: stable, otherIn: true, failures: 5}},
			wantEjected: true, wantEjections: 1, wantFor: 10 * time.Second,
		},
		"a success resets the count": {
			steps: []step{
				{fail: stable, otherIn: true, failures: 4},
				{fail: numVersions},
				{fail: stable, otherIn: true, failures: 4},
			},
			wantEjected: false,
		},
		"never the only upstream": {
			steps:       []step{{fail: stable, otherIn: false, failures: 50}},
			wantEjected: false,
		},
		"ejection ends after base": {
			steps: []step{
				{fail: stable, otherIn: true, failures: 5},
				{advance: 10 * time.Second},
			},
			wantEjected: false, wantEjections: 1,
		},
		"second ejection is twice as long": {
			steps: []step{
				{fail: stable, otherIn: true, failures: 5},
				{advance: 11 * time.Second},
				{fail: stable, otherIn: true, failures: 5},
			},
			wantEjected: true, wantEjections: 2, wantFor: 20 * time.Second,
		},
		"capped at max": {
			steps: []step{
				{fail: stable, otherIn: true, failures: 5}, {advance: time.Hour},
				{fail: stable, otherIn: true, failures: 5}, {advance: time.Hour},
				{fail: stable, otherIn: true, failures: 5}, {advance: time.Hour},
				{fail: stable, otherIn: true, failures: 5}, {advance: time.Hour},
				{fail: stable, otherIn: true, failures: 5},
			},
			wantEjected: true, wantEjections: 5, wantFor: 30 * time.Second,
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			clk := &fakeClock{t: time.Unix(1_000_000, 0)}
			o := &outliers{threshold: 5, base: 10 * time.Second, max: 30 * time.Second, now: clk.now}
			for _, s := range tc.steps {
				clk.t = clk.t.Add(s.advance)
				if s.fail == numVersions {
					o.succeeded(stable)
				}
				for range s.failures {
					o.failed(s.fail, s.otherIn, "connection refused")
				}
			}
			h := o.health(stable)
			if h.Ejected != tc.wantEjected || h.Ejections != tc.wantEjections {
				t.Fatalf("health %+v, want ejected=%v ejections=%d", h, tc.wantEjected, tc.wantEjections)
			}
			if tc.wantEjected {
				if got := h.EjectedUntil.Sub(clk.t); got != tc.wantFor {
					t.Errorf("ejected for %v more, want %v", got, tc.wantFor)
				}
				if h.LastReason != "5 consecutive gateway failures; last: connection refused" {
					t.Errorf("reason %q", h.LastReason)
				}
			}
		})
	}
}

// TestOutlierNeverEjectsBoth: once canary is out, stable stays in whatever
// it does, so some version always serves.
func TestOutlierNeverEjectsBoth(t *testing.T) {
	clk := &fakeClock{t: time.Unix(1_000_000, 0)}
	o := &outliers{threshold: 5, base: 10 * time.Second, max: time.Minute, now: clk.now}
	for range 5 {
		o.failed(canary, true, "refused")
	}
	for range 50 {
		o.failed(stable, true, "refused")
	}
	if !o.ejected(canary) || o.ejected(stable) {
		t.Errorf("canary ejected %v, stable ejected %v; want only canary", o.ejected(canary), o.ejected(stable))
	}
	o.reset(canary)
	if o.ejected(canary) || o.health(canary).Ejections != 1 {
		t.Errorf("after reset: %+v, want in rotation with its count kept", o.health(canary))
	}
}
