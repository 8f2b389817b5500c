package local

import (
	"context"
	"fmt"
	"reflect"
	"time"

	"sluice.dev/sluice/api/v1alpha1"
	"sluice.dev/sluice/internal/analysis"
	"sluice.dev/sluice/internal/engine"
	"sluice.dev/sluice/internal/proxy"
)

// liveWindow is the window of the live figures shown to people.
const liveWindow = 5 * time.Second

// maxCheckPoints bounds the chart history kept in the state file.
const maxCheckPoints = 720

// tick observes, decides, acts and saves once.
func (r *Runner) tick(ctx context.Context) error {
	now := r.opts.Clock.Now()
	r.metrics.Sample(now)
	st := r.rel.Status

	obs := engine.Observation{
		Now:            now,
		StableRevision: r.stable.Revision(),
		StableReady:    r.stable.Ready(),
		Paused:         r.paused(),
		Command:        r.nextCommand(),
	}
	if r.canary != nil {
		obs.CanaryRevision, obs.CanaryReady = r.canary.Revision(), r.canary.Ready()
	} else {
		obs.CanaryRevision = st.CanaryRevision
	}
	w := r.proxy.Route().CanaryWeight
	obs.RouterWeight = &w
	judge, err := r.judge.observe(st, r.proxy.Stats())
	if err != nil {
		return err
	}
	obs.Judge = judge
	if judge != nil {
		r.lastJudge = &JudgeView{Decision: string(judge.Decision), Reason: judge.Reason}
	}
	if engine.CheckDue(r.plan, st, now) {
		c := analysis.Check(ctx, analysisSource{r.metrics}, r.rel.Spec.Analysis.Metrics, now)
		c = r.hooks.check(ctx, r.rel, c, &obs)
		obs.Check = &c
	}
	r.hooks.confirm(ctx, r.rel, r.plan, &obs)
	if failed := r.canaryEjected(); failed != nil {
		obs.Check = failed
	}

	res := engine.Step(r.plan, st, obs)
	r.hooks.stages.Announce(ctx, r.rel, res.Events)
	r.rel.Status = res.Status
	r.rel.Status.ObservedGeneration = r.rel.Generation
	for _, ev := range res.Events {
		r.opts.Logger.Info(ev.Message, "reason", ev.Reason, "phase", r.rel.Status.Phase)
		if r.opts.OnEvent != nil {
			r.opts.OnEvent(ev)
		}
	}
	r.alert(ctx, res.Events, now)
	if err := r.act(ctx, res.Desired); err != nil {
		return err
	}
	r.telemetry.Observe(r.rel, res.Events, now)
	if v, ok := r.judge.verdict(); ok {
		r.telemetry.ObserveJudge(r.rel.Namespace, r.rel.Name, v)
	}
	return r.publish(now, obs.Check != nil || !reflect.DeepEqual(st, r.rel.Status))
}

// act brings the proxy and the processes to what the engine wants.
func (r *Runner) act(ctx context.Context, d engine.Desired) error {
	if r.proxy.Route().CanaryWeight != d.CanaryWeight {
		if err := r.route(d.CanaryWeight); err != nil {
			return err
		}
	}
	if !d.CanaryScaledUp && r.canary != nil && r.rel.Status.Phase == v1alpha1.PhaseRolledBack {
		// All traffic is on stable: the canary can go.
		if err := r.canary.Stop(ctx); err != nil {
			r.opts.Logger.Warn("stopping canary", "err", err)
		}
	}
	return nil
}

// paused reports spec.paused as last set by pause/resume.
func (r *Runner) paused() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.rel.Spec.Paused
}

// nextCommand hands the oldest queued command to the engine. The engine
// remembers the id of the last one applied, so it is dropped once seen.
func (r *Runner) nextCommand() *engine.Command {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.commands) == 0 {
		return nil
	}
	c := r.commands[0]
	r.commands = r.commands[1:]
	return &c
}

// enqueue queues a command from the control endpoint.
func (r *Runner) enqueue(kind string) (string, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.cmdSeq++
	id := fmt.Sprintf("%s-%d-%d", kind, r.opts.Clock.Now().UnixNano(), r.cmdSeq)
	switch kind {
	case "pause":
		r.rel.Spec.Paused = true
		return id, nil
	case "resume":
		r.rel.Spec.Paused = false
		return id, nil
	case "promote", "promote-full":
		r.rel.Spec.Paused = false
	case "abort", "retry":
	default:
		return "", fmt.Errorf("unknown command %q (promote, promote-full, abort, pause, resume, retry)", kind)
	}
	r.commands = append(r.commands, engine.Command{ID: id, Kind: engine.CommandKind(kind)})
	return id, nil
}

// publish refreshes the snapshot, hands it to watchers and saves it.
func (r *Runner) publish(now time.Time, changed bool) error {
	stats, health := r.proxy.Stats(), r.proxy.Health()
	stable := r.versionView("stable", now, stats.Stable, health.Stable)
	canary := r.versionView("canary", now, stats.Canary, health.Canary)
	r.mu.Lock()
	if len(r.history) == 0 || now.Sub(r.history[len(r.history)-1].Time) >= time.Second {
		r.history = append(r.history, CheckPoint{Time: now, Weight: r.rel.Status.CanaryWeight, Stable: stable.point(), Canary: canary.point()})
		if len(r.history) > maxCheckPoints {
			r.history = r.history[len(r.history)-maxCheckPoints:]
		}
		changed = true
	}
	snap := &Snapshot{
		Release:      *r.rel.DeepCopy(),
		Versions:     []VersionView{stable, canary},
		Control:      r.control,
		PID:          pid(),
		ProxyAddress: r.proxyURL,
		Checks:       append([]CheckPoint(nil), r.history...),
		Judge:        r.lastJudge,
		JudgeState:   r.judge.save(),
		UpdatedAt:    now,
	}
	r.snap = snap
	r.mu.Unlock()
	if r.opts.OnUpdate != nil {
		r.opts.OnUpdate(snap)
	}
	if !changed {
		return nil
	}
	return SaveSnapshot(r.path, snap)
}

// versionView gathers one version's live figures.
func (r *Runner) versionView(name string, now time.Time, total proxy.VersionStats, h proxy.VersionHealth) VersionView {
	inst, spec := r.stable, r.rel.Spec.Workload.Local.Stable
	weight := 100 - r.rel.Status.CanaryWeight
	if name == "canary" {
		inst, spec, weight = r.canary, r.rel.Spec.Workload.Local.Canary, r.rel.Status.CanaryWeight
	}
	v := VersionView{Name: name, Version: spec.Version, Weight: weight}
	v.Ejected, v.Ejections, v.LastEjectionReason, v.Retries = h.Ejected, h.Ejections, h.LastReason, h.Retries
	if inst != nil {
		v.URL, v.PID, v.Revision, v.Ready = urlString(inst.URL()), inst.PID(), inst.Revision(), inst.Ready()
		select {
		case <-inst.Exited():
		default:
			v.Running = !inst.Stopped()
		}
	}
	v.Requests = total.Requests
	if win, span, ok := r.metrics.Window(name, liveWindow, now); ok && win.Requests > 0 && span > 0 {
		v.RPS = float64(win.Requests) / span.Seconds()
		sr := 100 * float64(win.Requests-win.Errors) / float64(win.Requests)
		v.SuccessRate = &sr
		if q, ok := win.Quantile(0.99); ok {
			ms := q * 1000
			v.P99Millis = &ms
		}
	}
	return v
}

func (v VersionView) point() VersionPoint {
	rps := v.RPS
	return VersionPoint{RPS: &rps, SuccessRate: v.SuccessRate, P99Millis: v.P99Millis}
}

// Snapshot returns the latest snapshot, or nil before the first tick.
func (r *Runner) Snapshot() *Snapshot {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.snap
}

// canaryEjected turns a new ejection of the canary by the proxy (it stopped
// answering: refused connections, timeouts, 502-504) into a failed check at
// once: an ejected canary gets no traffic, so the metrics alone would only
// see no data.
func (r *Runner) canaryEjected() *engine.CheckResult {
	h := r.proxy.Health().Canary
	if h.Ejections <= r.canaryEjections {
		return nil
	}
	r.canaryEjections = h.Ejections
	st := r.rel.Status.Phase
	if st != v1alpha1.PhaseProgressing && st != v1alpha1.PhasePaused {
		return nil
	}
	reason := "canary ejected by the proxy: " + h.LastReason
	return &engine.CheckResult{
		Verdict: v1alpha1.VerdictFail, Reason: reason,
		Metrics: []v1alpha1.MetricStatus{{Name: "canary-reachable", Verdict: v1alpha1.VerdictFail, Message: reason}},
	}
}
