// Package netguard keeps Sluice's outgoing connections away from
// link-local and instance-metadata addresses, where clouds serve instance
// credentials. On Kubernetes, anyone who may create a Release (or a
// Flagger Canary for the load tester) chooses URLs Sluice then calls; one
// check, at dial time, serves the controller's webhooks and the in-cluster
// load tester alike.
package netguard
