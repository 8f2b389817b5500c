// Package local is the workload driver of local mode: it runs the stable
// and canary versions of a release as child processes on 127.0.0.1 (or
// adopts two URLs that are already serving), tells the shell when each is
// healthy, and makes sure none of them outlives Sluice.
//
// It exists so `sluice run` and `sluice demo` need no cluster: the local
// shell asks this driver for the two versions the way the controller asks
// Kubernetes for two Deployments, and reads the same things back — a
// revision to compare and a live readiness bit.
package local
