package local

import (
	"fmt"
	"reflect"

	"sluice.dev/sluice/api/v1alpha1"
	"sluice.dev/sluice/internal/engine"
	"sluice.dev/sluice/internal/release"
)

// The commands people give a local release, beside the engine's own.
const (
	CommandPause  = "pause"
	CommandResume = "resume"
)

// enqueue takes a command from the control endpoint. pause and resume
// set spec.paused; the engine's commands wait for the next tick, which an
// abort starts at once, cutting short any hook the tick in flight waits on.
func (r *Runner) enqueue(kind string) (string, error) {
	r.mu.Lock()
	r.cmdSeq++
	id := fmt.Sprintf("%s-%d-%d", kind, r.opts.Clock.Now().UnixNano(), r.cmdSeq)
	switch kind {
	case CommandPause, CommandResume:
		r.rel.Spec.Paused = kind == CommandPause
		r.mu.Unlock()
		r.poke()
		return id, r.persist(true)
	}
	k, ok := engine.ParseCommandKind(kind)
	if !ok {
		r.mu.Unlock()
		return "", fmt.Errorf("unknown command %q (promote, promote-full, abort, pause, resume, retry)", kind)
	}
	if k == engine.CommandPromote || k == engine.CommandPromoteFull {
		r.rel.Spec.Paused = false
	}
	r.commands = append(r.commands, engine.Command{ID: id, Kind: k})
	key := release.Key(r.rel.Namespace, r.rel.Name)
	r.mu.Unlock()
	if k == engine.CommandAbort && r.loop != nil {
		r.loop.Interrupts.Interrupt(key)
	}
	r.poke()
	return id, nil
}

// poke wakes the loop for a tick now.
func (r *Runner) poke() {
	select {
	case r.wake <- struct{}{}:
	default:
	}
}

// peekCommand is the oldest queued command, or nil.
func (r *Runner) peekCommand() *engine.Command {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.commands) == 0 {
		return nil
	}
	c := r.commands[0]
	return &c
}

// popCommand drops a command the engine has been shown: it remembers the
// id of the last one applied, so none applies twice.
func (r *Runner) popCommand(c *engine.Command) {
	if c == nil {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.commands) > 0 && r.commands[0].ID == c.ID {
		r.commands = r.commands[1:]
	}
}

// pending reports whether commands wait.
func (r *Runner) pending() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.commands) > 0
}

// queued are the commands not yet shown to the engine; the caller holds mu.
func (r *Runner) queued() []engine.Command {
	return append([]engine.Command(nil), r.commands...)
}

// applySpec takes a release file handed to the running runner: the next
// tick runs it. What the runner cannot change while it serves (its name,
// the proxy's address) is refused, naming the field.
func (r *Runner) applySpec(next *v1alpha1.Release) (string, error) {
	next = next.DeepCopy()
	next.Default()
	if errs := next.Validate(); len(errs) > 0 {
		return "", fmt.Errorf("%s", v1alpha1.FormatError(errs[0]))
	}
	cfgs, err := r.alertConfigs(next.Spec.Alerts)
	if err != nil {
		return "", err
	}
	r.mu.Lock()
	cur := r.rel
	switch {
	case next.Name != cur.Name:
		r.mu.Unlock()
		return "", fmt.Errorf("metadata.name: %q is another release than %q", next.Name, cur.Name)
	case next.Spec.Traffic.Proxy == nil || next.Spec.Workload.Local == nil:
		r.mu.Unlock()
		return "", fmt.Errorf("spec.workload.local and spec.traffic.proxy: a local release needs both")
	case next.Spec.Traffic.Proxy.Listen != cur.Spec.Traffic.Proxy.Listen:
		r.mu.Unlock()
		return "", fmt.Errorf("spec.traffic.proxy.listen: the running proxy listens on %s; stop the runner to move it", cur.Spec.Traffic.Proxy.Listen)
	case !reflect.DeepEqual(next.Spec.Traffic.Proxy.Limits, cur.Spec.Traffic.Proxy.Limits):
		r.mu.Unlock()
		return "", fmt.Errorf("spec.traffic.proxy.limits: the running proxy keeps the limits it started with; stop the runner to change them")
	}
	changed := !specEqual(next.Spec, cur.Spec)
	paused := cur.Spec.Paused || next.Spec.Paused
	cur.Spec = next.Spec
	cur.Spec.Paused = paused
	if changed {
		cur.Generation++
	}
	r.alertCfgs = cfgs
	r.mu.Unlock()
	r.slots.setSpec(*next.Spec.Workload.Local, next.Spec.Traffic.Match)
	r.poke()
	if err := r.persist(true); err != nil {
		return "", err
	}
	if !changed {
		return "unchanged", nil
	}
	return "applied", nil
}
