package v1alpha1

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
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

	var errs field.ErrorList
	errs = append(errs, checkTypeMeta(obj)...)
	errs = append(errs, checkShape(nil, tree, releaseType)...)
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

// The shape check walks the decoded JSON alongside the Go type, so it can
// name every unknown field and wrong type at once; encoding/json stops at
// the first and cannot say where it was.

var (
	releaseType     = reflect.TypeFor[Release]()
	durationType    = reflect.TypeFor[metav1.Duration]()
	timeType        = reflect.TypeFor[metav1.Time]()
	unmarshalerType = reflect.TypeFor[json.Unmarshaler]()
)

// checkShape reports where v does not fit t. A null fits every type, as it
// does for encoding/json, which leaves the field at its zero value.
func checkShape(p *field.Path, v any, t reflect.Type) field.ErrorList {
	if v == nil {
		return nil
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t {
	case durationType:
		return checkDuration(p, v)
	case timeType:
		return checkTime(p, v)
	}
	if reflect.PointerTo(t).Implements(unmarshalerType) {
		// A type that reads itself (such as managedFields' raw JSON): any
		// JSON is accepted here and the type judges it.
		return nil
	}
	switch t.Kind() {
	case reflect.Struct:
		obj, ok := v.(map[string]any)
		if !ok {
			return field.ErrorList{typeError(p, v, "must be an object")}
		}
		return checkStruct(p, obj, t)
	case reflect.Map:
		obj, ok := v.(map[string]any)
		if !ok {
			return field.ErrorList{typeError(p, v, "must be an object")}
		}
		var errs field.ErrorList
		for _, k := range sortedMapKeys(obj) {
			errs = append(errs, checkShape(p.Key(k), obj[k], t.Elem())...)
		}
		return errs
	case reflect.Slice:
		list, ok := v.([]any)
		if !ok {
			return field.ErrorList{typeError(p, v, "must be a list")}
		}
		var errs field.ErrorList
		for i, item := range list {
			errs = append(errs, checkShape(p.Index(i), item, t.Elem())...)
		}
		return errs
	case reflect.String:
		switch v.(type) {
		case string:
		case bool, json.Number:
			// YAML reads yes, on, 1.10 as a boolean or a number.
			return field.ErrorList{typeError(p, v, "must be a string; put the value in quotes")}
		default:
			return field.ErrorList{typeError(p, v, "must be a string")}
		}
	case reflect.Bool:
		if _, ok := v.(bool); !ok {
			return field.ErrorList{typeError(p, v, "must be true or false")}
		}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return checkInt(p, v, t.Bits())
	case reflect.Float32, reflect.Float64:
		n, ok := v.(json.Number)
		if _, err := strconv.ParseFloat(string(n), t.Bits()); !ok || err != nil {
			return field.ErrorList{typeError(p, v, "must be a number")}
		}
	}
	// Other kinds do not occur in this API; the final decode judges them.
	return nil
}

func checkStruct(p *field.Path, obj map[string]any, t reflect.Type) field.ErrorList {
	fields := jsonFields(t, nil)
	keys := sortedMapKeys(obj)
	// Known fields in the order the type declares them (the order of a
	// well-written file), then unknown ones.
	order := func(k string) int {
		if f, ok := fields[k]; ok {
			return f.order
		}
		return len(fields)
	}
	slices.SortStableFunc(keys, func(a, b string) int { return order(a) - order(b) })
	var errs field.ErrorList
	for _, k := range keys {
		f, ok := fields[k]
		if !ok {
			errs = append(errs, field.Forbidden(p.Child(k), "unknown field"))
			continue
		}
		errs = append(errs, checkShape(p.Child(k), obj[k], f.typ)...)
	}
	return errs
}

type jsonField struct {
	typ   reflect.Type
	order int
}

// jsonFields maps the JSON names of a struct to their types, lifting the
// fields of embedded structs without a name (TypeMeta) as encoding/json
// does.
func jsonFields(t reflect.Type, out map[string]jsonField) map[string]jsonField {
	if out == nil {
		out = map[string]jsonField{}
	}
	for i := range t.NumField() {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, _, _ := strings.Cut(tag, ",")
		if f.Anonymous && name == "" {
			et := f.Type
			if et.Kind() == reflect.Pointer {
				et = et.Elem()
			}
			if et.Kind() == reflect.Struct {
				jsonFields(et, out)
				continue
			}
		}
		if !f.IsExported() {
			continue
		}
		if name == "" {
			name = f.Name
		}
		if _, taken := out[name]; !taken {
			out[name] = jsonField{typ: f.Type, order: len(out)}
		}
	}
	return out
}

func checkInt(p *field.Path, v any, bits int) field.ErrorList {
	n, ok := v.(json.Number)
	if !ok {
		return field.ErrorList{typeError(p, v, "must be an integer")}
	}
	if _, err := strconv.ParseInt(string(n), 10, bits); err != nil {
		if errors.Is(err, strconv.ErrRange) {
			return field.ErrorList{field.Invalid(p, string(n), fmt.Sprintf("%s is out of range for a %d-bit integer", n, bits))}
		}
		return field.ErrorList{typeError(p, v, "must be an integer")}
	}
	return nil
}

func checkDuration(p *field.Path, v any) field.ErrorList {
	s, ok := v.(string)
	if !ok {
		return field.ErrorList{typeError(p, v, "must be a duration such as 30s, 1m or 1h30m")}
	}
	if _, err := time.ParseDuration(s); err != nil {
		return field.ErrorList{field.Invalid(p, s, fmt.Sprintf("%q is not a duration such as 30s, 1m or 1h30m", s))}
	}
	return nil
}

func checkTime(p *field.Path, v any) field.ErrorList {
	s, ok := v.(string)
	if !ok {
		return field.ErrorList{typeError(p, v, "must be a time such as 2006-01-02T15:04:05Z")}
	}
	if _, err := time.Parse(time.RFC3339, s); err != nil {
		return field.ErrorList{field.Invalid(p, s, fmt.Sprintf("%q is not a time such as 2006-01-02T15:04:05Z", s))}
	}
	return nil
}

// typeError keeps what was found as the bad value, since YAML makes it easy
// to write a number where a string is meant and the other way round.
func typeError(p *field.Path, v any, want string) *field.Error {
	return field.TypeInvalid(p, jsonValue(v), want)
}

// jsonValue keeps scalars as they were written and hides objects and lists,
// which would make a long and useless message.
func jsonValue(v any) any {
	switch x := v.(type) {
	case map[string]any, []any:
		return field.OmitValueType{}
	case json.Number:
		if i, err := x.Int64(); err == nil {
			return i
		}
		if f, err := x.Float64(); err == nil {
			return f
		}
		return string(x)
	default:
		return x
	}
}

func jsonKind(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case []any:
		return "a list"
	default:
		return fmt.Sprintf("the value %v", v)
	}
}
