package convert

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// source is an input object being converted. Every value taken from it is
// marked with where it went, and every value left is marked with why, so
// that the report can account for each field (see fields).
type source struct {
	obj *object
	// reasons explain the fields no code looks at: the other tool's
	// features Sluice has no counterpart for.
	reasons map[string]string
	marks   map[string]Field
}

func newSource(o *object, reasons map[string]string) *source {
	return &source{obj: o, reasons: reasons, marks: map[string]Field{}}
}

// value reads a path written as in the report: "spec.analysis.metrics[0].name".
func (s *source) value(path string) (any, bool) {
	var cur any = s.obj.data
	for _, seg := range splitPath(path) {
		switch c := cur.(type) {
		case map[string]any:
			v, ok := c[seg]
			if !ok {
				return nil, false
			}
			cur = v
		case []any:
			i, err := strconv.Atoi(seg)
			if err != nil || i < 0 || i >= len(c) {
				return nil, false
			}
			cur = c[i]
		default:
			return nil, false
		}
	}
	return cur, true
}

// splitPath cuts "a.b[0].c" into a, b, 0, c; a bracketed part may hold
// dots ("labels[app.kubernetes.io/name]").
func splitPath(path string) []string {
	var out []string
	for path != "" {
		switch path[0] {
		case '.':
			path = path[1:]
		case '[':
			end := strings.IndexByte(path, ']')
			out = append(out, path[1:end])
			path = path[end+1:]
		default:
			end := strings.IndexAny(path, ".[")
			if end < 0 {
				end = len(path)
			}
			out = append(out, path[:end])
			path = path[end:]
		}
	}
	return out
}

// join adds a map key or field name to a path.
func join(path, key string) string {
	if strings.ContainsAny(key, ".[]/ ") {
		return path + "[" + key + "]"
	}
	if path == "" {
		return key
	}
	return path + "." + key
}

// index adds a list index to a path.
func index(path string, i int) string { return fmt.Sprintf("%s[%d]", path, i) }

func (s *source) has(path string) bool { _, ok := s.value(path); return ok }

func (s *source) str(path string) string {
	v, _ := s.value(path)
	switch x := v.(type) {
	case string:
		return x
	case int64, float64, bool:
		return fmt.Sprint(x)
	}
	return ""
}

// num reads a number (YAML gives int64 or float64).
func (s *source) num(path string) (float64, bool) {
	v, _ := s.value(path)
	switch x := v.(type) {
	case int64:
		return float64(x), true
	case float64:
		return x, true
	case string: // int-or-string fields
		f, err := strconv.ParseFloat(x, 64)
		return f, err == nil
	}
	return 0, false
}

func (s *source) boolean(path string) bool { v, _ := s.value(path); b, _ := v.(bool); return b }

func (s *source) list(path string) []any { v, _ := s.value(path); l, _ := v.([]any); return l }

func (s *source) strs(path string) []string {
	var out []string
	for _, v := range s.list(path) {
		if x, ok := v.(string); ok {
			out = append(out, x)
		}
	}
	return out
}

func (s *source) object(path string) map[string]any {
	v, _ := s.value(path)
	m, _ := v.(map[string]any)
	return m
}

// mapTo records that the value at path (and all under it) went to to; how
// may say how, when it is not one for one. Absent paths are ignored.
func (s *source) mapTo(path, to string, how ...string) {
	if s.has(path) {
		s.marks[path] = Field{Path: path, To: to, Why: strings.Join(how, "; ")}
	}
}

// drop records that the value at path (and all under it) is not used, and
// why. Absent paths are ignored.
func (s *source) drop(path, why string) {
	if s.has(path) {
		s.marks[path] = Field{Path: path, Why: why}
	}
}

// fields accounts for every value of the object: the marks, and for each
// value no mark covers the reason its pattern has, or that it is unknown.
func (s *source) fields() []Field {
	var out []Field
	var walk func(path string, v any)
	walk = func(path string, v any) {
		if f, ok := s.marks[path]; ok {
			out = append(out, f)
			return
		}
		if why, ok := s.reasons[pattern(path)]; ok && !s.markedUnder(path) {
			out = append(out, Field{Path: path, Why: why})
			return
		}
		switch x := v.(type) {
		case map[string]any:
			if len(x) > 0 {
				keys := make([]string, 0, len(x))
				for k := range x {
					keys = append(keys, k)
				}
				slices.Sort(keys)
				for _, k := range keys {
					walk(join(path, k), x[k])
				}
				return
			}
		case []any:
			if len(x) > 0 {
				for i, it := range x {
					walk(index(path, i), it)
				}
				return
			}
		}
		out = append(out, s.explain(path))
	}
	for _, top := range []string{"apiVersion", "kind"} {
		s.mapTo(top, "(read)")
	}
	keys := make([]string, 0, len(s.obj.data))
	for k := range s.obj.data {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		walk(k, s.obj.data[k])
	}
	return out
}

// markedUnder reports a mark on something under path.
func (s *source) markedUnder(path string) bool {
	for k := range s.marks {
		if strings.HasPrefix(k, path+".") || strings.HasPrefix(k, path+"[") {
			return true
		}
	}
	return false
}

// indexes matches the list indexes and map keys of a path.
var indexes = regexp.MustCompile(`\[[^\]]*\]`)

// pattern writes a path with every list index and map key as [].
func pattern(path string) string { return indexes.ReplaceAllString(path, "[]") }

// explain finds the reason of the table for path or the closest object
// holding it.
func (s *source) explain(path string) Field {
	p := pattern(path)
	for {
		if why, ok := s.reasons[p]; ok {
			return Field{Path: path, Why: why}
		}
		i := max(strings.LastIndexByte(p, '.'), strings.LastIndex(p, "[]"))
		if i <= 0 {
			break
		}
		p = p[:i]
	}
	return Field{Path: path, Why: "unknown to sluice convert (a newer version of " + s.obj.kind() + "?); check by hand what it did", Unknown: true}
}
