package dashboard

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"sluice.dev/sluice/api/v1alpha1"
	"sluice.dev/sluice/internal/dashboard"
)

// TestChartsShowChecksAndDecisions opens the page of a release whose
// faulty canary is rolled back, at a desktop and at a phone's width, and
// checks what is drawn: the checks' bounds across the success and latency
// charts, the release's steps and failed checks as markers, units and the
// measuring window in the titles, the canary dashed over stable, the final
// weight at the end of its line, "ran for" on an ended release, and every
// step of the timeline within the screen.
func TestChartsShowChecksAndDecisions(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	dir := t.TempDir()
	token, err := dashboard.GenerateToken()
	if err != nil {
		t.Fatal(err)
	}
	base := serveDashboard(t, ctx, dir, token)
	rel := testRelease("charted")
	rel.Spec.Workload.Local.Canary.Command = []string{appBin, "--version=v2", "--latency=5ms", "--error-rate=0.2"}
	rel.Spec.Analysis.Threshold = 3
	lr := startRelease(t, ctx, dir, rel)
	deadline := time.Now().Add(90 * time.Second)
	for lr.phase() != v1alpha1.PhaseRolledBack && time.Now().Before(deadline) {
		time.Sleep(200 * time.Millisecond)
	}
	if p := lr.phase(); p != v1alpha1.PhaseRolledBack {
		t.Fatalf("the faulty canary was not rolled back: %s", p)
	}

	browser := newBrowser(t)
	thrown := exceptions(t, browser)
	for _, width := range []int64{1440, 420} {
		t.Run(strconv.FormatInt(width, 10)+"px", func(t *testing.T) {
			do(t, browser, 10*time.Second, chromedp.EmulateViewport(width, 1000))
			do(t, browser, 30*time.Second, chromedp.Navigate(base+"/releases/charted"))
			waitText(t, browser, "#phase", 30*time.Second, "the page", func(s string) bool { return s == "RolledBack" })
			count := func(sel string) int {
				n, err := strconv.Atoi(eval(t, browser, `String(document.querySelectorAll(`+strconv.Quote(sel)+`).length)`))
				if err != nil {
					t.Fatal(err)
				}
				return n
			}
			checks := map[string]bool{
				"the success chart's bound":    count("#chart-success .threshold") == 1 && strings.Contains(text(t, browser, "#chart-success .threshold-label"), "min 98"),
				"the latency chart's bound":    count("#chart-p99 .threshold") == 1 && strings.Contains(text(t, browser, "#chart-p99 .threshold-label"), "max 250"),
				"failed checks as markers":     count("#chart-success .marker.failed") >= 3,
				"decisions as markers":         count("#chart-weight .marker") >= 3,
				"units and the window":         strings.Contains(text(t, browser, "#chart-success .ctitle"), "% not 5xx · 5s windows") && strings.Contains(text(t, browser, "#chart-p99 .ctitle"), "ms"),
				"the canary dashed":            count(`#chart-success path.series.canary[stroke-dasharray]`) >= 1 && count(`#chart-success path.series.stable:not([stroke-dasharray])`) >= 1,
				"the final weight in the line": strings.Contains(text(t, browser, "#chart-weight .legend"), "canary 0%"),
				"ran, not running":             strings.Contains(text(t, browser, "#details"), "ran for"),
				"the whole timeline on screen": eval(t, browser, `(() => { const li = [...document.querySelectorAll("#timeline li")]; const last = li[li.length-1].getBoundingClientRect(); return String(li.length > 0 && last.right <= window.innerWidth + 1 && last.width > 0); })()`) == "true",
			}
			for what, ok := range checks {
				if !ok {
					t.Errorf("%s: not drawn", what)
				}
			}
			png, err := chromedp.Run(browser, chromedp.FullScreenshot(100))
			if err != nil {
				t.Fatal(err)
			}
			dir := t.TempDir()
			if d := os.Getenv("SLUICE_DASHBOARD_CHARTS_DIR"); d != "" {
				dir = d // to look at them: the test asserts on the page, not on pixels
			}
			path := filepath.Join(dir, "release-"+strconv.FormatInt(width, 10)+".png")
			if err := os.WriteFile(path, png, 0o600); err != nil {
				t.Fatal(err)
			}
			t.Logf("%dpx: %s (%d bytes)", width, path, len(png))
		})
	}
	if ex := thrown(); len(ex) > 0 {
		t.Errorf("the page threw: %s", strings.Join(ex, "\n"))
	}
}
