// Package dashboard tests the web dashboard the way a person uses it: a
// real headless Chromium opens the release page of a real local release
// (the sample app as two processes, Sluice's proxy, load through it),
// watches the weight move without reloading, is refused an abort without
// the token and rolls the release back with it.
//
// It needs Debian's chromium package: install-chromium.sh beside this file
// installs it when missing.
package dashboard
