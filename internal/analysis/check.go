package analysis

import (
	"context"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"sluice.dev/sluice/api/v1alpha1"
	"sluice.dev/sluice/internal/engine"
)

// Sample is one metric value for one version over a window.
type Sample struct {
	Value float64
	// NoData is true when there was nothing to measure; Value is then
	// meaningless and the check must not pass.
	NoData bool
	// Reason says why there was no data.
	Reason string
	// Requests is how many requests the value is made of, when known.
	Requests uint64
}

// Source answers metric queries; Prometheus and the local proxy implement
// it. Version is "stable" or "canary". An unknown metric is an error.
type Source interface {
	Sample(ctx context.Context, metric string, version string, window time.Duration, now time.Time) (Sample, error)
}

// DefaultWindow is used for metrics that name no window.
const DefaultWindow = time.Minute

// Check evaluates every metric for the canary and folds them into one
// verdict: Fail if any failed, else NoData if any had none, else Pass. A
// query error is no data, never a pass.
func Check(ctx context.Context, src Source, metrics []v1alpha1.MetricCheck, now time.Time) engine.CheckResult {
	res := engine.CheckResult{Verdict: v1alpha1.VerdictPass}
	if len(metrics) == 0 {
		res.Reason = "no threshold metrics to check"
		return res
	}
	var failed, nodata []string
	for _, m := range metrics {
		ms := evaluate(ctx, src, m, now)
		res.Metrics = append(res.Metrics, ms)
		switch ms.Verdict {
		case v1alpha1.VerdictFail:
			failed = append(failed, ms.Message)
		case v1alpha1.VerdictNoData:
			nodata = append(nodata, ms.Message)
		}
	}
	switch {
	case len(failed) > 0:
		res.Verdict, res.Reason = v1alpha1.VerdictFail, strings.Join(failed, "; ")
	case len(nodata) > 0:
		res.Verdict, res.Reason = v1alpha1.VerdictNoData, strings.Join(nodata, "; ")
	default:
		var ok []string
		for _, m := range res.Metrics {
			ok = append(ok, m.Message)
		}
		res.Reason = strings.Join(ok, "; ")
	}
	return res
}

func evaluate(ctx context.Context, src Source, m v1alpha1.MetricCheck, now time.Time) v1alpha1.MetricStatus {
	window := DefaultWindow
	if m.Window != nil && m.Window.Duration > 0 {
		window = m.Window.Duration
	}
	ms := v1alpha1.MetricStatus{Name: m.Name}
	s, err := src.Sample(ctx, m.Name, "canary", window, now)
	if err != nil {
		ms.Verdict, ms.Message = v1alpha1.VerdictNoData, fmt.Sprintf("%s: query failed: %v", describe(m.Name), err)
		return ms
	}
	if s.NoData {
		reason := s.Reason
		if reason == "" {
			reason = "no data"
		}
		ms.Verdict, ms.Message = v1alpha1.VerdictNoData, fmt.Sprintf("%s: %s", describe(m.Name), reason)
		return ms
	}
	ms.Value = strconv.FormatFloat(s.Value, 'f', -1, 64)
	r := m.ThresholdRange
	v := format(m.Name, s.Value)
	switch {
	case r.Min != nil && s.Value < *r.Min:
		ms.Verdict, ms.Message = v1alpha1.VerdictFail, fmt.Sprintf("%s %s < %s", describe(m.Name), v, format(m.Name, *r.Min))
	case r.Max != nil && s.Value > *r.Max:
		ms.Verdict, ms.Message = v1alpha1.VerdictFail, fmt.Sprintf("%s %s > %s", describe(m.Name), v, format(m.Name, *r.Max))
	default:
		ms.Verdict, ms.Message = v1alpha1.VerdictPass, fmt.Sprintf("%s %s within %s", describe(m.Name), v, rangeString(m.Name, r))
	}
	return ms
}

// describe names a metric the way people say it.
func describe(name string) string {
	switch name {
	case v1alpha1.MetricRequestSuccessRate:
		return "canary success rate"
	case v1alpha1.MetricRequestDuration:
		return "canary p99 latency"
	}
	return "canary " + name
}

// format prints a value in the metric's unit. Percentages are cut, not
// rounded, to two decimals so that 99.996% never reads as a passing 100%.
func format(name string, v float64) string {
	switch name {
	case v1alpha1.MetricRequestSuccessRate:
		return strconv.FormatFloat(math.Floor(v*100)/100, 'f', -1, 64) + "%"
	case v1alpha1.MetricRequestDuration:
		return fmt.Sprintf("%.0fms", v)
	}
	return strconv.FormatFloat(v, 'g', 4, 64)
}

func rangeString(name string, r v1alpha1.ThresholdRange) string {
	switch {
	case r.Min != nil && r.Max != nil:
		return fmt.Sprintf("[%s, %s]", format(name, *r.Min), format(name, *r.Max))
	case r.Min != nil:
		return "≥ " + format(name, *r.Min)
	case r.Max != nil:
		return "≤ " + format(name, *r.Max)
	}
	return "any"
}
