package local

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"sluice.dev/sluice/api/v1alpha1"
)

func TestURLVersionFollowsHealth(t *testing.T) {
	var healthy atomic.Bool
	healthy.Store(true)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/ready" || !healthy.Load() {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	}))
	defer srv.Close()

	d := newDriver(t, Options{HealthInterval: 30 * time.Millisecond})
	inst, err := d.Start(testCtx(t), Version{Name: Stable, Spec: v1alpha1.LocalVersion{URL: srv.URL + "/app", HealthPath: "/ready"}})
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	if inst.PID() != 0 {
		t.Errorf("PID() = %d, want 0 for a URL", inst.PID())
	}
	if got := inst.URL().String(); got != srv.URL+"/app" {
		t.Errorf("URL() = %s, want %s/app", got, srv.URL)
	}
	if !inst.Ready() {
		t.Fatal("not ready after Start")
	}
	healthy.Store(false)
	eventually(t, 3*time.Second, "Ready turns false when health fails", func() bool { return !inst.Ready() })
	healthy.Store(true)
	eventually(t, 3*time.Second, "Ready turns true when health recovers", func() bool { return inst.Ready() })

	select {
	case <-inst.Exited():
		t.Fatal("Exited closed for a URL version")
	default:
	}
	for range 2 {
		if err := inst.Stop(testCtx(t)); err != nil {
			t.Fatalf("Stop: %v", err)
		}
	}
	if inst.Ready() {
		t.Error("Ready() after Stop")
	}
	select {
	case <-inst.Exited():
		t.Fatal("Exited closed for a URL version after Stop")
	default:
	}
}

func TestURLVersionNeverHealthy(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusInternalServerError)
	}))
	defer srv.Close()
	d := newDriver(t, Options{})
	start := time.Now()
	_, err := d.Start(testCtx(t), Version{Name: Canary, Spec: v1alpha1.LocalVersion{URL: srv.URL, StartTimeout: duration(300 * time.Millisecond)}})
	if err == nil || !strings.Contains(err.Error(), "status 500") || !strings.Contains(err.Error(), "/healthz") {
		t.Fatalf("Start() = %v, want a timeout naming /healthz and status 500", err)
	}
	if took := time.Since(start); took > 3*time.Second {
		t.Errorf("Start took %v with a 300ms start timeout", took)
	}
}
