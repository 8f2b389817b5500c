// Package dashboard is Sluice's web dashboard: a JSON API, a live stream of
// server-sent events and a small static front end, over any source of
// releases — the local state dir and its running `sluice run`, or a cluster.
//
// It exists because people would rather look than read while traffic moves:
// the release page shows the steps, both versions' figures side by side
// over the release's life, the judge's verdict and every decision with its
// reason, and updates itself as the release goes.
//
// Acting on a release (promote, abort, pause, resume, retry) needs the
// bearer token the dashboard was started with; without a token it is
// read-only. It binds to loopback unless told otherwise, and then also
// refuses requests whose Host is not a loopback name, so that a web page
// elsewhere cannot reach it by rebinding a DNS name to 127.0.0.1.
//
// The front end is plain HTML, CSS and JavaScript embedded in the binary:
// no build step, nothing fetched at run time.
package dashboard
