package v1alpha1

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"
)

// examplesDir holds the Release files shipped to users, among other
// manifests (Deployments, VirtualServices) that are not Sluice's.
const examplesDir = "../../examples"

// exampleDoc is one YAML document of kind Release found under examplesDir.
type exampleDoc struct {
	name string // file path and, in a multi-document file, #n (n from 1, empty documents not counted)
	data []byte
}

// exampleReleases finds every document of kind Release in the YAML files
// under dir, at any depth. A document that is not YAML at all is
// an error: examples are meant to be applied as they are.
func exampleReleases(tb testing.TB, dir string) []exampleDoc {
	tb.Helper()
	var out []exampleDoc
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if ext := filepath.Ext(path); d.IsDir() || ext != ".yaml" && ext != ".yml" {
			return nil
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		var docs [][]byte
		for _, doc := range splitDocuments(data) {
			if !emptyDocument(doc) {
				docs = append(docs, doc)
			}
		}
		for i, doc := range docs {
			var head struct {
				Kind string `json:"kind"`
			}
			if err := yaml.Unmarshal(doc, &head); err != nil {
				tb.Errorf("%s, document %d: not a YAML object: %v", path, i+1, err)
				continue
			}
			if head.Kind != Kind {
				continue
			}
			name := path
			if len(docs) > 1 {
				name = fmt.Sprintf("%s#%d", path, i+1)
			}
			out = append(out, exampleDoc{name: name, data: doc})
		}
		return nil
	})
	if err != nil {
		tb.Fatalf("reading %s: %v", dir, err)
	}
	return out
}

// TestExamples checks that every Release shipped in examples/ decodes,
// defaults and validates without a single message, the path the CLI and
// the controller take.
func TestExamples(t *testing.T) {
	docs := exampleReleases(t, examplesDir)
	if len(docs) == 0 {
		t.Fatalf("no Release found under %s", examplesDir)
	}
	for _, doc := range docs {
		t.Run(doc.name, func(t *testing.T) {
			r, err := DecodeRelease(doc.data)
			if err != nil {
				t.Fatalf("decode: %v", err)
			}
			r.Default()
			if errs := r.Validate(); len(errs) > 0 {
				t.Errorf("validate:\n  %s", strings.Join(formatAll(errs), "\n  "))
			}
		})
	}
}

// TestExampleReleasesFindsEveryRelease checks the walk itself, so that a
// Release in a nested or multi-document file is never skipped unseen.
func TestExampleReleasesFindsEveryRelease(t *testing.T) {
	dir := t.TempDir()
	files := map[string]string{
		"a/b/all.yaml": "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: api}\n---\n# comment only\n---\n" +
			header + "--- # next\n" + header + "spec: {paused: true}\n",
		"one.yml":    header,
		"other.yaml": "apiVersion: networking.istio.io/v1\nkind: VirtualService\n",
		"notes.txt":  header,
	}
	for name, data := range files {
		path := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(data), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	var got []string
	for _, doc := range exampleReleases(t, dir) {
		got = append(got, strings.TrimPrefix(doc.name, dir+string(filepath.Separator)))
	}
	want := []string{"a/b/all.yaml#2", "a/b/all.yaml#3", "one.yml"}
	if !slices.Equal(got, want) {
		t.Errorf("found %q, want %q", got, want)
	}
}
