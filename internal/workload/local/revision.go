package local

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"

	"sluice.dev/sluice/api/v1alpha1"
)

// revisionLen is the number of hex digits kept; short enough to read in a
// status line, long enough that two specs never collide in practice.
const revisionLen = 10

// Revision names what a LocalVersion runs: the version label, the command,
// its environment and directory, or the URL. The engine compares the stable
// and canary revisions to know whether there is anything to release, so two
// equal specs must give equal revisions on every machine. Health settings
// are left out on purpose: a longer start timeout is not a new version.
func Revision(spec v1alpha1.LocalVersion) string {
	// encoding/json sorts map keys, so Env hashes the same whatever its
	// iteration order.
	b, err := json.Marshal(struct {
		Version string            `json:"version"`
		Command []string          `json:"command"`
		Env     map[string]string `json:"env"`
		Dir     string            `json:"dir"`
		URL     string            `json:"url"`
	}{spec.Version, spec.Command, spec.Env, spec.Dir, spec.URL})
	if err != nil {
		// Strings, slices and maps of strings always marshal.
		panic("local: marshal revision: " + err.Error())
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])[:revisionLen]
}
