package routeutil

import "fmt"

// Entry is one element of the list a router weights (a VirtualService's
// spec.http, an HTTPRoute's spec.rules), as stored.
type Entry struct {
	Index int
	Name  string
	Raw   map[string]any
}

// MatchList says how one router keeps its match entries in a list.
type MatchList struct {
	// Path is the JSON pointer of the list, such as "/spec/http".
	Path string
	// IsMatch reports whether an entry name is one of Sluice's.
	IsMatch func(name string) bool
	// Build returns the k-th match entry to put in front of the entry at
	// index, or nil when that entry gets none.
	Build func(k, index int) (map[string]any, error)
	// Check, when set, refuses a resulting list the schema would refuse.
	Check func(next []any) error
}

// Plan compares Sluice's match entries with the wanted ones and, if they
// differ in any way, removes them all and inserts the wanted ones, each
// guarded by a test operation on the value it replaces or lands in front
// of. newIndex maps the index of each other entry to its index after.
func (m MatchList) Plan(entries []Entry) (ops []Op, newIndex map[int]int, err error) {
	var (
		have, next []any
		ours       []bool // next[i] is a match entry
		k          int
	)
	newIndex = map[int]int{}
	for _, e := range entries {
		have = append(have, e.Raw)
		if m.IsMatch(e.Name) {
			continue
		}
		mr, err := m.Build(k, e.Index)
		if err != nil {
			return nil, nil, err
		}
		if mr != nil {
			k++
			next, ours = append(next, mr), append(ours, true)
		}
		newIndex[e.Index] = len(next)
		next, ours = append(next, e.Raw), append(ours, false)
	}
	same, err := SameJSON(have, next)
	if err != nil {
		return nil, nil, err
	}
	if same {
		return nil, newIndex, nil
	}
	if m.Check != nil {
		if err := m.Check(next); err != nil {
			return nil, nil, err
		}
	}
	for i := len(entries) - 1; i >= 0; i-- {
		if e := entries[i]; m.IsMatch(e.Name) {
			p := fmt.Sprintf("%s/%d", m.Path, i)
			ops = append(ops, Op{Op: "test", Path: p, Value: e.Raw}, Op{Op: "remove", Path: p})
		}
	}
	for pos, el := range next {
		if ours[pos] {
			// A match entry is always followed by the entry it stands for;
			// pin that entry so the insertion lands in front of it.
			p := fmt.Sprintf("%s/%d", m.Path, pos)
			ops = append(ops, Op{Op: "test", Path: p, Value: next[pos+1]}, Op{Op: "add", Path: p, Value: el})
		}
	}
	return ops, newIndex, nil
}
