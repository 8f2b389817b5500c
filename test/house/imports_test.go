package house

import (
	"bytes"
	"encoding/json"
	"errors"
	"go/ast"
	"go/parser"
	"go/token"
	"io"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

const module = "sluice.dev/sluice"

// pkg is what `go list -json` says of a package.
type pkg struct {
	ImportPath string
	Dir        string
	GoFiles    []string
	Imports    []string
	Deps       []string
}

// listPackages lists every package of the module with its imports.
func listPackages(t *testing.T) map[string]*pkg {
	t.Helper()
	cmd := exec.Command("go", "list", "-json", "./...")
	cmd.Dir = filepath.Join("..", "..")
	var out, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("go list: %v\n%s", err, stderr.String())
	}
	pkgs := map[string]*pkg{}
	dec := json.NewDecoder(&out)
	for {
		var p pkg
		err := dec.Decode(&p)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("go list output: %v", err)
		}
		pkgs[p.ImportPath] = &p
	}
	return pkgs
}

func internal(name string) string { return module + "/internal/" + name }

// under reports whether path is the package prefix or one below it.
func under(path, prefix string) bool {
	return path == prefix || strings.HasPrefix(path, prefix+"/")
}

func TestImportRules(t *testing.T) {
	pkgs := listPackages(t)
	get := func(path string) *pkg {
		p, ok := pkgs[path]
		if !ok {
			t.Fatalf("package %s is gone: update the house rules", path)
		}
		return p
	}
	forbid := func(from string, deps []string, why string, bad ...string) {
		for _, d := range deps {
			for _, b := range bad {
				if under(d, b) {
					t.Errorf("%s depends on %s: %s", from, d, why)
				}
			}
		}
	}

	t.Run("the engine is pure", func(t *testing.T) {
		e := get(internal("engine"))
		allowed := []string{"crypto/sha256", "encoding/hex", "errors", "fmt", "math", "slices", "sort", "strings", "time",
			module + "/api/v1alpha1", "k8s.io/apimachinery/pkg/api/meta", "k8s.io/apimachinery/pkg/apis/meta/v1"}
		for _, imp := range e.Imports {
			if !slices.Contains(allowed, imp) {
				t.Errorf("the engine imports %s: it takes no clients, no clock, no I/O and no shell", imp)
			}
		}
		var ours []string
		for _, d := range e.Deps {
			if under(d, module+"/internal") {
				ours = append(ours, d)
			}
		}
		if len(ours) > 0 {
			t.Errorf("the engine depends on %v: it is the bottom of the house", ours)
		}
		forbid(e.ImportPath, e.Deps, "the engine does no I/O", "os/exec", "k8s.io/client-go", "sigs.k8s.io/controller-runtime")
	})

	t.Run("the release layer knows no shell and no part's implementation", func(t *testing.T) {
		r := get(internal("release"))
		forbid(r.ImportPath, r.Deps, "parts are interfaces declared where they are used; shells call the layer, not the other way",
			internal("local"), internal("controller"), internal("cli"), internal("dashboard"), internal("demo"),
			internal("proxy"), internal("traffic"), internal("workload"), internal("metrics"), internal("hooks"), internal("alerts"),
			internal("telemetry"), "k8s.io/client-go", "sigs.k8s.io/controller-runtime")
	})

	t.Run("the shells never import each other", func(t *testing.T) {
		forbid(internal("local"), get(internal("local")).Deps, "the local shell runs without Kubernetes", internal("controller"))
		forbid(internal("controller"), get(internal("controller")).Deps, "the controller is a shell of its own", internal("local"))
		for _, shell := range []string{"local", "controller"} {
			forbid(internal(shell), get(internal(shell)).Deps, "a shell does not reach up into the CLI or the dashboard", internal("cli"), internal("dashboard"))
		}
	})

	t.Run("the dashboard reads the release view", func(t *testing.T) {
		d := get(internal("dashboard"))
		forbid(d.ImportPath, d.Deps, "it reads the release view, whichever shell produced it", internal("local"), internal("controller"))
		forbid(d.ImportPath, d.Imports, "the plan and the health come with the view", internal("engine"))
	})

	t.Run("the proxy knows no Kubernetes or API types", func(t *testing.T) {
		p := get(internal("proxy"))
		forbid(p.ImportPath, p.Deps, "the data plane stands alone", module+"/api", module+"/internal", "k8s.io", "sigs.k8s.io")
	})

	t.Run("parts are built on the engine, never the other way", func(t *testing.T) {
		for path, p := range pkgs {
			if under(path, internal("traffic")) || under(path, internal("workload")) || under(path, internal("metrics")) || under(path, internal("hooks")) || under(path, internal("alerts")) {
				forbid(path, p.Deps, "a part does not know the shells", internal("local"), internal("controller"), internal("cli"), internal("dashboard"))
			}
		}
	})
}

// TestTheCLIReadsTheView checks that the CLI uses the local shell only to
// run it and to reach it, never to read its state file's insides: what it
// shows comes from the release view.
func TestTheCLIReadsTheView(t *testing.T) {
	pkgs := listPackages(t)
	cli := pkgs[internal("cli")]
	if cli == nil {
		t.Fatal("no CLI package")
	}
	allowed := map[string][]string{
		"local": {"Client", "NewClient", "Options", "New", "Runner", "RunnerInfo", "ErrRolledBack", "ErrAlreadyRunning",
			"EnsureToken", "DefaultStateDir", "StatePath"},
		"controller": {"Reconciler", "ClusterParts", "CommandAnnotation", "ClusterAlerts", "Setup", "Options"},
	}
	fset := token.NewFileSet()
	for _, name := range cli.GoFiles {
		f, err := parser.ParseFile(fset, filepath.Join(cli.Dir, name), nil, parser.SkipObjectResolution)
		if err != nil {
			t.Fatal(err)
		}
		names := map[string]string{} // import name -> shell
		for _, imp := range f.Imports {
			path := strings.Trim(imp.Path.Value, `"`)
			for shell := range allowed {
				if path == internal(shell) {
					n := shell
					if imp.Name != nil {
						n = imp.Name.Name
					}
					names[n] = shell
				}
			}
		}
		ast.Inspect(f, func(n ast.Node) bool {
			sel, ok := n.(*ast.SelectorExpr)
			if !ok {
				return true
			}
			id, ok := sel.X.(*ast.Ident)
			if !ok {
				return true
			}
			if shell, ok := names[id.Name]; ok && !slices.Contains(allowed[shell], sel.Sel.Name) {
				t.Errorf("%s: the CLI uses %s.%s; it reads releases through the release view (internal/release)", fset.Position(sel.Pos()), shell, sel.Sel.Name)
			}
			return true
		})
	}
}
