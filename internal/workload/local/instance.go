package local

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"sluice.dev/sluice/api/v1alpha1"
)

// killWait bounds how long Stop waits for a process to be reaped after
// SIGKILL; the kernel needs far less.
const killWait = 5 * time.Second

// Instance is one running version. The shell reads its URL to route
// traffic, its readiness and revision to feed the engine, and stops it when
// the release no longer needs it.
type Instance struct {
	d      *Driver
	log    *slog.Logger
	name   atomic.Pointer[string] // Stable or Canary: the slot it serves
	spec   v1alpha1.LocalVersion
	rev    string
	url    *url.URL
	health *url.URL

	proc    *os.Process // nil for a URL
	stderr  *lineWriter // nil for a URL
	stdout  *lineWriter // nil for a URL or without Options.Stdout
	exited  chan struct{}
	exitErr error // set before exited is closed

	ready    atomic.Bool
	stopping atomic.Bool
	quit     chan struct{} // closed by Stop: ends the poller

	stopOnce sync.Once
	stopDone chan struct{}
	stopErr  error
}

// newInstance fills in what both kinds of instance share.
func (d *Driver) newInstance(v Version, base *url.URL) (*Instance, error) {
	health, err := healthURL(base, v.Spec.HealthPath)
	if err != nil {
		return nil, err
	}
	i := &Instance{
		d:        d,
		log:      d.log,
		spec:     *v.Spec.DeepCopy(),
		rev:      Revision(v.Spec),
		url:      base,
		health:   health,
		exited:   make(chan struct{}),
		quit:     make(chan struct{}),
		stopDone: make(chan struct{}),
	}
	i.name.Store(&v.Name)
	return i, nil
}

// adoptURL makes an instance for a version someone else runs.
func (d *Driver) adoptURL(v Version) (*Instance, error) {
	u, err := url.Parse(v.Spec.URL)
	if err != nil {
		return nil, fmt.Errorf("url %q: %w", v.Spec.URL, err)
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("url %q: want an absolute http or https URL", v.Spec.URL)
	}
	return d.newInstance(v, u)
}

// healthURL resolves the health path against the version's host; the path
// replaces any path of the base URL.
func healthURL(base *url.URL, path string) (*url.URL, error) {
	if path == "" {
		path = DefaultHealthPath
	}
	if path[0] != '/' {
		path = "/" + path
	}
	ref, err := url.Parse(path)
	if err != nil {
		return nil, fmt.Errorf("health path %q: %w", path, err)
	}
	return base.ResolveReference(ref), nil
}

// Name is Stable or Canary: as given to Start, or to Rename since.
func (i *Instance) Name() string { return *i.name.Load() }

// Rename moves the instance to another slot's name, for its log lines and
// its output's prefix: on promotion the canary's process serves as stable
// and says so, rather than being "canary" for the rest of its life.
func (i *Instance) Rename(name string) {
	i.name.Store(&name)
	for _, w := range []*lineWriter{i.stderr, i.stdout} {
		if w != nil {
			w.setPrefix("[" + name + "] ")
		}
	}
}

// Died reports whether a started process exited without being asked to
// (crashed, killed by someone else): a supervisor starts it again.
func (i *Instance) Died() bool {
	if i.proc == nil || i.stopping.Load() {
		return false
	}
	select {
	case <-i.exited:
		return true
	default:
		return false
	}
}

// Spec is the spec the instance was started from.
func (i *Instance) Spec() v1alpha1.LocalVersion { return *i.spec.DeepCopy() }

// URL is where the proxy sends this version's traffic. The caller gets its
// own copy.
func (i *Instance) URL() *url.URL {
	u := *i.url
	return &u
}

// Revision identifies the spec this instance runs (see Revision).
func (i *Instance) Revision() string { return i.rev }

// PID is the process id of a started command, 0 for a URL.
func (i *Instance) PID() int {
	if i.proc == nil {
		return 0
	}
	return i.proc.Pid
}

// Ready reports the last health probe: true while the version answers 2xx,
// false once it fails a probe, exits or is stopped.
func (i *Instance) Ready() bool { return i.ready.Load() }

// Stopped reports whether Stop was called, so views can tell a version
// Sluice stopped (a rolled-back canary) from one that failed.
func (i *Instance) Stopped() bool { return i.stopping.Load() }

// Exited is closed when a started process has exited, for whatever reason.
// For a URL it is never closed, so it is always safe to select on.
func (i *Instance) Exited() <-chan struct{} { return i.exited }

// ExitErr says how the process ended (nil for a clean exit). It is only
// meaningful once Exited is closed.
func (i *Instance) ExitErr() error {
	select {
	case <-i.exited:
		return i.exitErr
	default:
		return nil
	}
}

// Stop ends the version: SIGTERM to its process group, then SIGKILL after
// the driver's grace period or when ctx ends. Stopping a URL version only
// stops its health polling. Stop is idempotent and safe to call from
// several goroutines; later calls wait for the first and return its result.
func (i *Instance) Stop(ctx context.Context) error {
	i.stopOnce.Do(func() {
		go func() {
			i.stopErr = i.stop(ctx)
			close(i.stopDone)
		}()
	})
	select {
	case <-i.stopDone:
		return i.stopErr
	case <-ctx.Done():
		return fmt.Errorf("local: stop %s: %w", i.Name(), ctx.Err())
	}
}

func (i *Instance) stop(ctx context.Context) error {
	defer i.d.forget(i)
	i.stopping.Store(true)
	close(i.quit)
	i.ready.Store(false)
	if i.proc == nil {
		return nil
	}
	select {
	case <-i.exited:
		return nil
	default:
	}
	if err := signalGroup(i.proc, sigTerm); err != nil {
		return fmt.Errorf("local: stop %s: SIGTERM pid %d: %w", i.Name(), i.proc.Pid, err)
	}
	grace := time.NewTimer(i.d.opts.StopGrace)
	defer grace.Stop()
	select {
	case <-i.exited:
		return nil
	case <-grace.C:
		i.log.Warn("version ignored SIGTERM; killing it", "version", i.Name(), "pid", i.proc.Pid, "grace", i.d.opts.StopGrace)
	case <-ctx.Done():
	}
	if err := signalGroup(i.proc, sigKill); err != nil {
		return fmt.Errorf("local: stop %s: SIGKILL pid %d: %w", i.Name(), i.proc.Pid, err)
	}
	select {
	case <-i.exited:
		return nil
	case <-time.After(killWait):
		return fmt.Errorf("local: stop %s: pid %d still running %v after SIGKILL", i.Name(), i.proc.Pid, killWait)
	}
}

// errStopped ends a start that Stop interrupted.
var errStopped = errors.New("stopped while starting")
