package cli

import (
	"sort"
	"time"

	promv1 "github.com/prometheus/client_golang/api/prometheus/v1"

	"sluice.dev/sluice/api/v1alpha1"
	"sluice.dev/sluice/internal/metrics/prometheus"
	"sluice.dev/sluice/internal/release"
)

// versionSeries are one version's figures over a release.
type versionSeries struct {
	RPS, SuccessRate, P99 []prometheus.Point
}

// chartSeries are a release's range query answers, on one grid of
// instants.
type chartSeries struct {
	// Weight is the controller's own gauge; empty when Prometheus does not
	// scrape the controller.
	Weight         []prometheus.Point
	Stable, Canary versionSeries
}

// maxChartPoints bounds a release's chart, whatever its length.
const maxChartPoints = 300

// mergeCheckPoints lays the series on the instants of r, one point each:
// a metric without a value at an instant is no data there (nil), never
// zero, except the request rate, which the chart format holds as a plain
// number. The weight is the controller's gauge where it has a value,
// carried forward across its gaps, and otherwise what the release's
// history says.
func mergeCheckPoints(r promv1.Range, s chartSeries, history weightTimeline) []release.CheckPoint {
	if r.Step <= 0 || r.End.Before(r.Start) {
		return nil
	}
	weights := index(s.Weight)
	stable, canary := indexVersion(s.Stable), indexVersion(s.Canary)
	var out []release.CheckPoint
	var gauge *float64
	for t := r.Start; !t.After(r.End) && len(out) < 2*maxChartPoints; t = t.Add(r.Step) {
		k := t.UnixMilli()
		p := release.CheckPoint{Time: t, Weight: history.at(t)}
		if w, ok := weights[k]; ok {
			gauge = w
		}
		if gauge != nil {
			p.Weight = int32(*gauge + 0.5)
		}
		p.Stable, p.Canary = stable.at(k), canary.at(k)
		out = append(out, p)
	}
	return out
}

// index maps the instants with a value to it.
func index(pts []prometheus.Point) map[int64]*float64 {
	m := make(map[int64]*float64, len(pts))
	for _, p := range pts {
		if p.Value != nil {
			m[p.Time.UnixMilli()] = p.Value
		}
	}
	return m
}

type versionIndex struct{ rps, success, p99 map[int64]*float64 }

func indexVersion(v versionSeries) versionIndex {
	return versionIndex{rps: index(v.RPS), success: index(v.SuccessRate), p99: index(v.P99)}
}

func (v versionIndex) at(k int64) release.VersionPoint {
	return release.VersionPoint{RPS: v.rps[k], SuccessRate: v.success[k], P99Millis: v.p99[k]}
}

// weightChange is the canary weight from a moment on.
type weightChange struct {
	at     time.Time
	weight int32
}

// weightTimeline is a release's canary weight over time, oldest first.
type weightTimeline []weightChange

func (w weightTimeline) at(t time.Time) int32 {
	i := sort.Search(len(w), func(i int) bool { return w[i].at.After(t) })
	if i == 0 {
		return 0
	}
	return w[i-1].weight
}

// historyWeights is the weight over the current release, from its
// decisions: each records the canary weight it left. The status' weight
// is the truth from the last decision on. Decisions before since belong to
// earlier releases.
func historyWeights(rel *v1alpha1.Release, since time.Time) weightTimeline {
	st := rel.Status
	var out weightTimeline
	var last time.Time
	for _, d := range st.History {
		if d.Time.Time.Before(since) {
			continue
		}
		last = d.Time.Time
		out = append(out, weightChange{at: d.Time.Time, weight: d.CanaryWeight})
	}
	if st.StepStartedAt != nil && st.StepStartedAt.After(last) {
		last = st.StepStartedAt.Time
	}
	if !last.IsZero() {
		out = append(out, weightChange{at: last, weight: st.CanaryWeight})
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].at.Before(out[j].at) })
	return out
}
