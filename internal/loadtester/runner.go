package loadtester

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"sluice.dev/sluice/internal/loadgen"
)

// errBusy is returned when MaxTasks load tests already run.
var errBusy = errors.New("too many load tests running")

// runner runs load tests in the background, one at a time per release and
// command, as Flagger's load tester does: a webhook called at every check
// starts the test once and finds it running after that.
type runner struct {
	ctx      context.Context // ends every test when the server stops
	log      *slog.Logger
	maxTasks int

	mu       sync.Mutex
	running  map[string]*loadgen.Generator
	blocking int // tests a caller waits for, counted against maxTasks too
	wg       sync.WaitGroup
	total    int64
}

func newRunner(ctx context.Context, log *slog.Logger, maxTasks int) *runner {
	return &runner{ctx: ctx, log: log, maxTasks: maxTasks, running: map[string]*loadgen.Generator{}}
}

// start begins cfg in the background under key, unless a test with that
// key runs already; started says which.
func (r *runner) start(key, release, cmd string, cfg loadgen.Config) (started bool, err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, ok := r.running[key]; ok {
		r.log.Info("load test already running", "release", release, "cmd", cmd)
		return false, nil
	}
	if len(r.running)+r.blocking >= r.maxTasks {
		return false, fmt.Errorf("%w (%d)", errBusy, r.maxTasks)
	}
	g, err := loadgen.New(cfg)
	if err != nil {
		return false, fmt.Errorf("load test: %w", err)
	}
	if err := g.Start(r.ctx); err != nil {
		return false, fmt.Errorf("load test: %w", err)
	}
	r.running[key] = g
	r.total++
	r.log.Info("load test started", "release", release, "cmd", cmd)
	r.wg.Go(func() {
		<-g.Done()
		r.mu.Lock()
		delete(r.running, key)
		r.mu.Unlock()
		logStats(r.log, "load test finished", release, cmd, g.Stats())
	})
	return true, nil
}

// run runs cfg to its end (or ctx's) and returns its stats.
func (r *runner) run(ctx context.Context, release, cmd string, cfg loadgen.Config) (loadgen.Stats, error) {
	r.mu.Lock()
	if len(r.running)+r.blocking >= r.maxTasks {
		r.mu.Unlock()
		return loadgen.Stats{}, fmt.Errorf("%w (%d)", errBusy, r.maxTasks)
	}
	r.blocking++
	r.mu.Unlock()
	defer func() {
		r.mu.Lock()
		r.blocking--
		r.mu.Unlock()
	}()
	r.log.Info("load test started, the caller waits", "release", release, "cmd", cmd)
	st, err := loadgen.Run(ctx, cfg)
	if err != nil {
		return st, fmt.Errorf("load test: %w", err)
	}
	logStats(r.log, "load test finished", release, cmd, st)
	return st, nil
}

// wait waits for the background tests, which end with r.ctx.
func (r *runner) wait() { r.wg.Wait() }

// active is how many background tests run now.
func (r *runner) active() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.running)
}

func logStats(log *slog.Logger, msg, release, cmd string, st loadgen.Stats) {
	log.Info(msg, "release", release, "cmd", cmd, "sent", st.Sent, "ok", st.OK, "non2xx", st.Non2xx,
		"errors", st.Errors, "skipped", st.Skipped, "elapsed", st.Elapsed.Round(time.Millisecond), "lastError", st.LastError)
}
