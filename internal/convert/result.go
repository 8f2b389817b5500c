package convert

import "sluice.dev/sluice/api/v1alpha1"

// Result is one Canary or Rollout, converted.
type Result struct {
	// Source names what was converted: "Flagger Canary shop/api".
	Source string
	// Release is the Release, valid unless Problems say otherwise.
	Release *v1alpha1.Release
	// Objects are the other objects the Release needs, each with why.
	Objects []Output
	// Fields account for every field of the source objects.
	Fields []SourceFields
	// Notes are what works differently under Sluice, for the user to read.
	Notes []string
}

// Output is an object to apply beside the Release.
type Output struct {
	// Object is the object as JSON would decode it.
	Object map[string]any
	// Why it is written: what it replaces or who made it before.
	Why string
}

// SourceFields are the fields of one source object.
type SourceFields struct {
	// Object names it: "Canary shop/api".
	Object string
	Fields []Field
}

// Field is one field of a source object and what became of it.
type Field struct {
	// Path is the field, with list indexes: spec.analysis.metrics[0].interval.
	Path string
	// To is where it went in the output; empty when it was not mapped.
	To string
	// Why is why it was not mapped, or how it was when To is set and the
	// mapping is not one for one.
	Why string
	// Unknown is set for a field sluice convert does not know at all.
	Unknown bool
}

// Mapped reports whether the field has a counterpart in the output.
func (f Field) Mapped() bool { return f.To != "" }

// Counts are how many fields were mapped, not mapped and unknown.
func (r *Result) Counts() (mapped, dropped, unknown int) {
	for _, sf := range r.Fields {
		for _, f := range sf.Fields {
			switch {
			case f.Unknown:
				unknown++
			case f.Mapped():
				mapped++
			default:
				dropped++
			}
		}
	}
	return mapped, dropped, unknown
}
