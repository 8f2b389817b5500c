package local

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/url"
	"os"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"k8s.io/utils/clock"

	"sluice.dev/sluice/api/v1alpha1"
	"sluice.dev/sluice/internal/alerts"
	"sluice.dev/sluice/internal/analysis"
	"sluice.dev/sluice/internal/engine"
	"sluice.dev/sluice/internal/metrics/proxysource"
	"sluice.dev/sluice/internal/proxy"
	"sluice.dev/sluice/internal/telemetry"
	"sluice.dev/sluice/internal/workload/local"
)

// Options configure a Runner. Zero values are sensible defaults.
type Options struct {
	// StateDir holds the state file; default DefaultStateDir().
	StateDir string
	// ControlAddress is where the control endpoint listens; it must be a
	// loopback address. Default 127.0.0.1:0 (a free port).
	ControlAddress string
	// Tick is how often the runner observes and decides; default 250ms.
	Tick time.Duration
	// Fresh ignores any saved state and starts the release over.
	Fresh bool
	// KeepServing keeps the proxy serving, with the final weights, after
	// the release has ended, until ctx is cancelled: users' traffic is not
	// cut off when the release is over.
	KeepServing bool
	Clock       clock.WithTicker
	Logger      *slog.Logger
	// Stdout and Stderr receive the versions' output; nil discards it.
	Stdout, Stderr io.Writer
	// OnUpdate is called with every new snapshot (for live views).
	OnUpdate func(*Snapshot)
	// OnEvent is called for each engine decision.
	OnEvent func(engine.Event)
	// Alerts sends spec.alerts; default a Dispatcher that logs to Logger.
	Alerts *alerts.Dispatcher
	// LookupEnv reads spec.alerts[].urlFromEnv; default os.LookupEnv.
	LookupEnv func(name string) (string, bool)
}

// Runner runs one release locally.
type Runner struct {
	opts    Options
	rel     *v1alpha1.Release
	plan    engine.Plan
	path    string
	proxy   *proxy.Proxy
	metrics *proxysource.Source
	driver  *local.Driver
	stable  *local.Instance
	canary  *local.Instance
	judge   *judgeRunner
	// registry serves the proxy's and the release's own metrics together.
	registry  *prometheus.Registry
	telemetry *telemetry.Recorder

	mu       sync.Mutex
	snap     *Snapshot
	commands []engine.Command
	cmdSeq   int
	history  []CheckPoint
	control  string
	// lastJudge is the judge's latest verdict, kept after the release ends.
	lastJudge *JudgeView
	// canaryEjections is the proxy's count of canary ejections last seen.
	canaryEjections uint64
	proxyURL        string

	alerts    *alerts.Dispatcher
	alertCfgs []alerts.Config
	hooks     *localHooks
}

// New prepares a runner for a validated, defaulted release.
func New(rel *v1alpha1.Release, opts Options) (*Runner, error) {
	if rel.Spec.Workload.Local == nil {
		return nil, errors.New("spec.workload.local: the local runner needs local versions")
	}
	if rel.Spec.Traffic.Proxy == nil {
		return nil, errors.New("spec.traffic.proxy: the local runner needs the proxy router")
	}
	if opts.StateDir == "" {
		opts.StateDir = DefaultStateDir()
	}
	if opts.ControlAddress == "" {
		opts.ControlAddress = "127.0.0.1:0"
	}
	if opts.Tick <= 0 {
		opts.Tick = 250 * time.Millisecond
	}
	if opts.Clock == nil {
		opts.Clock = clock.RealClock{}
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.LookupEnv == nil {
		opts.LookupEnv = os.LookupEnv
	}
	reg := prometheus.NewRegistry()
	rec, err := telemetry.New(reg)
	if err != nil {
		return nil, fmt.Errorf("metrics: %w", err)
	}
	r := &Runner{
		registry:  reg,
		telemetry: rec,
		opts:      opts,
		rel:       rel.DeepCopy(),
		plan:      engine.NewPlan(rel.Spec, engine.PromoteShiftToCanary),
		path:      StatePath(opts.StateDir, rel.Name),
		judge:     newJudgeRunner(rel.Spec.Analysis.Judge),
		alerts:    opts.Alerts,
		hooks:     newLocalHooks(opts),
	}
	if err := r.setUpAlerts(); err != nil {
		return nil, err
	}
	return r, nil
}

// ErrRolledBack is returned by Run when the release ended RolledBack, so
// that scripts get a non-zero exit code.
var ErrRolledBack = errors.New("release rolled back")

// Run carries the release to its end (Promoted or RolledBack) or until ctx
// is cancelled. It resumes from the state file when there is one.
func (r *Runner) Run(ctx context.Context) error {
	log := r.opts.Logger.With("release", r.rel.Name)
	if err := r.resume(); err != nil {
		return err
	}
	if r.rel.Status.Phase.Terminal() {
		return r.result()
	}
	defer r.drainAlerts(ctx) // last: after the versions have stopped

	r.driver = local.New(local.Options{Logger: log, Stdout: r.opts.Stdout, Stderr: r.opts.Stderr})
	defer func() {
		stopCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer cancel()
		if err := r.driver.StopAll(stopCtx); err != nil {
			log.Warn("stopping versions", "err", err)
		}
	}()

	r.proxy = proxy.New(proxy.Options{Release: r.rel.Name, Logger: log, Limits: proxyLimits(r.rel.Spec.Traffic.Proxy)})
	r.metrics = proxysource.New(r.proxy, proxysource.Options{})
	if err := r.registry.Register(r.proxy.Collector()); err != nil {
		return fmt.Errorf("proxy metrics: %w", err)
	}
	// Versions first, so the proxy never answers before it has a route.
	if err := r.startVersions(ctx); err != nil {
		return err
	}
	stopProxy, err := r.serveProxy(ctx)
	if err != nil {
		return err
	}
	defer stopProxy()
	stopControl, err := r.serveControl(ctx)
	if err != nil {
		return err
	}
	defer stopControl()
	log.Info("release running", "proxy", r.proxyURL, "control", r.control, "phase", r.rel.Status.Phase, "step", r.rel.Status.StepIndex)

	ticker := r.opts.Clock.NewTicker(r.opts.Tick)
	defer ticker.Stop()
	for {
		err := r.tick(ctx)
		r.telemetry.ObserveReconcile(r.rel.Namespace, r.rel.Name, telemetry.ResultOf(err, false))
		if err != nil {
			return err
		}
		ended := r.rel.Status.Phase.Terminal()
		if ended && !r.opts.KeepServing {
			return r.result()
		}
		select {
		case <-ctx.Done():
			if ended {
				return r.result()
			}
			return ctx.Err()
		case <-ticker.C():
		}
	}
}

func (r *Runner) result() error {
	st := r.rel.Status
	if st.Phase == v1alpha1.PhaseRolledBack {
		return fmt.Errorf("%w: %s", ErrRolledBack, st.Message)
	}
	return nil
}

// resume loads the saved status of this release, unless told to start over.
func (r *Runner) resume() error {
	if r.opts.Fresh {
		return nil
	}
	s, err := LoadSnapshot(r.path)
	if errors.Is(err, ErrNoState) {
		return nil
	}
	if err != nil {
		return err
	}
	r.rel.Status = s.Release.Status
	r.rel.Spec.Paused = s.Release.Spec.Paused
	r.history = s.Checks
	if err := r.judge.restore(s.JudgeState); err != nil {
		// Evidence saved by another version: the judge starts afresh
		// rather than the release stalling.
		r.opts.Logger.Warn("the judge starts afresh", "err", err)
	}
	r.opts.Logger.Info("resuming saved release", "phase", r.rel.Status.Phase, "step", r.rel.Status.StepIndex, "weight", r.rel.Status.CanaryWeight)
	return nil
}

// serveProxy starts the data plane at the status's weight, so a resumed
// release keeps its traffic where it was.
func (r *Runner) serveProxy(ctx context.Context) (func(), error) {
	ln, err := net.Listen("tcp", r.rel.Spec.Traffic.Proxy.Listen)
	if err != nil {
		return nil, fmt.Errorf("spec.traffic.proxy.listen: %w", err)
	}
	r.proxyURL = "http://" + ln.Addr().String()
	srv := r.proxy.NewServer() // HTTP/1.1 and h2c
	go func() { _ = srv.Serve(ln) }()
	return func() {
		shutCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer cancel()
		_ = srv.Shutdown(shutCtx) // drains in-flight requests
		r.proxy.CloseIdleConnections()
	}, nil
}

// startVersions starts stable and, unless the release has ended, canary,
// then points the proxy at them.
func (r *Runner) startVersions(ctx context.Context) error {
	lw := r.rel.Spec.Workload.Local
	var err error
	r.stable, err = r.driver.Start(ctx, local.Version{Name: "stable", Spec: lw.Stable})
	if err != nil {
		return fmt.Errorf("starting stable: %w", err)
	}
	r.canary, err = r.driver.Start(ctx, local.Version{Name: "canary", Spec: lw.Canary})
	if err != nil {
		return fmt.Errorf("starting canary: %w", err)
	}
	return r.route(r.rel.Status.CanaryWeight)
}

func (r *Runner) route(weight int32) error {
	cu := r.stable.URL()
	if r.canary != nil {
		cu = r.canary.URL()
	}
	rt := proxy.Route{Stable: r.stable.URL(), Canary: cu, CanaryWeight: weight, Match: r.rel.Spec.Traffic.Match}
	if err := r.proxy.SetRoute(rt); err != nil {
		return fmt.Errorf("setting route: %w", err)
	}
	return nil
}

// analysisSource adapts the proxy's counters to the analysis package.
type analysisSource struct{ src *proxysource.Source }

var _ analysis.Source = analysisSource{}

func (a analysisSource) Sample(ctx context.Context, metric, version string, window time.Duration, now time.Time) (analysis.Sample, error) {
	res, err := a.src.Query(ctx, proxysource.Query{Metric: metric, Version: version, Window: window, Now: now})
	if err != nil {
		return analysis.Sample{}, fmt.Errorf("proxy metrics: %w", err)
	}
	return analysis.Sample{Value: res.Value, NoData: res.NoData, Reason: res.Reason, Requests: res.Requests}, nil
}

func urlString(u *url.URL) string {
	if u == nil {
		return ""
	}
	return u.String()
}
