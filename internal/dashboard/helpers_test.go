package dashboard

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"sluice.dev/sluice/api/v1alpha1"
	"sluice.dev/sluice/internal/local"
	"sluice.dev/sluice/internal/release"
)

const testToken = "test-token-0123456789"

// runnerEndpoint stands in for a running `sluice run`'s control endpoint:
// it serves the saved snapshot and records the commands it is sent.
type runnerEndpoint struct {
	mu       sync.Mutex
	commands []string
	srv      *httptest.Server
}

func newRunnerEndpoint(t *testing.T, dir, name string) *runnerEndpoint {
	t.Helper()
	e := &runnerEndpoint{}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v1/release", func(w http.ResponseWriter, _ *http.Request) {
		s, err := local.LoadState(local.StatePath(dir, name))
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		v := release.NewView(&s.Release, "v1", "v2", s.UpdatedAt)
		v.Checks, v.Live = s.Checks, true
		_ = json.NewEncoder(w).Encode(v.Settle())
	})
	mux.HandleFunc("POST /v1/release/{command}", func(w http.ResponseWriter, r *http.Request) {
		e.mu.Lock()
		defer e.mu.Unlock()
		e.commands = append(e.commands, r.PathValue("command"))
		w.WriteHeader(http.StatusAccepted)
		_, _ = fmt.Fprintf(w, `{"command":"%s-%d"}`, r.PathValue("command"), len(e.commands))
	})
	e.srv = httptest.NewServer(mux)
	t.Cleanup(e.srv.Close)
	return e
}

func (e *runnerEndpoint) sent() []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]string(nil), e.commands...)
}

// saveRelease writes a state file as `sluice run` does.
func saveRelease(t *testing.T, dir, name string, phase v1alpha1.Phase, weight int32, control string, checks ...release.CheckPoint) *local.State {
	t.Helper()
	rel := v1alpha1.Release{ObjectMeta: metav1.ObjectMeta{Name: name}}
	rel.Spec.Workload.Local = &v1alpha1.LocalWorkload{Stable: v1alpha1.LocalVersion{Version: "v1", URL: "http://127.0.0.1:9"}, Canary: v1alpha1.LocalVersion{Version: "v2", URL: "http://127.0.0.1:10"}}
	rel.Spec.Strategy.Steps = []v1alpha1.Step{{SetWeight: &weight}, {Pause: &v1alpha1.PauseStep{}}}
	rel.Status = v1alpha1.ReleaseStatus{Phase: phase, CanaryWeight: weight, StepIndex: 1, StepCount: 2}
	s := &local.State{Release: rel, Checks: checks, UpdatedAt: time.Now()}
	if control != "" {
		s.Runner = &local.RunnerInfo{Control: control}
	}
	if err := local.SaveState(local.StatePath(dir, name), s); err != nil {
		t.Fatal(err)
	}
	return s
}

// serve starts a dashboard over src on a real loopback socket.
func serve(t *testing.T, src Source, opts Options) (*Server, string) {
	t.Helper()
	s, err := New(src, opts)
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(s)
	t.Cleanup(func() {
		s.Close()
		ts.Close()
	})
	return s, ts.URL
}

// call sends a request and returns the status and the body.
func call(t *testing.T, method, url string, header http.Header) (int, http.Header, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = resp.Body.Close() }()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, resp.Header, string(b)
}

func decode[T any](t *testing.T, body string) T {
	t.Helper()
	var v T
	if err := json.Unmarshal([]byte(body), &v); err != nil {
		t.Fatalf("decoding %q: %v", body, err)
	}
	return v
}

// mapSource is a cluster-like source in memory, named "namespace/name",
// for the routing of namespaced names.
type mapSource map[string]*release.View

func (m mapSource) List(context.Context) ([]*release.View, error) {
	var out []*release.View
	for _, s := range m {
		out = append(out, s)
	}
	return out, nil
}

func (m mapSource) Get(_ context.Context, name string) (*release.View, bool, error) {
	s, ok := m[name]
	if !ok {
		return nil, false, fmt.Errorf("%s: %w", name, release.ErrNotFound)
	}
	return s, true, nil
}

func (m mapSource) Command(_ context.Context, name, command string) (string, error) {
	if _, ok := m[name]; !ok {
		return "", fmt.Errorf("%s: %w", name, release.ErrNotFound)
	}
	return command + "/" + strings.ReplaceAll(name, "/", "."), nil
}

var _ Source = mapSource(nil)
