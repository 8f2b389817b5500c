package dashboard

import (
	"context"
	"fmt"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// chromiumPath finds Debian's chromium; the test fails (never skips)
// without it, saying how to install it.
func chromiumPath(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	t.Fatal("chromium is not installed: run test/e2e/dashboard/install-chromium.sh (Debian packages chromium and chromium-driver)")
	return ""
}

// newBrowser starts a headless Chromium with a fresh profile and returns a
// tab's context; everything is torn down when the test ends.
func newBrowser(t *testing.T) context.Context {
	t.Helper()
	return newBrowserWith(t)
}

// newBrowserWith is newBrowser with more Chromium options.
func newBrowserWith(t *testing.T, extra ...chromedp.ExecAllocatorOption) context.Context {
	t.Helper()
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chromiumPath(t)),
		chromedp.Flag("headless", true),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("hide-scrollbars", true),
		chromedp.Flag("mute-audio", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1440, 1000),
	}
	opts = append(opts, extra...)
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelTab := chromedp.NewContext(actx, chromedp.WithLogf(t.Logf))
	t.Cleanup(func() {
		cancelTab()
		cancelAlloc()
	})
	// Start the browser now, without a deadline (one would end the browser
	// with it), so a broken install fails here.
	started := make(chan error, 1)
	go func() { started <- chromedp.Do(ctx) }()
	select {
	case err := <-started:
		if err != nil {
			t.Fatalf("starting chromium: %v", err)
		}
	case <-time.After(60 * time.Second):
		t.Fatal("chromium did not start within 60s")
	}
	return ctx
}

// exceptions collects the page's uncaught JavaScript exceptions from now
// on; the returned func reports them.
func exceptions(t *testing.T, ctx context.Context) func() []string {
	t.Helper()
	var (
		mu   sync.Mutex
		seen []string
	)
	messages := chromedp.Console(ctx)
	go func() {
		for m, err := range messages {
			if err != nil {
				return
			}
			if m.IsException() {
				mu.Lock()
				seen = append(seen, m.String())
				mu.Unlock()
			}
		}
	}()
	return func() []string {
		mu.Lock()
		defer mu.Unlock()
		return append([]string(nil), seen...)
	}
}

// do runs browser actions within a bound.
func do(t *testing.T, ctx context.Context, within time.Duration, actions ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	c, cancel := context.WithTimeout(ctx, within)
	defer cancel()
	if err := chromedp.Do(c, actions...); err != nil {
		t.Fatalf("browser: %v", err)
	}
}

// eval evaluates a JavaScript expression whose value is a string.
func eval(t *testing.T, ctx context.Context, js string) string {
	t.Helper()
	c, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	s, err := chromedp.Run(c, chromedp.Evaluate[string](js))
	if err != nil {
		t.Fatalf("browser: evaluating %s: %v", js, err)
	}
	return s
}

// text reads an element's text now (empty when it is not there).
func text(t *testing.T, ctx context.Context, sel string) string {
	t.Helper()
	return strings.TrimSpace(eval(t, ctx, fmt.Sprintf(`(document.querySelector(%q) || {}).textContent || ""`, sel)))
}

// click presses the left mouse button on the middle of an element, as a
// person does: real input events at the element's place on the screen,
// once it is shown, enabled and not covered. Element lookups go through
// the page's own JavaScript rather than the DevTools DOM domain, which a
// page that redraws parts of itself many times a second keeps invalidating.
func click(t *testing.T, ctx context.Context, sel string) {
	t.Helper()
	js := fmt.Sprintf(`(() => {
		const el = document.querySelector(%q);
		if (!el) return "missing";
		if (el.disabled) return "disabled";
		el.scrollIntoView({block: "center", inline: "center"});
		const r = el.getBoundingClientRect();
		if (r.width === 0 || r.height === 0) return "hidden";
		const x = r.left + r.width / 2, y = r.top + r.height / 2;
		const top = document.elementFromPoint(x, y);
		if (!top || (top !== el && !el.contains(top))) return "covered";
		return x + "," + y;
	})()`, sel)
	deadline := time.Now().Add(20 * time.Second)
	for {
		at := eval(t, ctx, js)
		var x, y float64
		if _, err := fmt.Sscanf(at, "%g,%g", &x, &y); err == nil {
			do(t, ctx, 10*time.Second, chromedp.MouseClickXY(x, y))
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("cannot click %s: %s", sel, at)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// typeText clicks into a field and types text with real key events.
func typeText(t *testing.T, ctx context.Context, sel, text string) {
	t.Helper()
	click(t, ctx, sel)
	do(t, ctx, 10*time.Second, chromedp.KeyEvent(text))
}

// waitText polls an element's text until ok accepts it, or fails the test
// after within, saying what it last saw.
func waitText(t *testing.T, ctx context.Context, sel string, within time.Duration, what string, ok func(string) bool) string {
	t.Helper()
	deadline := time.Now().Add(within)
	var last string
	for time.Now().Before(deadline) {
		last = text(t, ctx, sel)
		if ok(last) {
			return last
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("waited %s for %s (%s); last saw %q; the page: %s", within, what, sel, last,
		eval(t, ctx, `JSON.stringify({phase: (document.getElementById("phase") || {}).textContent, weight: (document.getElementById("weight") || {}).textContent, conn: document.getElementById("conn").textContent, sub: (document.getElementById("rel-sub") || {}).textContent, problem: (document.getElementById("problem") || {}).textContent, abort: (document.getElementById("btn-abort") || {}).disabled})`))
	return ""
}
