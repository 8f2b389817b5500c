package install

import (
	"path"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"
)

// distrolessPath is the PATH of the distroless images: a manifest that
// calls the binary by name finds it in one of these.
var distrolessPath = []string{"/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin"}

// TestImage checks the Dockerfile against what the manifests expect of the
// image it builds: a static binary (CGO off) from the Go of go.mod, in a
// distroless base, run as the numeric non-root user the pods' runAsUser
// names, under the name and on the PATH the pods' command uses; and that
// the Makefile's image, the chart's and kustomize's are one repository.
func TestImage(t *testing.T) {
	df := parseDockerfile(t, readFile(t, "Dockerfile"))
	if len(df.stages) < 2 {
		t.Fatalf("the Dockerfile has %d stage(s); want a build stage and a run stage", len(df.stages))
	}
	run := df.stages[len(df.stages)-1]

	build, ok := df.stageNamed("build")
	if !ok {
		t.Fatal(`no stage "build"`)
	}
	goVersion := regexp.MustCompile(`(?m)^go (\d+\.\d+)`).FindSubmatch(readFile(t, "go.mod"))
	if goVersion == nil || build.base != "golang:"+string(goVersion[1]) {
		t.Errorf("build stage FROM %s; want golang:%s, the Go of go.mod", build.base, goVersion[1])
	}
	if env := strings.Join(build.all("ENV"), " "); !strings.Contains(env, "CGO_ENABLED=0") {
		t.Errorf("build stage ENV %q: want CGO_ENABLED=0 for a static binary", env)
	}
	if !strings.HasPrefix(run.base, "gcr.io/distroless/static") || !strings.HasSuffix(run.base, ":nonroot") {
		t.Errorf("run stage FROM %s: want gcr.io/distroless/static…:nonroot", run.base)
	}
	if len(run.all("RUN")) > 0 {
		t.Errorf("run stage has RUN %q: a distroless stage has no shell", run.all("RUN"))
	}

	// The binary: copied from the build stage to a directory on the PATH.
	var binary string
	for _, c := range run.all("COPY") {
		f := strings.Fields(c)
		if slices.Contains(f, "--from=build") {
			binary = f[len(f)-1]
		}
	}
	if binary == "" || !slices.Contains(distrolessPath, path.Dir(binary)) {
		t.Fatalf("run stage copies the binary to %q; want a directory on the PATH %v", binary, distrolessPath)
	}

	user := run.all("USER")
	if len(user) != 1 {
		t.Fatalf("run stage USER %q; want one numeric USER", user)
	}
	uid, _, _ := strings.Cut(user[0], ":")
	if uid == "0" || !regexp.MustCompile(`^\d+$`).MatchString(uid) {
		t.Errorf("USER %s: want a numeric user other than root", user[0])
	}

	image := makefileImage(t)
	var values struct {
		Image struct{ Repository string } `json:"image"`
	}
	if err := yaml.Unmarshal(readFile(t, "charts/sluice/values.yaml"), &values); err != nil {
		t.Fatal(err)
	}
	if values.Image.Repository != image {
		t.Errorf("chart values image.repository %q, Makefile IMAGE %q", values.Image.Repository, image)
	}

	for name, objs := range map[string]func() []*unstructured.Unstructured{
		"kustomize": func() []*unstructured.Unstructured { return kustomizeBuild(t, "config/default") },
		"helm": func() []*unstructured.Unstructured {
			return helmTemplate(t, installNamespace, "--set", "loadtester.enabled=true")
		},
	} {
		found := 0
		for _, o := range objs() {
			if o.GetKind() != "Deployment" {
				continue
			}
			found++
			var d appsv1.Deployment
			convert(t, o, &d)
			pod := d.Spec.Template.Spec
			for _, c := range pod.Containers {
				where := name + " " + d.Name + "/" + c.Name
				repo, _, _ := strings.Cut(c.Image, ":")
				if repo != image {
					t.Errorf("%s: image %s; want the repository %s that make image builds", where, c.Image, image)
				}
				if len(c.Command) == 0 || c.Command[0] != path.Base(binary) {
					t.Errorf("%s: command %q; want %q, the binary the image puts on the PATH", where, c.Command, path.Base(binary))
				}
				if sc := pod.SecurityContext; sc == nil || sc.RunAsUser == nil || uid != strconv.FormatInt(*sc.RunAsUser, 10) {
					t.Errorf("%s: runAsUser is not the image's USER %s", where, uid)
				}
			}
		}
		if found == 0 {
			t.Errorf("%s renders no Deployment", name)
		}
	}
}

// makefileImage is the default of the Makefile's IMAGE variable.
func makefileImage(t *testing.T) string {
	t.Helper()
	m := regexp.MustCompile(`(?m)^IMAGE \?= (\S+)$`).FindSubmatch(readFile(t, "Makefile"))
	if m == nil {
		t.Fatal("the Makefile sets no IMAGE ?= …")
	}
	return string(m[1])
}
