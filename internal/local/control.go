package local

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// The control endpoint lets `sluice get/promote/abort/pause/resume` reach a
// running `sluice run`. It listens on loopback only and answers loopback
// clients only: anyone who can reach it can abort the release.
//
//	GET  /v1/release              the snapshot
//	POST /v1/release/{command}    promote, promote-full, abort, pause, resume, retry
//	GET  /metrics                 the proxy's Prometheus metrics

func (r *Runner) serveControl(ctx context.Context) (func(), error) {
	host, _, err := net.SplitHostPort(r.opts.ControlAddress)
	if err != nil {
		return nil, fmt.Errorf("control address %q: %w", r.opts.ControlAddress, err)
	}
	if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
		return nil, fmt.Errorf("control address %q: must be a loopback address", r.opts.ControlAddress)
	}
	ln, err := net.Listen("tcp", r.opts.ControlAddress)
	if err != nil {
		return nil, fmt.Errorf("control endpoint: %w", err)
	}
	r.control = "http://" + ln.Addr().String()
	srv := &http.Server{Handler: loopbackOnly(r.controlHandler()), ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	return func() {
		shutCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(shutCtx)
	}, nil
}

func (r *Runner) controlHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v1/release", func(w http.ResponseWriter, _ *http.Request) {
		s := r.Snapshot()
		if s == nil {
			http.Error(w, "starting", http.StatusServiceUnavailable)
			return
		}
		writeJSON(w, http.StatusOK, s)
	})
	mux.HandleFunc("POST /v1/release/{command}", func(w http.ResponseWriter, req *http.Request) {
		id, err := r.enqueue(req.PathValue("command"))
		if err != nil {
			writeJSON(w, http.StatusBadRequest, map[string]string{"error": err.Error()})
			return
		}
		writeJSON(w, http.StatusAccepted, map[string]string{"command": id})
	})
	mux.Handle("GET /metrics", promhttp.HandlerFor(r.registry, promhttp.HandlerOpts{Registry: r.registry}))
	return mux
}

// loopbackOnly refuses clients that are not on this machine.
func loopbackOnly(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		host, _, err := net.SplitHostPort(req.RemoteAddr)
		if ip := net.ParseIP(host); err != nil || ip == nil || !ip.IsLoopback() {
			http.Error(w, "the control endpoint answers loopback clients only", http.StatusForbidden)
			return
		}
		h.ServeHTTP(w, req)
	})
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}

func pid() int { return os.Getpid() }
