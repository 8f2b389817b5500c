// Package loadgen sends steady HTTP load at a local release so that the
// demo and the tests have traffic to measure without any outside tool.
//
// It is open-loop (requests leave on schedule whether or not earlier ones
// answered, as real users would), bounded in rate, concurrency and time, and
// it only ever talks to loopback addresses: it is a demo and test aid, not a
// benchmark tool to point at other people's servers.
package loadgen
