// Package local is the local shell: it wires the engine to Sluice's own
// proxy, to versions run as local processes or URLs, and to a state file,
// so a release runs on a laptop or a VM exactly as it would on Kubernetes.
//
// The runner never decides anything itself. Each tick it observes, asks the
// engine, carries out what the engine wants, and saves the status, so that
// a killed runner started again resumes at the step it had reached.
package local
