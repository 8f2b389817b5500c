package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// DeploymentsWorkload names two Deployments in the Release's namespace.
// +kubebuilder:validation:XValidation:rule="self.stable != self.canary",message="the canary must be another Deployment than stable"
type DeploymentsWorkload struct {
	// Stable is the Deployment serving users now.
	// +kubebuilder:validation:MinLength=1
	Stable string `json:"stable"`
	// Canary is the Deployment of the new version.
	// +kubebuilder:validation:MinLength=1
	Canary string `json:"canary"`
	// ScaleDownStable is deprecated and has no effect: the stable
	// Deployment always serves (a promotion copies the canary's template
	// onto it), and the idle canary is the one scaled to zero. It is still
	// accepted so existing Releases keep working.
	// +optional
	ScaleDownStable bool `json:"scaleDownStable,omitempty"`
}

// TargetWorkload is the GitOps form: one Deployment whose new pod templates
// start releases by themselves.
type TargetWorkload struct {
	// Deployment is the name of the Deployment in Git.
	// +kubebuilder:validation:MinLength=1
	Deployment string `json:"deployment"`
	// Port is the port the <deployment>-primary and <deployment>-canary
	// Services Sluice creates listen on.
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=65535
	Port int32 `json:"port"`
	// TargetPort is the container port; default Port.
	// +optional
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=65535
	TargetPort int32 `json:"targetPort,omitempty"`
}

// IstioTraffic points at a VirtualService (and optionally its
// DestinationRule) that the user owns. Sluice changes only the weights of
// the named routes' destinations, with a field manager of its own.
// +kubebuilder:validation:XValidation:rule="(has(self.stable.host) ? self.stable.host : '~') != (has(self.canary.host) ? self.canary.host : '~') || (has(self.stable.subset) ? self.stable.subset : '~') != (has(self.canary.subset) ? self.canary.subset : '~')",message="stable and canary must be different destinations"
type IstioTraffic struct {
	// VirtualService is the name of the VirtualService.
	// +kubebuilder:validation:MinLength=1
	VirtualService string `json:"virtualService"`
	// Routes names the HTTP routes to weight; empty means every HTTP route
	// that has a destination for stable.
	// +optional
	Routes []string `json:"routes,omitempty"`
	// DestinationRule, when set, must have the stable and canary subsets.
	// +optional
	DestinationRule string `json:"destinationRule,omitempty"`
	// Stable and Canary are the two destinations: subsets of one host, or
	// two hosts (separate Services).
	Stable IstioDestination `json:"stable"`
	Canary IstioDestination `json:"canary"`
}

// IstioDestination is a route destination: a host, a subset, or both.
// +kubebuilder:validation:XValidation:rule="has(self.host) || has(self.subset)",message="set host, subset or both"
type IstioDestination struct {
	// Host is a Service name or host, as written in the VirtualService.
	// +optional
	Host string `json:"host,omitempty"`
	// Subset is a DestinationRule subset, such as v1.
	// +optional
	Subset string `json:"subset,omitempty"`
}

// GatewayAPITraffic points at an HTTPRoute the user owns; Sluice sets the
// weights of its stable and canary backendRefs.
// +kubebuilder:validation:XValidation:rule="self.stableService != self.canaryService",message="the canary needs a Service of its own"
type GatewayAPITraffic struct {
	// HTTPRoute is the name of the HTTPRoute.
	// +kubebuilder:validation:MinLength=1
	HTTPRoute string `json:"httpRoute"`
	// Rules names the rules to weight; empty means every rule that has a
	// backendRef to the stable Service.
	// +optional
	Rules []string `json:"rules,omitempty"`
	// StableService and CanaryService are the backendRefs' Service names.
	// +kubebuilder:validation:MinLength=1
	StableService string `json:"stableService"`
	// +kubebuilder:validation:MinLength=1
	CanaryService string `json:"canaryService"`
}

// PrometheusSource says where analysis reads metrics on Kubernetes.
type PrometheusSource struct {
	// Address is the base URL of the Prometheus API, such as
	// http://prometheus.istio-system:9090; default: the controller's flag.
	// +optional
	// +kubebuilder:validation:Pattern=`^https?://`
	Address string `json:"address,omitempty"`
}

// WebhookType is when a webhook is called.
// +kubebuilder:validation:Enum=pre-rollout;rollout;confirm-promotion;post-rollout;rollback;event
type WebhookType string

// The points of a release at which webhooks are called.
const (
	// WebhookPreRollout runs before traffic moves; a failure holds the
	// release and counts as a failed check.
	WebhookPreRollout WebhookType = "pre-rollout"
	// WebhookRollout runs at each check, such as a load test.
	WebhookRollout WebhookType = "rollout"
	// WebhookConfirmPromotion gates the promotion until it answers 2xx.
	WebhookConfirmPromotion WebhookType = "confirm-promotion"
	// WebhookPostRollout runs after the release ended, either way.
	WebhookPostRollout WebhookType = "post-rollout"
	// WebhookRollback is asked at each check; a 2xx rolls back.
	WebhookRollback WebhookType = "rollback"
	// WebhookEvent receives every decision.
	WebhookEvent WebhookType = "event"
)

// Webhook is an HTTP call made at a point of the release.
type Webhook struct {
	// +kubebuilder:validation:MinLength=1
	Name string      `json:"name"`
	Type WebhookType `json:"type"`
	// URL receives a POST with the release, its phase and Metadata.
	// +kubebuilder:validation:Pattern=`^https?://`
	URL string `json:"url"`
	// Timeout bounds the call (default 10s, at most 5m).
	// +optional
	// +kubebuilder:validation:Type=string
	// +kubebuilder:validation:Pattern=`^([0-9]+(\.[0-9]+)?(ns|us|µs|ms|s|m|h))+$`
	// +kubebuilder:validation:XValidation:rule="duration(self) <= duration('5m')",message="a webhook may take at most 5m"
	Timeout *metav1.Duration `json:"timeout,omitempty"`
	// Metadata is passed through to the webhook (e.g. a load test command).
	// +optional
	Metadata map[string]string `json:"metadata,omitempty"`
}
