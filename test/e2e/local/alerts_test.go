package local

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"sluice.dev/sluice/internal/alerts"
	"sluice.dev/sluice/internal/engine"
)

// receiver is a local HTTP endpoint standing in for Slack and a generic
// webhook: it keeps every body posted to each path.
type receiver struct {
	srv    *httptest.Server
	mu     sync.Mutex
	bodies map[string][][]byte
}

func newReceiver(t *testing.T) *receiver {
	t.Helper()
	rc := &receiver{bodies: map[string][][]byte{}}
	rc.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		if err != nil || r.Method != http.MethodPost || r.Header.Get("Content-Type") != "application/json" {
			http.Error(w, "want a JSON POST", http.StatusBadRequest)
			return
		}
		rc.mu.Lock()
		rc.bodies[r.URL.Path] = append(rc.bodies[r.URL.Path], b)
		rc.mu.Unlock()
	}))
	t.Cleanup(rc.srv.Close)
	return rc
}

func (rc *receiver) got(path string) [][]byte {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([][]byte(nil), rc.bodies[path]...)
}

// webhookAlerts decodes what the generic webhook received.
func (rc *receiver) webhookAlerts(t *testing.T) []alerts.Alert {
	t.Helper()
	var out []alerts.Alert
	for _, b := range rc.got("/webhook") {
		var a alerts.Alert
		if err := json.Unmarshal(b, &a); err != nil {
			t.Fatalf("webhook body %s: %v", b, err)
		}
		out = append(out, a)
	}
	return out
}

// oncallEnv holds the "Slack" receiver's URL, as a token would be kept out
// of the release file.
const oncallEnv = "SLUICE_E2E_ONCALL_URL"

// withAlerts adds spec.alerts to a release file: every alert to the
// generic webhook, errors only to "Slack", whose URL `sluice run` reads
// from its environment.
func withAlerts(t *testing.T, file, base string) {
	t.Helper()
	t.Setenv(oncallEnv, base+"/slack")
	appendSpec(t, file, `  alerts:
    - name: audit
      provider: webhook
      url: `+base+`/webhook
    - name: oncall
      provider: slack
      severity: error
      urlFromEnv: `+oncallEnv+`
`)
}

// TestAlertURLFromAnUnsetVariable: a receiver whose variable is not set
// stops `sluice run` before anything starts, naming the field and the
// variable, rather than losing every message of the release.
func TestAlertURLFromAnUnsetVariable(t *testing.T) {
	dir, addr := t.TempDir(), freeAddr(t)
	file := writeRelease(t, "unset", addr, "", indent("setWeight: 30"))
	withAlerts(t, file, "http://127.0.0.1:9")
	t.Setenv(oncallEnv, "")
	run := startRun(t, dir, file)
	if code := run.wait(t, 30*time.Second); code == 0 {
		t.Fatalf("run exited 0, want a refusal:\n%s", run.out)
	}
	if want := "spec.alerts[1].urlFromEnv: " + oncallEnv + " is not set"; !strings.Contains(run.out.String(), want) {
		t.Fatalf("output does not say %q:\n%s", want, run.out)
	}
}

// TestAlertsOfARolledBackRelease runs a faulty canary with `sluice run` and
// checks what each receiver is sent: every failed check and the rollback,
// with their reasons, to the webhook; only the rollback to Slack, in
// Slack's format.
func TestAlertsOfARolledBackRelease(t *testing.T) {
	rc := newReceiver(t)
	dir, addr := t.TempDir(), freeAddr(t)
	file := writeRelease(t, "alerted", addr, `, "--error-rate=0.3"`, indent("setWeight: 30", "analysis: {passes: 5}", "setWeight: 60"))
	withAlerts(t, file, rc.srv.URL)
	run := startRun(t, dir, file)
	load(t, dir, "alerted", addr)
	if code := run.wait(t, 60*time.Second); code != 2 {
		t.Fatalf("run exited %d, want 2 (rolled back):\n%s", code, run.out)
	}
	// Run waits for its alerts before it exits: they are all here.
	got := rc.webhookAlerts(t)
	var failed, rolledBack int
	for _, a := range got {
		switch {
		case a.Reason == string(engine.ReasonCheckFailed):
			failed++
			if a.Severity != alerts.SeverityWarn || a.Release != "alerted" || !strings.Contains(a.Message, "success rate") {
				t.Errorf("check alert = %+v", a)
			}
		case a.Phase == "RolledBack":
			rolledBack++
			if a.Severity != alerts.SeverityError || a.FromPhase == "" || a.CanaryWeight != 0 || a.Message == "" {
				t.Errorf("rollback alert = %+v", a)
			}
		}
	}
	if failed < 2 || rolledBack != 1 {
		t.Fatalf("webhook got %d failed-check and %d rolled-back alerts, want ≥2 and 1: %+v", failed, rolledBack, got)
	}

	slack := rc.got("/slack")
	if len(slack) == 0 {
		t.Fatal("Slack got nothing")
	}
	for _, b := range slack {
		var msg struct {
			Text        string `json:"text"`
			Attachments []struct {
				Color  string            `json:"color"`
				Blocks []json.RawMessage `json:"blocks"`
			} `json:"attachments"`
		}
		if err := json.Unmarshal(b, &msg); err != nil {
			t.Fatalf("slack body %s: %v", b, err)
		}
		if !strings.HasPrefix(msg.Text, "[error] alerted: ") || len(msg.Attachments) != 1 || len(msg.Attachments[0].Blocks) == 0 {
			t.Errorf("slack message = %s", b)
		}
	}
}

// TestAlertsOfAPromotedRelease checks a healthy release: the promotion
// reaches the webhook at info, and the error-only Slack hears nothing.
func TestAlertsOfAPromotedRelease(t *testing.T) {
	rc := newReceiver(t)
	dir, addr := t.TempDir(), freeAddr(t)
	file := writeRelease(t, "quiet", addr, "", indent("setWeight: 30", "analysis: {passes: 1}"))
	withAlerts(t, file, rc.srv.URL)
	run := startRun(t, dir, file)
	load(t, dir, "quiet", addr)
	if code := run.wait(t, 60*time.Second); code != 0 {
		t.Fatalf("run exited %d:\n%s", code, run.out)
	}
	var promoted bool
	for _, a := range rc.webhookAlerts(t) {
		if a.Phase == "Promoted" && a.FromPhase != "" && a.Severity == alerts.SeverityInfo {
			promoted = true
		}
		if a.Severity == alerts.SeverityError {
			t.Errorf("error alert for a healthy release: %+v", a)
		}
	}
	if !promoted {
		t.Fatalf("no Promoted alert: %+v", rc.webhookAlerts(t))
	}
	if s := rc.got("/slack"); len(s) != 0 {
		t.Fatalf("the error-only Slack receiver got %d messages: %s", len(s), s[0])
	}
}
