//go:build race

package analysis

// raceEnabled shrinks the simulations under the race detector, which slows
// them tenfold; the full-size runs happen without it.
const raceEnabled = true
