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
	"sluice.dev/sluice/internal/analysis"
	"sluice.dev/sluice/internal/engine"
	"sluice.dev/sluice/internal/hooks"
	"sluice.dev/sluice/internal/kubeerr"
	"sluice.dev/sluice/internal/metrics/prometheus"
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
	Webhooks Hooks
	Logger   *slog.Logger

	mu   sync.Mutex
	apis map[string]promv1.API
}

var (
	_ Parts = (*ClusterParts)(nil)
	_ Hooks = hooks.Stages{}
)

// Workload returns the driver of the release's workload form.
func (p *ClusterParts) Workload(rel *v1alpha1.Release) (Workload, error) {
	d, err := kubernetes.New(p.Client, rel.Namespace, rel.Name, rel.Spec.Workload, rel)
	if err != nil {
		return nil, fmt.Errorf("workload: %w", err)
	}
	return workloadAdapter{d}, nil
}

// Router returns the router of the release's traffic form.
func (p *ClusterParts) Router(rel *v1alpha1.Release) (Router, error) {
	t := rel.Spec.Traffic
	switch {
	case t.Istio != nil:
		return istio.New(p.Client, rel.Namespace, *t.Istio, t.Match), nil
	case t.GatewayAPI != nil:
		return gatewayapi.New(p.Client, rel.Namespace, *t.GatewayAPI, t.Match), nil
	}
	return nil, kubeerr.Config("spec.traffic", "", "set istio or gatewayAPI: the proxy router runs with `sluice run`")
}

// Metrics returns a Prometheus source for the release's workloads.
func (p *ClusterParts) Metrics(rel *v1alpha1.Release, ws WorkloadState) (analysis.Source, error) {
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
	target := prometheus.ReleaseTarget(rel, ws.StableName, ws.CanaryName)
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

// Hooks returns the webhook caller.
func (p *ClusterParts) Hooks() Hooks { return p.Webhooks }

// workloadAdapter maps the driver's observation to the controller's.
type workloadAdapter struct{ d kubernetes.Driver }

func (w workloadAdapter) Observe(ctx context.Context) (WorkloadState, error) {
	o, err := w.d.Observe(ctx)
	if err != nil {
		return WorkloadState{}, err //nolint:wrapcheck // the driver's errors say what they are about
	}
	return WorkloadState{
		StableRevision: o.StableRevision, CanaryRevision: o.CanaryRevision,
		StableReady: o.StableReady, CanaryReady: o.CanaryReady,
		StableName: o.StableName, CanaryName: o.CanaryName,
	}, nil
}

func (w workloadAdapter) Apply(ctx context.Context, d engine.Desired, st v1alpha1.ReleaseStatus) error {
	return w.d.Apply(ctx, d, st) //nolint:wrapcheck // as above
}

func (w workloadAdapter) PromoteMode() engine.PromoteMode { return w.d.PromoteMode() }

func (w workloadAdapter) Finalize(ctx context.Context) error {
	return w.d.Finalize(ctx) //nolint:wrapcheck // as above
}
