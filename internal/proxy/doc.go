// Package proxy is Sluice's embedded data plane: a weighted L7 reverse proxy
// that sits in front of the stable and the canary version when a release runs
// locally, with no mesh and no cluster.
//
// It exists so that `sluice run` and `sluice demo` can do what a service mesh
// does on Kubernetes: split traffic by weight, send chosen users to the canary
// by header or cookie, and measure every request itself so analysis needs no
// Prometheus. The measurements are plain atomic counters and a fixed-bucket
// latency histogram per version, read lock-free by [Proxy.Stats] and, at
// scrape time, by a Prometheus collector.
//
// A route is swapped atomically by [Proxy.SetRoute]: requests in flight finish
// on the route they started with, new requests see the new one, and none fail
// because of the change. Weighted choice is deterministic and low-discrepancy
// (see split.go), so a 10% step really is 10% even over a few hundred requests.
package proxy
