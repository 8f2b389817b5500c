// Package sim is the simulator behind the detection benchmark: Poisson
// request streams with per-version error rates and latency distributions,
// a traffic split that follows the release's steps, and the canary-analysis
// methods compared on the very same streams, on a simulated clock.
//
// It is a package rather than part of the command so that other programs can
// run the same model: the end-to-end test in test/e2e/judge runs a faulty
// canary through the real local shell and checks that its time to rollback
// falls where this simulator says it should (see FixedWeight).
package sim
