package proxysource

import (
	"fmt"
	"sync"
	"time"

	"sluice.dev/sluice/internal/proxy"
)

// StatsReader is what the source needs from the proxy: its cumulative
// counters. Tests substitute a fake to script the counters over time.
type StatsReader interface {
	Stats() proxy.Stats
}

var _ StatsReader = (*proxy.Proxy)(nil)

// Defaults for Options.
const (
	DefaultRetention  = 15 * time.Minute
	DefaultResolution = 250 * time.Millisecond
)

// Options bound the source's memory and set its clock.
type Options struct {
	// Retention is how far back windows can reach. Default 15 minutes.
	Retention time.Duration
	// Resolution is the finest spacing of kept samples. A Sample in the same
	// Resolution slot as the newest one replaces it, so the newest data is
	// always fresh and memory is Retention/Resolution samples at most,
	// however often Sample is called. Default 250ms.
	Resolution time.Duration
	// Now is the clock used when a Query has no Now. Default time.Now.
	Now func() time.Time
}

// Source answers window queries over the proxy's counters. It is safe for
// concurrent use.
type Source struct {
	reader     StatsReader
	resolution time.Duration
	now        func() time.Time

	mu      sync.Mutex
	samples ring
}

// New returns a source reading r. It holds no data until Sample is called at
// least twice, a window apart.
func New(r StatsReader, opts Options) *Source {
	if opts.Retention <= 0 {
		opts.Retention = DefaultRetention
	}
	if opts.Resolution <= 0 {
		opts.Resolution = DefaultResolution
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	capacity := int(opts.Retention/opts.Resolution) + 2
	return &Source{reader: r, resolution: opts.Resolution, now: opts.Now, samples: newRing(capacity)}
}

// Sample records the proxy's counters as of now. Call it regularly, every
// 250 ms to 1 s; windows are only as precise as the sampling. A sample older
// than the newest one is ignored, so time only moves forward.
func (s *Source) Sample(now time.Time) {
	stats := s.reader.Stats()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.samples.len() > 0 {
		last := s.samples.last()
		switch {
		case now.Before(last.at):
			return
		case s.slot(now) == s.slot(last.at):
			*last = sample{at: now, stats: stats}
			return
		}
	}
	s.samples.push(sample{at: now, stats: stats})
}

func (s *Source) slot(t time.Time) int64 { return t.UnixNano() / int64(s.resolution) }

// Window returns what the named version ("stable" or "canary") served in the
// window ending at now: raw request and error counts and latency buckets, for
// callers that do their own statistics, and the span they cover (shorter
// than window early on, so rates are not under-read). ok is false when there
// are not two samples to subtract in that span, or the version is unknown.
func (s *Source) Window(version string, window time.Duration, now time.Time) (proxy.VersionStats, time.Duration, bool) {
	w, err := s.window(version, window, now)
	if err != nil || w.reason != "" {
		return proxy.VersionStats{}, 0, false
	}
	return w.delta, w.span, true
}

// windowed is a window's delta and how it was obtained.
type windowed struct {
	delta proxy.VersionStats
	// span is the time between the two samples subtracted; less than the
	// window asked for when the samples do not reach back that far.
	span time.Duration
	// shortened is true when the oldest sample is newer than the window's
	// start, so the delta covers only span.
	shortened bool
	// reason is non-empty when there is no delta, and says why.
	reason string
}

func (s *Source) window(version string, window time.Duration, now time.Time) (windowed, error) {
	pick, err := versionPicker(version)
	if err != nil {
		return windowed{}, err
	}
	if window <= 0 {
		return windowed{}, fmt.Errorf("window %v: must be positive", window)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	end := s.samples.atOrBefore(now)
	if end < 0 {
		return windowed{reason: "no samples of the proxy's counters yet"}, nil
	}
	begin := s.samples.atOrBefore(now.Add(-window))
	shortened := begin < 0
	if shortened {
		// Like increase() at the start of a series: use what there is.
		begin = 0
	}
	if begin == end {
		if end == 0 {
			return windowed{reason: "only one sample of the proxy's counters so far"}, nil
		}
		return windowed{reason: fmt.Sprintf("no samples of the proxy's counters in the last %v", roundWindow(window))}, nil
	}
	first, latest := s.samples.at(begin), s.samples.at(end)
	return windowed{
		delta:     pick(latest.stats).Sub(pick(first.stats)),
		span:      latest.at.Sub(first.at),
		shortened: shortened,
	}, nil
}

func versionPicker(version string) (func(proxy.Stats) proxy.VersionStats, error) {
	switch version {
	case proxy.VersionStable:
		return func(st proxy.Stats) proxy.VersionStats { return st.Stable }, nil
	case proxy.VersionCanary:
		return func(st proxy.Stats) proxy.VersionStats { return st.Canary }, nil
	}
	return nil, fmt.Errorf("unknown version %q: want %q or %q", version, proxy.VersionStable, proxy.VersionCanary)
}
