package convert

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

	yaml "go.yaml.in/yaml/v3"
	k8syaml "sigs.k8s.io/yaml"
)

// Write writes the results as one multi-document YAML stream: each Release
// first, under comments that list the fields not mapped with why and what
// works differently, then the objects it needs, each under a comment
// saying why it is there.
func Write(w io.Writer, in *Input, results []*Result) error {
	var b bytes.Buffer
	for i, r := range results {
		if i > 0 {
			b.WriteString("---\n")
		}
		mapped, dropped, unknown := r.Counts()
		fmt.Fprintf(&b, "# Converted by sluice convert from %s: %d fields mapped, %d not mapped", r.Source, mapped, dropped)
		if unknown > 0 {
			fmt.Fprintf(&b, ", %d unknown", unknown)
		}
		b.WriteString(".\n")
		writeFields(&b, r, "Not mapped", func(f Field) bool { return !f.Mapped() && !f.Unknown })
		writeFields(&b, r, "Unknown to sluice convert, check by hand", func(f Field) bool { return f.Unknown })
		writeFields(&b, r, "Mapped, but not one for one", func(f Field) bool { return f.Mapped() && f.Why != "" })
		if len(r.Notes) > 0 {
			b.WriteString("#\n# Notes:\n")
			for _, n := range r.Notes {
				comment(&b, "  - ", n)
			}
		}
		rel, err := releaseObject(r)
		if err != nil {
			return err
		}
		if err := writeObject(&b, rel); err != nil {
			return err
		}
		for _, o := range r.Objects {
			b.WriteString("---\n")
			comment(&b, "# ", capitalize(o.Why)+".")
			if err := writeObject(&b, o.Object); err != nil {
				return err
			}
		}
	}
	if rest := untouched(in, results); len(rest) > 0 {
		b.WriteString("# Not written here, unchanged: " + strings.Join(rest, ", ") + ".\n")
	}
	if _, err := w.Write(b.Bytes()); err != nil {
		return fmt.Errorf("writing the result: %w", err)
	}
	return nil
}

// WriteReport writes every field of every source object and what became
// of it, one per line, for --report.
func WriteReport(w io.Writer, results []*Result) error {
	var b bytes.Buffer
	for _, r := range results {
		for _, sf := range r.Fields {
			for _, f := range sf.Fields {
				line := sf.Object + " " + f.Path
				switch {
				case f.Unknown:
					line += ": UNKNOWN: " + f.Why
				case f.Mapped():
					line += " → " + f.To
					if f.Why != "" {
						line += " (" + f.Why + ")"
					}
				default:
					line += ": not mapped: " + f.Why
				}
				b.WriteString(line + "\n")
			}
		}
	}
	if _, err := w.Write(b.Bytes()); err != nil {
		return fmt.Errorf("writing the report: %w", err)
	}
	return nil
}

func writeFields(b *bytes.Buffer, r *Result, title string, keep func(Field) bool) {
	first := true
	for _, sf := range r.Fields {
		for _, f := range sf.Fields {
			if !keep(f) {
				continue
			}
			if first {
				fmt.Fprintf(b, "#\n# %s:\n", title)
				first = false
			}
			text := f.Path + ": " + f.Why
			if f.Mapped() {
				text = f.Path + " → " + f.To + ": " + f.Why
			}
			if len(r.Fields) > 1 {
				text = sf.Object + " " + text
			}
			comment(b, "  ", text)
		}
	}
}

// comment writes text as comment lines of at most about 100 columns,
// the first after prefix, the others indented under it.
func comment(b *bytes.Buffer, prefix, text string) {
	const width = 100
	prefix = "# " + strings.TrimPrefix(prefix, "# ")
	indent := "#" + strings.Repeat(" ", len(prefix)-1)
	if prefix == "# " {
		indent = prefix
	}
	line, fresh := prefix, true
	for _, word := range strings.Fields(text) {
		if !fresh && len(line)+len(word) > width {
			b.WriteString(strings.TrimRight(line, " ") + "\n")
			line = indent
		}
		line += word + " "
		fresh = false
	}
	b.WriteString(strings.TrimRight(line, " ") + "\n")
}

// releaseObject is the Release as a plain object, without an empty status
// and timestamps.
func releaseObject(r *Result) (map[string]any, error) {
	data, err := json.Marshal(r.Release)
	if err != nil {
		return nil, fmt.Errorf("encoding the Release: %w", err)
	}
	var obj map[string]any
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	if err := dec.Decode(&obj); err != nil {
		return nil, fmt.Errorf("encoding the Release: %w", err)
	}
	delete(obj, "status")
	if md, ok := obj["metadata"].(map[string]any); ok {
		delete(md, "creationTimestamp")
	}
	if spec, ok := obj["spec"].(map[string]any); ok {
		if a, ok := spec["analysis"].(map[string]any); ok && len(a) == 0 {
			delete(spec, "analysis")
		}
	}
	return obj, nil
}

// topOrder and keyOrder put the keys people look for first, at the top of
// an object and below; the rest follow in alphabetical order.
var topOrder = []string{"apiVersion", "kind", "metadata", "spec"}

var keyOrder = []string{"name", "namespace", "labels", "annotations", "type", "url",
	"workload", "traffic", "strategy", "analysis", "webhooks", "alerts", "paused",
	"deployment", "virtualService", "httpRoute", "destinationRule", "routes", "stable", "canary", "host", "subset", "interval", "threshold"}

func writeObject(b *bytes.Buffer, obj map[string]any) error {
	enc := yaml.NewEncoder(b)
	enc.SetIndent(2)
	if err := enc.Encode(node(obj, topOrder)); err != nil {
		return fmt.Errorf("writing YAML: %w", err)
	}
	if err := enc.Close(); err != nil {
		return fmt.Errorf("writing YAML: %w", err)
	}
	return nil
}

// node builds a YAML node with keys in order, and keyOrder below.
func node(v any, order []string) *yaml.Node {
	switch x := v.(type) {
	case map[string]any:
		n := &yaml.Node{Kind: yaml.MappingNode}
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		rank := func(k string) int {
			if i := slices.Index(order, k); i >= 0 {
				return i
			}
			return len(order)
		}
		slices.SortFunc(keys, func(a, b string) int {
			if ra, rb := rank(a), rank(b); ra != rb {
				return ra - rb
			}
			return strings.Compare(a, b)
		})
		for _, k := range keys {
			n.Content = append(n.Content, &yaml.Node{Kind: yaml.ScalarNode, Value: k}, node(x[k], keyOrder))
		}
		return n
	case []any:
		n := &yaml.Node{Kind: yaml.SequenceNode}
		for _, e := range x {
			n.Content = append(n.Content, node(e, keyOrder))
		}
		return n
	case string:
		n := &yaml.Node{Kind: yaml.ScalarNode, Value: x}
		switch {
		case strings.Contains(strings.TrimRight(x, "\n"), "\n") && !strings.ContainsAny(x, "\t\r"):
			n.Style = yaml.LiteralStyle
		case needsQuotes(x):
			n.Style = yaml.DoubleQuotedStyle
		}
		return n
	case nil:
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!null", Value: "null"}
	case bool:
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!bool", Value: strconv.FormatBool(x)}
	case float64:
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!float", Value: strconv.FormatFloat(x, 'g', -1, 64)}
	case int64:
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!int", Value: strconv.FormatInt(x, 10)}
	case json.Number:
		return &yaml.Node{Kind: yaml.ScalarNode, Value: x.String()}
	}
	return &yaml.Node{Kind: yaml.ScalarNode, Value: fmt.Sprint(v)}
}

// needsQuotes reports a string YAML would read as something else, in
// YAML 1.2 or in the YAML 1.1 of Kubernetes tools (yes, on, 1.10).
func needsQuotes(s string) bool {
	var v any
	if err := yaml.Unmarshal([]byte(s), &v); err != nil {
		return true
	}
	if str, ok := v.(string); !ok || str != s {
		return true
	}
	var old any
	if err := k8syaml.Unmarshal([]byte(s), &old); err != nil {
		return true
	}
	str, ok := old.(string)
	return !ok || str != s
}

func capitalize(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
