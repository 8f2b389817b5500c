package v1alpha1

// What people coming from Flagger or Argo Rollouts write, and what it is
// here. The keys are field paths with list indexes and map keys as [*].
// `sluice convert` turns a whole Canary or Rollout into a Release; these
// hints are for a Release written by hand from memory.

// convertHint ends hints about a whole foreign object.
const convertHint = "`sluice convert -f FILE` writes a Release from a Flagger Canary or an Argo Rollout"

// foreignHints are fields of Flagger's Canary and Argo's Rollout and
// AnalysisTemplate, at the place in a Release where a user would put them.
var foreignHints = map[string]string{
	// Flagger's Canary.
	"spec.targetRef":                             "Flagger's targetRef is spec.workload.target: {deployment: NAME, port: PORT}; " + convertHint,
	"spec.service":                               "Flagger's service.port is spec.workload.target.port; the router (VirtualService or HTTPRoute) is spec.traffic; " + convertHint,
	"spec.provider":                              "the router is spec.traffic.istio or spec.traffic.gatewayAPI",
	"spec.autoscalerRef":                         "Sluice scales the primary and canary copies from the target's replicas; an autoscaler is not copied",
	"spec.progressDeadlineSeconds":               "Sluice has no progress deadline: an unready canary holds its step, and analysis without data fails after spec.analysis.noDataTimeout",
	"spec.skipAnalysis":                          "leave spec.analysis.metrics out to run the steps without checks",
	"spec.suspend":                               "spec.paused holds a release at its step (analysis still runs)",
	"spec.revertOnDeletion":                      "deleting a Release deletes the -primary and -canary copies and gives the target its replicas back",
	"spec.metricsServer":                         "the Prometheus address is spec.analysis.prometheus.address",
	"spec.analysis.iterations":                   "Flagger's iterations are steps: spec.strategy.steps: [{analysis: {passes: N}}]",
	"spec.analysis.stepWeightPromotion":          "Sluice promotes in one step, after the last weight",
	"spec.analysis.mirror":                       "Sluice does not mirror traffic",
	"spec.analysis.mirrorWeight":                 "Sluice does not mirror traffic",
	"spec.analysis.match":                        "Flagger's analysis.match is spec.traffic.match (headers and cookies)",
	"spec.analysis.webhooks":                     "webhooks belong in spec.webhooks (Flagger nests them in analysis); an untyped Flagger webhook is type: rollout",
	"spec.analysis.alerts":                       "alerts belong in spec.alerts, each with its provider and url",
	"spec.analysis.sessionAffinity":              "Sluice has no session affinity; spec.traffic.match sends chosen requests to the canary",
	"spec.analysis.primaryReadyThreshold":        "Sluice waits until every replica is ready",
	"spec.analysis.canaryReadyThreshold":         "Sluice waits until every replica is ready",
	"spec.analysis.metrics[*].interval":          "Flagger's metrics[].interval is Sluice's window",
	"spec.analysis.metrics[*].threshold":         "Flagger's metrics[].threshold is thresholdRange: {min: …}",
	"spec.analysis.metrics[*].templateRef":       "Sluice has no metric templates: write the PromQL in query, with {{ namespace }}, {{ target }}, {{ version }} and {{ window }}",
	"spec.analysis.metrics[*].templateVariables": "Sluice has no metric templates: write the values into query",
	"spec.webhooks[*].retries":                   "a failed rollout webhook counts as a failed check, and the next check calls it again",
	"spec.webhooks[*].muteAlert":                 "alerts are chosen by severity in spec.alerts",
	"spec.webhooks[*].disableTLS":                "Sluice verifies the certificates of https webhooks; use an http:// URL inside the mesh",

	// Argo Rollouts' Rollout.
	"spec.strategy.canary":                      "Argo's strategy.canary.steps are spec.strategy.steps; its canaryService, stableService and trafficRouting are spec.traffic; " + convertHint,
	"spec.strategy.blueGreen":                   "Sluice moves traffic by weight: a blue-green switch is steps: [{setWeight: 0}, {pause: {}}] and `sluice promote`",
	"spec.strategy.canaryService":               "the canary's Service is spec.traffic.istio.canary.host or spec.traffic.gatewayAPI.canaryService",
	"spec.strategy.stableService":               "the stable Service is spec.traffic.istio.stable.host or spec.traffic.gatewayAPI.stableService",
	"spec.strategy.trafficRouting":              "the router is spec.traffic.istio or spec.traffic.gatewayAPI",
	"spec.strategy.analysis":                    "Argo's background analysis is spec.analysis: its metrics are checked every interval while the canary gets traffic",
	"spec.strategy.steps[*].setCanaryScale":     "the canary Deployment runs its own replicas",
	"spec.strategy.steps[*].setHeaderRoute":     "header routes are spec.traffic.match, used while a canary is under test",
	"spec.strategy.steps[*].setMirrorRoute":     "Sluice does not mirror traffic",
	"spec.strategy.steps[*].experiment":         "Sluice runs no experiments; compare canary with stable with spec.analysis.judge",
	"spec.strategy.steps[*].plugin":             "Sluice has no step plugins; a webhook of type rollout runs at every check",
	"spec.strategy.steps[*].analysis.templates": "Argo's analysis templates are spec.analysis.metrics; a step's analysis is {passes: N}",
	"spec.strategy.steps[*].analysis.args":      "Argo's analysis arguments go into the queries of spec.analysis.metrics",
	"spec.template":                             "a pod template belongs in a Deployment: spec.workload.deployments (two Deployments) or spec.workload.target (one, kept in Git); " + convertHint,
	"spec.selector":                             "the pods are selected by the Deployments named in spec.workload",
	"spec.replicas":                             "replicas are the Deployments' own",
	"spec.workloadRef":                          "Argo's workloadRef is spec.workload.target: {deployment: NAME, port: PORT}",
	"spec.minReadySeconds":                      "minReadySeconds is the Deployments' own",
	"spec.revisionHistoryLimit":                 "revisionHistoryLimit is the Deployments' own",
	"spec.restartAt":                            "restart the Deployment with kubectl rollout restart",
	"spec.rollbackWindow":                       "a rollback always returns to the stable version",
	"spec.progressDeadlineAbort":                "Sluice has no progress deadline; analysis without data fails after spec.analysis.noDataTimeout",

	// Argo Rollouts' AnalysisTemplate metrics, written into spec.analysis.metrics.
	"spec.analysis.metrics[*].provider":              "the query is query (PromQL), read from spec.analysis.prometheus.address",
	"spec.analysis.metrics[*].successCondition":      "Argo's successCondition is thresholdRange: {min: …, max: …}",
	"spec.analysis.metrics[*].failureCondition":      "Argo's failureCondition is thresholdRange: {min: …, max: …}, where the value must stay",
	"spec.analysis.metrics[*].failureLimit":          "failed checks roll back after spec.analysis.threshold",
	"spec.analysis.metrics[*].count":                 "an analysis step waits for {passes: N} passing checks",
	"spec.analysis.metrics[*].initialDelay":          "checks start once the canary gets traffic",
	"spec.analysis.metrics[*].consecutiveErrorLimit": "a check without data holds the step, and fails after spec.analysis.noDataTimeout",
	"spec.analysis.metrics[*].inconclusiveLimit":     "a check without data holds the step, and fails after spec.analysis.noDataTimeout",
	"spec.analysis.templates":                        "Argo's analysis templates are spec.analysis.metrics",
	"spec.analysis.args":                             "Argo's analysis arguments go into the queries of spec.analysis.metrics",
}

// foreignKeyHints are names that mean one thing wherever they are put.
var foreignKeyHints = map[string]string{
	"wait":  "a wait is pause: {duration: …}",
	"sleep": "a wait is pause: {duration: …}",
}

// foreignKinds are objects a Release file is sometimes mistaken for.
var foreignKinds = map[string]string{
	"flagger.app/Canary":                  "this is a Flagger Canary",
	"argoproj.io/Rollout":                 "this is an Argo Rollout",
	"argoproj.io/AnalysisTemplate":        "this is an Argo AnalysisTemplate, which sluice convert reads with the Rollout that uses it",
	"argoproj.io/ClusterAnalysisTemplate": "this is an Argo ClusterAnalysisTemplate, which sluice convert reads with the Rollout that uses it",
	"flagger.app/MetricTemplate":          "this is a Flagger MetricTemplate, which sluice convert reads with the Canary that uses it",
}
