package controller

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"sluice.dev/sluice/api/v1alpha1"
	"sluice.dev/sluice/internal/alerts"
)

// alertSink keeps what a local stand-in for Slack and a JSON webhook are
// sent, by path.
type alertSink struct {
	mu     sync.Mutex
	bodies map[string][][]byte
}

func (s *alertSink) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil || r.Method != http.MethodPost {
		http.Error(w, "want a POST", http.StatusBadRequest)
		return
	}
	s.mu.Lock()
	s.bodies[r.URL.Path] = append(s.bodies[r.URL.Path], b)
	s.mu.Unlock()
}

func (s *alertSink) got(path string) [][]byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([][]byte(nil), s.bodies[path]...)
}

// testAlerts: a release that first stalls on a missing VirtualService,
// then is aborted. The webhook hears the stall once and the rollback; the
// error-only Slack receiver, whose URL is in a Secret, hears only the
// rollback; a receiver whose Secret is missing is a warning Event and does
// not silence the others.
func testAlerts(t *testing.T, cl *cluster) {
	sink := &alertSink{bodies: map[string][][]byte{}}
	srv := httptest.NewServer(sink)
	defer srv.Close()

	ns := twoDeployments(t, cl, "alerts")
	cl.create(t, &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "chat-hooks"},
		Data:       map[string][]byte{"slack": []byte(srv.URL + "/slack")},
	})
	cl.createYAML(t, ns, twoHostsRelease(`    - setWeight: 20
    - pause: {}
  alerts:
  - {name: audit, provider: webhook, url: "`+srv.URL+`/webhook"}
  - {name: oncall, provider: slack, severity: error, urlSecretRef: {name: chat-hooks, key: slack}}
  - {name: broken, provider: discord, urlSecretRef: {name: no-such-secret}}
`))
	cl.waitRelease(t, ns, "api", 30*time.Second, "Stalled", func(r *v1alpha1.Release) bool {
		return strings.Contains(r.Status.Message, "spec.traffic.istio.virtualService")
	})
	time.Sleep(2 * time.Second) // several reconciles while stalled
	cl.createYAML(t, ns, twoHostsVS)
	cl.waitRelease(t, ns, "api", 60*time.Second, "the pause", phaseIs(v1alpha1.PhasePaused))
	cl.sluice(t, ns, "abort", "api")
	cl.waitRelease(t, ns, "api", 60*time.Second, "the rollback", phaseIs(v1alpha1.PhaseRolledBack))

	var hook []alerts.Alert
	deadline := time.Now().Add(15 * time.Second)
	for ; time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		hook = hook[:0]
		for _, b := range sink.got("/webhook") {
			var a alerts.Alert
			if err := json.Unmarshal(b, &a); err != nil {
				t.Fatalf("webhook body %s: %v", b, err)
			}
			hook = append(hook, a)
		}
		if len(hook) > 0 && hook[len(hook)-1].Phase == "RolledBack" && len(sink.got("/slack")) > 0 {
			break
		}
	}
	var stalls, rolledBack int
	for _, a := range hook {
		if a.Release != "api" || a.Namespace != ns {
			t.Fatalf("alert names another release: %+v", a)
		}
		if a.Reason == "Stalled" {
			stalls++
			if a.Severity != alerts.SeverityWarn || !strings.Contains(a.Message, "spec.traffic.istio.virtualService") {
				t.Errorf("stall alert = %+v", a)
			}
		}
		if a.Phase == "RolledBack" && a.FromPhase != "" {
			rolledBack++
			if a.Severity != alerts.SeverityError || !strings.Contains(a.Message, "aborted by user") {
				t.Errorf("rollback alert = %+v", a)
			}
		}
	}
	if stalls != 1 || rolledBack != 1 {
		t.Fatalf("webhook got %d stall and %d rollback alerts, want 1 and 1: %+v", stalls, rolledBack, hook)
	}
	slack := sink.got("/slack")
	if len(slack) == 0 {
		t.Fatal("the Slack receiver (URL from a Secret) got nothing")
	}
	for _, b := range slack {
		if !strings.Contains(string(b), `"text":"[error] `+ns+`/api: `) {
			t.Errorf("Slack got a message below its severity or not in Slack's shape: %s", b)
		}
	}

	var evs eventsv1.EventList
	if err := cl.c.List(context.Background(), &evs, client.InNamespace(ns)); err != nil {
		t.Fatal(err)
	}
	var warned bool
	for _, e := range evs.Items {
		if e.Reason == "AlertNotSent" && strings.Contains(e.Note, "spec.alerts[2].urlSecretRef") && e.Type == corev1.EventTypeWarning {
			warned = true
			if strings.Contains(e.Note, srv.URL) {
				t.Errorf("Event shows a receiver URL: %s", e.Note)
			}
		}
	}
	if !warned {
		t.Fatalf("no AlertNotSent warning Event for the missing Secret among %d events", len(evs.Items))
	}
}
