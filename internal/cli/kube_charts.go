package cli

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	promv1 "github.com/prometheus/client_golang/api/prometheus/v1"

	"sluice.dev/sluice/api/v1alpha1"
	"sluice.dev/sluice/internal/analysis"
	"sluice.dev/sluice/internal/metrics/prometheus"
	"sluice.dev/sluice/internal/release"
)

// Chart defaults: a page polls twice a second, Prometheus is asked at most
// once per chartTTL per release.
const (
	chartTTL         = 5 * time.Second
	chartMinStep     = 5 * time.Second
	chartQueryBudget = 5 * time.Second
	chartForget      = 10 * time.Minute
)

// kubeCharts reads cluster releases' charts from Prometheus with the
// built-in Istio queries the controller judges by, and keeps each answer
// for a few seconds: the dashboard polls far more often than the figures
// change.
type kubeCharts struct {
	// address, when set, is used for every release instead of its own
	// spec.analysis.prometheus.address (the in-cluster address is often
	// unreachable from a laptop).
	address string
	newAPI  func(address string) (promv1.API, error)
	now     func() time.Time
	logger  *slog.Logger
	ttl     time.Duration

	mu    sync.Mutex
	apis  map[string]promv1.API
	cache map[string]*chartEntry
}

// chartEntry is one release's last answer; its lock makes concurrent
// viewers of a release wait for one round of queries rather than each run
// their own.
type chartEntry struct {
	mu     sync.Mutex
	at     time.Time
	start  time.Time
	points []release.CheckPoint
	notes  []string
	used   time.Time
}

func newKubeCharts(address string, logger *slog.Logger) *kubeCharts {
	return &kubeCharts{
		address: address,
		newAPI:  func(a string) (promv1.API, error) { return prometheus.NewClient(a, nil) },
		now:     time.Now,
		logger:  logger,
		ttl:     chartTTL,
		apis:    map[string]promv1.API{},
		cache:   map[string]*chartEntry{},
	}
}

// charts returns the release's chart points from its start to now (or its
// end) and notes for what could not be read. Without metrics the points
// still carry the weight, from the release's history.
func (k *kubeCharts) charts(ctx context.Context, rel *v1alpha1.Release, stable, canary string) ([]release.CheckPoint, []string) {
	start, end := chartSpan(rel, k.now())
	e := k.entry(rel.Namespace + "/" + rel.Name)
	e.mu.Lock()
	defer e.mu.Unlock()
	now := k.now()
	if e.at.IsZero() || now.Sub(e.at) >= k.ttl || !e.start.Equal(start) {
		e.points, e.notes = k.fetch(ctx, rel, stable, canary, start, end)
		e.at, e.start = now, start
	}
	return e.points, e.notes
}

func (k *kubeCharts) entry(key string) *chartEntry {
	k.mu.Lock()
	defer k.mu.Unlock()
	now := k.now()
	for key, e := range k.cache {
		if now.Sub(e.used) > chartForget {
			delete(k.cache, key)
		}
	}
	e, ok := k.cache[key]
	if !ok {
		e = &chartEntry{}
		k.cache[key] = e
	}
	e.used = now
	return e
}

// chartSpan is the current release's life: from its start (or its first
// decision, or the object's creation) to its end, or now.
func chartSpan(rel *v1alpha1.Release, now time.Time) (time.Time, time.Time) {
	st := rel.Status
	start := rel.CreationTimestamp.Time
	switch {
	case st.StartedAt != nil:
		start = st.StartedAt.Time
	case len(st.History) > 0:
		start = st.History[0].Time.Time
	}
	end := now
	if st.FinishedAt != nil && st.Phase.Terminal() && st.FinishedAt.After(start) {
		end = st.FinishedAt.Time
	}
	if start.IsZero() || start.After(end) {
		start = end
	}
	return start, end
}

// fetch runs the release's range queries, all at once, within
// chartQueryBudget.
func (k *kubeCharts) fetch(ctx context.Context, rel *v1alpha1.Release, stable, canary string, start, end time.Time) ([]release.CheckPoint, []string) {
	step := prometheus.RangeStep(end.Sub(start), chartMinStep, maxChartPoints)
	r := prometheus.AlignedRange(start, end, step)
	history := historyWeights(rel, start)
	series, err := k.query(ctx, rel, stable, canary, r)
	var notes []string
	if err != nil {
		k.logger.Warn("dashboard: no metrics for the charts", "release", rel.Namespace+"/"+rel.Name, "err", err)
		notes = append(notes, "Metrics missing: "+err.Error()+". Where the charts have no figures, success rate and latency are unknown, not good; the weight comes from the release's history.")
	}
	return mergeCheckPoints(r, series, history), notes
}

// query asks Prometheus for the release's series; an error says why some
// or all are missing, and what was read is still returned.
func (k *kubeCharts) query(ctx context.Context, rel *v1alpha1.Release, stable, canary string, r promv1.Range) (chartSeries, error) {
	var s chartSeries
	addr := k.address
	if addr == "" && rel.Spec.Analysis.Prometheus != nil {
		addr = rel.Spec.Analysis.Prometheus.Address
	}
	if addr == "" {
		return s, errors.New("the release names no Prometheus (spec.analysis.prometheus.address); give one with --prometheus-url")
	}
	api, err := k.api(addr)
	if err != nil {
		return s, err
	}
	src, err := prometheus.New(api, prometheus.ReleaseTarget(rel, stable, canary), nil, prometheus.Options{Logger: k.logger, QueryTimeout: chartQueryBudget})
	if err != nil {
		return s, fmt.Errorf("prometheus %s: %w", addr, err)
	}
	ctx, cancel := context.WithTimeout(ctx, chartQueryBudget)
	defer cancel()

	// A job is a built-in metric of a version, or a query as is.
	type job struct {
		out         *[]prometheus.Point
		metric, ver string
		window      time.Duration
		query       string
	}
	var jobs []job
	for _, v := range []struct {
		name string
		out  *versionSeries
	}{{"stable", &s.Stable}, {"canary", &s.Canary}} {
		jobs = append(jobs,
			job{out: &v.out.RPS, metric: prometheus.MetricRequestRate, ver: v.name, window: chartWindow(rel, v1alpha1.MetricRequestSuccessRate, r.Step)},
			job{out: &v.out.SuccessRate, metric: v1alpha1.MetricRequestSuccessRate, ver: v.name, window: chartWindow(rel, v1alpha1.MetricRequestSuccessRate, r.Step)},
			job{out: &v.out.P99, metric: v1alpha1.MetricRequestDuration, ver: v.name, window: chartWindow(rel, v1alpha1.MetricRequestDuration, r.Step)},
		)
	}
	if q, err := prometheus.ReleaseWeightQuery(rel.Namespace, rel.Name); err == nil {
		jobs = append(jobs, job{out: &s.Weight, query: q})
	}
	errs := make([]error, len(jobs))
	var wg sync.WaitGroup
	for i, j := range jobs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if j.query != "" {
				*j.out, errs[i] = src.RangeQuery(ctx, j.query, r)
				return
			}
			*j.out, errs[i] = src.Range(ctx, j.metric, j.ver, j.window, r)
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			// One cause is enough for people; the others are alike.
			return s, fmt.Errorf("prometheus %s: %w", addr, err)
		}
	}
	return s, nil
}

func (k *kubeCharts) api(addr string) (promv1.API, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if a, ok := k.apis[addr]; ok {
		return a, nil
	}
	a, err := k.newAPI(addr)
	if err != nil {
		return nil, fmt.Errorf("prometheus %s: %w", addr, err)
	}
	k.apis[addr] = a
	return a, nil
}

// chartWindow is the window the release's check of metric measures over
// (so the charts show what the checks judge), at least one step so no
// request falls between two points.
func chartWindow(rel *v1alpha1.Release, metric string, step time.Duration) time.Duration {
	w := analysis.DefaultWindow
	for _, m := range rel.Spec.Analysis.Metrics {
		if m.Name == metric && m.Query == "" && m.Window != nil && m.Window.Duration > 0 {
			w = m.Window.Duration
		}
	}
	return max(w, step)
}
