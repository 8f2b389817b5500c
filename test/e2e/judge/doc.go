// Package judge checks the detection benchmark's simulator against real
// traffic: a faulty canary runs through the real local shell (the sample app
// as two processes, the embedded proxy, the load generator, the engine and
// the statistical judge), and its time to rollback must fall where the
// simulator, given the same parameters, puts it. If the two disagree, the
// benchmark's figures say nothing about Sluice as people run it.
package judge
