// Package local is the local shell: `sluice run`. It runs the release
// layer's tick on a ticker, with Sluice's own proxy as the router, the
// versions as local processes or URLs as the workload, and the proxy's own
// counters as the metrics; it keeps the release's memory in a state file
// (0600, versioned) and answers the CLI and the dashboard on a loopback
// control endpoint guarded by the state dir's token.
//
// A runner is the release's data plane: its proxy serves until it is
// stopped, through promotions, rollbacks and the releases after them. A
// release file handed to a running runner (Client.Apply) is a spec edit:
// a new canary starts the next release, with the last promoted version as
// stable. A killed runner started again resumes where the state file says,
// serving the last promoted version.
package local
