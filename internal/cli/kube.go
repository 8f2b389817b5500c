package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"sync"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/cli-runtime/pkg/genericclioptions"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"sluice.dev/sluice/api/v1alpha1"
	"sluice.dev/sluice/internal/controller"
	"sluice.dev/sluice/internal/release"
)

// kubeReleases reaches Releases in a cluster with the usual kubeconfig
// flags, and shows them in the same shape as local ones.
type kubeReleases struct {
	flags *genericclioptions.ConfigFlags

	// The client is built once: `get --watch` and the dashboard poll.
	once sync.Once
	c    client.Client
	ns   string
	err  error
}

func (k *kubeReleases) client() (client.Client, string, error) {
	k.once.Do(func() { k.c, k.ns, k.err = k.newClient() })
	return k.c, k.ns, k.err
}

func (k *kubeReleases) newClient() (client.Client, string, error) {
	cfg, err := k.flags.ToRESTConfig()
	if err != nil {
		return nil, "", fmt.Errorf("kubeconfig: %w", err)
	}
	// client-go's default of 5 requests a second throttles a dashboard
	// that polls a release and its Deployments; kubectl allows 50.
	if cfg.QPS == 0 {
		cfg.QPS, cfg.Burst = 50, 100
	}
	ns, _, err := k.flags.ToRawKubeConfigLoader().Namespace()
	if err != nil {
		return nil, "", fmt.Errorf("kubeconfig namespace: %w", err)
	}
	scheme := runtime.NewScheme()
	if err := clientgoscheme.AddToScheme(scheme); err != nil {
		return nil, "", fmt.Errorf("scheme: %w", err)
	}
	if err := v1alpha1.AddToScheme(scheme); err != nil {
		return nil, "", fmt.Errorf("scheme: %w", err)
	}
	c, err := client.New(cfg, client.Options{Scheme: scheme})
	if err != nil {
		return nil, "", fmt.Errorf("connecting to the cluster: %w", err)
	}
	return c, ns, nil
}

// Get reads a Release and its Deployments.
func (k *kubeReleases) Get(ctx context.Context, name string) (*release.View, bool, error) {
	_, ns, err := k.client()
	if err != nil {
		return nil, false, err
	}
	s, err := k.getIn(ctx, ns, name)
	return s, err == nil, err
}

// getIn reads a Release of namespace ns and its Deployments.
func (k *kubeReleases) getIn(ctx context.Context, ns, name string) (*release.View, error) {
	c, _, err := k.client()
	if err != nil {
		return nil, err
	}
	var rel v1alpha1.Release
	if err := c.Get(ctx, types.NamespacedName{Namespace: ns, Name: name}, &rel); err != nil {
		return nil, fmt.Errorf("release %s/%s: %w", ns, name, err)
	}
	return kubeSnapshot(ctx, c, &rel), nil
}

// kubeSnapshot shows a cluster release like a local one: the two
// Deployments as its versions.
func kubeSnapshot(ctx context.Context, c client.Client, rel *v1alpha1.Release) *release.View {
	s := listSnapshot(rel)
	for i := range s.Versions {
		view := &s.Versions[i]
		var d appsv1.Deployment
		if view.Version != "" && c.Get(ctx, types.NamespacedName{Namespace: rel.Namespace, Name: view.Version}, &d) == nil {
			view.URL = fmt.Sprintf("deployment/%s %d/%d ready", d.Name, d.Status.ReadyReplicas, ptrOr(d.Spec.Replicas, 1))
			view.Ready = d.Status.ReadyReplicas > 0 && d.Status.ReadyReplicas == ptrOr(d.Spec.Replicas, 1)
			view.Running = ptrOr(d.Spec.Replicas, 1) > 0
		}
	}
	return s.Settle()
}

// listSnapshot shows a cluster release from its object alone: the
// versions' Deployments, revisions and weights as its status says, so a
// list costs one request however many releases there are.
func listSnapshot(rel *v1alpha1.Release) *release.View {
	stable, canary := deploymentNames(rel)
	v := release.NewView(rel, stable, canary, time.Now())
	v.Live = true
	return v.Settle()
}

func deploymentNames(rel *v1alpha1.Release) (stable, canary string) {
	w := rel.Spec.Workload
	switch {
	case w.Deployments != nil:
		return w.Deployments.Stable, w.Deployments.Canary
	case w.Target != nil:
		return w.Target.Deployment + "-primary", w.Target.Deployment + "-canary"
	}
	return "", ""
}

func ptrOr(p *int32, def int32) int32 {
	if p == nil {
		return def
	}
	return *p
}

// List returns the releases of the namespace.
func (k *kubeReleases) List(ctx context.Context) ([]*release.View, error) {
	_, ns, err := k.client()
	if err != nil {
		return nil, err
	}
	return k.listIn(ctx, ns)
}

// listIn returns the releases of namespace ns, or of all namespaces when
// ns is empty, from one request.
func (k *kubeReleases) listIn(ctx context.Context, ns string) ([]*release.View, error) {
	c, _, err := k.client()
	if err != nil {
		return nil, err
	}
	var list v1alpha1.ReleaseList
	if err := c.List(ctx, &list, client.InNamespace(ns)); err != nil {
		return nil, fmt.Errorf("listing releases: %w", err)
	}
	out := make([]*release.View, 0, len(list.Items))
	for i := range list.Items {
		out = append(out, listSnapshot(&list.Items[i]))
	}
	return out, nil
}

// Command sets spec.paused for pause/resume, and the command annotation for
// the others, with a merge patch of just those fields.
func (k *kubeReleases) Command(ctx context.Context, name, command string) (string, error) {
	_, ns, err := k.client()
	if err != nil {
		return "", err
	}
	return k.commandIn(ctx, ns, name, command)
}

// commandIn is Command for a release of namespace ns.
func (k *kubeReleases) commandIn(ctx context.Context, ns, name, command string) (string, error) {
	c, _, err := k.client()
	if err != nil {
		return "", err
	}
	id := command + "/" + strconv.FormatInt(time.Now().UnixNano(), 36)
	patch := map[string]any{}
	switch command {
	case "pause":
		patch["spec"] = map[string]any{"paused": true}
	case "resume":
		patch["spec"] = map[string]any{"paused": false}
	case "promote", "promote-full":
		patch["spec"] = map[string]any{"paused": false}
		patch["metadata"] = map[string]any{"annotations": map[string]string{controller.CommandAnnotation: id}}
	case "abort", "retry":
		patch["metadata"] = map[string]any{"annotations": map[string]string{controller.CommandAnnotation: id}}
	default:
		return "", fmt.Errorf("unknown command %q", command)
	}
	body, err := json.Marshal(patch)
	if err != nil {
		return "", fmt.Errorf("encoding patch: %w", err)
	}
	rel := &v1alpha1.Release{}
	rel.Namespace, rel.Name = ns, name
	if err := c.Patch(ctx, rel, client.RawPatch(types.MergePatchType, body), client.FieldOwner("sluice-cli")); err != nil {
		return "", fmt.Errorf("release %s/%s: %w", ns, name, err)
	}
	return id, nil
}
