package controller

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"sluice.dev/sluice/api/v1alpha1"
)

// testWebhooks holds the promotion at a confirm-promotion gate until the
// gate says yes, and checks that event and post-rollout webhooks receive
// the decisions.
func testWebhooks(t *testing.T, cl *cluster) {
	var (
		open   atomic.Bool
		mu     sync.Mutex
		events []map[string]any
	)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		var p map[string]any
		_ = json.Unmarshal(body, &p)
		switch r.URL.Path {
		case "/gate":
			if !open.Load() {
				http.Error(w, "not yet", http.StatusServiceUnavailable)
				return
			}
		case "/events":
			mu.Lock()
			events = append(events, p)
			mu.Unlock()
		}
		w.WriteHeader(http.StatusOK)
	}))
	defer srv.Close()

	ns := twoDeployments(t, cl, "hooks")
	cl.createYAML(t, ns, twoHostsVS)
	cl.createYAML(t, ns, twoHostsRelease(`    - setWeight: 30
  webhooks:
  - {name: gate, type: confirm-promotion, url: "`+srv.URL+`/gate", timeout: 2s}
  - {name: events, type: event, url: "`+srv.URL+`/events"}
  - {name: done, type: post-rollout, url: "`+srv.URL+`/events"}
`))
	cl.waitRelease(t, ns, "api", 60*time.Second, "the gate", func(r *v1alpha1.Release) bool {
		return strings.Contains(r.Status.Message, "promotion held: confirm-promotion webhook said no")
	})
	time.Sleep(time.Second)
	if rel := cl.waitRelease(t, ns, "api", time.Second, "still held", func(*v1alpha1.Release) bool { return true }); rel.Status.Phase != v1alpha1.PhaseProgressing {
		t.Fatalf("passed the gate while it said no: %s", rel.Status.Phase)
	}
	open.Store(true)
	cl.waitRelease(t, ns, "api", 60*time.Second, "promotion once the gate opens", phaseIs(v1alpha1.PhasePromoted))

	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		mu.Lock()
		got := append([]map[string]any(nil), events...)
		mu.Unlock()
		var promotedEvent, postRollout bool
		for _, e := range got {
			if e["name"] != "api" || e["namespace"] != ns {
				t.Fatalf("payload names another release: %v", e)
			}
			promotedEvent = promotedEvent || (e["type"] == "event" && e["reason"] == "Promoted")
			postRollout = postRollout || e["type"] == "post-rollout"
		}
		if promotedEvent && postRollout {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("webhooks did not receive the promotion: %v", events)
}

// testAbortDuringASlowWebhook: a rollout webhook that takes 25 s holds the
// tick in flight; an abort cuts it short and takes effect at once.
func testAbortDuringASlowWebhook(t *testing.T, cl *cluster) {
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		_, _ = io.Copy(io.Discard, r.Body) // so the server sees the caller hang up
		select {
		case <-time.After(25 * time.Second):
		case <-r.Context().Done():
		}
		w.WriteHeader(http.StatusOK)
	}))
	defer srv.Close()
	ns := twoDeployments(t, cl, "slowhook")
	cl.createYAML(t, ns, twoHostsVS)
	cl.createYAML(t, ns, twoHostsRelease(`    - setWeight: 20
    - analysis: {passes: 3}
  analysis:
    interval: 1s
    prometheus: {address: "http://127.0.0.1:9"}
    metrics:
    - {name: request-success-rate, thresholdRange: {min: 99}}
  webhooks:
  - {name: load, type: rollout, url: "`+srv.URL+`", timeout: 30s}
`))
	deadline := time.Now().Add(60 * time.Second)
	for calls.Load() == 0 && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	if calls.Load() == 0 {
		t.Fatal("the rollout webhook was never called")
	}
	time.Sleep(500 * time.Millisecond) // the reconcile waits on the hook now
	start := time.Now()
	cl.sluice(t, ns, "abort", "api")
	rel := cl.waitRelease(t, ns, "api", 20*time.Second, "the abort", func(r *v1alpha1.Release) bool {
		return r.Status.Phase == v1alpha1.PhaseRollingBack || r.Status.Phase == v1alpha1.PhaseRolledBack
	})
	took := time.Since(start)
	t.Logf("abort during a 25 s rollout webhook took effect in %s", took.Round(time.Millisecond))
	if took > 10*time.Second || !strings.Contains(rel.Status.Message, "aborted") {
		t.Fatalf("abort took %s: %s", took, rel.Status.Message)
	}
}
