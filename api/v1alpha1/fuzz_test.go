package v1alpha1

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"k8s.io/apimachinery/pkg/api/equality"
)

// FuzzDecodeRelease feeds release files of any shape through the path the
// CLI takes. It must never panic; a release it accepts must survive a
// JSON round trip, Default must be idempotent on it and must not change
// what Validate says (a default never hides nor causes a problem).
func FuzzDecodeRelease(f *testing.F) {
	yamls, _ := filepath.Glob("testdata/*.yaml")
	jsons, _ := filepath.Glob("testdata/*.json")
	for _, name := range append(yamls, jsons...) {
		data, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	for _, doc := range exampleReleases(f, examplesDir) {
		f.Add(doc.data)
	}
	f.Add([]byte(header + "spec: {strategy: {steps: [{setWeight: 120}]}}"))
	f.Add([]byte("---\n---\n"))
	f.Add([]byte("[1, {a: b}]"))

	f.Fuzz(func(t *testing.T, data []byte) {
		_, _ = DecodeReleases(data)
		r, err := DecodeRelease(data)
		if err != nil {
			if r != nil {
				t.Fatalf("a release along with error %v", err)
			}
			if len(DecodeErrors(err)) == 0 {
				t.Fatalf("error %v (%T) is not a *DecodeError", err, err)
			}
			for _, de := range DecodeErrors(err) {
				if len(de.Errs) == 0 {
					t.Fatal("a *DecodeError without problems")
				}
				for _, fe := range de.Errs {
					if FormatError(fe) == "" {
						t.Fatalf("empty message for %#v", fe)
					}
				}
			}
			return
		}

		js, err := json.Marshal(r)
		if err != nil {
			t.Fatalf("marshal an accepted release: %v", err)
		}
		back, err := DecodeRelease(js)
		if err != nil {
			t.Fatalf("an accepted release, written as JSON, is refused: %v\n%s", err, js)
		}
		if !equality.Semantic.DeepEqual(r, back) {
			t.Fatalf("round trip changed the release:\n%+v\n%+v", r, back)
		}

		before := formatAll(r.Validate())
		r.Default()
		if after := formatAll(r.Validate()); !slices.Equal(before, after) {
			t.Fatalf("Default changed what Validate says:\nbefore %q\nafter  %q", before, after)
		}
		twice := r.DeepCopy()
		twice.Default()
		if !equality.Semantic.DeepEqual(r, twice) {
			t.Fatalf("Default is not idempotent:\n%+v\n%+v", r.Spec, twice.Spec)
		}
	})
}
