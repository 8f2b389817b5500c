//go:build race

package release

// raceEnabled says the race detector runs, which makes the lifecycle test
// about ten times slower: it then runs fewer sequences by default.
const raceEnabled = true
