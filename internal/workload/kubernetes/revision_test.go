package kubernetes

import (
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
)

func template() corev1.PodTemplateSpec {
	return corev1.PodTemplateSpec{
		ObjectMeta: metav1.ObjectMeta{
			Labels:      map[string]string{"app": "api", "version": "v1"},
			Annotations: map[string]string{"prometheus.io/scrape": "true"},
		},
		Spec: corev1.PodSpec{Containers: []corev1.Container{{
			Name: "app", Image: "api:1.0",
			Env: []corev1.EnvVar{{Name: "MODE", Value: "fast"}},
		}}},
	}
}

func TestRevision(t *testing.T) {
	base, err := Revision(template())
	if err != nil {
		t.Fatal(err)
	}
	if len(base) != revisionLen {
		t.Fatalf("Revision = %q, want %d hex digits", base, revisionLen)
	}
	for name, tc := range map[string]struct {
		change func(*corev1.PodTemplateSpec)
		same   bool
	}{
		"unchanged":                  {change: func(*corev1.PodTemplateSpec) {}, same: true},
		"role label added by Sluice": {change: func(p *corev1.PodTemplateSpec) { p.Labels[LabelRole] = RolePrimary }, same: true},
		"any sluice.dev annotation":  {change: func(p *corev1.PodTemplateSpec) { p.Annotations[AnnotationRevision] = "abc" }, same: true},
		"only sluice.dev labels left": {
			change: func(p *corev1.PodTemplateSpec) {
				p.Annotations = map[string]string{sluicePrefix + "x": "1", "prometheus.io/scrape": "true"}
			},
			same: true,
		},
		"creation timestamp":                  {change: func(p *corev1.PodTemplateSpec) { p.CreationTimestamp = metav1.Unix(1, 0) }, same: true},
		"new image":                           {change: func(p *corev1.PodTemplateSpec) { p.Spec.Containers[0].Image = "api:2.0" }},
		"new env value":                       {change: func(p *corev1.PodTemplateSpec) { p.Spec.Containers[0].Env[0].Value = "slow" }},
		"user label changed":                  {change: func(p *corev1.PodTemplateSpec) { p.Labels["version"] = "v2" }},
		"user annotation":                     {change: func(p *corev1.PodTemplateSpec) { p.Annotations["restartedAt"] = "now" }},
		"label that only looks like Sluice's": {change: func(p *corev1.PodTemplateSpec) { p.Labels["sluice.dev.example/x"] = "1" }},
	} {
		t.Run(name, func(t *testing.T) {
			tpl := template()
			tc.change(&tpl)
			got, err := Revision(tpl)
			if err != nil {
				t.Fatal(err)
			}
			if (got == base) != tc.same {
				t.Errorf("Revision = %s, base %s: same = %v, want %v", got, base, got == base, tc.same)
			}
		})
	}
}

// The labels of an empty map and of no map hash alike, so a template Sluice
// labelled and then unlabelled is not a new revision.
func TestRevisionNilAndEmptyMaps(t *testing.T) {
	a, b := template(), template()
	a.Annotations = nil
	b.Annotations = map[string]string{LabelRole: "x"}
	ra, _ := Revision(a)
	rb, _ := Revision(b)
	if ra != rb {
		t.Errorf("no annotations %s != only Sluice's annotations %s", ra, rb)
	}
}

func TestReady(t *testing.T) {
	ready := func(n int32) appsv1.DeploymentStatus {
		return appsv1.DeploymentStatus{ObservedGeneration: 2, Replicas: n, UpdatedReplicas: n, ReadyReplicas: n, AvailableReplicas: n}
	}
	for name, tc := range map[string]struct {
		replicas *int32
		status   func(*appsv1.DeploymentStatus)
		want     bool
	}{
		"all replicas updated and available":    {replicas: ptr.To[int32](3), want: true},
		"nil replicas means one":                {status: func(s *appsv1.DeploymentStatus) { *s = ready(1) }, want: true},
		"generation not observed yet":           {replicas: ptr.To[int32](3), status: func(s *appsv1.DeploymentStatus) { s.ObservedGeneration = 1 }},
		"one replica not updated":               {replicas: ptr.To[int32](3), status: func(s *appsv1.DeploymentStatus) { s.UpdatedReplicas = 2 }},
		"one replica not available":             {replicas: ptr.To[int32](3), status: func(s *appsv1.DeploymentStatus) { s.AvailableReplicas = 2 }},
		"an old replica still running":          {replicas: ptr.To[int32](3), status: func(s *appsv1.DeploymentStatus) { s.Replicas = 4 }},
		"scaled to zero serves nobody":          {replicas: ptr.To[int32](0), status: func(s *appsv1.DeploymentStatus) { *s = ready(0) }},
		"scaled up, new replicas not there yet": {replicas: ptr.To[int32](5)},
	} {
		t.Run(name, func(t *testing.T) {
			d := &appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Generation: 2}, Spec: appsv1.DeploymentSpec{Replicas: tc.replicas}, Status: ready(3)}
			if tc.status != nil {
				tc.status(&d.Status)
			}
			if got := Ready(d); got != tc.want {
				t.Errorf("Ready = %v, want %v (status %+v)", got, tc.want, d.Status)
			}
		})
	}
	if Ready(nil) {
		t.Error("Ready(nil) = true")
	}
}

func TestUserReplicas(t *testing.T) {
	setBy := func(manager string) []metav1.ManagedFieldsEntry {
		return []metav1.ManagedFieldsEntry{{Manager: manager, FieldsV1: metav1.NewFieldsV1(`{"f:spec":{"f:replicas":{},"f:template":{}}}`)}}
	}
	for name, tc := range map[string]struct {
		replicas   int32
		annotation string
		managed    []metav1.ManagedFieldsEntry
		want       int32
		wantRecord bool
	}{
		"first time":                          {replicas: 3, managed: setBy("kubectl"), want: 3, wantRecord: true},
		"already recorded, scaled down":       {replicas: 0, annotation: "3", managed: setBy(FieldOwner), want: 3},
		"Git sets a new count":                {replicas: 5, annotation: "3", managed: setBy("flux"), want: 5, wantRecord: true},
		"Git sets the same count again":       {replicas: 3, annotation: "3", managed: setBy("argocd-controller"), want: 3},
		"defaulted 1 under Git's annotation":  {replicas: 1, annotation: "4", want: 4},
		"defaulted 1, nothing recorded":       {replicas: 1, want: 1, wantRecord: true},
		"zero from the start":                 {replicas: 0, managed: setBy("kubectl"), want: 0},
		"garbage annotation, replicas in Git": {replicas: 2, annotation: "many", managed: setBy("flux"), want: 2, wantRecord: true},
	} {
		t.Run(name, func(t *testing.T) {
			d := &appsv1.Deployment{
				ObjectMeta: metav1.ObjectMeta{ManagedFields: tc.managed},
				Spec:       appsv1.DeploymentSpec{Replicas: ptr.To(tc.replicas)},
			}
			if tc.annotation != "" {
				d.Annotations = map[string]string{AnnotationReplicas: tc.annotation}
			}
			got, record := userReplicas(d)
			if got != tc.want || record != tc.wantRecord {
				t.Errorf("userReplicas = %d, record %v; want %d, %v", got, record, tc.want, tc.wantRecord)
			}
		})
	}
}
