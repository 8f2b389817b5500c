package loadtester

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// target is the service under load: it records what it receives.
type target struct {
	*httptest.Server
	hits atomic.Int64
	mu   sync.Mutex
	last string
}

func newTarget(t *testing.T) *target {
	t.Helper()
	tg := &target{}
	tg.Server = httptest.NewServer(http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		tg.hits.Add(1)
		tg.mu.Lock()
		tg.last = r.Method + " " + r.Header.Get("Content-Type") + " " + r.Header.Get("X-Canary") + " " + string(b)
		tg.mu.Unlock()
	}))
	t.Cleanup(tg.Close)
	return tg
}

// startTester serves a load tester on a real socket; its tests end with
// the test.
func startTester(t *testing.T, cfg Config) (*Server, string) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	s := New(ctx, cfg)
	srv := httptest.NewServer(s)
	t.Cleanup(func() { srv.Close(); cancel(); s.Wait() })
	return s, srv.URL
}

// post sends a webhook payload and returns the status and body.
func post(t *testing.T, url string, p any) (int, string) {
	t.Helper()
	var body []byte
	switch v := p.(type) {
	case string:
		body = []byte(v)
	default:
		body, _ = json.Marshal(v)
	}
	resp, err := http.Post(url, "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = resp.Body.Close() }()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, strings.TrimSpace(string(b))
}

func hook(name, typ, cmd string) map[string]any {
	md := map[string]string{"cmd": cmd}
	if typ != "" {
		md["type"] = typ
	}
	return map[string]any{"name": name, "namespace": "shop", "phase": "Progressing", "metadata": md}
}

func TestBackgroundLoadTest(t *testing.T) {
	tg := newTarget(t)
	s, url := startTester(t, Config{})
	cmd := "hey -z 1s -q 20 -c 2 " + tg.URL + "/"

	code, body := post(t, url, hook("api", "", cmd)) // untyped, as Flagger's docs write it
	if code != http.StatusAccepted || body != "load test started" {
		t.Fatalf("first call: %d %q", code, body)
	}
	code, body = post(t, url, hook("api", "cmd", cmd))
	if code != http.StatusAccepted || body != "load test already running" {
		t.Fatalf("second call while it runs: %d %q", code, body)
	}
	code, _ = post(t, url, hook("other", "cmd", cmd))
	if code != http.StatusAccepted || s.Running() != 2 {
		t.Fatalf("another release's test: %d, %d running", code, s.Running())
	}
	deadline := time.Now().Add(10 * time.Second)
	for s.Running() > 0 && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	if s.Running() != 0 {
		t.Fatal("the tests did not end")
	}
	// Two tests of 1 s at 20 req/s per worker, 2 workers: about 80
	// requests; a busy machine sends fewer.
	if n := tg.hits.Load(); n < 40 || n > 82 {
		t.Errorf("target got %d requests, want about 80", n)
	}
	code, body = post(t, url, hook("api", "cmd", cmd))
	if code != http.StatusAccepted || body != "load test started" {
		t.Errorf("after the end the test starts again: %d %q", code, body)
	}
}

func TestBlockingLoadTest(t *testing.T) {
	tg := newTarget(t)
	_, url := startTester(t, Config{})
	code, body := post(t, url, hook("api", "bash", `hey -n 10 -c 2 -m POST -d '{"a":1}' -T application/json -H 'X-Canary: always' `+tg.URL+"/"))
	if code != http.StatusOK || !strings.HasPrefix(body, "10 sent in ") || !strings.Contains(body, "10 ok, 0 non-2xx, 0 errors") {
		t.Fatalf("%d %q", code, body)
	}
	tg.mu.Lock()
	last := tg.last
	tg.mu.Unlock()
	if tg.hits.Load() != 10 || last != `POST application/json always {"a":1}` {
		t.Errorf("target got %d requests, the last %q", tg.hits.Load(), last)
	}

	down := newTarget(t)
	down.Close()
	code, body = post(t, url, hook("api", "bash", "hey -n 2 -c 1 "+down.URL+"/"))
	if code != http.StatusInternalServerError || !strings.Contains(body, "no request was answered") {
		t.Errorf("a target that is down: %d %q", code, body)
	}
}

func TestRefusals(t *testing.T) {
	_, url := startTester(t, Config{Namespaces: regexp.MustCompile(`^shop$`)})
	tests := map[string]struct {
		payload any
		code    int
		want    string
	}{
		"not JSON":               {payload: "{", code: 400, want: "decoding the request body failed"},
		"no metadata":            {payload: map[string]any{"name": "api", "namespace": "shop"}, code: 400, want: "metadata not found in payload"},
		"no cmd":                 {payload: map[string]any{"name": "api", "namespace": "shop", "metadata": map[string]string{"type": "cmd"}}, code: 400, want: "cmd not found in metadata"},
		"another task type":      {payload: hook("api", "helmv3", "helm test api"), code: 400, want: `task type "helmv3" is not supported`},
		"a shell command":        {payload: hook("api", "bash", "curl -s http://api/ | grep ok"), code: 400, want: "needs a shell"},
		"not hey":                {payload: hook("api", "cmd", "ab -n 10 http://127.0.0.1/"), code: 400, want: "runs hey commands only"},
		"a host off loopback":    {payload: hook("api", "cmd", "hey -z 1s http://api-canary.shop/"), code: 400, want: "only loopback"},
		"another namespace":      {payload: map[string]any{"name": "api", "namespace": "test", "metadata": map[string]string{"cmd": "hey http://127.0.0.1/"}}, code: 403, want: "Forbidden"},
		"a run that is too long": {payload: hook("api", "cmd", "hey -z 2h http://127.0.0.1:1/"), code: 400, want: "duration"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			code, body := post(t, url, tc.payload)
			if code != tc.code || !strings.Contains(body, tc.want) {
				t.Errorf("%d %q, want %d with %q", code, body, tc.code, tc.want)
			}
		})
	}
	resp, err := http.Get(url + "/")
	if err != nil {
		t.Fatal(err)
	}
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("GET /: %d", resp.StatusCode)
	}
}

func TestTooManyTests(t *testing.T) {
	tg := newTarget(t)
	s, url := startTester(t, Config{MaxTasks: 1})
	if code, _ := post(t, url, hook("a", "cmd", "hey -z 30s -q 1 -c 1 "+tg.URL+"/")); code != http.StatusAccepted {
		t.Fatalf("first test: %d", code)
	}
	code, body := post(t, url, hook("b", "cmd", "hey -z 30s -q 1 -c 1 "+tg.URL+"/"))
	if code != http.StatusServiceUnavailable || !strings.Contains(body, "too many load tests running (1)") {
		t.Errorf("second test: %d %q", code, body)
	}
	if s.Running() != 1 {
		t.Errorf("%d running", s.Running())
	}
	code, body = post(t, url, hook("c", "bash", "hey -n 1 -c 1 "+tg.URL+"/"))
	if code != http.StatusServiceUnavailable || !strings.Contains(body, "too many load tests running") {
		t.Errorf("a test the caller waits for counts too: %d %q", code, body)
	}
}

func TestGates(t *testing.T) {
	_, url := startTester(t, Config{})
	p := map[string]any{"name": "api", "namespace": "shop"}
	steps := []struct {
		path string
		code int
	}{
		{"/gate/approve", 200}, {"/gate/halt", 403},
		{"/gate/check", 403}, {"/gate/open", 202}, {"/gate/check", 200},
		{"/rollback/check", 403}, // the rollback gate is another gate
		{"/gate/close", 202}, {"/gate/check", 403},
		{"/rollback/open", 202}, {"/rollback/check", 200}, {"/rollback/close", 202}, {"/rollback/check", 403},
	}
	for _, s := range steps {
		if code, body := post(t, url+s.path, p); code != s.code {
			t.Errorf("POST %s: %d %q, want %d", s.path, code, body, s.code)
		}
	}
	other := map[string]any{"name": "api", "namespace": "test"}
	post(t, url+"/gate/open", p)
	if code, _ := post(t, url+"/gate/check", other); code != 403 {
		t.Errorf("a gate opened for shop/api let test/api through: %d", code)
	}
	resp, err := http.Get(url + "/healthz")
	if err != nil || resp.StatusCode != 200 {
		t.Errorf("GET /healthz: %v %v", resp, err)
	}
	_ = resp.Body.Close()
}

func TestStoppingEndsTheTests(t *testing.T) {
	tg := newTarget(t)
	ctx, cancel := context.WithCancel(context.Background())
	s := New(ctx, Config{})
	srv := httptest.NewServer(s)
	defer srv.Close()
	if code, _ := post(t, srv.URL, hook("a", "cmd", "hey -z 5m -q 5 -c 1 "+tg.URL+"/")); code != 202 {
		t.Fatal(code)
	}
	cancel()
	done := make(chan struct{})
	go func() { s.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("a 5 minute test still ran 5 s after the server stopped")
	}
}
