// Package release is the layer between the engine and the two shells. It
// holds what both the Kubernetes controller and `sluice run` need, decided
// once:
//
//   - the parts a release is made of, as small interfaces declared here
//     where they are used: a Workload that runs the two versions, a Router
//     that splits traffic (Istio, Gateway API, or Sluice's own proxy), the
//     Metrics the checks and the statistical judge read, the Hooks, a
//     Store that persists the status and Recorders that hear decisions;
//   - the one Tick: observe, commands, judge, checks and hooks, engine,
//     act, save, record — in that order, for both shells, so a gate or a
//     safety rule lives in one place;
//   - the View: the one read model of a release that the CLI, the
//     dashboard, alerts and Sluice's own metrics read, whichever shell
//     produced it.
//
// A shell builds the parts for its world, calls Tick on its schedule, and
// persists what the Store is given. It decides nothing itself.
package release
