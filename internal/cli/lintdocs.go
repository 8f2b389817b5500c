package cli

import (
	"fmt"
	"slices"
	"strings"

	"sigs.k8s.io/yaml"

	"sluice.dev/sluice/api/v1alpha1"
)

// lintDocument is one document of a file, and whether lint checks it.
type lintDocument struct {
	index   int // 1-based, as in error messages
	data    []byte
	release bool
	what    string // Kind name, for the objects skipped
}

// foreignReleases are the objects of other tools that lint checks even
// though they are not Releases, so that the decoder says how to convert
// them; a directory in the middle of a move holds both.
var foreignReleases = []string{"flagger.app/Canary", "argoproj.io/Rollout"}

// classifyDocuments splits a file into documents and tells Releases (and
// documents that were meant to be, or are another tool's release) from
// other Kubernetes objects, which lint skips.
// A document without apiVersion and kind is checked as a Release when the
// file was named (it is probably one with the header missing), and skipped
// in a directory (a kustomization.yaml, a values file).
func classifyDocuments(data []byte, explicit bool) []lintDocument {
	var out []lintDocument
	for i, d := range v1alpha1.Documents(data) {
		doc := lintDocument{index: i + 1, data: d, release: true}
		var tm struct {
			APIVersion string `json:"apiVersion"`
			Kind       string `json:"kind"`
			Metadata   struct {
				Name string `json:"name"`
			} `json:"metadata"`
		}
		err := yaml.Unmarshal(d, &tm)
		switch {
		case err == nil && tm.Kind == "" && tm.APIVersion == "" && !explicit:
			doc.release, doc.what = false, "a document without apiVersion and kind"
		case err == nil && tm.Kind != "" && tm.APIVersion != "":
			group, _, _ := strings.Cut(tm.APIVersion, "/")
			doc.release = tm.Kind == v1alpha1.Kind || group == v1alpha1.GroupVersion.Group || slices.Contains(foreignReleases, group+"/"+tm.Kind)
			doc.what = tm.Kind
			if tm.Metadata.Name != "" {
				doc.what = fmt.Sprintf("%s %s", tm.Kind, tm.Metadata.Name)
			}
		}
		out = append(out, doc)
	}
	return out
}
