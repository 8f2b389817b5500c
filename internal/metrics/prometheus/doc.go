// Package prometheus is the metric source analysis uses on Kubernetes: it
// asks a Prometheus server what the canary (or the stable version) did over
// a window, in the mesh's own terms.
//
// On Kubernetes Sluice does not see the requests itself; the mesh's proxies
// count them and Prometheus stores the counts. The built-in metrics
// (request-success-rate and request-duration) are PromQL over Istio's
// standard telemetry, selected by the workload's namespace, its name and,
// when a subset is given, its version label. Custom metrics are PromQL
// templates written by the Release's author.
//
// Two rules shape the package. First, a missing metric is never a success:
// an empty result, NaN or an infinity is reported as no data, with the
// query in the reason so a person can run it by hand. Second, names coming
// from objects are never trusted inside a query: they must be valid
// Kubernetes names, and every value is escaped for the kind of PromQL string
// literal it lands in, so a name cannot change what a query means.
package prometheus
