package dashboard

import (
	"context"
	"errors"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"sluice.dev/sluice/api/v1alpha1"
	"sluice.dev/sluice/internal/dashboard"
	"sluice.dev/sluice/internal/loadgen"
	"sluice.dev/sluice/internal/local"
	"sluice.dev/sluice/internal/release"
)

func d(s string) *metav1.Duration {
	v, _ := time.ParseDuration(s)
	return &metav1.Duration{Duration: v}
}
func i32(n int32) *int32     { return &n }
func f64(v float64) *float64 { return &v }

// testRelease moves a healthy canary to 50% in a few seconds, then holds it
// there for minutes: long enough to look at, click and abort.
func testRelease(name string) *v1alpha1.Release {
	rel := &v1alpha1.Release{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec: v1alpha1.ReleaseSpec{
			Workload: v1alpha1.WorkloadSpec{Local: &v1alpha1.LocalWorkload{
				Stable: v1alpha1.LocalVersion{Version: "v1", Command: []string{appBin, "--version=v1", "--latency=5ms", "--jitter=4ms"}},
				Canary: v1alpha1.LocalVersion{Version: "v2", Command: []string{appBin, "--version=v2", "--latency=9ms", "--jitter=6ms"}},
			}},
			Traffic: v1alpha1.TrafficSpec{Proxy: &v1alpha1.ProxyTraffic{Listen: "127.0.0.1:0"}},
			Strategy: v1alpha1.Strategy{Steps: []v1alpha1.Step{
				{SetWeight: i32(10)},
				{Pause: &v1alpha1.PauseStep{Duration: d("3s")}},
				{SetWeight: i32(25)},
				{Analysis: &v1alpha1.AnalysisStep{Passes: 3}},
				{SetWeight: i32(50)},
				{Pause: &v1alpha1.PauseStep{Duration: d("5m")}},
				{SetWeight: i32(75)},
				{Analysis: &v1alpha1.AnalysisStep{Passes: 2}},
			}},
			Analysis: v1alpha1.Analysis{
				Interval: d("1s"), Threshold: 5,
				Metrics: []v1alpha1.MetricCheck{
					{Name: v1alpha1.MetricRequestSuccessRate, ThresholdRange: v1alpha1.ThresholdRange{Min: f64(98)}, Window: d("2s")},
					{Name: v1alpha1.MetricRequestDuration, ThresholdRange: v1alpha1.ThresholdRange{Max: f64(250)}, Window: d("2s")},
				},
			},
		},
	}
	rel.Default()
	return rel
}

// localRelease is a running `sluice run` in this process with load through
// its proxy.
type localRelease struct {
	dir  string
	done chan error
	snap atomic.Pointer[release.View]
}

func startRelease(t *testing.T, ctx context.Context, dir string, rel *v1alpha1.Release) *localRelease {
	t.Helper()
	lr := &localRelease{dir: dir, done: make(chan error, 1)}
	var load atomic.Pointer[loadgen.Generator]
	r, err := local.New(rel, local.Options{
		StateDir: lr.dir, Tick: 100 * time.Millisecond, ExitOnDone: true,
		OnUpdate: func(s *release.View) {
			lr.snap.Store(s)
			if g := load.Load(); g != nil && s.Release.Status.Phase.Terminal() {
				g.Stop() // before the runner closes its proxy
			}
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	go func() { lr.done <- r.Run(ctx) }()
	t.Cleanup(func() {
		if t.Failed() {
			lr.explain(t)
		}
	})
	deadline := time.After(30 * time.Second)
	for {
		select {
		case err := <-lr.done:
			t.Fatalf("runner ended before its proxy listened: %v", err)
		case <-deadline:
			t.Fatal("the runner's proxy did not listen within 30s")
		case <-time.After(20 * time.Millisecond):
		}
		if s := lr.snap.Load(); s != nil && s.ProxyAddress != "" {
			gen, err := loadgen.New(loadgen.Config{Target: s.ProxyAddress + "/", Rate: 80, Duration: 2 * time.Minute, Concurrency: 8})
			if err == nil {
				err = gen.Start(ctx)
			}
			if err != nil {
				t.Fatal(err)
			}
			load.Store(gen)
			t.Cleanup(gen.Stop)
			return lr
		}
	}
}

// explain logs what the runner last decided, so a failure says why the
// release went where it went.
func (lr *localRelease) explain(t *testing.T) {
	t.Helper()
	s := lr.snap.Load()
	if s == nil {
		t.Log("the runner published no view")
		return
	}
	st := s.Release.Status
	t.Logf("runner: phase %s, step %d, weight %d: %s", st.Phase, st.StepIndex, st.CanaryWeight, st.Message)
	for _, h := range st.History {
		t.Logf("  history: %s %s", h.Reason, h.Message)
	}
	for _, v := range s.Versions {
		t.Logf("  %s: requests %d, ejections %d %s", v.Name, v.Requests, v.Ejections, v.LastEjectionReason)
	}
}

func (lr *localRelease) phase() v1alpha1.Phase {
	if s := lr.snap.Load(); s != nil {
		return s.Release.Status.Phase
	}
	return ""
}

// serveDashboard serves a dashboard over the local client of dir.
func serveDashboard(t *testing.T, ctx context.Context, dir, token string) string {
	t.Helper()
	srv, err := dashboard.New(local.NewClient(dir), dashboard.Options{Token: token, PollInterval: 200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := srv.Listen("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	sctx, cancel := context.WithCancel(ctx)
	served := make(chan error, 1)
	go func() { served <- srv.Serve(sctx, ln) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-served:
			if err != nil {
				t.Errorf("dashboard: %v", err)
			}
		case <-time.After(10 * time.Second):
			t.Error("the dashboard did not shut down within 10s")
		}
	})
	return "http://" + ln.Addr().String()
}

func percent(s string) (int, bool) {
	n, err := strconv.Atoi(strings.TrimSuffix(s, "%"))
	return n, err == nil && strings.HasSuffix(s, "%")
}

func TestReleasePageFollowsAndAbortsALiveRelease(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	const name = "web"
	dir := t.TempDir()
	token, err := dashboard.GenerateToken()
	if err != nil {
		t.Fatal(err)
	}
	base := serveDashboard(t, ctx, dir, token)
	browser := newBrowser(t)
	thrown := exceptions(t, browser)
	defer func() {
		if ex := thrown(); len(ex) > 0 {
			t.Errorf("the page threw: %s", strings.Join(ex, "\n"))
		}
	}()

	// The page, opened without the token (as someone given only the
	// address) before the release starts: it shows it once it is there.
	do(t, browser, 30*time.Second, chromedp.Navigate(base+"/releases/"+name))
	eval(t, browser, `window.sluiceNoReload = "still the same page"`)
	waitText(t, browser, "#problem", 10*time.Second, "the page to say the release is not there yet", func(s string) bool { return strings.Contains(s, "no such release") })
	// This test is about the page, not the analysis: a canary that never
	// errs, and a latency bound a loaded CI machine does not reach, so the
	// release waits at 50% until the page aborts it.
	rel := testRelease(name)
	rel.Spec.Analysis.Metrics[1].ThresholdRange.Max = f64(2000)
	lr := startRelease(t, ctx, dir, rel)
	first := waitText(t, browser, "#weight", 30*time.Second, "a weight", func(s string) bool { _, ok := percent(s); return ok })
	w0, _ := percent(first)

	// The weight moves in the page, pushed by the server.
	moved := waitText(t, browser, "#weight", 60*time.Second, "the weight to change from "+first, func(s string) bool {
		w, ok := percent(s)
		return ok && w != w0
	})
	t.Logf("weight went from %s to %s in the page", first, moved)
	waitText(t, browser, "#weight", 60*time.Second, "the weight to reach 50%", func(s string) bool { return s == "50%" })
	waitText(t, browser, "#timeline li[data-state=current]", 10*time.Second, "the current step highlighted", func(s string) bool { return strings.Contains(s, "pause") })
	waitText(t, browser, "#decisions", 10*time.Second, "the decisions listed", func(s string) bool { return strings.Contains(s, "StepStarted") })
	screenshot(t, browser)

	// Abort without the token: refused, and the release goes on.
	click(t, browser, "#btn-abort")
	msg := waitText(t, browser, "#action-message", 10*time.Second, "the refusal", func(s string) bool { return strings.Contains(s, "refused") })
	t.Logf("without the token the page says: %s", msg)
	time.Sleep(time.Second) // a tick or ten of the runner
	if p := lr.phase(); p.Terminal() || p == v1alpha1.PhaseRollingBack {
		t.Fatalf("an abort without the token reached the release: phase %s", p)
	}
	if s := text(t, browser, "#phase"); s == string(v1alpha1.PhaseRolledBack) {
		t.Fatalf("page shows %s after a refused abort", s)
	}

	// With the token: the release rolls back, and the page shows it.
	typeText(t, browser, "#token-input", token)
	click(t, browser, "#token-save")
	waitText(t, browser, "#token-state", 10*time.Second, "the token to be taken", func(s string) bool { return s == "token set" })
	click(t, browser, "#btn-abort")
	waitText(t, browser, "#phase", 30*time.Second, "the release to roll back", func(s string) bool { return s == string(v1alpha1.PhaseRolledBack) })
	waitText(t, browser, "#weight", 10*time.Second, "the canary weight back to 0%", func(s string) bool { return s == "0%" })
	select {
	case err := <-lr.done:
		if !errors.Is(err, local.ErrRolledBack) {
			t.Fatalf("runner: %v, want ErrRolledBack", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the runner did not end within 30s of the abort")
	}

	if same := eval(t, browser, `window.sluiceNoReload || "reloaded"`); same != "still the same page" {
		t.Fatalf("the page was reloaded: %q", same)
	}

	// The address printed at start carries the token; the page keeps it for
	// the tab and takes it out of the address bar.
	click(t, browser, "#token-forget")
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	printed := dashboard.URL(&net.TCPAddr{IP: net.ParseIP(u.Hostname()), Port: mustPort(t, u.Port())}, "", token)
	do(t, browser, 30*time.Second, chromedp.Navigate(printed))
	waitText(t, browser, "#token-state", 10*time.Second, "the token taken from the address", func(s string) bool { return s == "token set" })
	if q := eval(t, browser, `location.search`); q != "" {
		t.Fatalf("the token stays in the address bar: %q", q)
	}
	// The list shows the release as it ended.
	waitText(t, browser, "#releases tr[data-key=web]", 10*time.Second, "the release in the list", func(s string) bool {
		return strings.Contains(s, "RolledBack") && strings.Contains(s, "0%")
	})
}

func mustPort(t *testing.T, s string) int {
	t.Helper()
	n, err := strconv.Atoi(s)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// screenshot keeps a picture of the release page mid-release: in the
// test's temporary dir always, and where $SLUICE_DASHBOARD_SCREENSHOT says,
// after letting the charts fill for half a minute more. The README's
// picture is made so:
//
//	SLUICE_DASHBOARD_SCREENSHOT=$PWD/docs/dashboard.png go test ./test/e2e/dashboard/
func screenshot(t *testing.T, browser context.Context) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "dashboard.png")
	wait := 1200 * time.Millisecond // a few more chart points
	if p := os.Getenv("SLUICE_DASHBOARD_SCREENSHOT"); p != "" {
		path, wait = p, 30*time.Second
	}
	time.Sleep(wait)
	c, cancel := context.WithTimeout(browser, 20*time.Second)
	defer cancel()
	png, err := chromedp.Run(c, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	if err := os.WriteFile(path, png, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot of the release page: %s (%d bytes)", path, len(png))
}
