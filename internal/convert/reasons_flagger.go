package convert

// Why the fields of Flagger's objects that no code maps have no
// counterpart in Sluice. Keys are paths with list indexes written [];
// a reason covers everything under its path.

const (
	noRouter       = "a router of a provider Sluice does not drive; Sluice weights Istio VirtualServices and Gateway API HTTPRoutes"
	noMirror       = "Sluice does not mirror traffic"
	allReady       = "Sluice waits for every replica of a version to be ready"
	onlyHeaders    = "Sluice matches requests by header and cookie only"
	noCredentials  = "Sluice queries Prometheus at spec.analysis.prometheus.address without credentials or extra headers; reach it through an authenticating proxy if it needs them"
	sluiceServices = "Sluice creates <target>-primary and <target>-canary with labels of its own"
)

var canaryReasons = map[string]string{
	"spec.autoscalerRef":                  "Sluice copies no autoscaler onto <target>-primary and -canary: point a HorizontalPodAutoscaler at <target>-primary yourself",
	"spec.ingressRef":                     noRouter,
	"spec.routeRef":                       noRouter,
	"spec.upstreamRef":                    noRouter,
	"spec.progressDeadlineSeconds":        "Sluice has no progress deadline: an unready canary holds its step, and checks without data fail after spec.analysis.noDataTimeout",
	"spec.skipAnalysis":                   "Sluice runs the analysis a Release names; `sluice promote --full` promotes without it",
	"spec.revertOnDeletion":               "deleting a Release deletes <target>-primary and -canary and gives the target its replicas back",
	"spec.service.portDiscovery":          "the Services Sluice creates carry one port, spec.workload.target.port",
	"spec.service.headless":               "the Services Sluice creates have a cluster IP",
	"spec.service.meshName":               noRouter,
	"spec.service.backends":               noRouter,
	"spec.service.primary":                sluiceServices,
	"spec.service.canary":                 sluiceServices,
	"spec.service.unmanagedMetadata":      "Sluice applies only the fields it sets (server-side apply), so labels and annotations others add stay",
	"spec.analysis.stepWeightPromotion":   "Sluice promotes in one step: the stable takes the canary's template, then all traffic",
	"spec.analysis.mirror":                noMirror,
	"spec.analysis.mirrorWeight":          noMirror,
	"spec.analysis.primaryReadyThreshold": allReady,
	"spec.analysis.canaryReadyThreshold":  allReady,
	"spec.analysis.sessionAffinity":       "Sluice has no session affinity; spec.traffic.match sends chosen requests (a cookie) to the canary",
	"spec.analysis.match[].queryParams":   onlyHeaders,
	"spec.analysis.match[].sourceLabels":  onlyHeaders,
	"spec.analysis.webhooks[].retries":    "a failed rollout webhook counts as a failed check, and the next check calls it again",
	"spec.analysis.webhooks[].disableTLS": "Sluice verifies the certificates of https webhooks; use an http:// URL inside the mesh",
	"spec.analysis.webhooks[].muteAlert":  "alerts are chosen by severity in spec.alerts",
}

var metricTemplateReasons = map[string]string{
	"spec.provider.secretRef":          noCredentials,
	"spec.provider.headers":            noCredentials,
	"spec.provider.insecureSkipVerify": noCredentials,
	"spec.provider.region":             "a setting of a provider other than Prometheus",
}

var alertProviderReasons = map[string]string{
	"spec.channel":       "Sluice posts to the channel of the webhook URL",
	"spec.username":      "Sluice posts as the webhook's own name",
	"spec.proxy":         "Sluice posts alerts directly",
	"spec.certSecretRef": "Sluice verifies alert receivers with the system's certificates",
}
