package local

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"k8s.io/utils/clock"

	"sluice.dev/sluice/api/v1alpha1"
	"sluice.dev/sluice/internal/alerts"
	"sluice.dev/sluice/internal/engine"
	"sluice.dev/sluice/internal/hooks"
	"sluice.dev/sluice/internal/metrics/proxysource"
	"sluice.dev/sluice/internal/proxy"
	"sluice.dev/sluice/internal/release"
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
	// ExitOnDone returns as soon as the release has ended (Promoted or
	// RolledBack), for scripts that want the exit code. Without it the
	// runner is the data plane: its proxy keeps serving stable, and the
	// next canary handed to it starts the next release.
	ExitOnDone bool
	Clock      clock.WithTicker
	Logger     *slog.Logger
	// Stdout and Stderr receive the versions' output; nil discards it.
	Stdout, Stderr io.Writer
	// OnUpdate is called with every new view (for live views).
	OnUpdate func(*release.View)
	// OnEvent is called for each decision.
	OnEvent func(engine.Event)
	// Alerts sends spec.alerts; default a Dispatcher that logs to Logger.
	Alerts *alerts.Dispatcher
	// LookupEnv reads spec.alerts[].urlFromEnv; default os.LookupEnv.
	LookupEnv func(name string) (string, bool)
}

// Runner runs one local release: it is the local shell. It keeps the
// release's memory in the state file and ticks the release layer on a
// ticker; everything else — the order of a tick, the gates, the safety
// rules — is the release layer's.
type Runner struct {
	opts    Options
	path    string
	proxy   *proxy.Proxy
	metrics *proxysource.Source
	driver  *local.Driver
	slots   *slots
	loop    *release.Loop
	hooks   *localHooks
	// registry serves the proxy's and the release's own metrics together.
	registry  *prometheus.Registry
	telemetry *telemetry.Recorder
	alerts    *alerts.Dispatcher
	token     string

	mu        sync.Mutex
	rel       *v1alpha1.Release
	alertCfgs []alerts.Config
	commands  []engine.Command
	cmdSeq    int
	history   []release.CheckPoint
	view      *release.View
	info      *RunnerInfo
	// stable is the spec serving as stable (the slots' lock is taken
	// before mu, never after: the slots tell of a promotion holding theirs).
	stable   *v1alpha1.LocalVersion
	lastSave time.Time
	saved    v1alpha1.ReleaseStatus
	wake     chan struct{}
}

// ErrRolledBack is returned by Run when the release ended RolledBack, so
// that scripts get a non-zero exit code.
var ErrRolledBack = errors.New("release rolled back")

// ErrAlreadyRunning means another `sluice run` drives this release; hand
// it the release file instead (Client.Apply).
var ErrAlreadyRunning = errors.New("another sluice run drives this release")

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
		registry: reg, telemetry: rec, opts: opts, alerts: opts.Alerts,
		rel:   rel.DeepCopy(),
		path:  StatePath(opts.StateDir, rel.Name),
		hooks: &localHooks{Stages: hooks.Stages{Caller: &hooks.Caller{Logger: opts.Logger}}},
		wake:  make(chan struct{}, 1),
	}
	if r.rel.Generation == 0 {
		r.rel.Generation = 1
	}
	if r.alertCfgs, err = r.alertConfigs(rel.Spec.Alerts); err != nil {
		return nil, err
	}
	return r, nil
}

// Run serves the release until ctx is cancelled (or, with ExitOnDone,
// until it ends). It resumes from the state file when there is one.
func (r *Runner) Run(ctx context.Context) error {
	log := r.opts.Logger.With("release", r.rel.Name)
	unlock, err := r.lock(ctx)
	if err != nil {
		return err
	}
	defer unlock()
	stableSpec, err := r.resume(log)
	if err != nil {
		return err
	}
	if r.opts.ExitOnDone && r.rel.Status.Phase.Terminal() && !r.hasWork(stableSpec) {
		return r.result()
	}
	if r.token, err = EnsureToken(r.opts.StateDir); err != nil {
		return err
	}
	defer r.drainAlerts(ctx) // last: after the versions have stopped

	r.driver = local.New(local.Options{Logger: log, Stdout: r.opts.Stdout, Stderr: r.opts.Stderr})
	defer func() {
		stopCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 15*time.Second)
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
	runCtx, stopRun := context.WithCancel(ctx)
	defer stopRun()
	r.slots = &slots{ctx: runCtx, driver: r.driver, proxy: r.proxy, log: log, onPromote: r.promoted}
	r.slots.setSpec(*r.rel.Spec.Workload.Local, r.rel.Spec.Traffic.Match)
	// Stable first, so the proxy never answers before it has a route.
	if err := r.slots.startStable(ctx, stableSpec); err != nil {
		return err
	}
	r.mu.Lock()
	r.stable = stableSpec.DeepCopy()
	r.mu.Unlock()
	if err := r.slots.Route(ctx, 0, false); err != nil {
		return err
	}
	r.loop = r.newLoop()
	// The state file exists before the proxy listens: whoever reaches the
	// proxy finds the release (as starting) with `sluice get`.
	defer r.persistOnExit()
	r.mu.Lock()
	r.info = &RunnerInfo{PID: os.Getpid()}
	r.mu.Unlock()
	if err := r.persist(true); err != nil {
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
	if err := r.persist(true); err != nil {
		return err
	}
	log.Info("release running", "proxy", r.info.Proxy, "control", r.info.Control, "phase", r.rel.Status.Phase, "step", r.rel.Status.StepIndex)
	return r.loopUntilDone(ctx)
}

// lock takes the release for this process, waiting a moment for a CLI
// that holds it to queue a command.
func (r *Runner) lock(ctx context.Context) (func(), error) {
	if err := ensureDir(r.opts.StateDir); err != nil {
		return nil, err
	}
	path := filepath.Join(r.opts.StateDir, r.rel.Name+".lock")
	for i := 0; ; i++ {
		unlock, err := lockRelease(path)
		if !errors.Is(err, errLocked) || i >= 20 {
			if errors.Is(err, errLocked) {
				return nil, fmt.Errorf("release %s: %w", r.rel.Name, ErrAlreadyRunning)
			}
			return unlock, err
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// resume loads the saved state of this release, unless told to start over,
// and returns the version to serve as stable: the last promoted one.
func (r *Runner) resume(log *slog.Logger) (v1alpha1.LocalVersion, error) {
	stable := r.rel.Spec.Workload.Local.Stable
	if r.opts.Fresh {
		return stable, nil
	}
	s, err := LoadState(r.path)
	if errors.Is(err, ErrNoState) {
		return stable, nil
	}
	if err != nil {
		return stable, err
	}
	r.rel.Status = s.Release.Status
	r.rel.Spec.Paused = s.Release.Spec.Paused
	r.rel.Generation = max(s.Release.Generation, 1)
	if !specEqual(s.Release.Spec, r.rel.Spec) {
		r.rel.Generation++
	}
	r.history = s.Checks
	r.commands = append(r.commands, s.Pending...)
	r.saved = r.rel.Status
	if s.Stable != nil {
		if local.Revision(*s.Stable) != local.Revision(stable) {
			log.Warn("serving the last promoted version as stable, not the release file's", "promoted", s.Stable.Version, "file", stable.Version, "hint", "--fresh starts over from the file's stable")
		}
		stable = *s.Stable
	}
	log.Info("resuming saved release", "phase", r.rel.Status.Phase, "step", r.rel.Status.StepIndex, "weight", r.rel.Status.CanaryWeight)
	return stable, nil
}

// hasWork reports whether an ended release has a new canary to try or a
// command waiting, so that --exit-on-done still runs it.
func (r *Runner) hasWork(stable v1alpha1.LocalVersion) bool {
	canary := local.Revision(r.rel.Spec.Workload.Local.Canary)
	st := r.rel.Status
	return len(r.commands) > 0 || (canary != local.Revision(stable) && canary != st.CanaryRevision)
}

// loopUntilDone ticks until ctx ends, or the release ends with ExitOnDone.
func (r *Runner) loopUntilDone(ctx context.Context) error {
	ticker := r.opts.Clock.NewTicker(r.opts.Tick)
	defer ticker.Stop()
	for {
		err := r.tick(ctx)
		r.telemetry.ObserveReconcile(r.rel.Namespace, r.rel.Name, telemetry.ResultOf(err, false))
		switch {
		case errors.Is(err, release.ErrInterrupted):
			continue // an abort arrived: apply it at once
		case err != nil:
			var se *release.StalledError
			if errors.As(err, &se) {
				return fmt.Errorf("release %s cannot go on: %s (the state is in %s; `sluice run --fresh` starts over)", r.rel.Name, se.Message, r.path)
			}
			return err
		}
		if r.opts.ExitOnDone && r.current().Status.Phase.Terminal() && !r.pending() {
			return r.result()
		}
		select {
		case <-ctx.Done():
			return r.exitResult(ctx)
		case <-ticker.C():
		case <-r.wake:
		}
	}
}

// tick runs one turn of the release layer with the oldest command.
func (r *Runner) tick(ctx context.Context) error {
	now := r.opts.Clock.Now()
	r.metrics.Sample(now)
	cmd := r.peekCommand()
	out, err := r.loop.Tick(ctx, r.current(), release.Input{Now: now, Command: cmd})
	if err != nil {
		return err //nolint:wrapcheck // the release layer's errors say what they are about
	}
	r.popCommand(cmd)
	r.publish(now, out)
	return nil
}

// newLoop is the release layer's loop wired to this runner: the state
// file as its store, logs, the live view, alerts and metrics as its
// recorders.
func (r *Runner) newLoop() *release.Loop {
	return &release.Loop{
		Build:          r.parts,
		Store:          r,
		JudgeEveryTick: true,
		Interrupts:     &release.Interrupts{},
		Recorders: []release.Recorder{
			release.RecorderFunc(r.logEvents),
			release.RecorderFunc(r.alert),
			release.RecorderFunc(func(_ context.Context, rec release.Record) {
				r.telemetry.Observe(rec.Release, rec.Events, rec.Now)
				if rec.Judge != nil {
					r.telemetry.ObserveJudge(rec.Release.Namespace, rec.Release.Name, *rec.Judge)
				}
			}),
		},
	}
}

// parts are the release's parts: the slots are its workload and router.
func (r *Runner) parts(*v1alpha1.Release) (release.Parts, error) {
	return release.Parts{
		Workload: r.slots,
		Router:   r.slots,
		Metrics: func(release.Versions) (release.Metrics, error) {
			return proxyMetrics{src: r.metrics, proxy: r.proxy}, nil
		},
		Hooks: r.hooks,
	}, nil
}

func (r *Runner) logEvents(_ context.Context, rec release.Record) {
	for _, ev := range rec.Events {
		r.opts.Logger.Info(ev.Message(), "release", rec.Release.Name, "reason", ev.Reason, "phase", rec.Release.Status.Phase, "weight", ev.Weight)
		if r.opts.OnEvent != nil {
			r.opts.OnEvent(ev)
		}
	}
}

// promoted keeps the spec now serving as stable, so a restarted runner
// serves it and never an older one.
func (r *Runner) promoted(spec v1alpha1.LocalVersion) {
	r.mu.Lock()
	r.stable = spec.DeepCopy()
	r.mu.Unlock()
	if err := r.persist(true); err != nil {
		r.opts.Logger.Warn("saving the promoted version", "err", err)
	}
}

// current is a copy of the release as the runner holds it now.
func (r *Runner) current() *v1alpha1.Release {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.rel.DeepCopy()
}

func (r *Runner) result() error {
	st := r.current().Status
	if st.Phase == v1alpha1.PhaseRolledBack {
		return fmt.Errorf("%w: %s", ErrRolledBack, st.Message)
	}
	return nil
}

// exitResult is what an interrupted runner returns: the interruption
// while a release is under way; once it ended, a data plane told to stop
// stopped normally (exit 0 for a process manager, whatever the last
// release did), and with ExitOnDone the outcome of the release.
func (r *Runner) exitResult(ctx context.Context) error {
	phase := r.current().Status.Phase
	switch {
	case !phase.Terminal() && phase != v1alpha1.PhaseWaiting:
		return ctx.Err()
	case r.opts.ExitOnDone:
		return r.result()
	}
	return nil
}

// serveProxy starts the data plane. It drains in-flight requests on the
// way out.
func (r *Runner) serveProxy(ctx context.Context) (func(), error) {
	ln, err := net.Listen("tcp", r.rel.Spec.Traffic.Proxy.Listen)
	if err != nil {
		return nil, fmt.Errorf("spec.traffic.proxy.listen: %w", err)
	}
	r.mu.Lock()
	r.info.Proxy = "http://" + ln.Addr().String()
	r.mu.Unlock()
	srv := r.proxy.NewServer() // HTTP/1.1 and h2c
	go func() { _ = srv.Serve(ln) }()
	return func() {
		shutCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer cancel()
		_ = srv.Shutdown(shutCtx) // drains in-flight requests
		r.proxy.CloseIdleConnections()
	}, nil
}
