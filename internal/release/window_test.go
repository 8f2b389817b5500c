package release

import (
	"context"
	"testing"
	"time"

	"sluice.dev/sluice/internal/analysis"
)

// windowSource records the windows it is asked for.
type windowSource struct {
	Metrics
	got time.Duration
}

func (w *windowSource) Sample(_ context.Context, _, _ string, window time.Duration, _ time.Time) (analysis.Sample, error) {
	w.got = window
	return analysis.Sample{}, nil
}

func TestWindowsStayInsideTheRelease(t *testing.T) {
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	tests := map[string]struct {
		start      time.Time
		now        time.Duration
		window     time.Duration
		wantWindow time.Duration
	}{
		"a window longer than the release is cut": {start: start, now: 20 * time.Second, window: time.Minute, wantWindow: 20 * time.Second},
		"a window inside the release is kept":     {start: start, now: 2 * time.Minute, window: time.Minute, wantWindow: time.Minute},
		"at the very start a sliver is asked":     {start: start, now: 0, window: time.Minute, wantWindow: time.Millisecond},
		"no start leaves the window":              {now: time.Hour, window: time.Minute, wantWindow: time.Minute},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			src := &windowSource{}
			s := sinceStart{Metrics: src, start: tc.start}
			if _, err := s.Sample(context.Background(), "m", "canary", tc.window, start.Add(tc.now)); err != nil {
				t.Fatal(err)
			}
			if src.got != tc.wantWindow {
				t.Fatalf("window %s, want %s", src.got, tc.wantWindow)
			}
		})
	}
}
