package local

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"sluice.dev/sluice/api/v1alpha1"
	"sluice.dev/sluice/internal/release"
)

// hookReceiver answers a release's webhooks: the gate says no until
// opened, the rollout hook fails when told to, and every call's payload
// is kept.
type hookReceiver struct {
	srv         *httptest.Server
	gateOpen    atomic.Bool
	rolloutFail atomic.Bool
	mu          sync.Mutex
	calls       []map[string]any
}

func newHookReceiver(t *testing.T) *hookReceiver {
	t.Helper()
	h := &hookReceiver{}
	h.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var p map[string]any
		b, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		if err := json.Unmarshal(b, &p); err != nil {
			http.Error(w, "want JSON", http.StatusBadRequest)
			return
		}
		h.mu.Lock()
		h.calls = append(h.calls, p)
		h.mu.Unlock()
		switch {
		case r.URL.Path == "/gate" && !h.gateOpen.Load():
			http.Error(w, "not yet", http.StatusServiceUnavailable)
		case r.URL.Path == "/rollout" && h.rolloutFail.Load():
			http.Error(w, "load test failed: p99 too high", http.StatusInternalServerError)
		}
	}))
	t.Cleanup(h.srv.Close)
	return h
}

// of returns the payloads of one webhook type.
func (h *hookReceiver) of(typ string) []map[string]any {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []map[string]any
	for _, c := range h.calls {
		if c["type"] == typ {
			out = append(out, c)
		}
	}
	return out
}

func withWebhooks(t *testing.T, file, base string) {
	t.Helper()
	appendSpec(t, file, `  webhooks:
    - {name: load, type: rollout, url: "`+base+`/rollout", timeout: 2s, metadata: {cmd: "hey -z 1m"}}
    - {name: gate, type: confirm-promotion, url: "`+base+`/gate", timeout: 2s}
    - {name: events, type: event, url: "`+base+`/events"}
    - {name: done, type: post-rollout, url: "`+base+`/events"}
`)
}

// TestWebhooksOfALocalRelease: `sluice run` calls the same webhooks as the
// controller. The rollout hook runs at each check with its metadata, the
// gate holds the promotion until it says yes, and the event and
// post-rollout hooks hear the decisions.
func TestWebhooksOfALocalRelease(t *testing.T) {
	h := newHookReceiver(t)
	dir, addr := t.TempDir(), freeAddr(t)
	file := writeRelease(t, "hooked", addr, "", indent("setWeight: 30", "analysis: {passes: 1}"))
	withWebhooks(t, file, h.srv.URL)
	run := startRun(t, dir, file)
	load(t, dir, "hooked", addr)
	waitFor(t, dir, "hooked", 30*time.Second, "the gate", func(s *release.View) bool {
		return strings.Contains(s.Release.Status.Message, "promotion held: confirm-promotion webhook said no: gate: ")
	})
	time.Sleep(time.Second)
	if s := getJSON(t, dir, "hooked"); s.Release.Status.Phase == v1alpha1.PhasePromoted {
		t.Fatal("promoted while the gate said no")
	}
	h.gateOpen.Store(true)
	if code := run.wait(t, 30*time.Second); code != 0 {
		t.Fatalf("run exited %d:\n%s", code, run.out)
	}
	rollouts := h.of("rollout")
	if len(rollouts) == 0 {
		t.Fatal("the rollout webhook was never called")
	}
	if md, _ := rollouts[0]["metadata"].(map[string]any); md["cmd"] != "hey -z 1m" || rollouts[0]["name"] != "hooked" {
		t.Errorf("rollout payload = %v", rollouts[0])
	}
	var promoted bool
	for _, e := range h.of("event") {
		promoted = promoted || e["reason"] == "Promoted"
	}
	if !promoted || len(h.of("post-rollout")) != 1 {
		t.Fatalf("event hooks: promoted %v, %d post-rollout calls", promoted, len(h.of("post-rollout")))
	}
}

// TestAFailingRolloutWebhookRollsBack: a load test that fails is a failed
// check, and enough of them roll the release back, with the hook's answer
// as the reason.
func TestAFailingRolloutWebhookRollsBack(t *testing.T) {
	h := newHookReceiver(t)
	h.rolloutFail.Store(true)
	dir, addr := t.TempDir(), freeAddr(t)
	file := writeRelease(t, "loadfail", addr, "", indent("setWeight: 30", "analysis: {passes: 3}", "setWeight: 60"))
	withWebhooks(t, file, h.srv.URL)
	run := startRun(t, dir, file)
	load(t, dir, "loadfail", addr)
	if code := run.wait(t, 60*time.Second); code != 2 {
		t.Fatalf("run exited %d, want 2 (rolled back):\n%s", code, run.out)
	}
	st := getJSON(t, dir, "loadfail").Release.Status
	if !strings.Contains(st.Message, "rollout webhook failed: load: HTTP 500") || !strings.Contains(st.Message, "load test failed") {
		t.Fatalf("rolled back for another reason: %s", st.Message)
	}
}
