package install

import (
	"maps"
	"slices"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/labels"

	"sluice.dev/sluice/test/e2e/envtest"
)

// TestLoadtesterChart checks the chart's loadtester option: off by default;
// on, a Deployment running `sluice loadtester --in-cluster` without API
// access and a Service in front of it, under the name a Flagger user may
// keep; and that a restricted namespace accepts both.
func TestLoadtesterChart(t *testing.T) {
	if objs := helmTemplate(t, installNamespace); has(objs, "Deployment", "sluice-loadtester") {
		t.Fatal("the load tester is installed without loadtester.enabled")
	}
	objs := helmTemplate(t, "sluice-lt", "--set", "loadtester.enabled=true", "--set", "loadtester.serviceName=flagger-loadtester",
		"--set", "loadtester.namespaceRegexp=^shop-")

	var d appsv1.Deployment
	convert(t, find(t, objs, "Deployment", "flagger-loadtester"), &d)
	pod := d.Spec.Template.Spec
	c := pod.Containers[0]
	for _, want := range []string{"loadtester", "--in-cluster", "--addr=:9090", "--namespace-regexp=^shop-"} {
		if !slices.Contains(c.Args, want) {
			t.Errorf("args %q lack %q", c.Args, want)
		}
	}
	if pod.AutomountServiceAccountToken == nil || *pod.AutomountServiceAccountToken {
		t.Error("the load tester's pod gets an API token it does not need")
	}
	if len(c.Ports) != 1 || c.Ports[0].ContainerPort != 9090 || c.Ports[0].Name != "http" {
		t.Errorf("ports %+v", c.Ports)
	}
	if c.ReadinessProbe == nil || c.ReadinessProbe.HTTPGet == nil || c.ReadinessProbe.HTTPGet.Path != "/healthz" {
		t.Errorf("readiness probe %+v", c.ReadinessProbe)
	}

	var svc corev1.Service
	convert(t, find(t, objs, "Service", "flagger-loadtester"), &svc)
	podLabels := labels.Set(d.Spec.Template.Labels)
	if !labels.SelectorFromSet(svc.Spec.Selector).Matches(podLabels) || svc.Spec.Ports[0].Port != 80 || svc.Spec.Ports[0].TargetPort.StrVal != "http" {
		t.Errorf("Service %+v does not reach the pods %v on port 80", svc.Spec, podLabels)
	}
	if !maps.Equal(d.Spec.Selector.MatchLabels, svc.Spec.Selector) {
		t.Errorf("Deployment selector %v, Service selector %v", d.Spec.Selector.MatchLabels, svc.Spec.Selector)
	}
	var metrics corev1.Service
	convert(t, find(t, objs, "Service", "sluice-controller-metrics"), &metrics)
	if labels.SelectorFromSet(metrics.Spec.Selector).Matches(podLabels) {
		t.Error("the controller's metrics Service selects the load tester's pods")
	}

	if _, err := helmTemplateRaw(t, installNamespace, "--set", "loadtester.serviceName=Flagger_LT"); err == nil || !strings.Contains(err.Error(), "serviceName") {
		t.Errorf("an invalid Service name: %v", err)
	}

	env := envtest.Start(t)
	createNamespace(t, env, "sluice-lt", restricted)
	newApplier(t, env).install(t, objs)
}
