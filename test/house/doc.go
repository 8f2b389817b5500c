// Package house keeps the rules of the house (docs/architecture.md) with
// tests over the code's own imports: the engine is pure, the release
// layer knows no shell and no part's implementation, the shells never
// import each other, the dashboard reads the release view and not a
// shell's state, and the proxy knows no Kubernetes or API types.
package house
