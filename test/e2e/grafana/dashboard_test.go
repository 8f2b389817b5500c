package grafana

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"
)

// dashboardPath is the dashboard under test, from the repository root.
const dashboardPath = "config/grafana/sluice.json"

// dashboard is the part of Grafana's dashboard model the tests read.
type dashboard struct {
	UID           string  `json:"uid"`
	Title         string  `json:"title"`
	SchemaVersion int     `json:"schemaVersion"`
	Panels        []panel `json:"panels"`
	Templating    struct {
		List []variable `json:"list"`
	} `json:"templating"`
	Annotations struct {
		List []annotation `json:"list"`
	} `json:"annotations"`
}

type panel struct {
	ID         int        `json:"id"`
	Type       string     `json:"type"`
	Title      string     `json:"title"`
	Datasource datasource `json:"datasource"`
	GridPos    struct {
		X, Y, W, H int
	} `json:"gridPos"`
	Targets []target `json:"targets"`
	// Panels are a collapsed row's panels.
	Panels []panel `json:"panels"`
}

type datasource struct {
	Type string `json:"type"`
	UID  string `json:"uid"`
}

type target struct {
	RefID        string     `json:"refId"`
	Expr         string     `json:"expr"`
	LegendFormat string     `json:"legendFormat"`
	Instant      bool       `json:"instant"`
	Datasource   datasource `json:"datasource"`
}

type variable struct {
	Type       string `json:"type"`
	Name       string `json:"name"`
	Definition string `json:"definition"`
	IncludeAll bool   `json:"includeAll"`
	AllValue   string `json:"allValue"`
}

type annotation struct {
	Name       string     `json:"name"`
	Expr       string     `json:"expr"`
	Datasource datasource `json:"datasource"`
}

// query is one PromQL expression of the dashboard, where it is from.
type query struct {
	Where   string // panel title and refId, or annotation name
	Expr    string
	Instant bool
}

func repoRoot(t *testing.T) string {
	t.Helper()
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		t.Fatal("no caller information")
	}
	return filepath.Join(filepath.Dir(file), "..", "..", "..")
}

func loadDashboard(t *testing.T) dashboard {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(repoRoot(t), dashboardPath))
	if err != nil {
		t.Fatal(err)
	}
	var d dashboard
	dec := json.NewDecoder(strings.NewReader(string(raw)))
	if err := dec.Decode(&d); err != nil {
		t.Fatalf("%s: %v", dashboardPath, err)
	}
	return d
}

// panels lists every panel, those inside rows included, rows left out.
func (d dashboard) allPanels() []panel {
	var out []panel
	var walk func([]panel)
	walk = func(ps []panel) {
		for _, p := range ps {
			if p.Type != "row" {
				out = append(out, p)
			}
			walk(p.Panels)
		}
	}
	walk(d.Panels)
	return out
}

// queries lists every PromQL expression of the dashboard.
func (d dashboard) queries() []query {
	var out []query
	for _, p := range d.allPanels() {
		for _, tg := range p.Targets {
			out = append(out, query{Where: fmt.Sprintf("panel %q %s", p.Title, tg.RefID), Expr: tg.Expr, Instant: tg.Instant})
		}
	}
	for _, a := range d.Annotations.List {
		if a.Expr != "" {
			out = append(out, query{Where: fmt.Sprintf("annotation %q", a.Name), Expr: a.Expr})
		}
	}
	return out
}

// builtins are Grafana's own variables the dashboard may use.
var builtins = map[string]bool{"__rate_interval": true, "__interval": true, "__range": true}

var varRef = regexp.MustCompile(`\$\{(\w+)\}|\$(\w+)|\[\[(\w+)\]\]`)

// refs lists the variables s refers to.
func refs(s string) []string {
	var out []string
	for _, m := range varRef.FindAllStringSubmatch(s, -1) {
		out = append(out, m[1]+m[2]+m[3])
	}
	return out
}

// TestDashboardShape checks what Grafana needs to load the dashboard and
// what keeps it usable: unique panel ids on the 24-column grid, every
// query on the chosen Prometheus, every variable defined.
func TestDashboardShape(t *testing.T) {
	d := loadDashboard(t)
	if d.UID == "" || d.Title == "" || d.SchemaVersion == 0 {
		t.Errorf("uid %q, title %q, schemaVersion %d: all are needed", d.UID, d.Title, d.SchemaVersion)
	}
	vars := map[string]variable{}
	for _, v := range d.Templating.List {
		vars[v.Name] = v
	}
	if vars["datasource"].Type != "datasource" {
		t.Errorf("no datasource variable: the dashboard must not name one Prometheus")
	}
	for _, name := range []string{"namespace", "release", "stable", "canary"} {
		if _, ok := vars[name]; !ok {
			t.Errorf("no %s variable", name)
		}
	}
	ids := map[int]string{}
	for _, p := range d.allPanels() {
		if other, ok := ids[p.ID]; ok || p.ID == 0 {
			t.Errorf("panel %q: id %d taken by %q", p.Title, p.ID, other)
		}
		ids[p.ID] = p.Title
		if p.GridPos.W <= 0 || p.GridPos.H <= 0 || p.GridPos.X < 0 || p.GridPos.X+p.GridPos.W > 24 {
			t.Errorf("panel %q: gridPos %+v is off the 24-column grid", p.Title, p.GridPos)
		}
		if len(p.Targets) == 0 {
			t.Errorf("panel %q has no query", p.Title)
		}
		refIDs := map[string]bool{}
		for _, tg := range p.Targets {
			if tg.Expr == "" || tg.RefID == "" || refIDs[tg.RefID] {
				t.Errorf("panel %q: target %q: empty expression or refId, or refId used twice", p.Title, tg.RefID)
			}
			refIDs[tg.RefID] = true
			for _, ds := range []datasource{p.Datasource, tg.Datasource} {
				if ds.UID != "${datasource}" || ds.Type != "prometheus" {
					t.Errorf("panel %q %s: datasource %+v, want the ${datasource} variable", p.Title, tg.RefID, ds)
				}
			}
			for _, r := range refs(tg.Expr + " " + tg.LegendFormat) {
				if _, ok := vars[r]; !ok && !builtins[r] {
					t.Errorf("panel %q %s: unknown variable $%s", p.Title, tg.RefID, r)
				}
			}
		}
	}
	for _, q := range d.queries() {
		// "All" namespaces is the regular expression .*, which only a
		// regular expression matcher takes.
		if n := strings.Count(q.Expr, "$namespace"); n != strings.Count(q.Expr, `=~"$namespace"`) {
			t.Errorf("%s: $namespace outside a =~ matcher: %s", q.Where, q.Expr)
		}
	}
}
