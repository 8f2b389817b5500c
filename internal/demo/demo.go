package demo

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync/atomic"
	"time"

	"sluice.dev/sluice/api/v1alpha1"
	"sluice.dev/sluice/internal/engine"
	"sluice.dev/sluice/internal/loadgen"
	"sluice.dev/sluice/internal/local"
	"sluice.dev/sluice/internal/release"
)

//go:embed releases/*.yaml
var releases embed.FS

// Case is one release of the demo and the outcome it must reach.
type Case struct {
	File string
	Want v1alpha1.Phase
}

// Cases are the demo's releases, run one after the other.
var Cases = []Case{
	{File: "releases/healthy.yaml", Want: v1alpha1.PhasePromoted},
	{File: "releases/faulty.yaml", Want: v1alpha1.PhaseRolledBack},
}

// Options configure the demo.
type Options struct {
	// Executable is the sluice binary that runs the sample app.
	Executable string
	// StateDir keeps the releases' state files.
	StateDir string
	// Rate is the load in requests per second through the proxy.
	Rate   float64
	Logger *slog.Logger
	// Stdout and Stderr receive the sample apps' output; nil discards it.
	Stdout, Stderr io.Writer
	// OnUpdate and OnEvent feed a live view.
	OnUpdate func(*release.View)
	OnEvent  func(release string, ev engine.Event)
}

// Outcome is how one release of the demo ended.
type Outcome struct {
	Name    string
	Want    v1alpha1.Phase
	Got     v1alpha1.Phase
	Message string
	Elapsed time.Duration
	// Load is what the load generator saw through the proxy.
	Load loadgen.Stats
	// Final is the release's last snapshot.
	Final *release.View
}

// OK reports whether the release ended as the demo expects.
func (o Outcome) OK() bool { return o.Got == o.Want }

// Run runs every case and returns their outcomes; an error means the demo
// could not run, not that a release ended unexpectedly.
func Run(ctx context.Context, opts Options) ([]Outcome, error) {
	if opts.Rate <= 0 {
		opts.Rate = 100
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	var out []Outcome
	for _, c := range Cases {
		o, err := runCase(ctx, opts, c)
		if err != nil {
			return out, err
		}
		out = append(out, o)
	}
	return out, nil
}

// Release returns a demo release with the sluice binary filled in.
func Release(file, executable string) (*v1alpha1.Release, error) {
	data, err := releases.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("demo release %s: %w", file, err)
	}
	data = []byte(strings.ReplaceAll(string(data), "{{sluice}}", executable))
	rel, err := v1alpha1.DecodeRelease(data)
	if err != nil {
		return nil, fmt.Errorf("demo release %s: %w", file, err)
	}
	rel.Default()
	if errs := rel.Validate(); len(errs) > 0 {
		return nil, fmt.Errorf("demo release %s: %w", file, errs.ToAggregate())
	}
	return rel, nil
}

func runCase(ctx context.Context, opts Options, c Case) (Outcome, error) {
	rel, err := Release(c.File, opts.Executable)
	if err != nil {
		return Outcome{}, err
	}
	o := Outcome{Name: rel.Name, Want: c.Want}
	// The load stops as soon as the release ends, before the runner closes
	// its proxy, so no request is sent to a closed port.
	var gen atomic.Pointer[loadgen.Generator]
	ropts := local.Options{
		StateDir: opts.StateDir, Fresh: true, ExitOnDone: true, Logger: opts.Logger,
		Stdout: opts.Stdout, Stderr: opts.Stderr,
		OnUpdate: func(s *release.View) {
			if g := gen.Load(); g != nil && s.Release.Status.Phase.Terminal() {
				g.Stop()
			}
			if opts.OnUpdate != nil {
				opts.OnUpdate(s)
			}
		},
	}
	if opts.OnEvent != nil {
		ropts.OnEvent = func(ev engine.Event) { opts.OnEvent(rel.Name, ev) }
	}
	r, err := local.New(rel, ropts)
	if err != nil {
		return o, err
	}
	start := time.Now()
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- r.Run(ctx) }()

	var runErr error
	g, err := startLoad(ctx, r, opts.Rate, done)
	switch {
	case errors.Is(err, errEnded):
		runErr = <-done
	case err != nil:
		cancel()
		if runErr = <-done; runErr != nil {
			opts.Logger.Debug("runner stopped", "err", runErr)
		}
		return o, err
	default:
		gen.Store(g)
		runErr = <-done
		g.Stop()
		o.Load = g.Stats()
	}
	o.Elapsed = time.Since(start)
	if s := r.View(); s != nil {
		o.Final = s
		o.Got = s.Release.Status.Phase
		o.Message = s.Release.Status.Message
	}
	if runErr != nil && !errors.Is(runErr, local.ErrRolledBack) {
		return o, fmt.Errorf("release %s: %w", rel.Name, runErr)
	}
	return o, nil
}

// errEnded says the release ended before the proxy listened.
var errEnded = errors.New("release ended before its proxy listened")

// startLoad waits for the proxy to listen, then sends load through it until
// stopped.
func startLoad(ctx context.Context, r *local.Runner, rate float64, done chan error) (*loadgen.Generator, error) {
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		if s := r.View(); s != nil && s.ProxyAddress != "" {
			gen, err := loadgen.New(loadgen.Config{Target: s.ProxyAddress + "/", Rate: rate, Duration: 2 * time.Minute, Concurrency: 32})
			if err != nil {
				return nil, fmt.Errorf("load: %w", err)
			}
			if err := gen.Start(ctx); err != nil {
				return nil, fmt.Errorf("load: %w", err)
			}
			return gen, nil
		}
		select {
		case err := <-done:
			done <- err // put it back for the caller; the buffer has room
			return nil, errEnded
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-tick.C:
		}
	}
}
