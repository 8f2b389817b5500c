package controller

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/watch"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"sluice.dev/sluice/internal/sampleapp"
)

// releaseMesh stands in for Envoy across many releases: it watches the
// traffic object (a VirtualService or an HTTPRoute) and sends each request
// to the Deployment the weights pick, served by a backend that behaves as
// the image that Deployment runs now says (an image with "bad" in it
// fails 30% of its requests). It exports Istio's metrics by workload for
// Prometheus, and records, at every revision of the traffic object, which
// image each weight reaches.
type releaseMesh struct {
	c       client.Client
	ns      string
	gvk     schema.GroupVersionKind
	name    string
	canaryW func(obj *unstructured.Unstructured) int64
	// stable and canary are the Deployments behind the two destinations,
	// with the version label Istio reports for their pods.
	stable, canary meshWorkload

	metrics *istioMetrics
	Addr    string

	mu       sync.Mutex
	weight   int64
	images   [2]string
	backends map[string]string
	records  []routeRecord
	servers  []*httptest.Server
}

// meshWorkload is a Deployment behind a destination.
type meshWorkload struct{ deployment, version string }

// routeRecord is one revision of the traffic object, as it was seen.
type routeRecord struct {
	at                       time.Time
	revision                 string
	weight                   int64
	stableImage, canaryImage string
}

// reaches lists the images the record's weights send requests to.
func (r routeRecord) reaches() []string {
	var out []string
	if r.weight < 100 {
		out = append(out, r.stableImage)
	}
	if r.weight > 0 {
		out = append(out, r.canaryImage)
	}
	return out
}

func startReleaseMesh(t *testing.T, cl *cluster, ns string, gvk schema.GroupVersionKind, name string, canaryW func(*unstructured.Unstructured) int64, stable, canary meshWorkload, rate int) *releaseMesh {
	t.Helper()
	m := &releaseMesh{c: cl.c, ns: ns, gvk: gvk, name: name, canaryW: canaryW, stable: stable, canary: canary, backends: map[string]string{}}
	m.metrics = serveIstioMetrics(t)
	m.Addr = m.metrics.Addr

	wc, err := client.NewWithWatch(cl.env.Config, client.Options{Scheme: cl.env.Scheme})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	t.Cleanup(func() {
		cancel()
		wg.Wait()
		m.mu.Lock()
		defer m.mu.Unlock()
		for _, s := range m.servers {
			s.Close()
		}
	})
	wg.Add(3)
	go func() { defer wg.Done(); m.watchRoutes(ctx, wc) }()
	go func() { defer wg.Done(); m.followImages(ctx) }()
	go func() { defer wg.Done(); m.send(ctx, rate) }()
	return m
}

// watchRoutes records every revision of the traffic object.
func (m *releaseMesh) watchRoutes(ctx context.Context, wc client.WithWatch) {
	list := &unstructured.UnstructuredList{}
	list.SetGroupVersionKind(m.gvk.GroupVersion().WithKind(m.gvk.Kind + "List"))
	for ctx.Err() == nil {
		w, err := wc.Watch(ctx, list, client.InNamespace(m.ns))
		if err != nil {
			time.Sleep(100 * time.Millisecond)
			continue
		}
		for ev := range w.ResultChan() {
			u, ok := ev.Object.(*unstructured.Unstructured)
			if !ok || u.GetName() != m.name || (ev.Type != watch.Added && ev.Type != watch.Modified) {
				continue
			}
			weight := m.canaryW(u)
			stable, canary := m.image(ctx, m.stable.deployment), m.image(ctx, m.canary.deployment)
			m.mu.Lock()
			m.weight = weight
			m.records = append(m.records, routeRecord{at: time.Now(), revision: u.GetResourceVersion(), weight: weight, stableImage: stable, canaryImage: canary})
			m.mu.Unlock()
		}
		w.Stop()
	}
}

// image is the image a Deployment's pods run now; "" when it is gone.
func (m *releaseMesh) image(ctx context.Context, name string) string {
	var d appsv1.Deployment
	if m.c.Get(ctx, types.NamespacedName{Namespace: m.ns, Name: name}, &d) != nil || len(d.Spec.Template.Spec.Containers) == 0 {
		return ""
	}
	return d.Spec.Template.Spec.Containers[0].Image
}

// followImages keeps the images of both Deployments current.
func (m *releaseMesh) followImages(ctx context.Context) {
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		stable, canary := m.image(ctx, m.stable.deployment), m.image(ctx, m.canary.deployment)
		m.mu.Lock()
		m.images = [2]string{stable, canary}
		m.mu.Unlock()
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// backend is the URL of a backend that behaves as image does.
func (m *releaseMesh) backend(image string) string {
	m.mu.Lock()
	defer m.mu.Unlock()
	if u, ok := m.backends[image]; ok {
		return u
	}
	cfg := sampleapp.Config{Version: image, Latency: time.Millisecond}
	if strings.Contains(image, "bad") {
		cfg.ErrorRate = 0.3
	}
	srv := httptest.NewServer(sampleapp.Handler(cfg, nil))
	m.servers = append(m.servers, srv)
	m.backends[image] = srv.URL
	return srv.URL
}

// send sends rate requests per second, each to the canary with the
// weight's probability (a deterministic spread).
func (m *releaseMesh) send(ctx context.Context, rate int) {
	tick := time.NewTicker(time.Second / time.Duration(rate))
	defer tick.Stop()
	hc := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 256}}
	defer hc.CloseIdleConnections()
	var n int64
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		m.mu.Lock()
		w, images := m.weight, m.images
		m.mu.Unlock()
		n++
		to, image := m.stable, images[0]
		if (n*w)/100 != ((n-1)*w)/100 {
			to, image = m.canary, images[1]
		}
		if image == "" {
			continue
		}
		go m.request(ctx, hc, to, m.backend(image))
	}
}

func (m *releaseMesh) request(ctx context.Context, hc *http.Client, to meshWorkload, url string) {
	m.metrics.call(ctx, hc, m.ns, to.deployment, to.version, url)
}

// history is every revision recorded so far.
func (m *releaseMesh) history() []routeRecord {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]routeRecord(nil), m.records...)
}

// vsWeight reads the canary weight of a VirtualService route whose canary
// destination isCanary tells.
func vsWeight(route string, isCanary func(dest map[string]any) bool) func(*unstructured.Unstructured) int64 {
	return func(u *unstructured.Unstructured) int64 {
		routes, _, _ := unstructured.NestedSlice(u.Object, "spec", "http")
		for _, r := range routes {
			rm, _ := r.(map[string]any)
			if name, _ := rm["name"].(string); name != route {
				continue
			}
			dests, _, _ := unstructured.NestedSlice(rm, "route")
			for _, d := range dests {
				dm, _ := d.(map[string]any)
				dest, _ := dm["destination"].(map[string]any)
				if isCanary(dest) {
					w, _, _ := unstructured.NestedInt64(dm, "weight")
					return w
				}
			}
		}
		return 0
	}
}

// routeWeight reads the canary weight of an HTTPRoute's first rule.
func routeWeight(canaryService string) func(*unstructured.Unstructured) int64 {
	return func(u *unstructured.Unstructured) int64 {
		rules, _, _ := unstructured.NestedSlice(u.Object, "spec", "rules")
		if len(rules) == 0 {
			return 0
		}
		refs, _, _ := unstructured.NestedSlice(rules[0].(map[string]any), "backendRefs")
		var total, canary int64
		for _, r := range refs {
			rm, _ := r.(map[string]any)
			w, found, _ := unstructured.NestedInt64(rm, "weight")
			if !found {
				w = 1
			}
			total += w
			if rm["name"] == canaryService {
				canary = w
			}
		}
		if total == 0 {
			return 0
		}
		return canary * 100 / total
	}
}
