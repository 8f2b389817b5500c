package convert

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"sluice.dev/sluice/api/v1alpha1"
)

// convertFile converts a test manifest that must hold one Canary or
// Rollout, and checks the Release it gives as lint would.
func convertFile(t *testing.T, name string) *Result {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return convertOne(t, string(data))
}

func convertOne(t *testing.T, doc string) *Result {
	t.Helper()
	in, err := Parse([]byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	results, err := Convert(in)
	if err != nil {
		t.Fatal(err)
	}
	if len(results) != 1 {
		t.Fatalf("%d results, want 1", len(results))
	}
	rel := results[0].Release.DeepCopy()
	rel.Default()
	for _, e := range rel.Validate() {
		t.Errorf("the Release is not valid: %s", v1alpha1.FormatError(e))
	}
	return results[0]
}

// field finds what became of a field of a source object; object "" is the
// Canary or Rollout.
func field(t *testing.T, r *Result, object, path string) Field {
	t.Helper()
	for i, sf := range r.Fields {
		if object == "" && i > 0 || object != "" && sf.Object != object {
			continue
		}
		for _, f := range sf.Fields {
			if f.Path == path {
				return f
			}
		}
	}
	t.Fatalf("%s %s is not in the report", object, path)
	return Field{}
}

// mapped checks that a field went where want says (a part of To).
func mapped(t *testing.T, r *Result, object, path, want string) {
	t.Helper()
	if f := field(t, r, object, path); !f.Mapped() || !strings.Contains(f.To, want) {
		t.Errorf("%s: %+v, want it mapped to %q", path, f, want)
	}
}

// dropped checks that a field was not mapped, for a reason saying want.
func dropped(t *testing.T, r *Result, object, path, want string) {
	t.Helper()
	if f := field(t, r, object, path); f.Mapped() || !strings.Contains(f.Why, want) {
		t.Errorf("%s: %+v, want it not mapped because %q", path, f, want)
	}
}

// noted checks that a note says want.
func noted(t *testing.T, r *Result, want string) {
	t.Helper()
	for _, n := range r.Notes {
		if strings.Contains(n, want) {
			return
		}
	}
	t.Errorf("no note says %q: %q", want, r.Notes)
}

// output finds an object written beside the Release.
func output(t *testing.T, r *Result, kind, name string) map[string]any {
	t.Helper()
	for _, o := range r.Objects {
		if str(o.Object, "kind") == kind && str(o.Object, "metadata", "name") == name {
			return o.Object
		}
	}
	t.Fatalf("no %s %s among the objects written", kind, name)
	return nil
}

// at reads a value of an output object by a report-style path.
func at(obj map[string]any, path string) any {
	s := &source{obj: &object{data: obj}}
	v, _ := s.value(path)
	return v
}

func eq[T comparable](t *testing.T, what string, got, want T) {
	t.Helper()
	if got != want {
		t.Errorf("%s = %v, want %v", what, got, want)
	}
}
