package local

import (
	"fmt"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"sluice.dev/sluice/api/v1alpha1"
)

func TestRevision(t *testing.T) {
	base := v1alpha1.LocalVersion{Version: "v1", Command: []string{"app", "--port", "{{port}}"}, Env: map[string]string{"A": "1", "B": "2"}}
	with := func(f func(*v1alpha1.LocalVersion)) v1alpha1.LocalVersion {
		v := *base.DeepCopy()
		f(&v)
		return v
	}
	tests := map[string]struct {
		other v1alpha1.LocalVersion
		want  bool // equal revisions
	}{
		"same spec":             {other: *base.DeepCopy(), want: true},
		"env built differently": {other: with(func(v *v1alpha1.LocalVersion) { v.Env = map[string]string{"B": "2", "A": "1"} }), want: true},
		"health path ignored":   {other: with(func(v *v1alpha1.LocalVersion) { v.HealthPath = "/ready" }), want: true},
		"start timeout ignored": {other: with(func(v *v1alpha1.LocalVersion) { v.StartTimeout = duration(time.Minute) }), want: true},
		"other label":           {other: with(func(v *v1alpha1.LocalVersion) { v.Version = "v2" })},
		"other argument":        {other: with(func(v *v1alpha1.LocalVersion) { v.Command[2] = "8080" })},
		"arguments regrouped":   {other: with(func(v *v1alpha1.LocalVersion) { v.Command = []string{"app --port", "{{port}}"} })},
		"other env value":       {other: with(func(v *v1alpha1.LocalVersion) { v.Env["A"] = "3" })},
		"other dir":             {other: with(func(v *v1alpha1.LocalVersion) { v.Dir = "/srv" })},
		"url instead":           {other: v1alpha1.LocalVersion{Version: "v1", URL: "http://127.0.0.1:9000"}},
	}
	want := Revision(base)
	if len(want) != revisionLen {
		t.Fatalf("Revision() = %q, want %d characters", want, revisionLen)
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			got := Revision(tc.other)
			if (got == want) != tc.want {
				t.Errorf("Revision() = %s vs %s, want equal=%v", got, want, tc.want)
			}
		})
	}
}

func TestChildEnv(t *testing.T) {
	got := childEnv([]string{"HOME=/root", "PORT=1"}, map[string]string{"Z": "z", "ADDR": "127.0.0.1:{{port}}", "PORT": "2"}, "4242")
	want := []string{"HOME=/root", "PORT=1", "ADDR=127.0.0.1:4242", "PORT=2", "Z=z", "PORT=4242"}
	if !slices.Equal(got, want) {
		t.Errorf("childEnv() = %q, want %q", got, want)
	}
}

func TestHealthURL(t *testing.T) {
	tests := map[string]struct {
		base, path, want string
	}{
		"default":           {base: "http://127.0.0.1:1", want: "http://127.0.0.1:1/healthz"},
		"replaces the path": {base: "https://h:1/app/", path: "/ready", want: "https://h:1/ready"},
		"relative path":     {base: "http://h:1/app", path: "ready", want: "http://h:1/ready"},
		"with a query":      {base: "http://h:1", path: "/health?full=1", want: "http://h:1/health?full=1"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			base, _ := url.Parse(tc.base)
			got, err := healthURL(base, tc.path)
			if err != nil || got.String() != tc.want {
				t.Errorf("healthURL() = %v, %v; want %s", got, err, tc.want)
			}
		})
	}
}

func TestLineWriter(t *testing.T) {
	var out strings.Builder
	w := &lineWriter{prefix: "[canary] ", dst: &out, dstMu: &sync.Mutex{}}
	for _, chunk := range []string{"hel", "lo\nwor", "ld\r\n", "partial"} {
		if _, err := w.Write([]byte(chunk)); err != nil {
			t.Fatal(err)
		}
	}
	if got, want := out.String(), "[canary] hello\n[canary] world\n"; got != want {
		t.Errorf("before flush: %q, want %q", got, want)
	}
	if got := w.lastLines(); !slices.Equal(got, []string{"hello", "world", "partial"}) {
		t.Errorf("lastLines() = %q", got)
	}
	w.flush()
	if !strings.HasSuffix(out.String(), "[canary] partial\n") {
		t.Errorf("after flush: %q", out.String())
	}

	// The tail stays bounded and keeps the newest lines.
	w = &lineWriter{prefix: "x ", dstMu: &sync.Mutex{}}
	for n := range 3 * tailLines {
		_, _ = fmt.Fprintf(w, "line %d\n", n)
	}
	got := w.lastLines()
	if len(got) != tailLines || got[len(got)-1] != fmt.Sprintf("line %d", 3*tailLines-1) {
		t.Errorf("tail = %d lines ending %q", len(got), got[len(got)-1])
	}

	// A line without newline is cut at maxLine rather than growing.
	w = &lineWriter{prefix: "x ", dstMu: &sync.Mutex{}}
	_, _ = w.Write([]byte(strings.Repeat("a", maxLine+10)))
	if n := len(w.lastLines()); n != 1 || len(w.buf) != 0 {
		t.Errorf("long line: %d tail lines, %d buffered", n, len(w.buf))
	}
}
