package release

import (
	"context"
	"sync"
)

// Interrupts lets an abort cut short the tick in flight for its release:
// a rollout webhook may take its whole timeout, and an abort must not wait
// for it. A shell runs each tick under Begin, and calls Interrupt when an
// abort arrives; the hooks' context is then cancelled with ErrInterrupted,
// the tick returns it without deciding anything, and the shell ticks again
// at once, applying the abort first.
type Interrupts struct {
	mu      sync.Mutex
	running map[string]context.CancelCauseFunc
}

// Begin returns the context for one tick of key, and the function that
// ends it.
func (i *Interrupts) Begin(ctx context.Context, key string) (context.Context, func()) {
	ctx, cancel := context.WithCancelCause(ctx)
	i.mu.Lock()
	if i.running == nil {
		i.running = map[string]context.CancelCauseFunc{}
	}
	i.running[key] = cancel
	i.mu.Unlock()
	return ctx, func() {
		i.mu.Lock()
		delete(i.running, key)
		i.mu.Unlock()
		cancel(nil)
	}
}

// Interrupt cuts short the tick of key in flight, if any, and reports
// whether there was one.
func (i *Interrupts) Interrupt(key string) bool {
	i.mu.Lock()
	defer i.mu.Unlock()
	cancel, ok := i.running[key]
	if ok {
		cancel(ErrInterrupted)
	}
	return ok
}
