package convert

// Why the fields of Argo Rollouts' objects that no code maps have no
// counterpart in Sluice. Keys are paths with list indexes written [];
// a reason covers everything under its path.

const (
	noRuns       = "Sluice keeps no analysis runs: each check's result is in the Release's status and Events"
	idleCanary   = "Sluice scales the idle canary to zero when a release ends; the stable Deployment always serves"
	httpOnly     = "Sluice weights HTTP routes only"
	argoNoRouter = "a router Sluice does not drive; Sluice weights Istio VirtualServices and Gateway API HTTPRoutes"
	noDataHolds  = "a check without data (or whose query fails) holds the step, and fails after spec.analysis.noDataTimeout"
)

var rolloutReasons = map[string]string{
	"spec.rollbackWindow":                                                   "a rollback in Sluice always returns to the stable version, which still runs",
	"spec.restartAt":                                                        "restart the Deployments with kubectl rollout restart",
	"spec.progressDeadlineAbort":                                            "Sluice has no progress deadline: an unready canary holds its step",
	"spec.analysis":                                                         noRuns,
	"spec.workloadRef.scaleDown":                                            "Sluice keeps the target Deployment at 0 replicas: it only holds the template",
	"spec.strategy.canary.abortScaleDownDelaySeconds":                       idleCanary,
	"spec.strategy.canary.scaleDownDelaySeconds":                            idleCanary,
	"spec.strategy.canary.scaleDownDelayRevisionLimit":                      idleCanary,
	"spec.strategy.canary.dynamicStableScale":                               idleCanary,
	"spec.strategy.canary.minPodsPerReplicaSet":                             "the canary Deployment runs its own replica count",
	"spec.strategy.canary.antiAffinity":                                     "put pod anti-affinity into the pod template of the Deployments",
	"spec.strategy.canary.replicaProgressThreshold":                         "Sluice waits for every replica of a version to be ready",
	"spec.strategy.canary.analysis.analysisRunMetadata":                     noRuns,
	"spec.strategy.canary.analysis.dryRun":                                  "Sluice has no dry-run metrics: every metric it checks counts",
	"spec.strategy.canary.analysis.measurementRetention":                    noRuns,
	"spec.strategy.canary.analysis.startingStep":                            "Sluice checks the canary from the first step that gives it traffic",
	"spec.strategy.canary.steps[].analysis.analysisRunMetadata":             noRuns,
	"spec.strategy.canary.steps[].analysis.dryRun":                          "Sluice has no dry-run metrics: every metric it checks counts",
	"spec.strategy.canary.steps[].analysis.measurementRetention":            noRuns,
	"spec.strategy.canary.trafficRouting.managedRoutes":                     "Sluice manages one route of its own, sluice-canary-match, for spec.traffic.match",
	"spec.strategy.canary.trafficRouting.istio.virtualService.tcpRoutes":    httpOnly,
	"spec.strategy.canary.trafficRouting.istio.virtualService.tlsRoutes":    httpOnly,
	"spec.strategy.canary.trafficRouting.istio.virtualServices[].tcpRoutes": httpOnly,
	"spec.strategy.canary.trafficRouting.istio.virtualServices[].tlsRoutes": httpOnly,
	"spec.strategy.canary.trafficRouting.istio.virtualServices[].routes":    "see spec.traffic.istio.routes",
	"spec.strategy.canary.trafficRouting.alb":                               argoNoRouter,
	"spec.strategy.canary.trafficRouting.ambassador":                        argoNoRouter,
	"spec.strategy.canary.trafficRouting.apisix":                            argoNoRouter,
	"spec.strategy.canary.trafficRouting.appMesh":                           argoNoRouter,
	"spec.strategy.canary.trafficRouting.nginx":                             argoNoRouter,
	"spec.strategy.canary.trafficRouting.smi":                               argoNoRouter,
	"spec.strategy.canary.trafficRouting.traefik":                           argoNoRouter,
	"spec.strategy.canary.trafficRouting.plugins":                           argoNoRouter,
	"spec.strategy.canary.pingPong":                                         "Sluice keeps a stable and a canary side; use stableService and canaryService",
	"spec.strategy.blueGreen":                                               "Sluice moves traffic by weight, not by switching Services",
}

var analysisTemplateReasons = map[string]string{
	"spec.measurementRetention":                         noRuns,
	"spec.metrics[].initialDelay":                       "checks start once the canary gets traffic, one interval later",
	"spec.metrics[].consecutiveErrorLimit":              noDataHolds,
	"spec.metrics[].inconclusiveLimit":                  noDataHolds,
	"spec.metrics[].provider.prometheus.authentication": noCredentials,
	"spec.metrics[].provider.prometheus.headers":        noCredentials,
	"spec.metrics[].provider.prometheus.insecure":       noCredentials,
	"spec.metrics[].provider.prometheus.timeout":        "Sluice bounds each Prometheus query itself",
	"spec.metrics[].provider.prometheus.rangeQuery":     "Sluice reads an instant value at each check",
}
