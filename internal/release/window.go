package release

import (
	"context"
	"time"

	"sluice.dev/sluice/internal/analysis"
)

// sinceStart keeps every check's window inside the release under test: a
// new canary runs in the slot (a Deployment, a process) its predecessor
// ran in, and its first checks must not judge it by the requests the
// predecessor served there — a rolled-back canary's errors must not fail
// the next one, nor a good predecessor's pass a bad one. A window cut
// short may hold no data yet; that holds the check, as no data always does.
type sinceStart struct {
	Metrics
	start time.Time
}

// Sample measures over the window, or over the time since the release
// started when that is shorter.
func (s sinceStart) Sample(ctx context.Context, metric, version string, window time.Duration, now time.Time) (analysis.Sample, error) {
	if since := now.Sub(s.start); !s.start.IsZero() && since < window {
		window = max(since, time.Millisecond)
	}
	return s.Metrics.Sample(ctx, metric, version, window, now) //nolint:wrapcheck // the source's errors say what they are about
}
