package telemetry

import (
	"fmt"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"sluice.dev/sluice/api/v1alpha1"
)

// Label names shared by every release series.
const (
	labelNamespace = "namespace"
	labelRelease   = "release"
)

// DurationBuckets are the bounds, in seconds, of the release duration
// histogram: from a half-minute demo to a day-long release with pauses.
var DurationBuckets = []float64{30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 14400, 28800, 86400}

// phases are every phase, so the phase gauge is one-hot: exactly one
// series per release is 1, and a chart of it needs no absent series.
var phases = []v1alpha1.Phase{
	v1alpha1.PhaseInitializing, v1alpha1.PhaseWaiting, v1alpha1.PhaseProgressing, v1alpha1.PhasePaused,
	v1alpha1.PhasePromoting, v1alpha1.PhasePromoted, v1alpha1.PhaseRollingBack, v1alpha1.PhaseRolledBack,
}

// Recorder turns releases and the engine's decisions into metrics. Make
// one per process with New; it is safe for concurrent use by several
// reconcile workers. A nil *Recorder records nothing, so a shell can leave
// metrics off without guarding every call.
type Recorder struct {
	phase        *prometheus.GaugeVec
	weight       *prometheus.GaugeVec
	step         *prometheus.GaugeVec
	steps        *prometheus.GaugeVec
	stepStarted  *prometheus.GaugeVec
	checks       *prometheus.CounterVec
	decisions    *prometheus.CounterVec
	phaseSeconds *prometheus.CounterVec
	duration     *prometheus.HistogramVec
	workload     *prometheus.GaugeVec
	judgeLogE    *prometheus.GaugeVec
	judgeFailAt  *prometheus.GaugeVec
	judgeVerdict *prometheus.GaugeVec
	reconciles   *prometheus.CounterVec

	mu       sync.Mutex
	releases map[key]*memory
}

// key names a release.
type key struct{ namespace, name string }

// memory is what the Recorder keeps of a release between observations.
type memory struct {
	phase v1alpha1.Phase
	at    time.Time
	// startedAt and canary identify the canary's release, to tell a new
	// release (counts start again) from the same one.
	startedAt time.Time
	canary    string
	passed    int32
	workloads workloads
}

// New makes a Recorder and registers its metrics with reg: the
// controller's metrics registry on Kubernetes, the control endpoint's
// registry for `sluice run`.
func New(reg prometheus.Registerer) (*Recorder, error) {
	rel := []string{labelNamespace, labelRelease}
	with := func(extra ...string) []string { return append(append([]string(nil), rel...), extra...) }
	r := &Recorder{
		phase: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "sluice_release_phase",
			Help: "1 for the phase the release is in, 0 for the others.",
		}, with("phase")),
		weight: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "sluice_release_canary_weight",
			Help: "Percent of traffic the release sends to the canary.",
		}, rel),
		step: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "sluice_release_step",
			Help: "Index of the step being run, from 0; equal to sluice_release_steps once all are done.",
		}, rel),
		steps: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "sluice_release_steps",
			Help: "Number of steps in the release's plan.",
		}, rel),
		stepStarted: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "sluice_release_step_started_timestamp_seconds",
			Help: "When the current step began, in seconds since the epoch.",
		}, rel),
		checks: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "sluice_release_checks_total",
			Help: "Analysis checks by result: passed, failed (counting toward the threshold), nodata (held, not counted).",
		}, with("result")),
		decisions: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "sluice_release_decisions_total",
			Help: "Decisions of the engine by reason, as in the release's history and events.",
		}, with("reason")),
		phaseSeconds: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "sluice_release_phase_seconds_total",
			Help: "Seconds spent in each active phase (Initializing, Progressing, Paused, Promoting, RollingBack).",
		}, with("phase")),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "sluice_release_duration_seconds",
			Help:    "Time from the start of a release to its end, by result: promoted or rolledback.",
			Buckets: DurationBuckets,
		}, with("result")),
		workload: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "sluice_release_workload_info",
			Help: "1 for each workload of the release by role (stable, canary): the destination_workload of mesh metrics.",
		}, with("role", "workload")),
		judgeLogE: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "sluice_release_judge_log_evidence",
			Help: "Natural log of the statistical judge's e-value against 'the canary is no worse than stable', by test.",
		}, with("test")),
		judgeFailAt: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "sluice_release_judge_log_evidence_threshold",
			Help: "Log evidence at which the judge fails the canary, by test.",
		}, with("test")),
		judgeVerdict: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "sluice_release_judge_verdict",
			Help: "1 for the judge's current decision (Pass, Fail, Continue), 0 for the others.",
		}, with("decision")),
		reconciles: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "sluice_reconcile_total",
			Help: "Rounds of observe-decide-act per release by result: success, error, stalled (waiting for a person's fix).",
		}, with("result")),
		releases: make(map[key]*memory),
	}
	for _, c := range r.collectors() {
		if err := reg.Register(c); err != nil {
			return nil, fmt.Errorf("registering Sluice's release metrics: %w", err)
		}
	}
	return r, nil
}

func (r *Recorder) collectors() []prometheus.Collector {
	return []prometheus.Collector{
		r.phase, r.weight, r.step, r.steps, r.stepStarted, r.checks, r.decisions, r.phaseSeconds,
		r.duration, r.workload, r.judgeLogE, r.judgeFailAt, r.judgeVerdict, r.reconciles,
	}
}

// Forget drops every series of a release and what the Recorder remembers
// of it: call it when the release is deleted, so a scrape never shows a
// release that is gone.
func (r *Recorder) Forget(namespace, name string) {
	if r == nil {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	delete(r.releases, key{namespace, name})
	match := prometheus.Labels{labelNamespace: namespace, labelRelease: name}
	for _, v := range []interface{ DeletePartialMatch(prometheus.Labels) int }{
		r.phase, r.weight, r.step, r.steps, r.stepStarted, r.checks, r.decisions, r.phaseSeconds,
		r.duration, r.workload, r.judgeLogE, r.judgeFailAt, r.judgeVerdict, r.reconciles,
	} {
		v.DeletePartialMatch(match)
	}
}
