// Package dashboard tests the web dashboard the way a person uses it: a
// real headless Chromium opens the release page of a real local release
// (the sample app as two processes, Sluice's proxy, load through it),
// watches the weight move without reloading, is refused an abort without
// the token and rolls the release back with it. A cluster release's page
// (the real sluice binary against a real API server and Prometheus, from
// test/e2e/kubedashboard) draws its charts from Prometheus, and a note
// rather than success without it.
//
// It needs Debian's chromium package: install-chromium.sh beside this file
// installs it when missing.
package dashboard
