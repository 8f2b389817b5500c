package dashboard

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"sluice.dev/sluice/api/v1alpha1"
	"sluice.dev/sluice/internal/local"
	"sluice.dev/sluice/internal/release"
)

// runningRelease is a `sluice run` of the sample app waiting at a manual
// pause, with a secret in its canary's environment and a token in a
// webhook's URL.
type runningRelease struct {
	dir, control string
	out          *lockedBuffer
}

// lockedBuffer is the runner's output, written by the process's copier
// while the test reads it.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

const (
	secretEnv  = "hunter2-db-password"
	secretHook = "tok-5ecret-in-url"
)

func startPausedRun(t *testing.T) *runningRelease {
	t.Helper()
	dir := t.TempDir()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	_ = ln.Close()
	file := filepath.Join(t.TempDir(), "guarded.yaml")
	doc := fmt.Sprintf(`apiVersion: sluice.dev/v1alpha1
kind: Release
metadata: {name: guarded}
spec:
  workload:
    local:
      stable: {version: v1, command: [%q, "--version=v1"]}
      canary: {version: v2, command: [%q, "--version=v2"], env: {DB_PASSWORD: %q}}
  traffic:
    proxy: {listen: %q}
  strategy:
    steps:
      - setWeight: 20
      - pause: {}
  webhooks:
    - {name: notify, type: event, url: "http://127.0.0.1:9/hook?token=%s"}
`, appBin, appBin, secretEnv, addr, secretHook)
	if err := os.WriteFile(file, []byte(doc), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(sluiceBin, "--state-dir", dir, "run", "-q", "-f", file, "--dashboard-addr", "")
	out := &lockedBuffer{}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		s, err := local.LoadState(local.StatePath(dir, "guarded"))
		if err == nil && s.Runner != nil && s.Runner.Control != "" && s.Release.Status.Phase == v1alpha1.PhasePaused {
			return &runningRelease{dir: dir, control: s.Runner.Control, out: out}
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("the release did not reach its pause:\n%s", out)
	return nil
}

func (r *runningRelease) phase(t *testing.T) v1alpha1.ReleaseStatus {
	t.Helper()
	v, _, err := local.NewClient(r.dir).Get(context.Background(), "guarded")
	if err != nil {
		t.Fatal(err)
	}
	return v.Release.Status
}

// TestControlEndpointFromABrowser serves a page on another origin that
// tries what a malicious page would against the control endpoint of a
// running `sluice run` (found by scanning loopback ports): pause, promote
// every step and abort, by plain form-like POSTs (CSRF), and the same
// through a name that resolves to 127.0.0.1 (DNS rebinding). None of it
// may act: the endpoint wants the token, refuses pages (Origin) and Hosts
// that are not loopback names.
func TestControlEndpointFromABrowser(t *testing.T) {
	r := startPausedRun(t)
	_, port, err := net.SplitHostPort(strings.TrimPrefix(r.control, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	page := `<!doctype html><title>cat pictures</title><script>
async function attack(base) {
  for (const c of ["pause", "promote-full", "abort", "resume"]) {
    try { await fetch(base + "/v1/release/" + c, {method: "POST", mode: "no-cors", body: "x"}); } catch (e) {}
    try { await fetch(base + "/v1/release/" + c, {method: "POST", headers: {"Authorization": "Bearer guess"}}); } catch (e) {}
  }
  try { const r = await fetch(base + "/v1/release"); window.leaked = await r.text(); } catch (e) {}
}
(async () => {
  await attack("http://127.0.0.1:` + port + `");
  await attack("http://rebind.test:` + port + `");
  document.title = "done";
})();
</script>`
	attacker := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		_, _ = io.WriteString(w, page)
	}))
	t.Cleanup(attacker.Close)
	_, attackPort, _ := net.SplitHostPort(strings.TrimPrefix(attacker.URL, "http://"))

	ctx := newBrowserWith(t, chromedp.Flag("host-resolver-rules", "MAP rebind.test 127.0.0.1"))
	for _, origin := range []string{attacker.URL, "http://rebind.test:" + attackPort} {
		do(t, ctx, 30*time.Second, chromedp.Navigate(origin+"/"))
		tctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		_, err := chromedp.Run(tctx, chromedp.Poll[bool](`document.title === "done"`, chromedp.WithPollingTimeout(20*time.Second)))
		var leaked string
		if err == nil {
			leaked, err = chromedp.Run(tctx, chromedp.Evaluate[string](`window.leaked || ""`))
		}
		cancel()
		if err != nil {
			t.Fatalf("the page at %s: %v", origin, err)
		}
		if strings.Contains(leaked, "guarded") {
			t.Errorf("the page at %s read the release: %.200s", origin, leaked)
		}
	}
	st := r.phase(t)
	if st.Phase != v1alpha1.PhasePaused || st.StepIndex != 1 || st.CanaryWeight != 20 {
		t.Fatalf("a page acted on the release: %s step %d weight %d: %s", st.Phase, st.StepIndex, st.CanaryWeight, st.Message)
	}
	for _, d := range st.History {
		if d.Reason == "Aborted" || d.Reason == "PromotedFull" || d.Reason == "PausedByUser" {
			t.Fatalf("a page's command was applied: %+v", d)
		}
	}
}

// TestControlEndpointGuards checks each guard of the control endpoint over
// a real socket, and what is redacted where.
func TestControlEndpointGuards(t *testing.T) {
	r := startPausedRun(t)
	token, err := local.ReadToken(r.dir)
	if err != nil || len(token) < 32 {
		t.Fatalf("token %q: %v", token, err)
	}
	do := func(method, path string, header http.Header) (int, string) {
		req, err := http.NewRequest(method, r.control+path, nil)
		if err != nil {
			t.Fatal(err)
		}
		for k, v := range header {
			req.Header[k] = v
			if k == "Host" {
				req.Host = v[0]
			}
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer func() { _ = resp.Body.Close() }()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	bearer := http.Header{"Authorization": {"Bearer " + token}}
	tests := map[string]struct {
		method, path string
		header       http.Header
		want         int
	}{
		"a command without the token":       {method: "POST", path: "/v1/release/abort", want: http.StatusUnauthorized},
		"a command with a wrong token":      {method: "POST", path: "/v1/release/abort", header: http.Header{"Authorization": {"Bearer " + strings.Repeat("0", len(token))}}, want: http.StatusUnauthorized},
		"a command from a page":             {method: "POST", path: "/v1/release/abort", header: http.Header{"Authorization": {"Bearer " + token}, "Origin": {"http://evil.test"}}, want: http.StatusForbidden},
		"a command for a rebound name":      {method: "POST", path: "/v1/release/abort", header: http.Header{"Authorization": {"Bearer " + token}, "Host": {"rebind.test"}}, want: http.StatusForbidden},
		"a spec handed over without token":  {method: "PUT", path: "/v1/release", want: http.StatusUnauthorized},
		"the view without the token":        {method: "GET", path: "/v1/release", want: http.StatusOK},
		"an unknown command with the token": {method: "POST", path: "/v1/release/explode", header: bearer, want: http.StatusBadRequest},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			code, body := do(tc.method, tc.path, tc.header)
			if code != tc.want {
				t.Fatalf("%s %s: %d %s, want %d", tc.method, tc.path, code, body, tc.want)
			}
		})
	}
	if st := r.phase(t); st.Phase != v1alpha1.PhasePaused {
		t.Fatalf("a refused request acted: %s", st.Phase)
	}

	// Secrets: redacted without the token, whole with it.
	_, plain := do("GET", "/v1/release", nil)
	_, whole := do("GET", "/v1/release", bearer)
	var redacted release.View
	if err := json.Unmarshal([]byte(plain), &redacted); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(plain, secretEnv) || strings.Contains(plain, secretHook) ||
		redacted.Release.Spec.Workload.Local.Canary.Env["DB_PASSWORD"] != release.Redacted || !strings.HasSuffix(redacted.Release.Spec.Webhooks[0].URL, release.Redacted) {
		t.Errorf("the view without the token shows secrets:\n%.600s", plain)
	}
	var v release.View
	if err := json.Unmarshal([]byte(whole), &v); err != nil {
		t.Fatal(err)
	}
	if v.Release.Spec.Workload.Local.Canary.Env["DB_PASSWORD"] != secretEnv {
		t.Errorf("the view with the token lacks the environment: %+v", v.Release.Spec.Workload.Local.Canary.Env)
	}
	out, err := exec.Command(sluiceBin, "--state-dir", r.dir, "get", "guarded", "-o", "yaml").CombinedOutput()
	if err != nil || strings.Contains(string(out), secretEnv) || strings.Contains(string(out), secretHook) {
		t.Errorf("get -o yaml shows secrets (%v):\n%s", err, out)
	}
	out, err = exec.Command(sluiceBin, "--state-dir", r.dir, "get", "guarded", "-o", "yaml", "--show-secrets").CombinedOutput()
	if err != nil || !strings.Contains(string(out), secretEnv) {
		t.Errorf("get --show-secrets hides them (%v):\n%s", err, out)
	}
	if strings.Contains(r.out.String(), secretHook) {
		t.Errorf("the runner's output carries the webhook's URL:\n%s", r.out)
	}

	// Files: the state and the token are their owner's only.
	for path, want := range map[string]os.FileMode{
		r.dir: 0o700, local.StatePath(r.dir, "guarded"): 0o600, local.TokenPath(r.dir): 0o600,
	} {
		fi, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if got := fi.Mode().Perm(); got != want {
			t.Errorf("%s is %v, want %v", path, got, want)
		}
	}
}
