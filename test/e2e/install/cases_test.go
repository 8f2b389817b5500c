package install

// refusedCases are broken specs the CRD must refuse, each a merge patch on
// baseRelease and the problems the API server must name.
var refusedCases = map[string]struct {
	patch string
	want  []refusal
}{
	"a webhook that may hang for an hour": {
		patch: `spec: {webhooks: [{name: load, type: rollout, url: "http://loadtester/", timeout: 1h}]}`,
		want:  []refusal{{"spec.webhooks[0].timeout", "a webhook may take at most 5m"}},
	},
	"a step with setWeight and pause": {
		patch: `spec: {strategy: {steps: [{setWeight: 10, pause: {duration: 1m}}]}}`,
		want:  []refusal{{"spec.strategy.steps[0]", "exactly one of setWeight, pause or analysis must be set"}},
	},
	"an empty step": {
		patch: `spec: {strategy: {steps: [{setWeight: 10}, {}]}}`,
		want:  []refusal{{"spec.strategy.steps[1]", "exactly one of setWeight, pause or analysis must be set"}},
	},
	"steps and stepWeight together": {
		patch: `spec: {strategy: {stepWeight: 10}}`,
		want:  []refusal{{"spec.strategy", "set steps, or stepWeight or stepWeights, not both"}},
	},
	"no steps and no stepWeight": {
		patch: `spec: {strategy: {steps: null}}`,
		want:  []refusal{{"spec.strategy", "set steps, or stepWeight or stepWeights, not both"}},
	},
	"a thresholdRange with neither bound": {
		patch: `spec: {analysis: {metrics: [{name: request-success-rate, thresholdRange: {}}]}}`,
		want:  []refusal{{"spec.analysis.metrics[0].thresholdRange", "needs min, max or both"}},
	},
	"an interval that is not a duration": {
		patch: `spec: {analysis: {interval: soon}}`,
		want:  []refusal{{"spec.analysis.interval", "should match"}},
	},
	"a negative pause": {
		patch: `spec: {strategy: {steps: [{setWeight: 10}, {pause: {duration: "-1m"}}]}}`,
		want:  []refusal{{"spec.strategy.steps[1].pause.duration", "should match"}},
	},
	"the same Deployment as stable and canary": {
		patch: `spec: {workload: {deployments: {canary: api-v1}}}`,
		want:  []refusal{{"spec.workload.deployments", "the canary must be another Deployment than stable"}},
	},
	"the proxy router on Kubernetes": {
		patch: `spec: {traffic: {istio: null, proxy: {listen: "127.0.0.1:8080"}}}`,
		want:  []refusal{{"spec", "the proxy router goes with spec.workload.local, and only with it"}},
	},
	"two webhooks with one name": {
		patch: `spec: {webhooks: [{name: load, type: rollout, url: "http://a.test/"}, {name: load, type: event, url: "http://b.test/"}]}`,
		want:  []refusal{{"spec.webhooks[1]", "Duplicate value"}},
	},
	"a stepWeights entry above 100": {
		patch: `spec: {strategy: {steps: null, stepWeights: [10, 150]}}`,
		want:  []refusal{{"spec.strategy.stepWeights[1]", "should be less than or equal to 100"}},
	},
	"a Prometheus address that is no URL": {
		patch: `spec: {analysis: {prometheus: {address: "prometheus:9090"}}}`,
		want:  []refusal{{"spec.analysis.prometheus.address", "should match '^https?://'"}},
	},
	"the same Istio destination for stable and canary": {
		patch: `spec: {traffic: {istio: {canary: {subset: v1}}}}`,
		want:  []refusal{{"spec.traffic.istio", "stable and canary must be different destinations"}},
	},
	"two workload forms": {
		patch: `spec: {workload: {target: {deployment: api, port: 80}}}`,
		want:  []refusal{{"spec.workload", "exactly one of local, deployments or target must be set"}},
	},
	"no workload form": {
		patch: `spec: {workload: {deployments: null}}`,
		want:  []refusal{{"spec.workload", "exactly one of local, deployments or target must be set"}},
	},
	"two routers": {
		patch: `spec: {traffic: {gatewayAPI: {httpRoute: api, stableService: api-v1, canaryService: api-v2}}}`,
		want:  []refusal{{"spec.traffic", "exactly one of proxy, istio or gatewayAPI must be set"}},
	},
	"setWeight above 100": {
		patch: `spec: {strategy: {steps: [{setWeight: 120}]}}`,
		want:  []refusal{{"spec.strategy.steps[0].setWeight", "should be less than or equal to 100"}},
	},
	"negative setWeight": {
		patch: `spec: {strategy: {steps: [{setWeight: 10}, {setWeight: -5}]}}`,
		want:  []refusal{{"spec.strategy.steps[1].setWeight", "should be greater than or equal to 0"}},
	},
	"stepWeight above 100": {
		patch: `spec: {strategy: {steps: null, stepWeight: 101}}`,
		want:  []refusal{{"spec.strategy.stepWeight", "should be less than or equal to 100"}},
	},
	"a header match with exact and regex": {
		patch: `spec: {traffic: {match: [{headers: {x-canary: {exact: "true", regex: "tr.*"}}}]}}`,
		want:  []refusal{{"spec.traffic.match[0].headers[x-canary]", "exactly one of exact, prefix or regex must be set"}},
	},
	"a cookie match with no value": {
		patch: `spec: {traffic: {match: [{cookies: {canary: {}}}]}}`,
		want:  []refusal{{"spec.traffic.match[0].cookies[canary]", "exactly one of exact, prefix or regex must be set"}},
	},
	"an empty match rule": {
		patch: `spec: {traffic: {match: [{}]}}`,
		want:  []refusal{{"spec.traffic.match[0]", "a match rule needs at least one header or cookie"}},
	},
	"a local version with command and url": {
		patch: `spec: {workload: {deployments: null, local: {stable: {command: [./api], url: "http://127.0.0.1:9001"}, canary: {url: "http://127.0.0.1:9002"}}}}`,
		want:  []refusal{{"spec.workload.local.stable", "exactly one of command or url must be set"}},
	},
	"a local version with neither command nor url": {
		patch: `spec: {workload: {deployments: null, local: {stable: {url: "http://127.0.0.1:9001"}, canary: {version: v2}}}}`,
		want:  []refusal{{"spec.workload.local.canary", "exactly one of command or url must be set"}},
	},
	"an Istio destination with neither host nor subset": {
		patch: `spec: {traffic: {istio: {canary: {host: null, subset: null}}}}`,
		want:  []refusal{{"spec.traffic.istio.canary", "set host, subset or both"}},
	},
	"a target port above 65535": {
		patch: `spec: {workload: {deployments: null, target: {deployment: api, port: 70000}}}`,
		want:  []refusal{{"spec.workload.target.port", "should be less than or equal to 65535"}},
	},
	"an empty Deployment name": {
		patch: `spec: {workload: {deployments: {stable: ""}}}`,
		want:  []refusal{{"spec.workload.deployments.stable", "should be at least 1 chars long"}},
	},
	"an unknown webhook type": {
		patch: `spec: {webhooks: [{name: load, type: later, url: "http://loadtester.test/"}]}`,
		want:  []refusal{{"spec.webhooks[0].type", `Unsupported value: "later"`}},
	},
	"a webhook URL without a scheme": {
		patch: `spec: {webhooks: [{name: load, type: rollout, url: "loadtester:8080"}]}`,
		want:  []refusal{{"spec.webhooks[0].url", "should match '^https?://'"}},
	},
	"too many webhooks": {
		patch: manyWebhooks(),
		want:  []refusal{{"spec.webhooks", "must have at most 20 items"}},
	},
	"an alert with an unknown provider": {
		patch: `spec: {alerts: [{name: chat, provider: mattermost, url: "https://chat.test/hook"}]}`,
		want:  []refusal{{"spec.alerts[0].provider", `Unsupported value: "mattermost"`}},
	},
	"an alert with both url and urlSecretRef": {
		patch: `spec: {alerts: [{name: chat, provider: slack, url: "https://hooks.slack.test/x", urlSecretRef: {name: slack}}]}`,
		want:  []refusal{{"spec.alerts[0]", "exactly one of url, urlSecretRef or urlFromEnv must be set"}},
	},
	"an alert with neither url nor urlSecretRef": {
		patch: `spec: {alerts: [{name: chat, provider: teams}]}`,
		want:  []refusal{{"spec.alerts[0]", "exactly one of url, urlSecretRef or urlFromEnv must be set"}},
	},
	"an alert URL from the controller's environment": {
		patch: `spec: {alerts: [{name: chat, provider: slack, urlFromEnv: SLACK_URL}]}`,
		want:  []refusal{{"spec", "alerts[].urlFromEnv is read by sluice run only; on Kubernetes use urlSecretRef"}},
	},
	"an alert URL without a scheme": {
		patch: `spec: {alerts: [{name: chat, provider: discord, url: "discord.test/api/webhooks/1"}]}`,
		want:  []refusal{{"spec.alerts[0].url", "should match '^https?://'"}},
	},
	"an alert with an unknown severity": {
		patch: `spec: {alerts: [{name: chat, provider: webhook, url: "https://a.test/", severity: critical}]}`,
		want:  []refusal{{"spec.alerts[0].severity", `Unsupported value: "critical"`}},
	},
	"a judge alpha above 0.5": {
		patch: `spec: {analysis: {judge: {alpha: 0.9}}}`,
		want:  []refusal{{"spec.analysis.judge.alpha", "should be less than or equal to 0.5"}},
	},
	"a threshold of 0": {
		patch: `spec: {analysis: {threshold: 0}}`,
		want:  []refusal{{"spec.analysis.threshold", "should be greater than or equal to 1"}},
	},
	"several mistakes are reported together": {
		patch: `spec: {workload: {target: {deployment: api, port: 80}}, strategy: {steps: [{setWeight: 120}]}, traffic: {match: [{}]}}`,
		want: []refusal{
			{"spec.workload", "exactly one of local, deployments or target must be set"},
			{"spec.strategy.steps[0].setWeight", "should be less than or equal to 100"},
			{"spec.traffic.match[0]", "a match rule needs at least one header or cookie"},
		},
	},
}

// admittedGaps are mistakes `sluice lint` (Validate) refuses that the CRD
// cannot: whether a metric name is known depends on the controller's list.
var admittedGaps = map[string]struct{ patch string }{
	"an unknown metric without a query": {patch: `spec: {analysis: {metrics: [{name: error-budget, thresholdRange: {min: 1}}]}}`},
	// Zeros the CRD's bounds allow but a default replaces: lint refuses
	// them while decoding, where it can still see them written.
	"a judge alpha of 0 (the default 0.01 runs)":      {patch: `spec: {analysis: {judge: {alpha: 0}}}`},
	"a judge minRequests of 0 (the default 500 runs)": {patch: `spec: {analysis: {judge: {minRequests: 0}}}`},
	"a pause of 0s (waits until promoted)":            {patch: `spec: {strategy: {steps: [{setWeight: 10}, {pause: {duration: 0s}}]}}`},
	"an empty Secret key (the key url is read)":       {patch: `spec: {alerts: [{name: chat, provider: slack, urlSecretRef: {name: hooks, key: ""}}]}`},
}
