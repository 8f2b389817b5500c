// Package cli holds every sluice command. cmd/sluice only calls Execute, so
// the commands can be tested as functions and reused by a kubectl plugin.
package cli
