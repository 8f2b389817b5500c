// Package analysis turns metric values into verdicts. Threshold checks
// compare one version's value with the range the user wrote; the statistical
// judge compares canary with stable and may decide sooner. Both are pure:
// values come in through a Source, verdicts go out to the engine.
//
// # The judge's guarantee
//
// The judge promises that a canary no worse than stable (no more errors,
// and no slower than stable plus the latency margin) is rolled back with
// probability at most Alpha over the whole release, however long it runs
// and however often the shell asks. Every way it can fail a canary is a
// test supermartingale under that null, and Ville's inequality bounds the
// chance that one ever reaches 1/(its share of Alpha) by that share:
//
//   - each test is a product, window after window, of factors whose
//     expectation given the past is at most one (sequential.go): likelihood
//     ratios of the canary's share of a window's events, and permutation
//     tilts of its latencies;
//   - windows pool batches (judge_window.go) by rules that never look at
//     which arm served what (the number of requests and of events, and the
//     past, decide), so that given a window's requests the canary's are a
//     uniformly random subset of the size it served when the router splits
//     at random by weight, whatever the common error rate and latency did;
//   - the fail tests mix over alternatives and over when a regression
//     starts by fixed-share switching (sequential_switch.go): the mixing
//     weights are set before each window is seen and sum to one, so each
//     window's factor is an average of factors of expectation at most one;
//   - the latency test averages three families with fixed weights
//     (judge_latency.go), each a test supermartingale on the same null;
//   - the error and latency tests split Alpha (ErrorAlphaShare).
//
// Nothing is latched but a Fail: Pass is recomputed from the evidence on
// every call, so a canary the judge has passed and that then fails is
// still failed, and the fail tests' switching keeps them ready to do so
// after hours of good behaviour. What the guarantee assumes: requests are
// routed at random with the same weight throughout a window (or the common
// error and latency distributions do not move at the moment the weight
// changes), and the margin is the one the judge applies, rounded down to
// the histogram's bucket bounds (judge_margin.go).
package analysis
