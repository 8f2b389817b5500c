package convert

import (
	"bufio"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// The schema lists in testdata name every leaf field of the Canary,
// MetricTemplate and AlertProvider of Flagger and of the Rollout and
// AnalysisTemplate of Argo Rollouts. These tests keep two promises: the
// test manifests use every one of them, and converting the manifests
// accounts for every field they hold.

var schemaLists = map[string]string{
	"flagger.app/Canary":                  "flagger-canary.fields",
	"flagger.app/MetricTemplate":          "flagger-metrictemplate.fields",
	"flagger.app/AlertProvider":           "flagger-alertprovider.fields",
	"argoproj.io/Rollout":                 "argo-rollout.fields",
	"argoproj.io/AnalysisTemplate":        "argo-analysistemplate.fields",
	"argoproj.io/ClusterAnalysisTemplate": "argo-analysistemplate.fields",
}

// readFields reads a schema list: one path a line, # comments.
func readFields(t *testing.T, name string) []string {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = f.Close() }()
	var out []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if line := strings.TrimSpace(sc.Text()); line != "" && !strings.HasPrefix(line, "#") {
			out = append(out, line)
		}
	}
	return out
}

// manifests reads every test manifest.
func manifests(t *testing.T) map[string]*Input {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("testdata", "*.yaml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no test manifests: %v", err)
	}
	out := map[string]*Input{}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		in, err := Parse(data)
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		out[filepath.Base(f)] = in
	}
	return out
}

// leafPaths lists the leaf paths of a decoded object under spec, list
// items written [] and map keys as they are.
func leafPaths(v any, path string, out map[string]bool) {
	switch x := v.(type) {
	case map[string]any:
		if len(x) == 0 {
			out[path] = true
		}
		for k, e := range x {
			leafPaths(e, path+"."+k, out)
		}
	case []any:
		if len(x) == 0 {
			out[path] = true
		}
		for _, e := range x {
			leafPaths(e, path+"[]", out)
		}
	default:
		out[path] = true
	}
}

// covers reports whether the manifest path m uses the schema field f:
// * in f is any one key, and a field of f that is a whole subtree (a pod
// template) is used by any path under it.
func covers(f, m string) bool {
	fs, ms := strings.Split(f, "."), strings.Split(m, ".")
	if len(ms) < len(fs) {
		return false
	}
	for i, seg := range fs {
		if seg == ms[i] || seg == "*" || seg == "*[]" && strings.HasSuffix(ms[i], "[]") {
			continue
		}
		return false
	}
	return true
}

func TestManifestsUseEveryField(t *testing.T) {
	used := map[string]map[string]bool{}
	for _, in := range manifests(t) {
		for _, o := range in.objects {
			key := o.group() + "/" + o.kind()
			if used[key] == nil {
				used[key] = map[string]bool{}
			}
			leafPaths(o.data["spec"], "spec", used[key])
		}
	}
	for kind, list := range schemaLists {
		t.Run(kind, func(t *testing.T) {
			if kind == "argoproj.io/ClusterAnalysisTemplate" {
				t.Skip("the same schema as AnalysisTemplate, used through it")
			}
			paths := slices.Sorted(mapKeys(used[kind]))
			for _, f := range readFields(t, list) {
				if !slices.ContainsFunc(paths, func(m string) bool { return covers(f, m) }) {
					t.Errorf("no test manifest uses %s", f)
				}
			}
		})
	}
}

func mapKeys(m map[string]bool) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

// TestEveryFieldAccountedFor converts each manifest that converts and
// checks that no field of the sources is unknown, and that every leaf of
// every source object is covered by one accounted field.
func TestEveryFieldAccountedFor(t *testing.T) {
	for name, in := range manifests(t) {
		t.Run(name, func(t *testing.T) {
			results, err := Convert(in)
			if err != nil {
				t.Skipf("does not convert (TestConvert checks why): %v", err)
			}
			for _, r := range results {
				for _, sf := range r.Fields {
					var accounted []string
					for _, f := range sf.Fields {
						if f.Unknown {
							t.Errorf("%s %s: unknown", sf.Object, f.Path)
						}
						if f.Why == "" && f.To == "" {
							t.Errorf("%s %s: neither mapped nor explained", sf.Object, f.Path)
						}
						accounted = append(accounted, f.Path)
					}
					o := objectNamed(in, sf.Object)
					if o == nil {
						t.Fatalf("no input object %s", sf.Object)
					}
					leaves := map[string]bool{}
					collectLeaves(o.data, "", leaves)
					for leaf := range leaves {
						if !slices.ContainsFunc(accounted, func(a string) bool {
							return leaf == a || strings.HasPrefix(leaf, a+".") || strings.HasPrefix(leaf, a+"[")
						}) {
							t.Errorf("%s %s: not in the report", sf.Object, leaf)
						}
					}
				}
			}
		})
	}
}

// collectLeaves lists leaf paths written as the report writes them.
func collectLeaves(v any, path string, out map[string]bool) {
	switch x := v.(type) {
	case map[string]any:
		if len(x) == 0 {
			out[path] = true
		}
		for k, e := range x {
			collectLeaves(e, join(path, k), out)
		}
	case []any:
		if len(x) == 0 {
			out[path] = true
		}
		for i, e := range x {
			collectLeaves(e, index(path, i), out)
		}
	default:
		out[path] = true
	}
}

func objectNamed(in *Input, ref string) *object {
	for _, o := range in.objects {
		if o.ref() == ref {
			return o
		}
	}
	return nil
}
