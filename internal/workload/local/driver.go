package local

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"sluice.dev/sluice/api/v1alpha1"
)

// Defaults for the fields of Options and LocalVersion left empty.
const (
	DefaultHealthPath     = "/healthz"
	DefaultStartTimeout   = 30 * time.Second
	DefaultHealthInterval = time.Second
	DefaultStopGrace      = 10 * time.Second
)

// Names of the two versions of a release, used as output prefixes and in
// log lines.
const (
	Stable = "stable"
	Canary = "canary"
)

// Version is one side of a local release: which side it is and how to run
// it. The name is kept apart from the spec because the same spec moves from
// canary to stable on promotion.
type Version struct {
	// Name is Stable or Canary.
	Name string
	// Spec is the command or URL from the Release.
	Spec v1alpha1.LocalVersion
}

// Options are the driver's collaborators; every field may be left zero.
type Options struct {
	// Logger receives start, exit and readiness changes. Nil discards them.
	Logger *slog.Logger
	// Stdout and Stderr receive the children's output, each line prefixed
	// with "[stable] " or "[canary] ". Nil discards it (the last stderr
	// lines are still kept for start errors).
	Stdout, Stderr io.Writer
	// HealthInterval is how often a running version's health is polled
	// after it started. Default DefaultHealthInterval.
	HealthInterval time.Duration
	// HTTPClient runs the health probes. Default: a client of its own.
	HTTPClient *http.Client
	// StopGrace is how long Stop waits after SIGTERM before SIGKILL.
	// Default DefaultStopGrace.
	StopGrace time.Duration
}

// Driver starts and stops the versions of local releases and remembers
// every child it started, so StopAll can leave nothing behind.
type Driver struct {
	opts  Options
	log   *slog.Logger
	outMu sync.Mutex // serialises children's output lines

	mu        sync.Mutex
	instances map[*Instance]struct{}
}

// New returns a driver with the defaults filled in.
func New(opts Options) *Driver {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.HealthInterval <= 0 {
		opts.HealthInterval = DefaultHealthInterval
	}
	if opts.HTTPClient == nil {
		opts.HTTPClient = &http.Client{}
	}
	if opts.StopGrace <= 0 {
		opts.StopGrace = DefaultStopGrace
	}
	return &Driver{opts: opts, log: opts.Logger, instances: map[*Instance]struct{}{}}
}

// Start runs v and returns once it answers its health path with a 2xx.
// For a command that means picking a free port on 127.0.0.1, passing it as
// $PORT and in "{{port}}" arguments, and starting the process in a group of
// its own; for a URL it means polling the URL. It fails if the version does
// not become healthy within its start timeout, if its process exits first
// (the error quotes its last stderr lines), or if ctx ends; the process is
// stopped in every failure case.
//
// ctx bounds the start only: a started process runs until Stop or StopAll.
func (d *Driver) Start(ctx context.Context, v Version) (*Instance, error) {
	if err := validate(v); err != nil {
		return nil, fmt.Errorf("local: start %s: %w", v.Name, err)
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("local: start %s: %w", v.Name, err)
	}
	var (
		i   *Instance
		err error
	)
	if len(v.Spec.Command) > 0 {
		i, err = d.startProcess(v)
	} else {
		i, err = d.adoptURL(v)
	}
	if err != nil {
		return nil, fmt.Errorf("local: start %s: %w", v.Name, err)
	}
	d.track(i)
	if err := i.waitHealthy(ctx, startTimeout(v.Spec)); err != nil {
		stopCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), d.opts.StopGrace+killWait)
		defer cancel()
		_ = i.Stop(stopCtx)
		return nil, fmt.Errorf("local: start %s: %w", v.Name, err)
	}
	i.ready.Store(true)
	go i.poll()
	d.log.Info("version ready", "version", v.Name, "label", v.Spec.Version, "url", i.url.String(), "pid", i.PID(), "revision", i.rev)
	return i, nil
}

// StopAll stops every version this driver started and has not stopped yet,
// in parallel. Callers run it on the way out so no child outlives Sluice.
func (d *Driver) StopAll(ctx context.Context) error {
	d.mu.Lock()
	all := make([]*Instance, 0, len(d.instances))
	for i := range d.instances {
		all = append(all, i)
	}
	d.mu.Unlock()

	errs := make([]error, len(all))
	var wg sync.WaitGroup
	for n, i := range all {
		wg.Go(func() { errs[n] = i.Stop(ctx) })
	}
	wg.Wait()
	return errors.Join(errs...)
}

func (d *Driver) track(i *Instance) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.instances[i] = struct{}{}
}

func (d *Driver) forget(i *Instance) {
	d.mu.Lock()
	defer d.mu.Unlock()
	delete(d.instances, i)
}

// validate checks what the API validation may not have: a name, and
// exactly one of Command and URL.
func validate(v Version) error {
	if v.Name == "" {
		return errors.New("version has no name")
	}
	hasCmd, hasURL := len(v.Spec.Command) > 0, v.Spec.URL != ""
	switch {
	case hasCmd && hasURL:
		return errors.New("both command and url are set; set exactly one")
	case !hasCmd && !hasURL:
		return errors.New("neither command nor url is set; set exactly one")
	case hasCmd && v.Spec.Command[0] == "":
		return errors.New("command has an empty program name")
	}
	return nil
}

func startTimeout(spec v1alpha1.LocalVersion) time.Duration {
	if spec.StartTimeout != nil && spec.StartTimeout.Duration > 0 {
		return spec.StartTimeout.Duration
	}
	return DefaultStartTimeout
}
