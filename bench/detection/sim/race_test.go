//go:build race

package sim

// raceEnabled shrinks the longest simulations under the race detector,
// which slows them tenfold; the full-size runs happen without it.
const raceEnabled = true
