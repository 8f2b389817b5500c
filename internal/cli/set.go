package cli

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/spf13/cobra"
	appsv1 "k8s.io/api/apps/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"sluice.dev/sluice/api/v1alpha1"
)

func newSetCommand(g *globals) *cobra.Command {
	set := &cobra.Command{Use: "set", Short: "Change what a release rolls out"}
	set.AddCommand(&cobra.Command{
		Use:   "image NAME CONTAINER=IMAGE [CONTAINER=IMAGE...]",
		Short: "Set a container image of the release's canary, which starts a release",
		Long: `Set image changes the image of the Deployment a release treats as its canary:
spec.workload.target.deployment, or spec.workload.deployments.canary. The
controller sees the new pod template and starts the next release at step 1,
with the version serving now as its baseline; the stable Deployment keeps
serving until the analysis passes. In a GitOps setup change the image in Git
instead.`,
		Example: "  sluice set image api api=registry.example/api:v2 -n shop",
		Args:    cobra.MinimumNArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			k := &kubeReleases{flags: g.kube}
			c, ns, err := k.client()
			if err != nil {
				return err
			}
			var rel v1alpha1.Release
			if err := c.Get(cmd.Context(), types.NamespacedName{Namespace: ns, Name: args[0]}, &rel); err != nil {
				return fmt.Errorf("release %s/%s: %w", ns, args[0], err)
			}
			deploy, note := "", ""
			switch w := rel.Spec.Workload; {
			case w.Target != nil:
				deploy = w.Target.Deployment
				note = fmt.Sprintf("the target of release %s; %s-primary keeps serving until the analysis passes (in a GitOps setup change the image in Git instead)", args[0], deploy)
			case w.Deployments != nil:
				deploy = w.Deployments.Canary
				note = fmt.Sprintf("the canary of release %s; %s keeps serving until the analysis passes, then takes the new template", args[0], w.Deployments.Stable)
			default:
				return fmt.Errorf("release %s has no Deployment to set an image on", args[0])
			}
			var containers []map[string]string
			for _, a := range args[1:] {
				name, image, ok := strings.Cut(a, "=")
				if !ok || name == "" || image == "" {
					return fmt.Errorf("%q: want CONTAINER=IMAGE", a)
				}
				containers = append(containers, map[string]string{"name": name, "image": image})
			}
			patch, err := json.Marshal(map[string]any{"spec": map[string]any{"template": map[string]any{"spec": map[string]any{"containers": containers}}}})
			if err != nil {
				return fmt.Errorf("encoding patch: %w", err)
			}
			d := &appsv1.Deployment{}
			d.Namespace, d.Name = ns, deploy
			if err := c.Patch(cmd.Context(), d, client.RawPatch(types.StrategicMergePatchType, patch), client.FieldOwner("sluice-cli")); err != nil {
				return fmt.Errorf("deployment %s/%s: %w", ns, deploy, err)
			}
			fmt.Fprintf(g.out, "deployment %s/%s: image set (%s)\n", ns, deploy, note)
			return nil
		},
	})
	return set
}
