// Package sampleapp is the small HTTP service that `sluice demo`, the
// examples and the tests release. Its version label, error rate and latency
// are set by flags or environment, so two copies of the same binary can play
// a healthy stable version and a broken canary without building anything.
//
// The run logic lives here rather than in a main package so that both the
// stand-alone example binary and the sluice binary itself (a hidden
// subcommand) can start it; the demo then needs nothing installed.
package sampleapp
