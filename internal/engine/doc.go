// Package engine is the decision core of Sluice. It is pure: given the plan,
// the last status and what the shell observed (revisions, readiness, the
// router's weight, a check result, a person's command and the time), Step
// returns the next status and the state the shell must bring the world to.
//
// Keeping it free of clients, clocks and goroutines is what lets one engine
// serve both the Kubernetes controller and the local runner, and lets every
// phase transition be tested as a table and every invariant as a property.
package engine
