package prometheus

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/common/model"

	"sluice.dev/sluice/internal/analysis"
)

// ErrNoCounts says the mesh has reported no request of a version yet: the
// judge gets no batch, which is never read as a pass.
var ErrNoCounts = errors.New("no requests reported")

// The statistical judge compares versions from counts, not ratios: how
// many requests each served, how many failed, and how many fell in each
// latency bucket. These read Istio's counters as they stand at a moment;
// the judge takes the difference between two readings.
const (
	countRequests = `sum(` + istioRequests + `{SEL})`
	countErrors   = `sum(` + istioRequests + `{SEL,response_code=~"5.."})`
	countBuckets  = `sum by (le) (` + istioDuration + `{SEL})`
)

// Counts reads a version's cumulative requests, 5xx answers and latency
// histogram at now, with the histogram's bucket bounds in seconds (from
// the series' le labels, +Inf left implied). Buckets are per bucket, not
// cumulative, as analysis.ArmSample wants them; no histogram leaves them
// nil. A version the mesh has not reported is ErrNoCounts.
func (s *Source) Counts(ctx context.Context, version string, now time.Time) (analysis.ArmSample, []float64, error) {
	var arm analysis.ArmSample
	reqs, ok, err := s.scalar(ctx, countRequests, version, now)
	if err != nil {
		return arm, nil, err
	}
	if !ok {
		return arm, nil, fmt.Errorf("%s: %w", version, ErrNoCounts)
	}
	errs, _, err := s.scalar(ctx, countErrors, version, now) // no 5xx series: none failed
	if err != nil {
		return arm, nil, err
	}
	arm.Requests, arm.Errors = reqs, min(errs, reqs)
	bounds, buckets, err := s.histogram(ctx, version, now)
	if err != nil {
		return arm, nil, err
	}
	arm.Buckets = buckets
	return arm, bounds, nil
}

// render fills a count query for version.
func (s *Source) render(src, version string) (string, error) {
	w, err := s.workload(version)
	if err != nil {
		return "", err
	}
	sel := selector(w.Subset != "")
	t, err := compileTemplate(strings.ReplaceAll(src, "SEL", sel))
	if err != nil {
		return "", fmt.Errorf("prometheus: count query: %w", err)
	}
	ver := w.Subset
	if ver == "" {
		ver = w.Name
	}
	q, err := t.render(values{namespace: s.target.Namespace, target: w.Name, version: ver, window: "1m"})
	if err != nil {
		return "", fmt.Errorf("prometheus: count query: %w", err)
	}
	return q, nil
}

func (s *Source) vector(ctx context.Context, src, version string, now time.Time) (model.Vector, string, error) {
	q, err := s.render(src, version)
	if err != nil {
		return nil, "", err
	}
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	val, warnings, _, err := s.api.Query(ctx, q, now)
	if len(warnings) > 0 {
		s.logger.Warn("prometheus answered with warnings", "version", version, "query", q, "warnings", []string(warnings))
	}
	if err != nil {
		return nil, q, fmt.Errorf("prometheus query %s: %w", q, err)
	}
	vec, ok := val.(model.Vector)
	if !ok {
		return nil, q, fmt.Errorf("prometheus query %s: answered a %s, want an instant vector", q, val.Type())
	}
	return vec, q, nil
}

// scalar runs a sum() query: ok is false when no series matched.
func (s *Source) scalar(ctx context.Context, src, version string, now time.Time) (uint64, bool, error) {
	vec, q, err := s.vector(ctx, src, version, now)
	if err != nil || len(vec) == 0 {
		return 0, false, err
	}
	v := float64(vec[0].Value)
	if math.IsNaN(v) || math.IsInf(v, 0) || v < 0 {
		return 0, false, fmt.Errorf("prometheus query %s: %v is not a count", q, v)
	}
	return uint64(math.Round(v)), true, nil
}

// histogram reads the cumulative le buckets and turns them into per-bucket
// counts on the finite bounds, in seconds (Istio's le is milliseconds).
func (s *Source) histogram(ctx context.Context, version string, now time.Time) ([]float64, []uint64, error) {
	vec, q, err := s.vector(ctx, countBuckets, version, now)
	if err != nil || len(vec) == 0 {
		return nil, nil, err
	}
	type point struct {
		le  float64
		cum float64
	}
	pts := make([]point, 0, len(vec))
	for _, smp := range vec {
		le, err := strconv.ParseFloat(string(smp.Metric["le"]), 64)
		if err != nil {
			return nil, nil, fmt.Errorf("prometheus query %s: bucket le %q: %w", q, smp.Metric["le"], err)
		}
		pts = append(pts, point{le, float64(smp.Value)})
	}
	slices.SortFunc(pts, func(a, b point) int {
		switch {
		case a.le < b.le:
			return -1
		case a.le > b.le:
			return 1
		}
		return 0
	})
	if !math.IsInf(pts[len(pts)-1].le, 1) {
		return nil, nil, fmt.Errorf("prometheus query %s: no +Inf bucket", q)
	}
	bounds := make([]float64, 0, len(pts)-1)
	buckets := make([]uint64, 0, len(pts))
	prev := 0.0
	for i, p := range pts {
		if i < len(pts)-1 {
			bounds = append(bounds, p.le/1000)
		}
		// Series scraped at different moments can make a cumulative count
		// dip; a bucket is never negative.
		buckets = append(buckets, uint64(math.Round(max(0, p.cum-prev))))
		prev = max(prev, p.cum)
	}
	return bounds, buckets, nil
}
