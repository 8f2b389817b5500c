package v1alpha1

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"k8s.io/apimachinery/pkg/util/validation/field"
	"sigs.k8s.io/yaml"
)

// Kind is the only kind a release file may hold; checked on decode so a
// file meant for another tool is not half-understood.
const Kind = "Release"

// DecodeError carries every problem found while reading a release file, so
// a user fixes them all in one go instead of one per run.
// +kubebuilder:object:generate=false
type DecodeError struct {
	// Document is the 1-based position of the document in a multi-document
	// file, counting non-empty documents only; 0 for a single document.
	Document int
	// Errs are the problems, each with its field path; print them with
	// FormatError.
	Errs field.ErrorList
}

var _ error = (*DecodeError)(nil)

// Error lists every problem on one line, for callers that just log errors.
func (e *DecodeError) Error() string {
	msgs := make([]string, 0, len(e.Errs))
	for _, fe := range e.Errs {
		msgs = append(msgs, FormatError(fe))
	}
	prefix := "invalid release"
	if e.Document > 0 {
		prefix = fmt.Sprintf("invalid release in document %d", e.Document)
	}
	return prefix + ": " + strings.Join(msgs, "; ")
}

// Unwrap exposes each field error to errors.Is and errors.As.
func (e *DecodeError) Unwrap() []error {
	out := make([]error, 0, len(e.Errs))
	for _, fe := range e.Errs {
		out = append(out, fe)
	}
	return out
}

// DecodeErrors finds every *DecodeError in err, including those joined by
// DecodeReleases, so a CLI can print the problems of all documents.
func DecodeErrors(err error) []*DecodeError {
	if err == nil {
		return nil
	}
	if de, ok := err.(*DecodeError); ok { //nolint:errorlint // this walks the error tree itself
		return []*DecodeError{de}
	}
	var out []*DecodeError
	switch u := err.(type) { //nolint:errorlint // as above
	case interface{ Unwrap() []error }:
		for _, e := range u.Unwrap() {
			out = append(out, DecodeErrors(e)...)
		}
	case interface{ Unwrap() error }:
		out = DecodeErrors(u.Unwrap())
	}
	return out
}

// DecodeRelease reads one Release from YAML or JSON. Unlike a plain
// unmarshal it rejects unknown fields and values of the wrong type, and
// reports all of them with their paths, because a misspelt field silently
// ignored would run a release the user did not ask for. The result is
// neither defaulted nor validated: call Default, then Validate.
func DecodeRelease(data []byte) (*Release, error) {
	docs := splitDocuments(data)
	var found [][]byte
	for _, d := range docs {
		if !emptyDocument(d) {
			found = append(found, d)
		}
	}
	switch len(found) {
	case 0:
		return nil, &DecodeError{Errs: field.ErrorList{rootError("the file holds no Release")}}
	case 1:
		r, err := decodeDocument(found[0])
		if err != nil {
			return nil, err
		}
		return r, nil
	default:
		return nil, &DecodeError{Errs: field.ErrorList{rootError(fmt.Sprintf(
			"the file holds %d documents; expected one Release", len(found)))}}
	}
}

// DecodeReleases reads every Release of a multi-document YAML file
// (documents separated by "---" lines). Empty documents are skipped. All
// documents are checked; the error joins one *DecodeError per bad
// document (see DecodeErrors), and the releases of the good ones are still
// returned.
func DecodeReleases(data []byte) ([]*Release, error) {
	var (
		out  []*Release
		errs []error
		n    int
	)
	for _, d := range splitDocuments(data) {
		if emptyDocument(d) {
			continue
		}
		n++
		r, err := decodeDocument(d)
		if err != nil {
			err.Document = n
			errs = append(errs, err)
			continue
		}
		out = append(out, r)
	}
	if n == 0 {
		return nil, &DecodeError{Errs: field.ErrorList{rootError("the file holds no Release")}}
	}
	return out, errors.Join(errs...)
}

// decodeDocument decodes one non-empty YAML or JSON document.
// It returns a *DecodeError, not an error, so callers can number it.
func decodeDocument(doc []byte) (*Release, *DecodeError) {
	js, err := yaml.YAMLToJSONStrict(doc)
	if err != nil {
		// One line per problem: the YAML library breaks its message up.
		msg := strings.Join(strings.Fields(err.Error()), " ")
		msg = strings.TrimPrefix(msg, "error converting YAML to JSON: ")
		return nil, &DecodeError{Errs: field.ErrorList{rootError("not valid YAML or JSON: " + msg)}}
	}
	dec := json.NewDecoder(bytes.NewReader(js))
	dec.UseNumber()
	var tree any
	if err := dec.Decode(&tree); err != nil {
		return nil, &DecodeError{Errs: field.ErrorList{rootError("not valid YAML or JSON: " + err.Error())}}
	}
	obj, ok := tree.(map[string]any)
	if !ok {
		return nil, &DecodeError{Errs: field.ErrorList{rootError(
			fmt.Sprintf("a Release must be an object, found %s", jsonKind(tree)))}}
	}

	if e := foreignKind(obj); e != nil {
		// Its fields are another tool's: one error that says what to do.
		return nil, &DecodeError{Errs: field.ErrorList{e}}
	}
	var errs field.ErrorList
	errs = append(errs, checkTypeMeta(obj)...)
	errs = append(errs, checkShape(nil, tree, releaseType)...)
	errs = append(errs, checkZeros(tree)...)
	if len(errs) > 0 {
		return nil, &DecodeError{Errs: errs}
	}

	var r Release
	strict := json.NewDecoder(bytes.NewReader(js))
	strict.DisallowUnknownFields()
	if err := strict.Decode(&r); err != nil {
		// The shape check should have caught this; keep the error anyway.
		return nil, &DecodeError{Errs: field.ErrorList{rootError(err.Error())}}
	}
	return &r, nil
}

// checkTypeMeta requires the apiVersion and kind of this package, with the
// values spelt exactly.
func checkTypeMeta(obj map[string]any) field.ErrorList {
	var errs field.ErrorList
	want := map[string]string{
		"apiVersion": GroupVersion.String(),
		"kind":       Kind,
	}
	for _, key := range []string{"apiVersion", "kind"} {
		p := field.NewPath(key)
		v, ok := obj[key]
		switch s, isString := v.(string); {
		case !ok || v == nil || s == "" && isString:
			errs = append(errs, field.Required(p, fmt.Sprintf("must be %q", want[key])))
		case !isString:
			// The shape check reports the wrong type.
		case s != want[key]:
			errs = append(errs, field.Invalid(p, s, fmt.Sprintf("%q is not %q", s, want[key])))
		}
	}
	return errs
}

// foreignKind recognises an object of another delivery tool, which no
// field-by-field message would help with.
func foreignKind(obj map[string]any) *field.Error {
	apiVersion, _ := obj["apiVersion"].(string)
	kind, _ := obj["kind"].(string)
	group, _, _ := strings.Cut(apiVersion, "/")
	what, ok := foreignKinds[group+"/"+kind]
	if !ok {
		return nil
	}
	return field.Invalid(field.NewPath("kind"), kind, fmt.Sprintf("%q is not %q: %s; %s", kind, Kind, what, convertHint))
}

// rootError is a problem of the whole document, without a field path.
func rootError(detail string) *field.Error {
	return &field.Error{Type: field.ErrorTypeInvalid, Field: "", BadValue: field.OmitValueType{}, Detail: detail}
}

// splitDocuments cuts a YAML stream at its "---" lines. A line of three
// dashes at column 0 can only be a document separator, since block
// scalars inside a document are always indented.
func splitDocuments(data []byte) [][]byte {
	var (
		docs [][]byte
		cur  []byte
	)
	for _, line := range bytes.SplitAfter(data, []byte("\n")) {
		if isSeparator(line) {
			docs = append(docs, cur)
			cur = nil
			continue
		}
		cur = append(cur, line...)
	}
	return append(docs, cur)
}

func isSeparator(line []byte) bool {
	if !bytes.HasPrefix(line, []byte("---")) {
		return false
	}
	rest := bytes.TrimRight(line[3:], " \t\r\n")
	return len(rest) == 0 || line[3] == ' ' && bytes.HasPrefix(bytes.TrimLeft(rest, " "), []byte("#"))
}

// emptyDocument reports a document holding only blanks and comments.
func emptyDocument(doc []byte) bool {
	for _, line := range bytes.Split(doc, []byte("\n")) {
		t := bytes.TrimSpace(line)
		if len(t) > 0 && t[0] != '#' {
			return false
		}
	}
	return true
}
