package controller

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"sync"

	promv1 "github.com/prometheus/client_golang/api/prometheus/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"sluice.dev/sluice/api/v1alpha1"
	"sluice.dev/sluice/internal/kubeerr"
	"sluice.dev/sluice/internal/metrics/prometheus"
	"sluice.dev/sluice/internal/release"
	"sluice.dev/sluice/internal/traffic/gatewayapi"
	"sluice.dev/sluice/internal/traffic/istio"
	"sluice.dev/sluice/internal/workload/kubernetes"
)

// ClusterParts builds the real parts: Deployments, Istio or Gateway API
// routes, Prometheus and HTTP webhooks.
type ClusterParts struct {
	Client client.Client
	// PrometheusAddress is used when a release names none.
	PrometheusAddress string
	// HTTP is the client for Prometheus (nil: the default transport).
	HTTP http.RoundTripper
	// Webhooks calls the releases' webhooks.
	Webhooks release.Hooks
	Logger   *slog.Logger

	mu   sync.Mutex
	apis map[string]promv1.API
}

var (
	_ Parts           = (*ClusterParts)(nil)
	_ release.Metrics = (*prometheus.Source)(nil)
)

// Build returns the release's parts. A local workload is a ConfigError of
// the spec alone: it runs with `sluice run`, not in a cluster.
func (p *ClusterParts) Build(rel *v1alpha1.Release) (release.Parts, error) {
	if rel.Spec.Workload.Local != nil {
		return release.Parts{}, kubeerr.Config("spec.workload.local", "", "local releases run with `sluice run`, not in a cluster")
	}
	d, err := kubernetes.New(p.Client, rel.Namespace, rel.Name, rel.Spec.Workload, rel)
	if err != nil {
		return release.Parts{}, fmt.Errorf("workload: %w", err)
	}
	rt, err := p.router(rel)
	if err != nil {
		return release.Parts{}, err
	}
	return release.Parts{
		Workload: workloadAdapter{d},
		Router:   rt,
		Metrics:  func(vs release.Versions) (release.Metrics, error) { return p.metrics(rel, vs) },
		Hooks:    p.Webhooks,
	}, nil
}

// Finalizer returns the workload driver, which gives replicas back.
func (p *ClusterParts) Finalizer(rel *v1alpha1.Release) (Finalizing, error) {
	d, err := kubernetes.New(p.Client, rel.Namespace, rel.Name, rel.Spec.Workload, rel)
	if err != nil {
		return nil, fmt.Errorf("workload: %w", err)
	}
	return d, nil
}

// router returns the router of the release's traffic form.
func (p *ClusterParts) router(rel *v1alpha1.Release) (release.Router, error) {
	t := rel.Spec.Traffic
	switch {
	case t.Istio != nil:
		return istio.New(p.Client, rel.Namespace, *t.Istio, t.Match), nil
	case t.GatewayAPI != nil:
		return gatewayapi.New(p.Client, rel.Namespace, *t.GatewayAPI, t.Match), nil
	}
	return nil, kubeerr.Config("spec.traffic", "", "set istio or gatewayAPI: the proxy router runs with `sluice run`")
}

// metrics returns a Prometheus source for the release's workloads.
func (p *ClusterParts) metrics(rel *v1alpha1.Release, vs release.Versions) (release.Metrics, error) {
	addr := p.PrometheusAddress
	if pr := rel.Spec.Analysis.Prometheus; pr != nil && pr.Address != "" {
		addr = pr.Address
	}
	if addr == "" {
		return nil, kubeerr.Config("spec.analysis.prometheus.address", "", "no Prometheus address: set it here or start the controller with --prometheus-address")
	}
	api, err := p.api(addr)
	if err != nil {
		return nil, err
	}
	target := prometheus.ReleaseTarget(rel, vs.StableName, vs.CanaryName)
	src, err := prometheus.New(api, target, rel.Spec.Analysis.Metrics, prometheus.Options{Logger: p.Logger})
	if err != nil {
		return nil, fmt.Errorf("metrics: %w", err)
	}
	return src, nil
}

func (p *ClusterParts) api(addr string) (promv1.API, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if a, ok := p.apis[addr]; ok {
		return a, nil
	}
	a, err := prometheus.NewClient(addr, p.HTTP)
	if err != nil {
		return nil, fmt.Errorf("prometheus %s: %w", addr, err)
	}
	if p.apis == nil {
		p.apis = map[string]promv1.API{}
	}
	p.apis[addr] = a
	return a, nil
}

// workloadAdapter maps the driver's observation to the release layer's.
type workloadAdapter struct{ kubernetes.Driver }

var _ release.Workload = workloadAdapter{}

func (w workloadAdapter) Observe(ctx context.Context) (release.Versions, error) {
	o, err := w.Driver.Observe(ctx)
	if err != nil {
		return release.Versions{}, err //nolint:wrapcheck // the driver's errors say what they are about
	}
	return release.Versions{
		StableRevision: o.StableRevision, CanaryRevision: o.CanaryRevision,
		StableReady: o.StableReady, CanaryReady: o.CanaryReady,
		StableName: o.StableName, CanaryName: o.CanaryName,
	}, nil
}
