package proxysource

import (
	"sync"
	"time"

	"sluice.dev/sluice/internal/proxy"
)

// fakeReader is a scripted StatsReader: tests set the proxy's cumulative
// counters before each Sample.
type fakeReader struct {
	mu    sync.Mutex
	stats proxy.Stats
}

func (f *fakeReader) Stats() proxy.Stats {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.stats
}

func (f *fakeReader) set(s proxy.Stats) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.stats = s
}

// counts builds cumulative VersionStats: requests, errors, and every request
// timed at latency.
func counts(requests, errors uint64, latency time.Duration) proxy.VersionStats {
	b := make([]uint64, len(proxy.LatencyBounds)+1)
	i := len(proxy.LatencyBounds)
	for j, bound := range proxy.LatencyBounds {
		if latency.Seconds() <= bound {
			i = j
			break
		}
	}
	b[i] = requests
	return proxy.VersionStats{Requests: requests, Errors: errors, Buckets: b, Sum: float64(requests) * latency.Seconds()}
}

var t0 = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

// steady returns a source sampled once a second for n seconds from t0, with
// stable serving 10 requests a second and canary 5 (1 of them an error), all
// timed at 40 ms (stable) and 90 ms (canary).
func steady(n int) (*Source, *fakeReader) {
	f := &fakeReader{}
	src := New(f, Options{Resolution: time.Second, Retention: time.Hour, Now: func() time.Time { return t0.Add(time.Duration(n-1) * time.Second) }})
	for i := range n {
		f.set(proxy.Stats{
			Stable: counts(uint64(10*i), 0, 40*time.Millisecond),
			Canary: counts(uint64(5*i), uint64(i), 90*time.Millisecond),
		})
		src.Sample(t0.Add(time.Duration(i) * time.Second))
	}
	return src, f
}
