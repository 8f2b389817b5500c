package alerts

import (
	"context"
	"log/slog"
	"net/http"
	"sync"
	"time"
)

// Defaults of a Dispatcher.
const (
	// DefaultConcurrency is how many posts are in flight at once, over all
	// receivers.
	DefaultConcurrency = 4
	// DefaultQueueSize is how many alerts wait for one receiver before
	// newer ones are dropped: enough for a burst of decisions, bounded so
	// a receiver that is down cannot hold memory without limit.
	DefaultQueueSize = 64
)

// Dispatcher sends alerts to receivers. Its fields are what the shells and
// tests inject; the zero value works. It is safe for concurrent use. A nil
// *Dispatcher sends nothing (Send returns no results), so a shell can
// leave alerts off without guarding every call.
type Dispatcher struct {
	// HTTP sends the posts; its redirect policy is replaced by one that
	// follows none. Default: a client with the default transport.
	HTTP *http.Client
	// Logger receives every result of Notify. Default: discard.
	Logger *slog.Logger
	// Concurrency bounds the posts in flight; default DefaultConcurrency.
	Concurrency int
	// QueueSize bounds each receiver's queue; default DefaultQueueSize.
	QueueSize int
	// Clock measures durations; default time.Now.
	Clock func() time.Time

	initOnce sync.Once
	slots    chan struct{}

	mu     sync.Mutex
	queues map[receiverKey]*queue
	// pending counts Notify's alerts not yet sent; idle is closed when it
	// falls to zero, for Wait.
	pending int
	idle    chan struct{}
}

// receiverKey identifies a receiver by where it posts: two releases that
// alert the same channel share its queue, so their messages keep their
// order and the bound on what waits for it.
type receiverKey struct {
	provider Provider
	url      string
}

// queue holds one receiver's alerts; one worker drains it while it is not
// empty, and exits when it is.
type queue struct {
	jobs    []job
	running bool
}

type job struct {
	ctx context.Context
	cfg Config
	a   Alert
}

func (d *Dispatcher) init() {
	d.initOnce.Do(func() {
		n := d.Concurrency
		if n <= 0 {
			n = DefaultConcurrency
		}
		d.slots = make(chan struct{}, n)
		d.queues = make(map[receiverKey]*queue)
	})
}

// Send posts a to every receiver whose severity filter lets it through,
// and waits for their answers (at most each receiver's timeout once a
// slot is free). The results follow the order of cfgs, receivers that
// filtered the alert out left out.
func (d *Dispatcher) Send(ctx context.Context, cfgs []Config, a Alert) []Result {
	if d == nil {
		return nil
	}
	d.init()
	wanted := filter(cfgs, a)
	results := make([]Result, len(wanted))
	var wg sync.WaitGroup
	for i, cfg := range wanted {
		wg.Go(func() { results[i] = d.postInSlot(ctx, cfg, a) })
	}
	wg.Wait()
	return results
}

// Notify queues a for every receiver whose severity filter lets it
// through and returns at once; each receiver gets its alerts in the order
// they were queued. When a receiver's queue is full the alert is dropped
// and logged: the release must never wait on a chat. ctx's values reach
// the posts but its end does not cancel them, so an alert queued at the
// end of a reconcile is still sent; each post's timeout bounds it.
func (d *Dispatcher) Notify(ctx context.Context, cfgs []Config, a Alert) {
	if d == nil {
		return
	}
	d.init()
	ctx = context.WithoutCancel(ctx)
	for _, cfg := range filter(cfgs, a) {
		d.enqueue(job{ctx: ctx, cfg: cfg, a: a})
	}
}

// Wait blocks until every alert given to Notify so far has been sent or
// dropped, or ctx ends; it returns ctx's error then. Tests use it, and a
// shell that wants its last alerts out before it exits.
func (d *Dispatcher) Wait(ctx context.Context) error {
	if d == nil {
		return nil
	}
	d.mu.Lock()
	idle := d.idle
	d.mu.Unlock()
	if idle == nil {
		return nil
	}
	select {
	case <-idle:
		return nil
	case <-ctx.Done():
		return ctx.Err() //nolint:wrapcheck // the caller's own context
	}
}

func (d *Dispatcher) enqueue(j job) {
	key := receiverKey{provider: j.cfg.Provider, url: j.cfg.URL}
	limit := d.QueueSize
	if limit <= 0 {
		limit = DefaultQueueSize
	}
	d.mu.Lock()
	q := d.queues[key]
	if q == nil {
		q = &queue{}
		d.queues[key] = q
	}
	if len(q.jobs) >= limit {
		d.mu.Unlock()
		d.logger().LogAttrs(j.ctx, slog.LevelWarn, "alert dropped: too many alerts wait for this receiver",
			slog.String("alert", j.cfg.Name), slog.String("provider", string(j.cfg.Provider)),
			slog.String("release", j.a.Release), slog.String("reason", j.a.Reason), slog.Int("queued", limit))
		return
	}
	if d.pending == 0 {
		d.idle = make(chan struct{})
	}
	d.pending++
	q.jobs = append(q.jobs, j)
	start := !q.running
	q.running = true
	d.mu.Unlock()
	if start {
		go d.drain(key, q)
	}
}

// drain sends one receiver's alerts in order until its queue is empty.
func (d *Dispatcher) drain(key receiverKey, q *queue) {
	for {
		d.mu.Lock()
		if len(q.jobs) == 0 {
			q.running = false
			delete(d.queues, key)
			d.mu.Unlock()
			return
		}
		j := q.jobs[0]
		q.jobs[0] = job{}
		q.jobs = q.jobs[1:]
		d.mu.Unlock()

		res := d.postInSlot(j.ctx, j.cfg, j.a)
		d.log(j.ctx, j.a, res)
		d.mu.Lock()
		if d.pending--; d.pending == 0 {
			close(d.idle)
			d.idle = nil
		}
		d.mu.Unlock()
	}
}

// postInSlot posts once one of the Concurrency slots is free.
func (d *Dispatcher) postInSlot(ctx context.Context, cfg Config, a Alert) Result {
	select {
	case d.slots <- struct{}{}:
	case <-ctx.Done():
		return Result{Name: cfg.Name, Provider: cfg.Provider, Message: "not sent: " + ctx.Err().Error()}
	}
	defer func() { <-d.slots }()
	return d.post(ctx, cfg, a)
}

// filter keeps the receivers that want an alert this severe.
func filter(cfgs []Config, a Alert) []Config {
	out := make([]Config, 0, len(cfgs))
	for _, c := range cfgs {
		if a.Severity.AtLeast(c.MinSeverity) {
			out = append(out, c)
		}
	}
	return out
}

func (d *Dispatcher) log(ctx context.Context, a Alert, r Result) {
	level := slog.LevelInfo
	if !r.OK {
		level = slog.LevelWarn
	}
	d.logger().LogAttrs(ctx, level, "alert sent",
		slog.String("alert", r.Name), slog.String("provider", string(r.Provider)),
		slog.String("release", a.Release), slog.String("reason", a.Reason),
		slog.Bool("ok", r.OK), slog.Int("status", r.Status),
		slog.Duration("duration", r.Duration.Round(time.Millisecond)), slog.String("message", r.Message))
}

func (d *Dispatcher) logger() *slog.Logger {
	if d.Logger != nil {
		return d.Logger
	}
	return slog.New(slog.DiscardHandler)
}

func (d *Dispatcher) now() time.Time {
	if d.Clock != nil {
		return d.Clock()
	}
	return time.Now()
}
