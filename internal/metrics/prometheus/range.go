package prometheus

import (
	"context"
	"fmt"
	"math"
	"time"

	promv1 "github.com/prometheus/client_golang/api/prometheus/v1"
	"github.com/prometheus/common/model"
)

// Point is one step of a range query. Value is nil where the query had no
// data (no series, NaN, an infinity): a gap in a chart, never a value.
type Point struct {
	Time  time.Time
	Value *float64
}

// rangeSteps are the steps RangeStep picks from: round figures, so points
// of successive queries over a growing span fall on the same instants
// until the step grows.
var rangeSteps = []time.Duration{
	time.Second, 2 * time.Second, 5 * time.Second, 10 * time.Second, 15 * time.Second, 30 * time.Second,
	time.Minute, 2 * time.Minute, 5 * time.Minute, 10 * time.Minute, 15 * time.Minute, 30 * time.Minute,
	time.Hour, 2 * time.Hour, 6 * time.Hour, 12 * time.Hour, 24 * time.Hour,
}

// RangeStep is the smallest round step, at least minStep, that covers
// span in at most maxPoints points, so a chart of a release of any length
// costs Prometheus and the browser about the same.
func RangeStep(span, minStep time.Duration, maxPoints int) time.Duration {
	if maxPoints < 1 {
		maxPoints = 1
	}
	want := max(span/time.Duration(maxPoints), minStep)
	for _, s := range rangeSteps {
		if s >= want {
			return s
		}
	}
	// Longer than the ladder: whole days.
	day := 24 * time.Hour
	return (want + day - 1) / day * day
}

// AlignedRange is the range from start to end at step, its instants the
// multiples of step since the epoch within [start, end]: the same instants
// for every query of that step, whenever it runs. A span shorter than a
// step is the one instant end, to the second (instants in whole seconds
// come back from Prometheus exactly as sent).
func AlignedRange(start, end time.Time, step time.Duration) promv1.Range {
	from := start.Truncate(step)
	if from.Before(start) {
		from = from.Add(step)
	}
	if from.After(end) {
		end = end.Truncate(time.Second)
		return promv1.Range{Start: end, End: end, Step: step}
	}
	return promv1.Range{Start: from, End: end, Step: step}
}

// Range runs the metric's query for version ("stable" or "canary") at each
// step of r, each value measured over the window ending at its instant.
func (s *Source) Range(ctx context.Context, metric, version string, window time.Duration, r promv1.Range) ([]Point, error) {
	query, err := s.Query(metric, version, window)
	if err != nil {
		return nil, err
	}
	return s.RangeQuery(ctx, query, r)
}

// RangeQuery runs query over r with the source's timeout. No series is no
// data at every step (nil points, no error); several series are an error,
// as for Sample.
func (s *Source) RangeQuery(ctx context.Context, query string, r promv1.Range) ([]Point, error) {
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	val, warnings, infos, err := s.api.QueryRange(ctx, query, r)
	if len(warnings) > 0 {
		s.logger.Warn("prometheus answered with warnings", "query", query, "warnings", []string(warnings))
	}
	if len(infos) > 0 {
		s.logger.Debug("prometheus answered with notes", "query", query, "infos", []string(infos))
	}
	if err != nil {
		return nil, fmt.Errorf("prometheus range query %s: %w", query, err)
	}
	return pointsOf(query, val)
}

// pointsOf turns a range query's answer into points.
func pointsOf(query string, val model.Value) ([]Point, error) {
	m, ok := val.(model.Matrix)
	if !ok {
		return nil, fmt.Errorf("prometheus range query %s: answered a %s, want a range vector", query, val.Type())
	}
	switch len(m) {
	case 0:
		return nil, nil
	case 1:
	default:
		return nil, fmt.Errorf("prometheus range query %s: %d series (%s, %s, ...), want one: aggregate it, e.g. with sum()",
			query, len(m), m[0].Metric, m[1].Metric)
	}
	out := make([]Point, 0, len(m[0].Values))
	for _, sp := range m[0].Values {
		p := Point{Time: sp.Timestamp.Time()}
		if v := float64(sp.Value); !math.IsNaN(v) && !math.IsInf(v, 0) {
			p.Value = &v
		}
		out = append(out, p)
	}
	return out, nil
}
