// Package local holds end-to-end tests of the sluice binary on this machine:
// real processes, real sockets on 127.0.0.1, the commands as a user types
// them.
package local
