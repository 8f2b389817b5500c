package loadgen

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync"
	"time"
)

// maxDrain bounds how much of each answer is read so the connection can be
// reused.
const maxDrain = 64 << 10

// Generator runs one load run in the background. The demo starts it next to
// a release, reads Stats while the release moves, and stops it when the
// release ends.
type Generator struct {
	cfg Config

	mu       sync.Mutex
	state    state
	cancel   context.CancelFunc
	started  time.Time
	ended    time.Time
	err      error
	counts   Stats
	versions map[string]Counts

	done chan struct{}
}

type state int

const (
	stateNew state = iota
	stateRunning
	stateDone
)

// Counts are the answers from one version.
type Counts struct {
	OK     int64 `json:"ok"`
	Non2xx int64 `json:"non2xx"`
}

// Stats is a snapshot of a run so far.
type Stats struct {
	// Sent counts requests started.
	Sent int64 `json:"sent"`
	// OK counts 2xx answers.
	OK int64 `json:"ok"`
	// Non2xx counts answers with any other status.
	Non2xx int64 `json:"non2xx"`
	// Errors counts requests that got no answer (refused, reset, timed
	// out), not counting those cut short by Stop.
	Errors int64 `json:"errors"`
	// Canceled counts requests cut short by Stop or the context.
	Canceled int64 `json:"canceled"`
	// Skipped counts requests that were due while Concurrency requests were
	// already in flight; they are dropped so the load stays open-loop.
	Skipped int64 `json:"skipped"`
	// InFlight is how many requests are outstanding now.
	InFlight int64 `json:"inFlight"`
	// ByVersion breaks answers down by the version response header; answers
	// without it are not in the map.
	ByVersion map[string]Counts `json:"byVersion,omitempty"`
	// Elapsed is the time since the start, up to the end once it ended.
	Elapsed time.Duration `json:"elapsed"`
	// LastError is the most recent transport error, for diagnosis.
	LastError string `json:"lastError,omitempty"`
}

// New validates cfg and returns a generator ready to Start.
func New(cfg Config) (*Generator, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	return &Generator{cfg: cfg, versions: map[string]Counts{}, done: make(chan struct{})}, nil
}

// Run sends load for cfg.Duration (or until ctx ends) and returns the final
// stats. The error is ctx's if it ended the run early.
func Run(ctx context.Context, cfg Config) (Stats, error) {
	g, err := New(cfg)
	if err != nil {
		return Stats{}, err
	}
	if err := g.Start(ctx); err != nil {
		return Stats{}, err
	}
	<-g.Done()
	return g.Stats(), g.Err()
}

// Start begins sending in the background and returns at once. The run ends
// after Duration, when ctx ends, or on Stop. A generator runs once.
func (g *Generator) Start(ctx context.Context) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.state != stateNew {
		return errors.New("loadgen: generator already started or stopped")
	}
	runCtx, cancel := context.WithCancel(ctx)
	g.state, g.cancel, g.started = stateRunning, cancel, time.Now()
	go g.run(ctx, runCtx)
	return nil
}

// Stop ends the run, cancels requests in flight and waits for them. It is
// safe to call more than once, and before Start.
func (g *Generator) Stop() {
	g.mu.Lock()
	switch g.state {
	case stateNew:
		g.state = stateDone
		close(g.done)
		g.mu.Unlock()
		return
	case stateRunning:
		g.cancel()
	}
	g.mu.Unlock()
	<-g.done
}

// Done is closed once the run has ended and every request has finished.
func (g *Generator) Done() <-chan struct{} { return g.done }

// Err says why a finished run ended early: the context's error, or nil for
// a run that lasted its Duration or was stopped.
func (g *Generator) Err() error {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.err
}

// Stats returns a snapshot; it is safe to call at any time.
func (g *Generator) Stats() Stats {
	g.mu.Lock()
	defer g.mu.Unlock()
	s := g.counts
	if len(g.versions) > 0 {
		s.ByVersion = make(map[string]Counts, len(g.versions))
		for k, v := range g.versions {
			s.ByVersion[k] = v
		}
	}
	switch {
	case !g.ended.IsZero():
		s.Elapsed = g.ended.Sub(g.started)
	case !g.started.IsZero():
		s.Elapsed = time.Since(g.started)
	}
	return s
}

// run sends the load, open-loop at Rate or closed-loop with Workers, and
// records the end.
func (g *Generator) run(parent, ctx context.Context) {
	if g.cfg.Workers > 0 {
		g.runWorkers(ctx)
	} else {
		g.runOpen(ctx)
	}
	g.cancel()

	g.mu.Lock()
	g.ended = time.Now()
	g.state = stateDone
	g.err = parent.Err()
	g.mu.Unlock()
	close(g.done)
}

// runOpen is the open-loop scheduler: request n is due at start + n/Rate.
func (g *Generator) runOpen(ctx context.Context) {
	sem := make(chan struct{}, g.cfg.Concurrency)
	var wg sync.WaitGroup
	start := time.Now()
	end := start.Add(g.cfg.Duration)
	var issued int64
	timer := time.NewTimer(0)
	defer timer.Stop()
loop:
	for {
		select {
		case <-ctx.Done():
			break loop
		case <-timer.C:
		}
		now := time.Now()
		if !now.Before(end) {
			break loop
		}
		due := int64(now.Sub(start).Seconds()*g.cfg.Rate) + 1
		for ; issued < due; issued++ {
			if ctx.Err() != nil {
				break loop // stopped while the timer fired: send nothing more
			}
			select {
			case sem <- struct{}{}:
				if !g.reserve() {
					break loop // every request of Requests sent
				}
				wg.Go(func() {
					defer func() { <-sem }()
					g.send(ctx)
				})
			default:
				g.add(func(s *Stats) { s.Skipped++ })
			}
		}
		next := start.Add(time.Duration(float64(issued) / g.cfg.Rate * float64(time.Second)))
		timer.Reset(max(time.Until(next), 0))
	}
	wg.Wait()
}

// runWorkers is the closed loop: each worker sends its next request when
// the last one is answered, until the end, ctx or Requests.
func (g *Generator) runWorkers(ctx context.Context) {
	end := time.Now().Add(g.cfg.Duration)
	var wg sync.WaitGroup
	for range g.cfg.Workers {
		wg.Go(func() {
			for ctx.Err() == nil && time.Now().Before(end) && g.reserve() {
				g.send(ctx)
			}
		})
	}
	wg.Wait()
}

// reserve counts a request about to be sent, unless Requests have all
// been sent.
func (g *Generator) reserve() bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.cfg.Requests > 0 && g.counts.Sent >= g.cfg.Requests {
		return false
	}
	g.counts.Sent++
	g.counts.InFlight++
	return true
}

// send makes one request and records its outcome.
func (g *Generator) send(ctx context.Context) {
	ctx, cancel := context.WithTimeout(ctx, g.cfg.Timeout)
	defer cancel()
	var body io.Reader
	if g.cfg.Body != nil {
		body = bytes.NewReader(g.cfg.Body)
	}
	req, err := http.NewRequestWithContext(ctx, g.cfg.Method, g.cfg.Target, body)
	if err != nil {
		g.fail(ctx, err)
		return
	}
	for k, vs := range g.cfg.Headers {
		req.Header[k] = vs
	}
	resp, err := g.cfg.Client.Do(req)
	if err != nil {
		g.fail(ctx, err)
		return
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxDrain))
	_ = resp.Body.Close()
	ok := resp.StatusCode >= 200 && resp.StatusCode <= 299
	version := resp.Header.Get(g.cfg.VersionHeader)

	g.mu.Lock()
	defer g.mu.Unlock()
	g.counts.InFlight--
	if ok {
		g.counts.OK++
	} else {
		g.counts.Non2xx++
	}
	if version != "" {
		c := g.versions[version]
		if ok {
			c.OK++
		} else {
			c.Non2xx++
		}
		g.versions[version] = c
	}
}

// fail records a request that got no answer.
func (g *Generator) fail(ctx context.Context, err error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.counts.InFlight--
	// Only a cancel of the run itself, not a request timeout, is ours.
	if errors.Is(context.Cause(ctx), context.Canceled) {
		g.counts.Canceled++
		return
	}
	g.counts.Errors++
	g.counts.LastError = fmt.Sprint(err)
}

func (g *Generator) add(f func(*Stats)) {
	g.mu.Lock()
	defer g.mu.Unlock()
	f(&g.counts)
}
