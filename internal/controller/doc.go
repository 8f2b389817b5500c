// Package controller is the Kubernetes shell: a controller-runtime
// reconciler that, for each Release, observes the workloads and the mesh,
// asks the engine what to do, carries it out through the parts (workload
// driver, router, metric source, webhooks) and keeps every bit of state in
// .status, so a restarted controller carries on where it stopped.
//
// It decides nothing itself; internal/engine does. People act on a release
// through spec.paused and the sluice.dev/command annotation, which the CLI
// sets.
package controller
