//go:build !race

package release

// raceEnabled says the race detector runs (see race_on_test.go).
const raceEnabled = false
