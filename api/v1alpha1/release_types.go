package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Release describes how one service moves from its stable version to a
// canary: where both versions run, how traffic is split between them, the
// steps of the rollout and the checks that may roll it back.
//
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:shortName=rel
// +kubebuilder:printcolumn:name="Phase",type=string,JSONPath=`.status.phase`
// +kubebuilder:printcolumn:name="Step",type=string,JSONPath=`.status.stepIndex`
// +kubebuilder:printcolumn:name="Weight",type=integer,JSONPath=`.status.canaryWeight`
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
type Release struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec   ReleaseSpec   `json:"spec"`
	Status ReleaseStatus `json:"status,omitempty"`
}

// ReleaseList is needed by clients that list releases.
//
// +kubebuilder:object:root=true
type ReleaseList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []Release `json:"items"`
}

// ReleaseSpec is the user's intent. Only Workload and Traffic differ between
// a cluster and a laptop; Strategy and Analysis mean the same everywhere.
// +kubebuilder:validation:XValidation:rule="has(self.traffic.proxy) == has(self.workload.local)",message="the proxy router goes with spec.workload.local, and only with it"
// +kubebuilder:validation:XValidation:rule="has(self.workload.local) || !has(self.alerts) || self.alerts.all(a, !has(a.urlFromEnv))",message="alerts[].urlFromEnv is read by sluice run only; on Kubernetes use urlSecretRef"
type ReleaseSpec struct {
	// Workload says where the stable and canary versions run.
	Workload WorkloadSpec `json:"workload"`

	// Traffic says how requests are split between the versions.
	Traffic TrafficSpec `json:"traffic"`

	// Strategy lists the steps from 0% to the promotion.
	Strategy Strategy `json:"strategy"`

	// Analysis lists the checks run while traffic moves.
	// +optional
	Analysis Analysis `json:"analysis,omitempty"`

	// Webhooks are called at points of the release: load tests, gates,
	// notifications.
	// +optional
	// +kubebuilder:validation:MaxItems=20
	// +listType=map
	// +listMapKey=name
	Webhooks []Webhook `json:"webhooks,omitempty"`

	// Alerts send every phase change and each failed check, with its
	// reason, to Slack, Teams, Discord or a JSON webhook.
	// +optional
	// +kubebuilder:validation:MaxItems=10
	// +listType=map
	// +listMapKey=name
	Alerts []Alert `json:"alerts,omitempty"`

	// Paused holds the release at its current step until it is set back to
	// false; analysis keeps running so a bad canary is still rolled back.
	// +optional
	Paused bool `json:"paused,omitempty"`
}

// WorkloadSpec names the driver that runs the two versions. Exactly one
// member is set.
// +kubebuilder:validation:XValidation:rule="(has(self.local) ? 1 : 0) + (has(self.deployments) ? 1 : 0) + (has(self.target) ? 1 : 0) == 1",message="exactly one of local, deployments or target must be set"
type WorkloadSpec struct {
	// Local runs the versions as processes started by Sluice, or points at
	// two URLs already serving.
	// +optional
	Local *LocalWorkload `json:"local,omitempty"`

	// Deployments are two Deployments the user owns, such as api-v1 and
	// api-v2 labelled version: v1 / v2 behind DestinationRule subsets. On
	// promotion the canary's pod template is copied onto the stable
	// Deployment (its labels kept) and all traffic goes back to it; the
	// next new image goes on the canary Deployment again.
	// +optional
	Deployments *DeploymentsWorkload `json:"deployments,omitempty"`

	// Target is one Deployment kept in Git. Sluice keeps a copy of it named
	// <deployment>-primary as stable, and treats every new pod template of
	// the target as a canary; on promotion the template is copied to the
	// primary and all traffic goes back to it.
	// +optional
	Target *TargetWorkload `json:"target,omitempty"`
}

// LocalWorkload is the laptop/VM form: two commands or two URLs.
type LocalWorkload struct {
	// Stable is the version serving users now.
	Stable LocalVersion `json:"stable"`
	// Canary is the new version under test.
	Canary LocalVersion `json:"canary"`
}

// LocalVersion is one version run locally: either a command Sluice starts
// (with a port of its own in $PORT and in "{{port}}" arguments) or the URL
// of a server already running. Exactly one of Command and URL is set.
// +kubebuilder:validation:XValidation:rule="has(self.command) != has(self.url)",message="exactly one of command or url must be set"
type LocalVersion struct {
	// Version is a label for people and metrics, such as "v1".
	// +optional
	Version string `json:"version,omitempty"`
	// Command is the program and its arguments.
	// +optional
	Command []string `json:"command,omitempty"`
	// Env adds environment variables to the command.
	// +optional
	Env map[string]string `json:"env,omitempty"`
	// Dir is the command's working directory.
	// +optional
	Dir string `json:"dir,omitempty"`
	// URL is the base URL of a version that is already running.
	// +optional
	URL string `json:"url,omitempty"`
	// HealthPath is polled until it answers 2xx before traffic is sent.
	// +optional
	HealthPath string `json:"healthPath,omitempty"`
	// StartTimeout bounds how long the version may take to become healthy.
	// +optional
	// +kubebuilder:validation:Type=string
	// +kubebuilder:validation:Pattern=`^([0-9]+(\.[0-9]+)?(ns|us|µs|ms|s|m|h))+$`
	StartTimeout *metav1.Duration `json:"startTimeout,omitempty"`
}

// TrafficSpec names the router that splits traffic, and the request match
// rules that send chosen requests to the canary whatever the weight.
// +kubebuilder:validation:XValidation:rule="(has(self.proxy) ? 1 : 0) + (has(self.istio) ? 1 : 0) + (has(self.gatewayAPI) ? 1 : 0) == 1",message="exactly one of proxy, istio or gatewayAPI must be set"
type TrafficSpec struct {
	// Proxy is Sluice's own weighted reverse proxy (local mode).
	// +optional
	Proxy *ProxyTraffic `json:"proxy,omitempty"`

	// Istio writes weights into a VirtualService the user owns.
	// +optional
	Istio *IstioTraffic `json:"istio,omitempty"`

	// GatewayAPI writes weights into an HTTPRoute the user owns.
	// +optional
	GatewayAPI *GatewayAPITraffic `json:"gatewayAPI,omitempty"`

	// Match sends requests that match any rule to the canary (A/B testing).
	// +optional
	Match []MatchRule `json:"match,omitempty"`
}

// ProxyTraffic configures the embedded data plane.
type ProxyTraffic struct {
	// Listen is the address users send traffic to, such as 127.0.0.1:8080.
	Listen string `json:"listen"`
	// Limits bound what one client may send the proxy and how slowly. Each
	// has an nginx-like default, filled in when the release is read.
	// +optional
	Limits *ProxyLimits `json:"limits,omitempty"`
}

// ProxyLimits bound what one client may make the proxy hold or forward,
// so that a slow or malformed client cannot hold connections and memory
// at will or pass an oversized request upstream. A request over a limit
// is answered by the proxy (the status is given for each) and counted as
// the client's error, never against stable or canary.
type ProxyLimits struct {
	// MaxURIBytes bounds the request target; a longer one is answered
	// 414 URI Too Long (default 8192, as nginx).
	// +optional
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=1048576
	MaxURIBytes *int32 `json:"maxURIBytes,omitempty"`
	// MaxHeaderBytes bounds the request line and header fields together;
	// a larger head is answered 431 Request Header Fields Too Large
	// (default 32768, nginx's four 8 KiB buffers).
	// +optional
	// +kubebuilder:validation:Minimum=1024
	// +kubebuilder:validation:Maximum=1048576
	MaxHeaderBytes *int32 `json:"maxHeaderBytes,omitempty"`
	// MaxHeaderFields bounds the number of header fields; more is
	// answered 431 (default 100).
	// +optional
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=10000
	MaxHeaderFields *int32 `json:"maxHeaderFields,omitempty"`
	// MaxBodyBytes bounds a request body; a larger one is answered 413
	// Content Too Large. 0, the default, means no limit: the proxy
	// streams bodies and holds at most 16 KiB of one, so the bound that
	// matters is the service's own.
	// +optional
	// +kubebuilder:validation:Minimum=0
	MaxBodyBytes *int64 `json:"maxBodyBytes,omitempty"`
	// HeaderTimeout bounds the time a client takes to send a request head
	// (default 10s); the connection is then closed.
	// +optional
	// +kubebuilder:validation:Type=string
	// +kubebuilder:validation:Pattern=`^([0-9]+(\.[0-9]+)?(ns|us|µs|ms|s|m|h))+$`
	HeaderTimeout *metav1.Duration `json:"headerTimeout,omitempty"`
	// BodyTimeout bounds the wait for the next bytes of a request body
	// (default 60s, as nginx); the request is then answered 408 Request
	// Timeout.
	// +optional
	// +kubebuilder:validation:Type=string
	// +kubebuilder:validation:Pattern=`^([0-9]+(\.[0-9]+)?(ns|us|µs|ms|s|m|h))+$`
	BodyTimeout *metav1.Duration `json:"bodyTimeout,omitempty"`
	// IdleTimeout is how long a keep-alive connection may wait for its
	// next request (default 2m).
	// +optional
	// +kubebuilder:validation:Type=string
	// +kubebuilder:validation:Pattern=`^([0-9]+(\.[0-9]+)?(ns|us|µs|ms|s|m|h))+$`
	IdleTimeout *metav1.Duration `json:"idleTimeout,omitempty"`
}

// MatchRule matches a request when every condition in it holds.
// +kubebuilder:validation:XValidation:rule="has(self.headers) || has(self.cookies)",message="a match rule needs at least one header or cookie"
type MatchRule struct {
	// Headers maps a header name to how its value must look.
	// +optional
	Headers map[string]StringMatch `json:"headers,omitempty"`
	// Cookies maps a cookie name to how its value must look.
	// +optional
	Cookies map[string]StringMatch `json:"cookies,omitempty"`
}

// StringMatch is how a value must look; exactly one member is set.
// +kubebuilder:validation:XValidation:rule="(has(self.exact) ? 1 : 0) + (has(self.prefix) ? 1 : 0) + (has(self.regex) ? 1 : 0) == 1",message="exactly one of exact, prefix or regex must be set"
type StringMatch struct {
	// +optional
	Exact string `json:"exact,omitempty"`
	// +optional
	Prefix string `json:"prefix,omitempty"`
	// Regex is an RE2 expression matched against the whole value.
	// +optional
	Regex string `json:"regex,omitempty"`
}
