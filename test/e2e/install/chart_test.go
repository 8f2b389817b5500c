package install

import (
	"slices"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// TestHelmLint runs the chart linter in strict mode, which also checks the
// default values against values.schema.json.
func TestHelmLint(t *testing.T) {
	out, err := run(t, requireTool(t, envHelm), "lint", "--strict", "charts/sluice")
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
}

// TestHelmValues checks that the chart's values change what they say, and
// that values which cannot work are refused when rendering rather than by
// a controller that misbehaves later.
func TestHelmValues(t *testing.T) {
	tests := map[string]struct {
		set     []string
		check   func(*testing.T, []*unstructured.Unstructured)
		wantErr string
	}{
		"one watched namespace gets a Role, not a ClusterRole": {
			set: []string{"watchNamespace=team-a"},
			check: func(t *testing.T, objs []*unstructured.Unstructured) {
				if args := controllerArgs(t, objs); !slices.Contains(args, "--namespace=team-a") {
					t.Errorf("args %q lack --namespace=team-a", args)
				}
				for _, kind := range []string{"Role", "RoleBinding"} {
					if o := find(t, objs, kind, "sluice-controller"); o.GetNamespace() != "team-a" {
						t.Errorf("%s sluice-controller is in %q, want team-a", kind, o.GetNamespace())
					}
				}
				if has(objs, "ClusterRole", "sluice-controller") || has(objs, "ClusterRoleBinding", "sluice-controller") {
					t.Error("a ClusterRole for the controller is rendered although it watches one namespace")
				}
			},
		},
		"without leader election": {
			set: []string{"leaderElect=false"},
			check: func(t *testing.T, objs []*unstructured.Unstructured) {
				if args := controllerArgs(t, objs); slices.Contains(args, "--leader-elect") {
					t.Errorf("args %q still elect a leader", args)
				}
				if has(objs, "Role", "sluice-leader-election") {
					t.Error("the leader-election Role is rendered without leader election")
				}
			},
		},
		"image tag and extra args": {
			set: []string{"image.tag=v9.9.9", "extraArgs={--example=1}"},
			check: func(t *testing.T, objs []*unstructured.Unstructured) {
				var d appsv1.Deployment
				convert(t, find(t, objs, "Deployment", "sluice-controller"), &d)
				if img := d.Spec.Template.Spec.Containers[0].Image; img != "ghcr.io/sluice-dev/sluice:v9.9.9" {
					t.Errorf("image = %q", img)
				}
				if args := controllerArgs(t, objs); !slices.Contains(args, "--example=1") {
					t.Errorf("args %q lack the extra argument", args)
				}
			},
		},
		"an existing ServiceAccount and no RBAC": {
			set: []string{"serviceAccount.create=false", "serviceAccount.name=platform-sluice", "rbac.create=false"},
			check: func(t *testing.T, objs []*unstructured.Unstructured) {
				for _, o := range objs {
					if o.GetKind() == "ServiceAccount" || strings.HasPrefix(o.GetAPIVersion(), "rbac.") {
						t.Errorf("rendered %s/%s", o.GetKind(), o.GetName())
					}
				}
				var d appsv1.Deployment
				convert(t, find(t, objs, "Deployment", "sluice-controller"), &d)
				if sa := d.Spec.Template.Spec.ServiceAccountName; sa != "platform-sluice" {
					t.Errorf("serviceAccountName = %q", sa)
				}
			},
		},
		"two replicas need leader election": {
			set:     []string{"replicas=2", "leaderElect=false"},
			wantErr: "replicas > 1 needs leaderElect: true",
		},
		"a misspelt value": {
			set:     []string{"leaderElection=true"},
			wantErr: "additional properties 'leaderElection' not allowed",
		},
		"a Prometheus address that is not a URL": {
			set:     []string{"prometheusAddress=prometheus:9090"},
			wantErr: "prometheusAddress",
		},
		"no ServiceAccount and no name": {
			set:     []string{"serviceAccount.create=false"},
			wantErr: "serviceAccount.name is required",
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			var args []string
			for _, s := range tc.set {
				args = append(args, "--set", s)
			}
			out, err := helmTemplateRaw(t, installNamespace, args...)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("helm template error = %v, want one containing %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			tc.check(t, decodeObjects(t, out))
		})
	}
}

func controllerArgs(t *testing.T, objs []*unstructured.Unstructured) []string {
	t.Helper()
	var d appsv1.Deployment
	convert(t, find(t, objs, "Deployment", "sluice-controller"), &d)
	return d.Spec.Template.Spec.Containers[0].Args
}

func has(objs []*unstructured.Unstructured, kind, name string) bool {
	return slices.ContainsFunc(objs, func(o *unstructured.Unstructured) bool {
		return o.GetKind() == kind && o.GetName() == name
	})
}
