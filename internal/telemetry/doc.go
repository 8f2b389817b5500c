// Package telemetry exports Sluice's own view of its releases as
// Prometheus metrics: which phase each release is in, its canary weight
// and step, how its checks went, the judge's evidence, how long it spent
// in each phase and how long whole releases took, and how often the
// shells' loops ran and failed.
//
// It exists so people can chart and alert on releases with the tools they
// already run (Prometheus, Grafana, Alertmanager), side by side with the
// mesh's request metrics, and so both shells export the same series:
// the controller on its metrics endpoint, `sluice run` on its control
// endpoint. The dashboard in config/grafana charts exactly these names.
//
// The metrics are derived from what the shells already have after each
// engine step — the release with its new status, and the step's events —
// so nothing in the engine knows about them. A Recorder keeps a little
// memory per release (the last phase and when it was seen, the last check
// counts) to turn statuses into counters; a restarted process starts its
// counters at zero and never counts again what the previous one counted.
//
// Every series carries the labels namespace and release. On Kubernetes
// scrape the controller with honor_labels (a ServiceMonitor's honorLabels:
// true), or Prometheus renames namespace to exported_namespace.
package telemetry
