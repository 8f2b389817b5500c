// Package proxysource turns the embedded proxy's counters into a metric
// source for analysis: "what was the canary's success rate, or its p99
// latency, over the last minute?".
//
// The proxy only keeps totals since it started. This package samples those
// totals on the caller's schedule into a bounded ring and answers window
// queries the way Prometheus' increase() does: the difference between the
// newest sample and the one at or just before the start of the window. It
// lets the local shell run the same analysis as the Kubernetes shell without
// a Prometheus server, and gives the statistical judge raw counts and latency
// buckets through Window.
package proxysource
