package prometheus

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"time"

	promv1 "github.com/prometheus/client_golang/api/prometheus/v1"
	"github.com/prometheus/common/model"
	"k8s.io/apimachinery/pkg/util/validation"

	"sluice.dev/sluice/api/v1alpha1"
	"sluice.dev/sluice/internal/analysis"
	"sluice.dev/sluice/internal/kubeerr"
)

var _ analysis.Source = (*Source)(nil)

// Target says whose requests the queries select: the Release's namespace
// and the workloads behind its stable and canary versions.
type Target struct {
	// Namespace is where both workloads run (destination_workload_namespace).
	Namespace string
	Stable    Workload
	Canary    Workload
}

// Workload is one version as the mesh's telemetry names it.
type Workload struct {
	// Name is the workload, as Istio reports it in destination_workload:
	// the Deployment's name, such as api-v2 or api-canary.
	Name string
	// Subset, when set, is also matched against destination_version, which
	// Istio takes from the pods' version label. Set it only when the
	// DestinationRule subset and that label agree (v1, v2); custom queries
	// see it as {{ version }}.
	Subset string
}

// DefaultQueryTimeout bounds a query whose context has no earlier deadline,
// so a hung Prometheus cannot stall a check forever.
const DefaultQueryTimeout = 30 * time.Second

// Options are the source's collaborators; the zero value works.
type Options struct {
	// Logger receives the warnings Prometheus attaches to answers. Default:
	// discard.
	Logger *slog.Logger
	// QueryTimeout bounds each query. Default DefaultQueryTimeout.
	QueryTimeout time.Duration
}

// Source answers analysis' metric questions with PromQL. It is safe for
// concurrent use.
type Source struct {
	api     promv1.API
	target  Target
	custom  map[string]*queryTemplate
	logger  *slog.Logger
	timeout time.Duration
}

// New checks the target's names and compiles the metrics' query templates,
// so a broken Release is reported once, when it is read, rather than at
// every check. Errors in the metrics are *kubeerr.ConfigError naming the
// field of the Release to fix.
func New(api promv1.API, target Target, metrics []v1alpha1.MetricCheck, opts Options) (*Source, error) {
	if api == nil {
		return nil, errors.New("prometheus: no API client")
	}
	if err := target.validate(); err != nil {
		return nil, err
	}
	s := &Source{api: api, target: target, custom: map[string]*queryTemplate{}, logger: opts.Logger, timeout: opts.QueryTimeout}
	if s.logger == nil {
		s.logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if s.timeout <= 0 {
		s.timeout = DefaultQueryTimeout
	}
	for i, m := range metrics {
		field := fmt.Sprintf("spec.analysis.metrics[%d]", i)
		switch {
		case m.Query != "":
			t, err := compileTemplate(m.Query)
			if err != nil {
				return nil, kubeerr.Config(field+".query", "", "%v", err)
			}
			s.custom[m.Name] = t
		case !isBuiltin(m.Name):
			return nil, kubeerr.Config(field+".name", "", "%q is not a built-in metric (%s, %s) and has no query",
				m.Name, v1alpha1.MetricRequestSuccessRate, v1alpha1.MetricRequestDuration)
		}
	}
	return s, nil
}

// validate refuses names that could not be Kubernetes objects. Escaping
// already keeps any value inside its string literal; this keeps odd
// values out of queries altogether and reports them where they came from.
func (t Target) validate() error {
	if errs := validation.IsDNS1123Label(t.Namespace); len(errs) > 0 {
		return fmt.Errorf("prometheus: namespace %q: %s", t.Namespace, errs[0])
	}
	for _, w := range []struct {
		role string
		w    Workload
	}{{"stable", t.Stable}, {"canary", t.Canary}} {
		if errs := validation.IsDNS1123Subdomain(w.w.Name); len(errs) > 0 {
			return fmt.Errorf("prometheus: %s workload %q: %s", w.role, w.w.Name, errs[0])
		}
		if w.w.Subset == "" {
			continue
		}
		if errs := validation.IsValidLabelValue(w.w.Subset); len(errs) > 0 {
			return fmt.Errorf("prometheus: %s subset %q: %s", w.role, w.w.Subset, errs[0])
		}
	}
	return nil
}

// Sample runs the metric's query for version ("stable" or "canary") over
// the window ending at now. No series, NaN or an infinity is no data, never
// a value; several series are an error, because which one to judge would
// be a guess.
func (s *Source) Sample(ctx context.Context, metric string, version string, window time.Duration, now time.Time) (analysis.Sample, error) {
	query, err := s.Query(metric, version, window)
	if err != nil {
		return analysis.Sample{}, err
	}
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	val, warnings, infos, err := s.api.Query(ctx, query, now)
	if len(warnings) > 0 {
		s.logger.Warn("prometheus answered with warnings", "metric", metric, "version", version, "query", query, "warnings", []string(warnings))
	}
	if len(infos) > 0 {
		s.logger.Debug("prometheus answered with notes", "metric", metric, "version", version, "query", query, "infos", []string(infos))
	}
	if err != nil {
		return analysis.Sample{}, fmt.Errorf("prometheus query %s: %w", query, err)
	}
	return sampleOf(query, val)
}

// Query is the PromQL the source runs for metric and version over window,
// for showing to people (status, logs, the CLI) and running by hand.
func (s *Source) Query(metric, version string, window time.Duration) (string, error) {
	w, err := s.workload(version)
	if err != nil {
		return "", err
	}
	win, err := formatWindow(window)
	if err != nil {
		return "", err
	}
	t, ok := s.custom[metric]
	if !ok {
		src := builtinTemplate(metric, w.Subset != "")
		if src == "" {
			src = chartTemplate(metric, w.Subset != "")
		}
		if src == "" {
			return "", fmt.Errorf("prometheus: unknown metric %q: not built in and no query given", metric)
		}
		if t, err = compileTemplate(src); err != nil {
			return "", fmt.Errorf("prometheus: built-in %s: %w", metric, err)
		}
	}
	// {{ version }} is the subset when there is one, else the workload.
	ver := w.Subset
	if ver == "" {
		ver = w.Name
	}
	q, err := t.render(values{namespace: s.target.Namespace, target: w.Name, version: ver, window: win})
	if err != nil {
		return "", fmt.Errorf("prometheus: metric %s: %w", metric, err)
	}
	return q, nil
}

func (s *Source) workload(version string) (Workload, error) {
	switch version {
	case "stable":
		return s.target.Stable, nil
	case "canary":
		return s.target.Canary, nil
	}
	return Workload{}, fmt.Errorf("prometheus: unknown version %q: want stable or canary", version)
}

// formatWindow writes window the way PromQL writes durations (30s, 1m,
// 1m30s), to the millisecond.
func formatWindow(window time.Duration) (string, error) {
	if window < time.Millisecond {
		return "", fmt.Errorf("prometheus: window %v: must be at least 1ms", window)
	}
	return model.Duration(window.Truncate(time.Millisecond)).String(), nil
}

// sampleOf turns a query's answer into one value, or no data.
func sampleOf(query string, val model.Value) (analysis.Sample, error) {
	var v float64
	switch val := val.(type) {
	case model.Vector:
		switch len(val) {
		case 0:
			return analysis.Sample{NoData: true, Reason: "no series for " + query}, nil
		case 1:
			v = float64(val[0].Value)
		default:
			return analysis.Sample{}, fmt.Errorf("prometheus query %s: %d series (%s, %s, ...), want one: aggregate it, e.g. with sum()",
				query, len(val), val[0].Metric, val[1].Metric)
		}
	case *model.Scalar:
		v = float64(val.Value)
	default:
		return analysis.Sample{}, fmt.Errorf("prometheus query %s: answered a %s, want an instant vector or scalar", query, val.Type())
	}
	switch {
	case math.IsNaN(v):
		return analysis.Sample{NoData: true, Reason: "NaN (no requests in the window?) for " + query}, nil
	case math.IsInf(v, 0):
		return analysis.Sample{NoData: true, Reason: fmt.Sprintf("%v for %s", v, query)}, nil
	}
	return analysis.Sample{Value: v}, nil
}
