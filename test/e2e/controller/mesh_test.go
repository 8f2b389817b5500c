package controller

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"sluice.dev/sluice/internal/sampleapp"
)

// mesh stands in for Envoy: it sends requests to two real local backends in
// the proportions the VirtualService says, and exports what it saw with
// Istio's metric names and labels for Prometheus to scrape.
type mesh struct {
	c        client.Client
	ns, vs   string
	route    string
	isCanary func(dest map[string]any) bool
	stable   upstream
	canary   upstream

	metrics *istioMetrics
	Addr    string

	mu     sync.Mutex
	weight int64
}

// upstream is one version: its workload name, version label and backend.
type upstream struct {
	workload, version string
	url               string
}

func startMesh(t *testing.T, c client.Client, ns, vs, route string, isCanary func(map[string]any) bool, stable, canary upstream, stableCfg, canaryCfg sampleapp.Config, rate int) *mesh {
	t.Helper()
	m := &mesh{c: c, ns: ns, vs: vs, route: route, isCanary: isCanary, stable: stable, canary: canary}
	for _, u := range []struct {
		up  *upstream
		cfg sampleapp.Config
	}{{&m.stable, stableCfg}, {&m.canary, canaryCfg}} {
		srv := httptest.NewServer(sampleapp.Handler(u.cfg, nil))
		t.Cleanup(srv.Close)
		u.up.url = srv.URL
	}
	m.metrics = serveIstioMetrics(t)
	m.Addr = m.metrics.Addr

	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	t.Cleanup(func() { cancel(); wg.Wait() })
	wg.Add(2)
	go func() { defer wg.Done(); m.followWeights(ctx) }()
	go func() { defer wg.Done(); m.send(ctx, rate) }()
	return m
}

// followWeights reads the canary weight from the VirtualService.
func (m *mesh) followWeights(ctx context.Context) {
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		u := &unstructured.Unstructured{}
		u.SetGroupVersionKind(schema.GroupVersionKind{Group: "networking.istio.io", Version: "v1", Kind: "VirtualService"})
		if m.c.Get(ctx, types.NamespacedName{Namespace: m.ns, Name: m.vs}, u) != nil {
			continue
		}
		routes, _, _ := unstructured.NestedSlice(u.Object, "spec", "http")
		var w int64
		for _, r := range routes {
			rm, _ := r.(map[string]any)
			if name, _ := rm["name"].(string); name != m.route {
				continue
			}
			dests, _, _ := unstructured.NestedSlice(rm, "route")
			for _, d := range dests {
				dm, _ := d.(map[string]any)
				dest, _ := dm["destination"].(map[string]any)
				if m.isCanary(dest) {
					w, _, _ = unstructured.NestedInt64(dm, "weight")
				}
			}
			break
		}
		m.mu.Lock()
		m.weight = w
		m.mu.Unlock()
	}
}

// send sends rate requests per second, each to canary with the weight's
// probability (a deterministic spread), bounded by ctx.
func (m *mesh) send(ctx context.Context, rate int) {
	tick := time.NewTicker(time.Second / time.Duration(rate))
	defer tick.Stop()
	// Slow versions keep hundreds of requests in flight; idle connections
	// are kept for them rather than redialled.
	hc := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 1024}}
	defer hc.CloseIdleConnections()
	var n int64
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		m.mu.Lock()
		w := m.weight
		m.mu.Unlock()
		n++
		up := m.stable
		if (n*w)/100 != ((n-1)*w)/100 {
			up = m.canary
		}
		go m.request(ctx, hc, up)
	}
}

func (m *mesh) request(ctx context.Context, hc *http.Client, up upstream) {
	m.metrics.call(ctx, hc, m.ns, up.workload, up.version, up.url)
}
