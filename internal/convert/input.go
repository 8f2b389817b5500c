package convert

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"strings"

	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
)

// object is one Kubernetes object of the input, as decoded JSON.
type object struct {
	data map[string]any
	// doc is its 1-based position in the input, for messages.
	doc int
}

func (o *object) apiVersion() string { s, _ := o.data["apiVersion"].(string); return s }
func (o *object) kind() string       { s, _ := o.data["kind"].(string); return s }
func (o *object) group() string {
	g, _, _ := strings.Cut(o.apiVersion(), "/")
	if !strings.Contains(o.apiVersion(), "/") {
		return ""
	}
	return g
}
func (o *object) name() string      { return str(o.data, "metadata", "name") }
func (o *object) namespace() string { return str(o.data, "metadata", "namespace") }

// ref names an object for messages: Kind namespace/name.
func (o *object) ref() string {
	if ns := o.namespace(); ns != "" {
		return o.kind() + " " + ns + "/" + o.name()
	}
	return o.kind() + " " + o.name()
}

// Input is what `sluice convert` was given: Canaries or Rollouts, and the
// objects they refer to.
type Input struct {
	objects []*object
}

// Parse reads a multi-document YAML (or JSON) stream of Kubernetes
// objects. List kinds (a kubectl get -o yaml) are opened into their items.
func Parse(data []byte) (*Input, error) {
	dec := utilyaml.NewYAMLOrJSONDecoder(bytes.NewReader(data), 4096)
	in := &Input{}
	for doc := 1; ; doc++ {
		var m map[string]any
		err := dec.Decode(&m)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("document %d: %w", doc, err)
		}
		if len(m) == 0 {
			continue
		}
		m = wholeNumbers(m).(map[string]any)
		o := &object{data: m, doc: doc}
		if strings.HasSuffix(o.kind(), "List") {
			items, _ := m["items"].([]any)
			for _, it := range items {
				if im, ok := it.(map[string]any); ok {
					in.objects = append(in.objects, &object{data: im, doc: doc})
				}
			}
			continue
		}
		if o.apiVersion() == "" || o.kind() == "" {
			return nil, fmt.Errorf("document %d is not a Kubernetes object: it has no apiVersion and kind", doc)
		}
		in.objects = append(in.objects, o)
	}
	return in, nil
}

// find returns the object of this group and kind named name in namespace
// ns (an object without a namespace matches any).
func (in *Input) find(group, kind, ns, name string) *object {
	for _, o := range in.objects {
		if o.group() == group && o.kind() == kind && o.name() == name && (o.namespace() == "" || ns == "" || o.namespace() == ns) {
			return o
		}
	}
	return nil
}

// str reads a string at a path of map keys; "" when absent.
func str(m map[string]any, path ...string) string {
	v, _ := get(m, path...)
	s, _ := v.(string)
	return s
}

// get follows map keys.
func get(m map[string]any, path ...string) (any, bool) {
	var cur any = m
	for _, k := range path {
		cm, ok := cur.(map[string]any)
		if !ok {
			return nil, false
		}
		if cur, ok = cm[k]; !ok {
			return nil, false
		}
	}
	return cur, true
}

// wholeNumbers turns the float64 of whole numbers into int64: YAML
// decodes every number as a float, and a port of 9898.0 is written back as
// a float.
func wholeNumbers(v any) any {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			x[k] = wholeNumbers(e)
		}
	case []any:
		for i, e := range x {
			x[i] = wholeNumbers(e)
		}
	case float64:
		if x == math.Trunc(x) && math.Abs(x) < 1<<53 {
			return int64(x)
		}
	}
	return v
}
