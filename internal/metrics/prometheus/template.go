package prometheus

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// The placeholders a query template may use. Flagger-style templates say
// {{ interval }} for the window; it is accepted as another name for it.
const (
	placeNamespace = "namespace"
	placeTarget    = "target"
	placeVersion   = "version"
	placeWindow    = "window"
)

var placeholderNames = map[string]string{
	placeNamespace: placeNamespace,
	placeTarget:    placeTarget,
	placeVersion:   placeVersion,
	placeWindow:    placeWindow,
	"interval":     placeWindow,
}

// lexState is where in a PromQL expression a placeholder stands; it decides
// how its value is escaped.
type lexState int

const (
	inCode    lexState = iota // outside any string literal
	inDouble                  // "..." (backslash escapes)
	inSingle                  // '...' (backslash escapes)
	inRaw                     // `...` (no escapes at all)
	inComment                 // from # to the end of the line
)

func (s lexState) String() string {
	switch s {
	case inDouble:
		return "double-quoted string"
	case inSingle:
		return "single-quoted string"
	case inRaw:
		return "backquoted string"
	case inComment:
		return "comment"
	}
	return "expression"
}

// segment is a run of template text, or a placeholder when name is set.
type segment struct {
	text  string
	name  string
	state lexState
}

// queryTemplate is a PromQL template split into text and placeholders,
// each placeholder knowing the literal it stands in.
type queryTemplate struct {
	source   string
	segments []segment
}

// values are what placeholders are replaced with.
type values struct {
	namespace, target, version, window string
}

func (v values) get(name string) string {
	switch name {
	case placeNamespace:
		return v.namespace
	case placeTarget:
		return v.target
	case placeVersion:
		return v.version
	}
	return v.window
}

// compileTemplate splits src into text and placeholders. It is a small
// scanner rather than text/template on purpose: a query can only name the
// four values, never call functions, and every name placeholder must sit
// inside a string literal, where escaping makes it harmless.
func compileTemplate(src string) (*queryTemplate, error) {
	t := &queryTemplate{source: src}
	state := inCode
	start := 0 // start of the pending text
	for i := 0; i < len(src); {
		if strings.HasPrefix(src[i:], "{{") {
			end := strings.Index(src[i+2:], "}}")
			if end < 0 {
				return nil, fmt.Errorf("unclosed {{ at offset %d", i)
			}
			raw := src[i+2 : i+2+end]
			name, ok := placeholderNames[strings.TrimSpace(raw)]
			if !ok {
				return nil, fmt.Errorf("unknown placeholder {{%s}}: use {{ namespace }}, {{ target }}, {{ version }} or {{ window }}", raw)
			}
			if name != placeWindow && state == inCode {
				return nil, fmt.Errorf("{{ %s }} must be inside a quoted string, such as destination_workload=\"{{ %s }}\"", name, name)
			}
			if start < i {
				t.segments = append(t.segments, segment{text: src[start:i]})
			}
			t.segments = append(t.segments, segment{name: name, state: state})
			i += 2 + end + 2
			start = i
			continue
		}
		c := src[i]
		i++
		switch state {
		case inCode:
			switch c {
			case '"':
				state = inDouble
			case '\'':
				state = inSingle
			case '`':
				state = inRaw
			case '#':
				state = inComment
			}
		case inDouble, inSingle:
			switch {
			case c == '\\' && i < len(src):
				i++ // the escaped character cannot close the string
			case c == '"' && state == inDouble, c == '\'' && state == inSingle:
				state = inCode
			}
		case inRaw:
			if c == '`' {
				state = inCode
			}
		case inComment:
			if c == '\n' {
				state = inCode
			}
		}
	}
	if state != inCode && state != inComment {
		return nil, fmt.Errorf("unterminated %s", state)
	}
	if start < len(src) {
		t.segments = append(t.segments, segment{text: src[start:]})
	}
	return t, nil
}

// render replaces every placeholder with its value, escaped for where it
// stands.
func (t *queryTemplate) render(v values) (string, error) {
	var b strings.Builder
	for _, s := range t.segments {
		if s.name == "" {
			b.WriteString(s.text)
			continue
		}
		esc, err := escape(v.get(s.name), s.state)
		if err != nil {
			return "", fmt.Errorf("{{ %s }}: %w", s.name, err)
		}
		b.WriteString(esc)
	}
	return b.String(), nil
}

var (
	doubleEscaper = strings.NewReplacer(`\`, `\\`, `"`, `\"`)
	singleEscaper = strings.NewReplacer(`\`, `\\`, `'`, `\'`)
)

// escape makes value safe to stand in state. PromQL only accepts an escaped
// quote of the kind that opened the string, so each kind has its own
// escaper; a backquoted string has no escapes, so a backquote is refused.
// Control characters (a newline would end a comment) are always refused.
func escape(value string, state lexState) (string, error) {
	if !utf8.ValidString(value) {
		return "", fmt.Errorf("value %q is not valid UTF-8", value)
	}
	for _, r := range value {
		if r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) {
			return "", fmt.Errorf("value %q has a control character", value)
		}
	}
	switch state {
	case inDouble:
		return doubleEscaper.Replace(value), nil
	case inSingle:
		return singleEscaper.Replace(value), nil
	case inRaw:
		if strings.ContainsRune(value, '`') {
			return "", fmt.Errorf("value %q has a backquote and stands in a backquoted string", value)
		}
	}
	return value, nil
}
