package local

import (
	"context"
	"fmt"
	"log/slog"
	"net/url"
	"sync"
	"time"

	"sluice.dev/sluice/api/v1alpha1"
	"sluice.dev/sluice/internal/engine"
	"sluice.dev/sluice/internal/proxy"
	"sluice.dev/sluice/internal/release"
	"sluice.dev/sluice/internal/workload/local"
)

// retireDelay is how long a version that no longer gets traffic keeps
// running before it is asked to stop: requests sent on the route before
// it changed finish, and the process then drains its own (SIGTERM, then
// the driver's grace period).
const retireDelay = 2 * time.Second

// restartBackoff spaces the attempts to start a canary that failed to,
// and is the first wait before starting a dead stable again.
const restartBackoff = time.Second

// maxStableBackoff bounds the doubling wait between attempts to start a
// stable that keeps failing to.
const maxStableBackoff = 30 * time.Second

// slots are a local release's two versions and the proxy in front of
// them: the release layer's Workload and Router at once, since the proxy
// routes to whichever process fills each slot.
//
// The stable slot always serves users. On promotion the canary's process
// moves into the stable slot (nothing restarts) and the old stable is
// retired once no request can reach it; the next canary starts in the
// canary slot when the spec names one the stable does not run.
type slots struct {
	ctx    context.Context // bounds the versions' starts: the runner's
	driver *local.Driver
	proxy  *proxy.Proxy
	log    *slog.Logger
	// onPromote is told the spec now serving as stable, to save it.
	onPromote func(v1alpha1.LocalVersion)

	mu         sync.Mutex
	spec       v1alpha1.LocalWorkload
	match      []proxy.MatchRule
	stable     *local.Instance
	stableSpec v1alpha1.LocalVersion
	canary     *local.Instance
	// starting is the revision of a canary start under way; "" for none.
	starting    string
	failedAt    time.Time
	failure     string
	ejectionsAt uint64          // the proxy's count of canary ejections last seen
	reported    *local.Instance // the dead canary CanaryFailure reported
	// restarting is set while a dead stable is being started again;
	// stableFailedAt and stableBackoff space the attempts that fail.
	restarting     bool
	stableFailedAt time.Time
	stableBackoff  time.Duration
}

var (
	_ release.Workload = (*slots)(nil)
	_ release.Router   = (*slots)(nil)
	_ release.Failures = (*slots)(nil)
)

// setSpec takes a new spec (a release file handed to the running runner).
func (s *slots) setSpec(w v1alpha1.LocalWorkload, match []v1alpha1.MatchRule) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.spec, s.match = *w.DeepCopy(), proxyRules(match)
}

// proxyRules are the Release's match rules in the proxy's terms.
func proxyRules(in []v1alpha1.MatchRule) []proxy.MatchRule {
	if len(in) == 0 {
		return nil
	}
	conv := func(m map[string]v1alpha1.StringMatch) map[string]proxy.StringMatch {
		if m == nil {
			return nil
		}
		out := make(map[string]proxy.StringMatch, len(m))
		for k, v := range m {
			out[k] = proxy.StringMatch{Exact: v.Exact, Prefix: v.Prefix, Regex: v.Regex}
		}
		return out
	}
	out := make([]proxy.MatchRule, len(in))
	for i, r := range in {
		out[i] = proxy.MatchRule{Headers: conv(r.Headers), Cookies: conv(r.Cookies)}
	}
	return out
}

// startStable starts the version serving as stable; the proxy needs it
// before it answers anyone.
func (s *slots) startStable(ctx context.Context, spec v1alpha1.LocalVersion) error {
	inst, err := s.driver.Start(ctx, local.Version{Name: local.Stable, Spec: spec})
	if err != nil {
		return fmt.Errorf("starting stable: %w", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.stable, s.stableSpec = inst, spec
	return nil
}

// Observe reports the stable slot's revision and the canary the spec
// names; the canary is ready when a process of that revision answers.
func (s *slots) Observe(context.Context) (release.Versions, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	want := local.Revision(s.spec.Canary)
	v := release.Versions{
		StableRevision: local.Revision(s.stableSpec), CanaryRevision: want,
		StableName: s.stableSpec.Version, CanaryName: s.spec.Canary.Version,
	}
	v.StableReady = s.stable != nil && s.stable.Ready()
	v.CanaryReady = s.canary != nil && s.canary.Revision() == want && s.canary.Ready()
	return v, nil
}

// Apply brings the processes to what the engine wants: hands the canary
// over to the stable slot on promotion, starts the canary the spec names
// while one is under test, and retires what no longer gets traffic.
func (s *slots) Apply(_ context.Context, want engine.Desired, st v1alpha1.ReleaseStatus) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.supervise()
	if want.PromoteStable && st.CanaryRevision != "" && local.Revision(s.stableSpec) != st.CanaryRevision &&
		s.canary != nil && s.canary.Revision() == st.CanaryRevision && s.canary.Ready() {
		old := s.stable
		s.stable, s.stableSpec, s.canary = s.canary, s.canary.Spec(), nil
		s.stable.Rename(local.Stable)
		s.log.Info("promoted: the canary's process now serves as stable", "version", s.stableSpec.Version, "revision", st.CanaryRevision)
		s.retire(old)
		if s.onPromote != nil {
			s.onPromote(s.stableSpec)
		}
	}
	wantRev := local.Revision(s.spec.Canary)
	switch {
	case want.CanaryScaledUp:
		if s.canary != nil && s.canary.Revision() != wantRev {
			s.retire(s.canary) // another canary came in mid-release
			s.canary = nil
		}
		if s.canary == nil && s.starting == "" && wantRev != local.Revision(s.stableSpec) && time.Since(s.failedAt) >= restartBackoff {
			s.startCanary(s.spec.Canary)
		}
	case st.Phase.Terminal() || st.Phase == v1alpha1.PhaseWaiting:
		if s.canary != nil && st.CanaryWeight == 0 {
			s.retire(s.canary)
			s.canary = nil
		}
	}
	return nil
}

// supervise starts again a version whose process exited without being
// asked to (it crashed, or someone killed it), as a Deployment replaces a
// pod: the stable slot at once and with a doubling backoff while it keeps
// failing, since users depend on it; the canary slot is emptied, so Apply
// starts it again while the release still tests it. A crash of the canary
// counts once against it (CanaryFailure). While the stable is down the
// engine holds the release where it is.
func (s *slots) supervise() {
	if s.canary != nil && s.canary.Died() {
		s.log.Warn("the canary exited; starting it again", "revision", s.canary.Revision(), "result", exitResult(s.canary))
		s.retire(s.canary)
		s.canary, s.failedAt = nil, time.Now()
	}
	dead := s.stable
	if dead == nil || !dead.Died() || s.restarting || time.Since(s.stableFailedAt) < s.stableBackoff {
		return
	}
	s.log.Warn("the stable exited; starting it again", "version", s.stableSpec.Version, "result", exitResult(dead))
	s.restarting = true
	spec := s.stableSpec
	go func() {
		inst, err := s.driver.Start(s.ctx, local.Version{Name: local.Stable, Spec: spec})
		s.mu.Lock()
		defer s.mu.Unlock()
		s.restarting = false
		switch {
		case err != nil:
			s.stableFailedAt, s.stableBackoff = time.Now(), min(max(2*s.stableBackoff, restartBackoff), maxStableBackoff)
			s.log.Warn("the stable did not start again", "err", err, "retry in", s.stableBackoff)
		case s.stable != dead:
			s.retire(inst) // a promotion moved another process into the slot
		default:
			s.retire(dead)
			s.stable, s.stableBackoff = inst, 0
			s.log.Info("the stable serves again", "version", spec.Version, "pid", inst.PID())
		}
	}()
}

// exitResult says how a dead version's process ended.
func exitResult(i *local.Instance) string {
	if err := i.ExitErr(); err != nil {
		return err.Error()
	}
	return "exit status 0"
}

// startCanary starts a canary in the background: a start may take the
// version's whole start timeout, and the ticks go on meanwhile (the engine
// waits for the canary to be ready). A start that fails is a failure of
// the canary, which fails a check.
func (s *slots) startCanary(spec v1alpha1.LocalVersion) {
	rev := local.Revision(spec)
	s.starting = rev
	go func() {
		inst, err := s.driver.Start(s.ctx, local.Version{Name: local.Canary, Spec: spec})
		s.mu.Lock()
		defer s.mu.Unlock()
		s.starting = ""
		switch {
		case err != nil:
			s.failedAt, s.failure = time.Now(), "the canary did not start: "+err.Error()
		case s.canary != nil || local.Revision(s.spec.Canary) != rev:
			s.retire(inst) // the spec moved on while it started
		default:
			s.canary = inst
		}
	}()
}

// retire stops a version once no request can reach it any more.
func (s *slots) retire(inst *local.Instance) {
	if inst == nil {
		return
	}
	go func() {
		select {
		case <-time.After(retireDelay):
		case <-s.ctx.Done():
			return // the runner stops every version on its way out
		}
		stopCtx, cancel := context.WithTimeout(context.WithoutCancel(s.ctx), local.DefaultStopGrace+5*time.Second)
		defer cancel()
		if err := inst.Stop(stopCtx); err != nil {
			s.log.Warn("stopping a retired version", "version", inst.Name(), "err", err)
		}
		s.proxy.CloseIdleConnections()
	}()
}

// Weight is the canary weight the proxy applies now.
func (s *slots) Weight(context.Context) (int32, error) {
	return s.proxy.Route().CanaryWeight, nil
}

// Route points the proxy at the processes in the slots with the weight;
// with match, the release's match rules send what they match to the
// canary. A route that would not change is not set again.
func (s *slots) Route(_ context.Context, weight int32, match bool) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.stable == nil {
		return fmt.Errorf("no stable version to route to")
	}
	rt := proxy.Route{Stable: s.stable.URL(), CanaryWeight: weight}
	if s.canary != nil {
		rt.Canary = s.canary.URL()
	}
	if match {
		rt.Match = s.match
	}
	if rt.Canary == nil && local.Revision(s.spec.Canary) != local.Revision(s.stableSpec) {
		// The canary the spec names is not running (it starts, or starts
		// again after it died): nothing goes to the canary's side, so
		// stable's answers are never counted as the canary's. The engine
		// sees the weight it asked for is not there and waits.
		rt.CanaryWeight, rt.Match = 0, nil
	}
	if rt.Canary == nil && (rt.CanaryWeight > 0 || len(rt.Match) > 0) {
		rt.Canary = rt.Stable // promoted: the canary's process is stable now
	}
	if sameRoute(s.proxy.Route(), rt) {
		return nil
	}
	if err := s.proxy.SetRoute(rt); err != nil {
		return fmt.Errorf("setting the proxy's route: %w", err)
	}
	return nil
}

func sameRoute(a, b proxy.Route) bool {
	return urlString(a.Stable) == urlString(b.Stable) && urlString(a.Canary) == urlString(b.Canary) &&
		a.CanaryWeight == b.CanaryWeight && len(a.Match) == len(b.Match)
}

// CanaryFailure reports a canary that failed to start, that the proxy
// ejected since the last call because it stopped answering, or whose
// process exited; each once.
func (s *slots) CanaryFailure() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if f := s.failure; f != "" {
		s.failure = ""
		return f
	}
	h := s.proxy.Health().Canary
	ejected := h.Ejections > s.ejectionsAt
	s.ejectionsAt = max(s.ejectionsAt, h.Ejections)
	dead := s.canary != nil && s.canary.Died() && s.canary != s.reported
	if s.canary != nil && s.canary.Died() {
		s.reported = s.canary // one failure per death, ejected or not
	}
	switch {
	case ejected:
		return "canary ejected by the proxy: " + h.LastReason
	case dead:
		return "the canary's process exited (" + exitResult(s.canary) + ")"
	}
	return ""
}

// instances are the processes in the slots now, for the view.
func (s *slots) instances() (stable, canary *local.Instance, stableSpec v1alpha1.LocalVersion) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.stable, s.canary, s.stableSpec
}

func urlString(u *url.URL) string {
	if u == nil {
		return ""
	}
	return u.String()
}
