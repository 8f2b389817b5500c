// Package loadgen sends steady HTTP load at a release so that the demo,
// the tests and load-test webhooks have traffic to measure without any
// outside tool.
//
// It is open-loop by default (requests leave on schedule whether or not
// earlier ones answered, as real users would), or closed-loop with a number
// of workers as hey runs without a rate; bounded in rate, concurrency and
// time. By default it only talks to loopback addresses: for `sluice load`
// and the demo it is a demo and test aid, not a benchmark tool to point at
// other people's servers. The in-cluster load tester (ReachNetwork) may
// reach any Service, never a link-local or instance-metadata address.
package loadgen
