package dashboard

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"sluice.dev/sluice/test/e2e/kubedashboard"
)

// chartState is what a chart of the release page shows.
type chartState struct {
	NoData bool   `json:"noData"`
	Lines  int    `json:"lines"` // drawn segments of two points or more
	Legend string `json:"legend"`
}

// chartsNow reads the four charts of the release page.
func chartsNow(t *testing.T, ctx context.Context) map[string]chartState {
	t.Helper()
	js := `JSON.stringify(Object.fromEntries(["chart-weight", "chart-rps", "chart-success", "chart-p99"].map((id) => {
		const el = document.getElementById(id);
		if (!el) return [id, {noData: true, lines: 0, legend: ""}];
		const lines = [...el.querySelectorAll("svg path[stroke]")].filter((p) => (p.getAttribute("d") || "").includes("L")).length;
		return [id, {noData: !!el.querySelector(".nodata"), lines, legend: el.querySelector(".legend").textContent}];
	})))`
	var out map[string]chartState
	if err := json.Unmarshal([]byte(eval(t, ctx, js)), &out); err != nil {
		t.Fatalf("reading the charts: %v", err)
	}
	return out
}

// A cluster release's page draws its charts from Prometheus, and says so
// when Prometheus cannot be reached instead of drawing success.
func TestClusterReleasePageDrawsCharts(t *testing.T) {
	f := kubedashboard.Start(t)
	d := kubedashboard.StartDashboard(t, sluiceBin, f.Env.Kubeconfig, "-A", "--prometheus-url", f.Prom.URL)
	browser := newBrowser(t)
	thrown := exceptions(t, browser)
	defer func() {
		if ex := thrown(); len(ex) > 0 {
			t.Errorf("the page threw: %s", strings.Join(ex, "\n"))
		}
	}()

	do(t, browser, 30*time.Second, chromedp.Navigate(d.Base+"/releases/"+f.Shop+"/api"))
	waitText(t, browser, "#rel-sub", 20*time.Second, "the release's namespace", func(s string) bool { return strings.Contains(s, "namespace "+f.Shop) })
	deadline := time.Now().Add(45 * time.Second)
	var charts map[string]chartState
	for {
		charts = chartsNow(t, browser)
		drawn := true
		for _, c := range charts {
			// Weight: one line; the others: stable and canary.
			drawn = drawn && !c.NoData && c.Lines >= 1 && !strings.Contains(c.Legend, "–")
		}
		if drawn && charts["chart-success"].Lines >= 2 && charts["chart-p99"].Lines >= 2 && charts["chart-rps"].Lines >= 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("charts not drawn within 45s: %+v; notes %q", charts, text(t, browser, "#notes"))
		}
		time.Sleep(500 * time.Millisecond)
	}
	t.Logf("charts: %+v", charts)
	for id, want := range map[string]string{"chart-success": "canary 95", "chart-weight": "canary 35%"} {
		if !strings.Contains(charts[id].Legend, want) {
			t.Errorf("%s legend %q, want %q", id, charts[id].Legend, want)
		}
	}
	if hidden := eval(t, browser, `String(document.getElementById("notes").hidden)`); hidden != "true" {
		t.Errorf("notes shown with Prometheus reachable: %q", text(t, browser, "#notes"))
	}

	// The release's own address is unreachable from here.
	own := kubedashboard.StartDashboard(t, sluiceBin, f.Env.Kubeconfig, "-A")
	do(t, browser, 30*time.Second, chromedp.Navigate(own.Base+"/releases/"+f.Blog+"/api"))
	note := waitText(t, browser, "#notes", 20*time.Second, "a note on the missing metrics", func(s string) bool {
		return strings.Contains(s, "Metrics missing") && strings.Contains(s, f.Unreachable)
	})
	t.Logf("the page notes: %s", note)
	charts = chartsNow(t, browser)
	for _, id := range []string{"chart-success", "chart-p99"} {
		if c := charts[id]; !c.NoData || c.Lines != 0 {
			t.Errorf("%s without Prometheus: %+v, want no data", id, c)
		}
	}
	if c := charts["chart-weight"]; c.NoData || !strings.Contains(c.Legend, "canary 20%") {
		t.Errorf("weight chart without Prometheus: %+v, want 20%% from the history", c)
	}
}
