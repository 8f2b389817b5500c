package install

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
)

// root is the repository, seen from this package's directory (go test runs
// in it).
const root = "../../.."

// The environment hack/e2e/tools.sh prints.
const (
	envKustomize = "SLUICE_KUSTOMIZE"
	envHelm      = "SLUICE_HELM"
	toolsHint    = `run  eval "$(hack/e2e/tools.sh)"  from the repository root first (it builds kustomize and helm once and caches them)`
)

// renderTimeout bounds one kustomize or helm run; both take well under a
// second, the rest is room for a busy machine.
const renderTimeout = 2 * time.Minute

// requireTool returns the executable named by the environment variable, or
// fails the test saying how to get it.
func requireTool(t *testing.T, env string) string {
	t.Helper()
	p := os.Getenv(env)
	if p == "" {
		t.Fatalf("%s is not set; %s", env, toolsHint)
	}
	fi, err := os.Stat(p)
	if err != nil {
		t.Fatalf("%s: %v; %s", env, err, toolsHint)
	}
	if fi.IsDir() || fi.Mode().Perm()&0o111 == 0 {
		t.Fatalf("%s=%s is not an executable file; %s", env, p, toolsHint)
	}
	return p
}

// run starts a tool in the repository root and returns its standard
// output; a non-zero exit is returned as an error carrying its stderr.
func run(t *testing.T, bin string, args ...string) ([]byte, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), renderTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Dir = root
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return stdout.Bytes(), fmt.Errorf("%s %s: %w\n%s", filepath.Base(bin), strings.Join(args, " "), err, stderr.String())
	}
	return stdout.Bytes(), nil
}

// kustomizeBuild renders a kustomization directory (relative to the root).
func kustomizeBuild(t *testing.T, dir string) []*unstructured.Unstructured {
	t.Helper()
	out, err := run(t, requireTool(t, envKustomize), "build", dir)
	if err != nil {
		t.Fatal(err)
	}
	return decodeObjects(t, out)
}

// helmTemplate renders charts/sluice as release "sluice" in namespace ns,
// CRD included, with extra arguments such as --set.
func helmTemplate(t *testing.T, ns string, extra ...string) []*unstructured.Unstructured {
	t.Helper()
	out, err := helmTemplateRaw(t, ns, extra...)
	if err != nil {
		t.Fatal(err)
	}
	return decodeObjects(t, out)
}

func helmTemplateRaw(t *testing.T, ns string, extra ...string) ([]byte, error) {
	t.Helper()
	args := append([]string{"template", "sluice", "charts/sluice", "--namespace", ns, "--include-crds"}, extra...)
	return run(t, requireTool(t, envHelm), args...)
}

// decodeObjects splits a multi-document YAML stream into objects, skipping
// empty documents, and fails on anything that is not a Kubernetes object.
func decodeObjects(t *testing.T, data []byte) []*unstructured.Unstructured {
	t.Helper()
	dec := utilyaml.NewYAMLOrJSONDecoder(bytes.NewReader(data), 4096)
	var objs []*unstructured.Unstructured
	for i := 1; ; i++ {
		var m map[string]any
		err := dec.Decode(&m)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("document %d: %v", i, err)
		}
		if len(m) == 0 {
			continue
		}
		u := &unstructured.Unstructured{Object: m}
		if u.GetAPIVersion() == "" || u.GetKind() == "" || u.GetName() == "" {
			t.Fatalf("document %d is not a named Kubernetes object: %v", i, m)
		}
		objs = append(objs, u)
	}
	if len(objs) == 0 {
		t.Fatal("the render produced no objects")
	}
	return objs
}

// find returns the one object of this kind and name, or fails.
func find(t *testing.T, objs []*unstructured.Unstructured, kind, name string) *unstructured.Unstructured {
	t.Helper()
	for _, o := range objs {
		if o.GetKind() == kind && o.GetName() == name {
			return o
		}
	}
	t.Fatalf("no %s %q among the %d rendered objects: %s", kind, name, len(objs), describe(objs))
	return nil
}

// describe lists objects as Kind/name, for failure messages.
func describe(objs []*unstructured.Unstructured) string {
	names := make([]string, len(objs))
	for i, o := range objs {
		names[i] = o.GetKind() + "/" + o.GetName()
	}
	return strings.Join(names, ", ")
}
