package local_test

import (
	"context"
	"errors"
	"net/http"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"sluice.dev/sluice/api/v1alpha1"
	"sluice.dev/sluice/internal/local"
	"sluice.dev/sluice/internal/release"
)

// supervised is a runner of a release that waits at a pause at 50%, with
// helpers to kill its versions' processes.
type supervised struct {
	t    *testing.T
	dir  string
	view atomic.Pointer[release.View]
	done chan error
}

func startSupervised(t *testing.T, name string, threshold int32) *supervised {
	t.Helper()
	rel := testRelease(name, "--latency=2ms")
	rel.Spec.Strategy.Steps = []v1alpha1.Step{{SetWeight: i32(50)}, {Pause: &v1alpha1.PauseStep{}}}
	rel.Spec.Analysis.Threshold = threshold
	s := &supervised{t: t, dir: t.TempDir(), done: make(chan error, 1)}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	r, err := local.New(rel, local.Options{StateDir: s.dir, Tick: 50 * time.Millisecond, OnUpdate: func(v *release.View) { s.view.Store(v) }})
	if err != nil {
		t.Fatal(err)
	}
	go func() { s.done <- r.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-s.done; err != nil && !errors.Is(err, context.Canceled) {
			t.Errorf("runner: %v", err)
		}
	})
	s.wait("the pause at 50%", func(v *release.View) bool {
		st := v.Release.Status
		return st.Phase == v1alpha1.PhasePaused && st.StepIndex == 1 && v.ProxyAddress != "" && v.Version("canary").Ready
	})
	return s
}

func (s *supervised) wait(what string, ok func(*release.View) bool) *release.View {
	s.t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		if v := s.view.Load(); v != nil && ok(v) {
			return v
		}
		select {
		case err := <-s.done:
			s.t.Fatalf("the runner ended waiting for %s: %v", what, err)
		case <-time.After(20 * time.Millisecond):
		}
	}
	st := s.view.Load().Release.Status
	s.t.Fatalf("waited 60s for %s; last: %s step %d: %s", what, st.Phase, st.StepIndex, st.Message)
	return nil
}

// kill kills the process of one version and waits for another process
// of it to be ready.
func (s *supervised) kill(version, what string) {
	s.t.Helper()
	v := s.view.Load().Version(version)
	if v == nil || v.PID == 0 {
		s.t.Fatalf("no %s process to kill: %+v", version, s.view.Load().Versions)
	}
	if err := syscall.Kill(v.PID, syscall.SIGKILL); err != nil {
		s.t.Fatal(err)
	}
	again := s.wait(what, func(view *release.View) bool {
		n := view.Version(version)
		return n != nil && n.PID != 0 && n.PID != v.PID && n.Ready
	})
	s.t.Logf("%s: pid %d killed, pid %d serves", what, v.PID, again.Version(version).PID)
}

// get sends n requests through the proxy; each must succeed.
func (s *supervised) get(n int) {
	s.t.Helper()
	base := s.view.Load().ProxyAddress
	for i := range n {
		res, err := http.Get(base + "/")
		if err != nil {
			s.t.Fatalf("request %d through the proxy: %v", i, err)
		}
		_ = res.Body.Close()
		if res.StatusCode != http.StatusOK {
			s.t.Fatalf("request %d through the proxy: %s", i, res.Status)
		}
	}
}

func (s *supervised) command(name, cmd string) {
	s.t.Helper()
	if _, err := local.NewClient(s.dir).Command(context.Background(), name, cmd); err != nil {
		s.t.Fatal(err)
	}
}

// TestDeadStableIsStartedAgain kills the stable's process twice: while a
// release waits at a pause (it neither promotes nor rolls back) and after
// the promotion, when the former canary's process serves as stable. Each
// time the runner starts stable again, as a Deployment replaces a pod,
// and the proxy serves from it.
func TestDeadStableIsStartedAgain(t *testing.T) {
	s := startSupervised(t, "stable-dies", 2)
	s.kill("stable", "stable started again during the pause")
	if st := s.view.Load().Release.Status; st.Phase != v1alpha1.PhasePaused || st.StepIndex != 1 {
		t.Fatalf("the release moved while stable was down: %s step %d: %s", st.Phase, st.StepIndex, st.Message)
	}
	s.get(20)

	s.command("stable-dies", "promote")
	s.wait("the promotion", func(v *release.View) bool { return v.Release.Status.Phase == v1alpha1.PhasePromoted })
	s.kill("stable", "the promoted version started again as stable")
	if v := s.view.Load().Version("stable"); v.Version != "v2" {
		t.Fatalf("stable after the restart runs %s, want the promoted v2", v.Version)
	}
	s.get(20)
}

// TestDeadCanaryIsStartedAgain kills the canary's process while the
// release waits at a pause with a threshold of 3: the death is one failed
// check, the canary is started again, and the release goes on to its
// promotion.
func TestDeadCanaryIsStartedAgain(t *testing.T) {
	s := startSupervised(t, "canary-dies", 3)
	s.kill("canary", "canary started again")
	st := s.wait("the death counted", func(v *release.View) bool { return v.Release.Status.Analysis.FailedChecks >= 1 }).Release.Status
	if st.Phase != v1alpha1.PhasePaused || st.Analysis.FailedChecks != 1 {
		t.Fatalf("after one death: %s, %d failed checks: %s", st.Phase, st.Analysis.FailedChecks, st.Message)
	}
	s.get(20)
	s.command("canary-dies", "promote")
	s.wait("the promotion", func(v *release.View) bool { return v.Release.Status.Phase == v1alpha1.PhasePromoted })
	if v := s.view.Load().Version("stable"); v.Version != "v2" || !v.Ready {
		t.Fatalf("stable after the promotion: %+v", v)
	}
}
