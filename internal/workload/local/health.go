package local

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
)

// Probe timing while a version starts: often, so a fast app is ready fast.
const (
	startProbeEvery = 100 * time.Millisecond
	maxProbeTimeout = 5 * time.Second
)

// probe asks the health URL once; nil means a 2xx answer.
func (i *Instance) probe(ctx context.Context, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, i.health.String(), nil)
	if err != nil {
		return fmt.Errorf("health request: %w", err)
	}
	resp, err := i.d.opts.HTTPClient.Do(req)
	if err != nil {
		return fmt.Errorf("health probe: %w", err)
	}
	defer func() { _ = resp.Body.Close() }()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 4<<10))
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return fmt.Errorf("GET %s: status %d", i.health, resp.StatusCode)
	}
	return nil
}

// waitHealthy polls until the first 2xx, the process exits, the timeout
// passes, Stop is called or ctx ends.
func (i *Instance) waitHealthy(ctx context.Context, timeout time.Duration) error {
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	next := time.NewTimer(0)
	defer next.Stop()
	var last error
	for {
		select {
		case <-i.exited:
			return fmt.Errorf("%s exited before it became healthy (%s)%s", i.what(), exitText(i.exitErr), i.stderrTail())
		case <-deadline.C:
			if last == nil {
				last = errors.New("no probe finished")
			}
			return fmt.Errorf("%s not healthy at %s within %v (last probe: %w)%s", i.what(), i.health, timeout, last, i.stderrTail())
		case <-i.quit:
			return fmt.Errorf("%s: %w", i.what(), errStopped)
		case <-ctx.Done():
			return fmt.Errorf("%s: %w", i.what(), ctx.Err())
		case <-next.C:
		}
		if last = i.probe(ctx, min(timeout, time.Second)); last == nil {
			// A process may answer and die at once; trust the exit.
			select {
			case <-i.exited:
				continue
			default:
				return nil
			}
		}
		next.Reset(startProbeEvery)
	}
}

// poll keeps Ready current after the start.
func (i *Instance) poll() {
	every := i.d.opts.HealthInterval
	timeout := min(max(every, 100*time.Millisecond), maxProbeTimeout)
	t := time.NewTicker(every)
	defer t.Stop()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		select {
		case <-i.quit:
		case <-i.exited:
		}
		cancel()
	}()
	for {
		select {
		case <-i.quit:
			return
		case <-i.exited:
			i.ready.Store(false)
			return
		case <-t.C:
		}
		err := i.probe(ctx, timeout)
		select {
		case <-i.quit:
			return
		case <-i.exited:
			i.ready.Store(false)
			return
		default:
		}
		was := i.ready.Swap(err == nil)
		switch {
		case was && err != nil:
			i.log.Warn("version not ready", "version", i.Name(), "err", err)
		case !was && err == nil:
			i.log.Info("version ready again", "version", i.Name())
		}
	}
}

// what names the version in errors.
func (i *Instance) what() string {
	if i.proc == nil {
		return fmt.Sprintf("url %s", i.url)
	}
	return fmt.Sprintf("command %q (pid %d)", strings.Join(i.spec.Command, " "), i.proc.Pid)
}

// stderrTail formats the last stderr lines for an error message.
func (i *Instance) stderrTail() string {
	if i.stderr == nil {
		return ""
	}
	lines := i.stderr.lastLines()
	if len(lines) == 0 {
		return "; it wrote nothing to stderr"
	}
	return "; last stderr lines:\n  " + strings.Join(lines, "\n  ")
}
