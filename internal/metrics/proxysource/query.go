package proxysource

import (
	"context"
	"fmt"
	"time"

	"sluice.dev/sluice/api/v1alpha1"
)

// Query asks for one built-in metric of one version over a window.
type Query struct {
	// Metric is v1alpha1.MetricRequestSuccessRate ("request-success-rate",
	// percent of responses that are not 5xx) or v1alpha1.MetricRequestDuration
	// ("request-duration", p99 latency in milliseconds).
	Metric string
	// Version is "stable" or "canary".
	Version string
	// Window is how far back from Now to look; it must be positive.
	Window time.Duration
	// Now ends the window; zero means the source's clock.
	Now time.Time
}

// Result is a metric value, or why there is none.
type Result struct {
	// Value is the metric; meaningless when NoData.
	Value float64
	// Requests is how many requests the window holds; the analysis can
	// weigh a value by it.
	Requests uint64
	// NoData is true when nothing was measured: no requests, or not enough
	// samples. A check must not pass on it.
	NoData bool
	// Reason explains NoData, or notes that the samples covered less than
	// the window asked for.
	Reason string
	// Span is the time the value actually covers: the window, or less at the
	// start of a release when samples do not reach back that far.
	Span time.Duration
}

// Query computes a metric over the window ending at q.Now. An unknown metric
// or version is an error, never a silent default.
func (s *Source) Query(ctx context.Context, q Query) (Result, error) {
	if err := ctx.Err(); err != nil {
		return Result{}, err
	}
	switch q.Metric {
	case v1alpha1.MetricRequestSuccessRate, v1alpha1.MetricRequestDuration:
	default:
		return Result{}, fmt.Errorf("unknown metric %q: the proxy measures %q and %q", q.Metric, v1alpha1.MetricRequestSuccessRate, v1alpha1.MetricRequestDuration)
	}
	now := q.Now
	if now.IsZero() {
		now = s.now()
	}
	w, err := s.window(q.Version, q.Window, now)
	if err != nil {
		return Result{}, fmt.Errorf("%s for %s: %w", q.Metric, q.Version, err)
	}
	if w.reason != "" {
		return Result{NoData: true, Reason: w.reason}, nil
	}
	res := Result{Requests: w.delta.Requests, Span: w.span}
	if w.delta.Requests == 0 {
		res.NoData, res.Reason = true, fmt.Sprintf("no %s requests in the last %v", q.Version, roundWindow(q.Window))
		return res, nil
	}
	switch q.Metric {
	case v1alpha1.MetricRequestSuccessRate:
		res.Value = 100 * float64(w.delta.Requests-w.delta.Errors) / float64(w.delta.Requests)
	case v1alpha1.MetricRequestDuration:
		p99, ok := w.delta.Quantile(0.99)
		if !ok {
			res.NoData, res.Reason = true, fmt.Sprintf("no timed %s requests in the last %v", q.Version, roundWindow(q.Window))
			return res, nil
		}
		res.Value = p99 * 1000
	}
	if w.shortened {
		res.Reason = fmt.Sprintf("samples cover only %v of the %v window", w.span.Round(time.Millisecond), roundWindow(q.Window))
	}
	return res, nil
}

// roundWindow is a window as people read it: a window cut short at the
// release's start is 1.000062758s long, said as 1s.
func roundWindow(d time.Duration) time.Duration {
	if d >= time.Second {
		return d.Round(100 * time.Millisecond)
	}
	return d.Round(time.Millisecond)
}
