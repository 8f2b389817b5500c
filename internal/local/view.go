package local

import (
	"time"

	"sluice.dev/sluice/internal/proxy"
	"sluice.dev/sluice/internal/release"
	"sluice.dev/sluice/internal/workload/local"
)

// liveWindow is the window of the live figures shown to people.
const liveWindow = 5 * time.Second

// minLiveWindow is the shortest window live figures are shown for.
const minLiveWindow = 500 * time.Millisecond

// maxCheckPoints bounds the chart history kept in the state file.
const maxCheckPoints = 720

// publish refreshes the view after a tick and hands it to watchers.
func (r *Runner) publish(now time.Time, _ *release.Outcome) {
	v := r.buildView(now)
	r.mu.Lock()
	weightMoved := len(r.history) > 0 && r.history[len(r.history)-1].Weight != v.Release.Status.CanaryWeight
	if len(r.history) == 0 || weightMoved || now.Sub(r.history[len(r.history)-1].Time) >= time.Second {
		r.history = append(r.history, release.CheckPoint{
			Time: now, Weight: v.Release.Status.CanaryWeight,
			Stable: point(v.Version("stable")), Canary: point(v.Version("canary")),
		})
		if len(r.history) > maxCheckPoints {
			r.history = r.history[len(r.history)-maxCheckPoints:]
		}
	}
	v.Checks = append([]release.CheckPoint(nil), r.history...)
	r.view = v
	r.mu.Unlock()
	if r.opts.OnUpdate != nil {
		r.opts.OnUpdate(v)
	}
}

// buildView is the release with its live figures: the processes in the
// slots, and what the proxy counted for each.
func (r *Runner) buildView(now time.Time) *release.View {
	stableInst, canaryInst, stableSpec := r.slots.instances()
	rel := r.current()
	v := release.NewView(rel, stableSpec.Version, rel.Spec.Workload.Local.Canary.Version, now)
	v.Live, v.ProxyAddress, v.PID = true, r.info.Proxy, r.info.PID
	v.ChartWindow = liveWindow.String()
	stats, health := r.proxy.Stats(), r.proxy.Health()
	r.fill(v.Version("stable"), stableInst, stats.Stable, health.Stable, now, liveWindow)
	// The canary's figures never reach back before its release started:
	// the previous canary's requests are not this one's.
	canaryWindow := liveWindow
	if st := rel.Status.StartedAt; st != nil && now.Sub(st.Time) < liveWindow {
		canaryWindow = max(now.Sub(st.Time), 0)
	}
	r.fill(v.Version("canary"), canaryInst, stats.Canary, health.Canary, now, canaryWindow)
	return v.Settle()
}

// fill adds one version's process and figures to its view.
func (r *Runner) fill(v *release.VersionView, inst *local.Instance, total proxy.VersionStats, h proxy.VersionHealth, now time.Time, window time.Duration) {
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
	if !v.Running && v.Weight == 0 {
		return // a stopped version serves nothing now, whatever the window holds
	}
	if window < minLiveWindow {
		return // too early to say anything of this canary
	}
	if win, span, ok := r.metrics.Window(v.Name, window, now); ok && win.Requests > 0 && span > 0 {
		v.RPS = float64(win.Requests) / span.Seconds()
		sr := 100 * float64(win.Requests-win.Errors) / float64(win.Requests)
		v.SuccessRate = &sr
		if q, ok := win.Quantile(0.99); ok {
			ms := q * 1000
			v.P99Millis = &ms
		}
	}
}

func point(v *release.VersionView) release.VersionPoint {
	if v == nil {
		return release.VersionPoint{}
	}
	rps := v.RPS
	return release.VersionPoint{RPS: &rps, SuccessRate: v.SuccessRate, P99Millis: v.P99Millis}
}

// View returns the latest view, or nil before the first tick.
func (r *Runner) View() *release.View {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.view
}
