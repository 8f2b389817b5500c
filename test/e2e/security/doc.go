// Package security holds end-to-end tests of the defences of Sluice's
// proxy, against real processes on 127.0.0.1: the sluice binary as `sluice
// run` starts it, and Debian's nginx as the reference a proxy in front of
// real users is held to.
//
//   - TestBadClientsCannotRollBackACanary: malformed, oversized, reset and
//     stalled requests at 10 per second beside healthy traffic leave a
//     release where it was: no rollback, no ejection, the same weight.
//   - TestDifferentialNginx: a corpus of raw requests and misbehaving
//     upstreams sent through nginx and through Sluice to recording
//     upstreams; every difference in what an upstream receives or a client
//     gets back is either gone or listed, with its reason, in README.md.
//
// nginx comes from Debian (hack/test.sh installs it, as bench/proxy does);
// without it the differential test is skipped, unless SLUICE_REQUIRE_NGINX
// is set, as make test sets it.
package security
