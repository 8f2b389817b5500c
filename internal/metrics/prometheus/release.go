package prometheus

import (
	"fmt"
	"strconv"

	"k8s.io/apimachinery/pkg/util/validation"

	"sluice.dev/sluice/api/v1alpha1"
)

// ReleaseTarget is whose requests a Release's built-in metrics select,
// given the names of the workloads running its stable and canary versions
// (the Deployments: api-v1 and api-v2, or api-primary and api-canary). The
// versions' subsets are matched too when an Istio route splits one host
// by subset, because only then do subset and pod label agree. The
// controller and the dashboard both select this way, so the dashboard
// charts what the checks judge.
func ReleaseTarget(rel *v1alpha1.Release, stable, canary string) Target {
	t := Target{Namespace: rel.Namespace, Stable: Workload{Name: stable}, Canary: Workload{Name: canary}}
	if is := rel.Spec.Traffic.Istio; is != nil && is.Stable.Subset != "" && is.Stable.Host == is.Canary.Host {
		t.Stable.Subset, t.Canary.Subset = is.Stable.Subset, is.Canary.Subset
	}
	return t
}

// ReleaseWeightMetric is the gauge of the canary weight Sluice's
// controller exports for each release (see internal/telemetry), labelled
// namespace and release.
const ReleaseWeightMetric = "sluice_release_canary_weight"

// ReleaseWeightQuery is the PromQL of a release's canary weight as the
// controller exported it. max() folds the copies a scrape of several
// controller pods, or a relabelling, may keep.
func ReleaseWeightQuery(namespace, release string) (string, error) {
	if errs := validation.IsDNS1123Label(namespace); len(errs) > 0 {
		return "", fmt.Errorf("prometheus: namespace %q: %s", namespace, errs[0])
	}
	if errs := validation.IsDNS1123Subdomain(release); len(errs) > 0 {
		return "", fmt.Errorf("prometheus: release %q: %s", release, errs[0])
	}
	// Valid names hold no quote or backslash: quoting them is enough.
	return "max(" + ReleaseWeightMetric + "{namespace=" + strconv.Quote(namespace) + ",release=" + strconv.Quote(release) + "})", nil
}
