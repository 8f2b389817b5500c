package prometheus

import (
	"strings"
	"testing"
)

func TestCompileTemplateErrors(t *testing.T) {
	tests := map[string]struct {
		src  string
		want string // part of the error
	}{
		"unclosed":             {src: `up{job="{{ target "}`, want: "unclosed {{"},
		"unknown placeholder":  {src: `up{job="{{ job }}"}`, want: "unknown placeholder {{ job }}"},
		"function call":        {src: `up{job="{{ printf "%s" target }}"}`, want: "unknown placeholder"},
		"name outside string":  {src: `up{job={{ target }}}`, want: "{{ target }} must be inside a quoted string"},
		"name after string":    {src: `up{job="a"} or {{ namespace }}`, want: "{{ namespace }} must be inside"},
		"escaped quote stays":  {src: `up{job="a\"{{ target }}"} + {{ version }}`, want: "{{ version }} must be inside"},
		"unterminated double":  {src: `up{job="{{ target }}}`, want: "unterminated double-quoted string"},
		"unterminated single":  {src: `up{job='x}`, want: "unterminated single-quoted string"},
		"unterminated raw":     {src: "up{job=`x}", want: "unterminated backquoted string"},
		"go template dot form": {src: `up{job="{{ .target }}"}`, want: "unknown placeholder"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			_, err := compileTemplate(tc.src)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("compileTemplate(%q) error = %v, want one containing %q", tc.src, err, tc.want)
			}
		})
	}
}

func TestRenderTemplate(t *testing.T) {
	plain := values{namespace: "shop", target: "api-v2", version: "v2", window: "1m"}
	tests := map[string]struct {
		src  string
		vals values
		want string
	}{
		"spaced": {
			src:  `sum(rate(x{ns="{{ namespace }}",w="{{ target }}",v="{{ version }}"}[{{ window }}]))`,
			vals: plain,
			want: `sum(rate(x{ns="shop",w="api-v2",v="v2"}[1m]))`,
		},
		"unspaced and interval": {
			src:  `rate(x{w="{{target}}"}[{{interval}}])`,
			vals: plain,
			want: `rate(x{w="api-v2"}[1m])`,
		},
		"no placeholders": {src: `vector(1)`, vals: plain, want: `vector(1)`},
		"window in a string": {
			src:  `label_replace(vector(1), "w", "{{ window }}", "", "")`,
			vals: plain,
			want: `label_replace(vector(1), "w", "1m", "", "")`,
		},
		"single quotes": {
			src:  `x{w='{{ target }}'}`,
			vals: values{target: `a'b"c\d`},
			want: `x{w='a\'b"c\\d'}`,
		},
		"double quotes": {
			src:  `x{w="{{ target }}"}`,
			vals: values{target: `a'b"c\d`},
			want: `x{w="a'b\"c\\d"}`,
		},
		"injection stays in its literal": {
			src:  `x{w="{{ target }}"}`,
			vals: values{target: `x"} or vector(1) #`},
			want: `x{w="x\"} or vector(1) #"}`,
		},
		"raw string": {
			src:  "x{w=~`{{ target }}.*`}",
			vals: values{target: `a"b\c`},
			want: "x{w=~`a\"b\\c.*`}",
		},
		"in a comment": {
			src:  "vector(1) # for {{ target }}\n+ x{w=\"{{ target }}\"}",
			vals: values{target: "api"},
			want: "vector(1) # for api\n+ x{w=\"api\"}",
		},
		"hash inside a string is no comment": {
			src:  `x{a="#", w="{{ target }}"}`,
			vals: values{target: `q"`},
			want: `x{a="#", w="q\""}`,
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			tmpl, err := compileTemplate(tc.src)
			if err != nil {
				t.Fatalf("compileTemplate: %v", err)
			}
			got, err := tmpl.render(tc.vals)
			if err != nil {
				t.Fatalf("render: %v", err)
			}
			if got != tc.want {
				t.Fatalf("render =\n  %s\nwant\n  %s", got, tc.want)
			}
		})
	}
}

func TestRenderRefusesUnsafeValues(t *testing.T) {
	tests := map[string]struct {
		src   string
		value string
		want  string
	}{
		"newline":             {src: `x{w="{{ target }}"}`, value: "a\nb", want: "control character"},
		"newline in comment":  {src: "vector(1) # {{ target }}", value: "a\nvector(2)", want: "control character"},
		"nul":                 {src: `x{w="{{ target }}"}`, value: "a\x00", want: "control character"},
		"c1 control":          {src: `x{w="{{ target }}"}`, value: "a\u0085", want: "control character"},
		"invalid utf-8":       {src: `x{w="{{ target }}"}`, value: "a\xff", want: "not valid UTF-8"},
		"backquote in raw":    {src: "x{w=`{{ target }}`}", value: "a` or vector(1) #", want: "backquote"},
		"delete character":    {src: `x{w="{{ target }}"}`, value: "a\x7f", want: "control character"},
		"carriage return":     {src: `x{w='{{ target }}'}`, value: "a\rb", want: "control character"},
		"tab is also refused": {src: `x{w="{{ target }}"}`, value: "a\tb", want: "control character"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			tmpl, err := compileTemplate(tc.src)
			if err != nil {
				t.Fatalf("compileTemplate: %v", err)
			}
			got, err := tmpl.render(values{target: tc.value})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("render = %q, %v; want an error containing %q", got, err, tc.want)
			}
		})
	}
}
