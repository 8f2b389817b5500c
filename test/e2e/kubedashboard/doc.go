// Package kubedashboard tests `sluice dashboard` against a cluster: a real
// kube-apiserver and etcd hold Releases in two namespaces, a real
// Prometheus scrapes Istio-shaped request metrics (and Sluice's own weight
// gauge) from an exporter, and the real sluice binary serves the
// dashboard. The tests read its JSON API: both namespaces' releases under
// distinct keys, commands reaching the right namespace, charts of success
// rate, p99 and request rate for stable and canary from Prometheus, and
// "no data" with a note, never success, when Prometheus cannot be reached.
//
// Run `eval "$(hack/e2e/setup.sh)"` first for the servers' binaries.
package kubedashboard
