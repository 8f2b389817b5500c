package proxysource

import (
	"testing"
	"time"

	"sluice.dev/sluice/internal/proxy"
)

func TestWindow(t *testing.T) {
	src, _ := steady(121) // samples at t0 .. t0+120s
	end := t0.Add(120 * time.Second)
	tests := map[string]struct {
		version      string
		window       time.Duration
		now          time.Time
		wantOK       bool
		wantRequests uint64
		wantErrors   uint64
	}{
		"canary last minute":   {version: "canary", window: time.Minute, now: end, wantOK: true, wantRequests: 300, wantErrors: 60},
		"stable last minute":   {version: "stable", window: time.Minute, now: end, wantOK: true, wantRequests: 600},
		"window between":       {version: "stable", window: 10 * time.Second, now: end.Add(-30*time.Second + 500*time.Millisecond), wantOK: true, wantRequests: 100},
		"longer than history":  {version: "canary", window: time.Hour, now: end, wantOK: true, wantRequests: 600, wantErrors: 120},
		"stale samples":        {version: "canary", window: time.Minute, now: end.Add(2 * time.Minute)},
		"before any sample":    {version: "canary", window: time.Minute, now: t0.Add(-time.Second)},
		"unknown version":      {version: "primary", window: time.Minute, now: end},
		"zero window":          {version: "canary", window: 0, now: end},
		"window under a tick":  {version: "canary", window: 500 * time.Millisecond, now: end, wantOK: true, wantRequests: 5, wantErrors: 1},
		"now between samples":  {version: "stable", window: 2 * time.Second, now: end.Add(-1500 * time.Millisecond), wantOK: true, wantRequests: 20},
		"window ends at start": {version: "stable", window: time.Second, now: t0},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			got, _, ok := src.Window(tc.version, tc.window, tc.now)
			if ok != tc.wantOK {
				t.Fatalf("Window ok = %v, want %v", ok, tc.wantOK)
			}
			if got.Requests != tc.wantRequests || got.Errors != tc.wantErrors {
				t.Errorf("Window = %d requests, %d errors; want %d, %d", got.Requests, got.Errors, tc.wantRequests, tc.wantErrors)
			}
			if ok {
				var timed uint64
				for _, n := range got.Buckets {
					timed += n
				}
				if timed != got.Requests {
					t.Errorf("buckets hold %d requests, want %d", timed, got.Requests)
				}
			}
		})
	}
}

func TestSampleResolutionBoundsMemory(t *testing.T) {
	f := &fakeReader{}
	src := New(f, Options{Retention: 10 * time.Second, Resolution: time.Second})
	// 100 ms sampling for 60 s: far more calls than the ring holds.
	for i := range 600 {
		f.set(proxy.Stats{Canary: counts(uint64(i), 0, time.Millisecond)})
		src.Sample(t0.Add(time.Duration(i) * 100 * time.Millisecond))
	}
	if n, capacity := src.samples.len(), len(src.samples.buf); n != capacity || capacity != 12 {
		t.Errorf("ring holds %d of %d samples, want 12 of 12", n, capacity)
	}
	// The newest sample is the newest call, not the first of its slot.
	last := src.samples.last()
	if !last.at.Equal(t0.Add(59900*time.Millisecond)) || last.stats.Canary.Requests != 599 {
		t.Errorf("newest sample at %v with %d requests, want t0+59.9s with 599", last.at.Sub(t0), last.stats.Canary.Requests)
	}
	// Kept samples are at least a slot apart and in order.
	for i := 1; i < src.samples.len(); i++ {
		if src.slot(src.samples.at(i).at) <= src.slot(src.samples.at(i-1).at) {
			t.Fatalf("samples %d and %d share a slot or are out of order", i-1, i)
		}
	}
	// A window longer than retention uses the oldest kept sample.
	got, _, ok := src.Window("canary", time.Hour, t0.Add(time.Minute))
	if !ok || got.Requests > 120 || got.Requests < 90 {
		t.Errorf("hour window = %d requests (ok=%v), want about the last 11 s (~110)", got.Requests, ok)
	}
}

func TestSampleIgnoresTimeGoingBack(t *testing.T) {
	f := &fakeReader{}
	src := New(f, Options{Resolution: time.Second})
	f.set(proxy.Stats{Canary: counts(10, 0, time.Millisecond)})
	src.Sample(t0.Add(10 * time.Second))
	f.set(proxy.Stats{Canary: counts(20, 0, time.Millisecond)})
	src.Sample(t0)
	if src.samples.len() != 1 || src.samples.last().stats.Canary.Requests != 10 {
		t.Errorf("an older sample changed the ring: %d samples, newest %d requests", src.samples.len(), src.samples.last().stats.Canary.Requests)
	}
}

func TestWindowAcrossProxyRestart(t *testing.T) {
	f := &fakeReader{}
	src := New(f, Options{Resolution: time.Second})
	f.set(proxy.Stats{Canary: counts(1000, 10, time.Millisecond)})
	src.Sample(t0)
	f.set(proxy.Stats{Canary: counts(30, 3, time.Millisecond)}) // counters reset
	src.Sample(t0.Add(10 * time.Second))
	got, _, ok := src.Window("canary", 10*time.Second, t0.Add(10*time.Second))
	if !ok || got.Requests != 30 || got.Errors != 3 {
		t.Errorf("Window after reset = %d requests, %d errors (ok=%v); want 30, 3", got.Requests, got.Errors, ok)
	}
}
