package sampleapp

import (
	"encoding/json"
	"math/rand/v2"
	"net/http"
	"time"
)

// VersionHeader carries the app's version label on every answer, so a
// client (or a person with curl) can tell which version served it without
// parsing the body.
const VersionHeader = "X-App-Version"

// Handler serves the sample app: / answers with the version (or a 500 at
// the configured rate, after the configured latency), /healthz is always
// "ok" so readiness does not depend on the injected faults, and /version
// names the version.
//
// rnd returns numbers in [0, 1) and decides both failures and jitter; tests
// pass a fixed sequence, nil means math/rand/v2. It must be safe for
// concurrent use.
func Handler(cfg Config, rnd func() float64) http.Handler {
	if rnd == nil {
		rnd = rand.Float64
	}
	a := &app{cfg: cfg, rnd: rnd}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", a.healthz)
	mux.HandleFunc("GET /version", a.version)
	mux.HandleFunc("/", a.root)
	return mux
}

// app holds one Handler's settings.
type app struct {
	cfg Config
	rnd func() float64
}

// answer is the body of /.
type answer struct {
	Version string `json:"version"`
	Status  int    `json:"status"`
	Error   string `json:"error,omitempty"`
}

func (a *app) root(w http.ResponseWriter, r *http.Request) {
	if !a.delay(r) {
		// The client went away; nobody reads the answer.
		return
	}
	status := http.StatusOK
	body := answer{Version: a.cfg.Version, Status: status}
	if a.cfg.ErrorRate > 0 && a.rnd() < a.cfg.ErrorRate {
		status = http.StatusInternalServerError
		body = answer{Version: a.cfg.Version, Status: status, Error: "injected failure"}
	}
	w.Header().Set(VersionHeader, a.cfg.Version)
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(body)
}

// delay waits for the configured latency plus jitter. It returns false when
// the request's context ended first.
func (a *app) delay(r *http.Request) bool {
	d := a.cfg.Latency
	if a.cfg.Jitter > 0 {
		d += time.Duration(a.rnd() * float64(a.cfg.Jitter))
	}
	if d <= 0 {
		return true
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-r.Context().Done():
		return false
	}
}

func (a *app) healthz(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set(VersionHeader, a.cfg.Version)
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	_, _ = w.Write([]byte("ok\n"))
}

func (a *app) version(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set(VersionHeader, a.cfg.Version)
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	_, _ = w.Write([]byte(a.cfg.Version + "\n"))
}
