package hooks

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"sluice.dev/sluice/api/v1alpha1"
)

func TestRunSemantics(t *testing.T) {
	pass := newReceiver(t, status(http.StatusOK, "go"))
	fail := newReceiver(t, status(http.StatusInternalServerError, "no"))
	slow := newReceiver(t, func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-time.After(5 * time.Second):
		}
	})
	quick := &metav1.Duration{Duration: 150 * time.Millisecond}
	at := func(name string, typ v1alpha1.WebhookType, r *receiver) v1alpha1.Webhook {
		h := hook(name, typ, r.URL)
		h.Timeout = quick
		return h
	}
	tests := map[string]struct {
		hooks    []v1alpha1.Webhook
		typ      v1alpha1.WebhookType
		want     bool
		failures []string // hook names
	}{
		"no hooks": {typ: v1alpha1.WebhookRollout, want: true},
		"only other types": {
			hooks: []v1alpha1.Webhook{at("a", v1alpha1.WebhookPreRollout, fail)}, typ: v1alpha1.WebhookRollout, want: true,
		},
		"gates pass": {
			hooks: []v1alpha1.Webhook{at("a", v1alpha1.WebhookPreRollout, pass), at("b", v1alpha1.WebhookPreRollout, pass)},
			typ:   v1alpha1.WebhookPreRollout, want: true,
		},
		"a 500 fails a gate": {
			hooks: []v1alpha1.Webhook{at("a", v1alpha1.WebhookRollout, pass), at("b", v1alpha1.WebhookRollout, fail), at("c", v1alpha1.WebhookPreRollout, fail)},
			typ:   v1alpha1.WebhookRollout, failures: []string{"b"},
		},
		"a timeout fails a gate": {
			hooks: []v1alpha1.Webhook{at("confirm", v1alpha1.WebhookConfirmPromotion, slow), at("ok", v1alpha1.WebhookConfirmPromotion, pass)},
			typ:   v1alpha1.WebhookConfirmPromotion, failures: []string{"confirm"},
		},
		"failures keep the hooks' order": {
			hooks: []v1alpha1.Webhook{at("x", v1alpha1.WebhookEvent, slow), at("y", v1alpha1.WebhookEvent, pass), at("z", v1alpha1.WebhookEvent, fail)},
			typ:   v1alpha1.WebhookEvent, failures: []string{"x", "z"},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			ok, failures := (&Caller{}).Run(context.Background(), tc.hooks, tc.typ, Payload{Name: "api"})
			if ok != tc.want || !slices.Equal(hookNames(failures), tc.failures) {
				t.Fatalf("Run = %v, %v; want %v, %v (failures %+v)", ok, hookNames(failures), tc.want, tc.failures, failures)
			}
		})
	}

	rollback := map[string]struct {
		hooks  []v1alpha1.Webhook
		want   bool
		asking []string
	}{
		"no hooks": {},
		"only other types answering 2xx": {
			hooks: []v1alpha1.Webhook{at("a", v1alpha1.WebhookRollout, pass), at("b", v1alpha1.WebhookConfirmPromotion, pass)},
		},
		"one of three asks": {
			hooks: []v1alpha1.Webhook{at("a", v1alpha1.WebhookRollback, fail), at("b", v1alpha1.WebhookRollback, pass), at("c", v1alpha1.WebhookRollback, slow)},
			want:  true, asking: []string{"b"},
		},
		"all ask": {
			hooks: []v1alpha1.Webhook{at("a", v1alpha1.WebhookRollback, pass), at("b", v1alpha1.WebhookRollback, pass)},
			want:  true, asking: []string{"a", "b"},
		},
		"broken hooks never roll back": {
			hooks: []v1alpha1.Webhook{at("a", v1alpha1.WebhookRollback, fail), at("c", v1alpha1.WebhookRollback, slow), hook("d", v1alpha1.WebhookRollback, "http://"+closedAddr(t))},
		},
	}
	for name, tc := range rollback {
		t.Run("rollback/"+name, func(t *testing.T) {
			yes, asking := (&Caller{}).RollbackRequested(context.Background(), tc.hooks, Payload{Name: "api"})
			if yes != tc.want || !slices.Equal(hookNames(asking), tc.asking) {
				t.Fatalf("RollbackRequested = %v, %v; want %v, %v", yes, hookNames(asking), tc.want, tc.asking)
			}
		})
	}
}

func hookNames(rs []Result) []string {
	var ns []string
	for _, r := range rs {
		ns = append(ns, r.Name)
	}
	return ns
}

func TestRunCallsOnlyItsType(t *testing.T) {
	rcv := newReceiver(t, status(http.StatusOK, ""))
	hooks := []v1alpha1.Webhook{
		hook("a", v1alpha1.WebhookRollout, rcv.URL),
		hook("b", v1alpha1.WebhookPreRollout, rcv.URL),
		hook("c", v1alpha1.WebhookRollout, rcv.URL),
	}
	if ok, _ := (&Caller{}).Run(context.Background(), hooks, v1alpha1.WebhookRollout, Payload{}); !ok || rcv.calls() != 2 {
		t.Fatalf("Run = %v with %d calls; want ok with 2", ok, rcv.calls())
	}
}

func TestRunBoundsConcurrency(t *testing.T) {
	const limit, n = 3, 10
	rcv := newReceiver(t, func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-time.After(250 * time.Millisecond):
		}
	})
	var hooks []v1alpha1.Webhook
	for range n {
		hooks = append(hooks, hook("load", v1alpha1.WebhookRollout, rcv.URL))
	}
	start := time.Now()
	ok, failures := (&Caller{Concurrency: limit}).Run(context.Background(), hooks, v1alpha1.WebhookRollout, Payload{})
	elapsed := time.Since(start)
	if !ok || rcv.calls() != n {
		t.Fatalf("Run = %v, %+v with %d calls; want ok with %d", ok, failures, rcv.calls(), n)
	}
	if got := rcv.maxSeen.Load(); got != limit {
		t.Errorf("at most %d calls were in flight at once, want exactly %d", got, limit)
	}
	// ceil(10/3) = 4 rounds of 250ms: calls overlapped, within the limit.
	if elapsed < time.Second || elapsed > 5*time.Second {
		t.Errorf("Run took %v, want about 1s", elapsed)
	}
}

func TestNotifyDoesNotWait(t *testing.T) {
	release := make(chan struct{})
	got := make(chan struct{}, 1)
	rcv := newReceiver(t, func(w http.ResponseWriter, r *http.Request) {
		got <- struct{}{}
		select {
		case <-release:
		case <-time.After(5 * time.Second):
		}
	})
	var logs bytes.Buffer // written by Notify's goroutine, read after Wait
	c := &Caller{Logger: slog.New(slog.NewTextHandler(&logs, nil))}
	ctx, cancel := context.WithCancel(context.Background())
	start := time.Now()
	c.Notify(ctx, []v1alpha1.Webhook{hook("chat", v1alpha1.WebhookEvent, rcv.URL)}, v1alpha1.WebhookEvent, Payload{Message: "promoted"})
	if d := time.Since(start); d > 100*time.Millisecond {
		t.Errorf("Notify took %v; want it to return at once", d)
	}
	// The caller's context ending (a reconcile returning) does not cut the
	// notification short.
	cancel()
	select {
	case <-got:
	case <-time.After(5 * time.Second):
		t.Fatal("the receiver was never called")
	}
	close(release)
	done := make(chan struct{})
	go func() { c.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Wait did not return after the call ended")
	}
	if rcv.calls() != 1 || !strings.Contains(logs.String(), "ok=true status=200") {
		t.Fatalf("receiver got %d calls, want 1 answered 200; log:\n%s", rcv.calls(), logs.String())
	}
}
