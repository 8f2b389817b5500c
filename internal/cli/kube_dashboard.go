package cli

import (
	"context"
	"fmt"
	"strings"

	"sluice.dev/sluice/api/v1alpha1"
	"sluice.dev/sluice/internal/dashboard"
	"sluice.dev/sluice/internal/release"
)

// kubeDashboard is the cluster as the dashboard shows it: the releases of
// one namespace (named bare, as `get` names them) or of all (named
// "namespace/name"), each page with charts from Prometheus.
type kubeDashboard struct {
	rel *kubeReleases
	// all lists every namespace; keys then carry the namespace.
	all    bool
	charts *kubeCharts
}

var (
	_ dashboard.Source      = (*kubeDashboard)(nil)
	_ dashboard.NotedSource = (*kubeDashboard)(nil)
)

// locate turns a dashboard key into the release's namespace and name.
func (k *kubeDashboard) locate(key string) (string, string, error) {
	if k.all {
		ns, name, ok := strings.Cut(key, "/")
		if !ok || ns == "" || name == "" {
			return "", "", fmt.Errorf("%q: want namespace/name", key)
		}
		return ns, name, nil
	}
	_, ns, err := k.rel.client()
	return ns, key, err
}

// List returns the releases from one request, without their Deployments.
func (k *kubeDashboard) List(ctx context.Context) ([]*release.View, error) {
	if k.all {
		return k.rel.listIn(ctx, "")
	}
	return k.rel.List(ctx)
}

// Get returns a release with its charts.
func (k *kubeDashboard) Get(ctx context.Context, key string) (*release.View, bool, error) {
	s, live, _, err := k.GetNoted(ctx, key)
	return s, live, err
}

// GetNoted returns a release with its charts, and a note when its metrics
// could not be read: the page then shows gaps and says why.
func (k *kubeDashboard) GetNoted(ctx context.Context, key string) (*release.View, bool, []string, error) {
	ns, name, err := k.locate(key)
	if err != nil {
		return nil, false, nil, err
	}
	s, err := k.rel.getIn(ctx, ns, name)
	if err != nil {
		return nil, false, nil, err
	}
	stable, canary := deploymentNames(&s.Release)
	var notes []string
	s.Checks, notes = k.charts.charts(ctx, &s.Release, stable, canary)
	if len(s.Checks) > 1 {
		step := s.Checks[1].Time.Sub(s.Checks[0].Time)
		s.ChartWindow = chartWindow(&s.Release, v1alpha1.MetricRequestSuccessRate, step).String()
	}
	latestFigures(s)
	return s, true, notes, nil
}

// Command sends a command to the release the key names.
func (k *kubeDashboard) Command(ctx context.Context, key, command string) (string, error) {
	ns, name, err := k.locate(key)
	if err != nil {
		return "", err
	}
	return k.rel.commandIn(ctx, ns, name, command)
}

// latestFigures shows the last chart point's figures as the versions' own,
// as a local release shows its proxy's.
func latestFigures(s *release.View) {
	if len(s.Checks) == 0 {
		return
	}
	last := s.Checks[len(s.Checks)-1]
	for i := range s.Versions {
		p := last.Stable
		if s.Versions[i].Name == "canary" {
			p = last.Canary
		}
		s.Versions[i].SuccessRate, s.Versions[i].P99Millis = p.SuccessRate, p.P99Millis
		if p.RPS != nil {
			s.Versions[i].RPS = *p.RPS
		}
	}
}
