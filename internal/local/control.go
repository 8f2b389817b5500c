package local

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"

	"sluice.dev/sluice/api/v1alpha1"
)

// The control endpoint lets the CLI and the dashboard reach a running
// `sluice run`. It listens on loopback only, answers requests for a
// loopback Host only (a DNS-rebinding page names its own host), refuses
// any request a browser sends from a page (it carries an Origin), and
// acts only with the state dir's token:
//
//	GET  /v1/release              the view (secrets redacted without the token)
//	POST /v1/release/{command}    promote, promote-full, abort, pause, resume, retry
//	PUT  /v1/release              a release file for the running runner
//	GET  /metrics                 the proxy's and the release's metrics
const maxSpecBytes = 1 << 20

func (r *Runner) serveControl(ctx context.Context) (func(), error) {
	host, _, err := net.SplitHostPort(r.opts.ControlAddress)
	if err != nil {
		return nil, fmt.Errorf("control address %q: %w", r.opts.ControlAddress, err)
	}
	if !loopbackName(host) {
		return nil, fmt.Errorf("control address %q: must be a loopback address", r.opts.ControlAddress)
	}
	ln, err := net.Listen("tcp", r.opts.ControlAddress)
	if err != nil {
		return nil, fmt.Errorf("control endpoint: %w", err)
	}
	r.mu.Lock()
	r.info.Control = "http://" + ln.Addr().String()
	r.mu.Unlock()
	srv := &http.Server{Handler: guard(r.controlHandler()), ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	return func() {
		shutCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(shutCtx)
	}, nil
}

func (r *Runner) controlHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v1/release", func(w http.ResponseWriter, req *http.Request) {
		v := r.View()
		if v == nil {
			writeError(w, http.StatusServiceUnavailable, "starting")
			return
		}
		if !r.authorized(req) {
			v = v.Redact()
		}
		writeJSON(w, http.StatusOK, v)
	})
	mux.HandleFunc("POST /v1/release/{command}", func(w http.ResponseWriter, req *http.Request) {
		if !r.authorized(req) {
			writeError(w, http.StatusUnauthorized, "this needs the token (the file token in the state dir)")
			return
		}
		id, err := r.enqueue(req.PathValue("command"))
		if err != nil {
			writeError(w, http.StatusBadRequest, err.Error())
			return
		}
		writeJSON(w, http.StatusAccepted, map[string]string{"command": id})
	})
	mux.HandleFunc("PUT /v1/release", func(w http.ResponseWriter, req *http.Request) {
		if !r.authorized(req) {
			writeError(w, http.StatusUnauthorized, "this needs the token (the file token in the state dir)")
			return
		}
		b, err := io.ReadAll(io.LimitReader(req.Body, maxSpecBytes+1))
		if err != nil || len(b) > maxSpecBytes {
			writeError(w, http.StatusRequestEntityTooLarge, "a release file is at most 1 MiB")
			return
		}
		rel, err := v1alpha1.DecodeRelease(b)
		if err != nil {
			writeError(w, http.StatusBadRequest, err.Error())
			return
		}
		result, err := r.applySpec(rel)
		if err != nil {
			writeError(w, http.StatusConflict, err.Error())
			return
		}
		writeJSON(w, http.StatusOK, map[string]string{"result": result})
	})
	mux.Handle("GET /metrics", promhttp.HandlerFor(r.registry, promhttp.HandlerOpts{Registry: r.registry}))
	return mux
}

// authorized reports whether the request carries the token.
func (r *Runner) authorized(req *http.Request) bool {
	got, ok := strings.CutPrefix(req.Header.Get("Authorization"), "Bearer ")
	return ok && r.token != "" && subtle.ConstantTimeCompare([]byte(got), []byte(r.token)) == 1
}

// guard refuses what is not the CLI on this machine: other hosts, Hosts
// that are not loopback names, and browsers' cross-origin requests.
func guard(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		host, _, err := net.SplitHostPort(req.RemoteAddr)
		if ip := net.ParseIP(host); err != nil || ip == nil || !ip.IsLoopback() {
			writeError(w, http.StatusForbidden, "the control endpoint answers loopback clients only")
			return
		}
		name := req.Host
		if h, _, err := net.SplitHostPort(req.Host); err == nil {
			name = h
		}
		if !loopbackName(name) {
			writeError(w, http.StatusForbidden, "the control endpoint answers requests for loopback names only")
			return
		}
		if req.Header.Get("Origin") != "" || req.Header.Get("Sec-Fetch-Site") == "cross-site" {
			writeError(w, http.StatusForbidden, "the control endpoint does not answer web pages")
			return
		}
		h.ServeHTTP(w, req)
	})
}

// loopbackName reports whether a host names this machine only.
func loopbackName(host string) bool {
	host = strings.TrimSuffix(strings.Trim(host, "[]"), ".")
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}

func writeError(w http.ResponseWriter, code int, msg string) {
	writeJSON(w, code, map[string]string{"error": msg})
}
