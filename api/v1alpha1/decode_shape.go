package v1alpha1

import (
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
)

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
			errs = append(errs, unknownField(p, k, t))
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
