package v1alpha1

import (
	"fmt"
	"reflect"
	"slices"
	"strings"
	"sync"

	"k8s.io/apimachinery/pkg/util/validation/field"
)

// An unknown field is most often a typo, a field put in the wrong section,
// or a field of the tool a user comes from (Flagger, Argo Rollouts). The
// error says which, so that the user knows what to write instead.

// unknownField is the error for key, unknown in the struct t found at p.
func unknownField(p *field.Path, key string, t reflect.Type) *field.Error {
	detail := "unknown field"
	if hint := fieldHint(p, key, t); hint != "" {
		detail += "; " + hint
	}
	return field.Forbidden(p.Child(key), detail)
}

// fieldHint says what key may have been meant, or "": first a field of
// another tool that has a counterpart here, then a near spelling of a
// field of the same object, then the same field elsewhere in the spec.
func fieldHint(p *field.Path, key string, t reflect.Type) string {
	where := pattern(p.Child(key))
	if h, ok := foreignHints[where]; ok {
		return h
	}
	if h, ok := foreignKeyHints[key]; ok {
		return h
	}
	if near := nearest(key, fieldNames(t)); near != "" {
		return fmt.Sprintf("did you mean %q?", near)
	}
	if !strings.HasPrefix(where, "spec.") {
		return ""
	}
	if places := elsewhere(key, where); len(places) > 0 {
		return fmt.Sprintf("%s belongs in %s", key, orList(places))
	}
	return ""
}

// pattern writes a path with every list index and map key as [*], the
// form the hint tables are keyed by.
func pattern(p *field.Path) string {
	var b strings.Builder
	s := p.String()
	for i := 0; i < len(s); i++ {
		if s[i] != '[' {
			b.WriteByte(s[i])
			continue
		}
		end := strings.IndexByte(s[i:], ']')
		if end < 0 {
			b.WriteString(s[i:])
			break
		}
		b.WriteString("[*]")
		i += end
	}
	return b.String()
}

// fieldNames lists the JSON names of a struct's fields.
func fieldNames(t reflect.Type) []string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t.Kind() != reflect.Struct {
		return nil
	}
	fields := jsonFields(t, nil)
	names := make([]string, 0, len(fields))
	for n := range fields {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// nearest is the name closest to key, if it is close enough to be a typo:
// the same letters in another case, or an edit distance (with swapped
// neighbours counting once) of at most a third of the key's length.
func nearest(key string, names []string) string {
	best, bestD := "", -1
	for _, n := range names {
		if strings.EqualFold(n, key) {
			return n
		}
		d := editDistance(strings.ToLower(key), strings.ToLower(n))
		if d <= maxTypo(key) && (bestD < 0 || d < bestD) {
			best, bestD = n, d
		}
	}
	return best
}

// maxTypo is how many edits still look like a typo of key.
func maxTypo(key string) int {
	return max(1, min(3, len(key)/3))
}

// editDistance is the optimal string alignment distance: insertions,
// deletions, substitutions and swaps of two neighbours, one each.
func editDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev2 := make([]int, len(rb)+1)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && ra[i-1] == rb[j-2] && ra[i-2] == rb[j-1] {
				cur[j] = min(cur[j], prev2[j-2]+1)
			}
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(rb)]
}

// commonKeys are names too general to say where they belong: a port or a
// name is a field of many objects.
var commonKeys = []string{"name", "port", "url", "host", "type", "version", "timeout", "metadata", "labels", "annotations"}

// elsewhere lists where else in the spec a field named key exists, as the
// paths of the objects that hold it (not counting where, the path it was
// found at).
func elsewhere(key, where string) []string {
	if slices.Contains(commonKeys, strings.ToLower(key)) {
		return nil
	}
	var places []string
	for _, f := range specFields() {
		parent, name := splitLast(f)
		if strings.EqualFold(name, key) && f != where {
			places = append(places, parent)
		}
	}
	if len(places) > 2 {
		places = places[:2]
	}
	return places
}

func splitLast(path string) (parent, name string) {
	i := strings.LastIndexByte(path, '.')
	return path[:i], path[i+1:]
}

// specFields lists every field path of spec, lists and maps written [*],
// in declaration order.
var specFields = sync.OnceValue(func() []string {
	var out []string
	var walk func(prefix string, t reflect.Type, depth int)
	walk = func(prefix string, t reflect.Type, depth int) {
		for t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice || t.Kind() == reflect.Map {
			if t.Kind() != reflect.Pointer {
				prefix += "[*]"
			}
			t = t.Elem()
		}
		if t.Kind() != reflect.Struct || t == durationType || t == timeType || depth > 8 {
			return
		}
		fields := jsonFields(t, nil)
		names := make([]string, 0, len(fields))
		for n := range fields {
			names = append(names, n)
		}
		slices.SortFunc(names, func(a, b string) int { return fields[a].order - fields[b].order })
		for _, n := range names {
			p := prefix + "." + n
			out = append(out, p)
			walk(p, fields[n].typ, depth+1)
		}
	}
	walk("spec", reflect.TypeFor[ReleaseSpec](), 0)
	return out
})
