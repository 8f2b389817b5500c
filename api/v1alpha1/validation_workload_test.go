package v1alpha1

import (
	"strings"
	"testing"
)

func TestValidateWorkload(t *testing.T) {
	long := strings.Repeat("a", 56) // 56 + len("-primary") > 63
	runValidate(t, map[string]validateCase{
		"no workload driver": {
			tc:   func(r *Release) { r.Spec.Workload.Local = nil },
			want: []string{"spec.workload: exactly one of local, deployments or target must be set"},
		},
		"two workload drivers": {
			tc: func(r *Release) {
				r.Spec.Workload.Deployments = &DeploymentsWorkload{Stable: "api-v1", Canary: "api-v2"}
			},
			want: []string{"spec.workload: exactly one of local, deployments or target must be set, found local and deployments"},
		},
		"three workload drivers, each still checked": {
			base: validIstioRelease,
			tc: func(r *Release) {
				r.Spec.Workload.Local = validRelease().Spec.Workload.Local
				r.Spec.Workload.Target = &TargetWorkload{Deployment: "api"}
			},
			want: []string{
				"spec.workload: exactly one of local, deployments or target must be set, found local and deployments and target",
				"spec.workload.target.port: must be set: the port of the Services, from 1 to 65535",
			},
		},
		"neither command nor url": {
			tc:   func(r *Release) { r.Spec.Workload.Local.Canary = LocalVersion{} },
			want: []string{"spec.workload.local.canary: exactly one of command or url must be set"},
		},
		"both command and url": {
			tc:   func(r *Release) { r.Spec.Workload.Local.Stable.URL = "http://127.0.0.1:9001" },
			want: []string{"spec.workload.local.stable: command and url are both set; set exactly one"},
		},
		"empty program": {
			tc:   func(r *Release) { r.Spec.Workload.Local.Stable.Command = []string{"", "x"} },
			want: []string{"spec.workload.local.stable.command[0]: the program must not be empty"},
		},
		"url not absolute": {
			tc:   func(r *Release) { r.Spec.Workload.Local.Canary.URL = "localhost:9002" },
			want: []string{`spec.workload.local.canary.url: "localhost:9002" is not an absolute http:// or https:// URL`},
		},
		"url wrong scheme": {
			tc:   func(r *Release) { r.Spec.Workload.Local.Canary.URL = "ftp://127.0.0.1/" },
			want: []string{`spec.workload.local.canary.url: "ftp://127.0.0.1/" is not an absolute http:// or https:// URL`},
		},
		"env and dir with url": {
			tc: func(r *Release) {
				r.Spec.Workload.Local.Canary.Env = map[string]string{"A": "b"}
				r.Spec.Workload.Local.Canary.Dir = "/tmp"
			},
			want: []string{
				"spec.workload.local.canary.env: only applies to command, not to url",
				"spec.workload.local.canary.dir: only applies to command, not to url",
			},
		},
		"bad env name": {
			tc:   func(r *Release) { r.Spec.Workload.Local.Stable.Env = map[string]string{"A=B": "c", "OK": "d"} },
			want: []string{`spec.workload.local.stable.env[A=B]: "A=B" is not a valid environment variable name`},
		},
		"healthPath without slash": {
			tc:   func(r *Release) { r.Spec.Workload.Local.Stable.HealthPath = "healthz" },
			want: []string{`spec.workload.local.stable.healthPath: "healthz" must start with '/'`},
		},
		"startTimeout zero": {
			tc:   func(r *Release) { r.Spec.Workload.Local.Stable.StartTimeout = dur(0) },
			want: []string{"spec.workload.local.stable.startTimeout: 0s is not a positive duration"},
		},
		"deployments missing": {
			base: validIstioRelease,
			tc:   func(r *Release) { r.Spec.Workload.Deployments = &DeploymentsWorkload{} },
			want: []string{
				"spec.workload.deployments.stable: must be set",
				"spec.workload.deployments.canary: must be set",
			},
		},
		"deployment names invalid": {
			base: validIstioRelease,
			tc: func(r *Release) {
				r.Spec.Workload.Deployments.Stable = "Api_v1"
				r.Spec.Workload.Deployments.Canary = "-v2"
			},
			want: []string{
				`spec.workload.deployments.stable: "Api_v1" is not a valid Deployment name: use at most 253 lower-case letters, digits, '-' and '.', starting and ending with a letter or digit`,
				`spec.workload.deployments.canary: "-v2" is not a valid Deployment name: use at most 253 lower-case letters, digits, '-' and '.', starting and ending with a letter or digit`,
			},
		},
		"deployment names are subdomains": {
			base: validIstioRelease,
			tc: func(r *Release) {
				r.Spec.Workload.Deployments.Stable = "api.v1"
				r.Spec.Workload.Deployments.Canary = "2" + strings.Repeat("a", 200)
			},
		},
		"same deployment twice": {
			base: validIstioRelease,
			tc:   func(r *Release) { r.Spec.Workload.Deployments.Canary = "api-v1" },
			want: []string{`spec.workload.deployments.canary: "api-v1" is also the stable Deployment; the canary must be another Deployment`},
		},
		"target missing": {
			base: validGatewayRelease,
			tc:   func(r *Release) { r.Spec.Workload.Target = &TargetWorkload{} },
			want: []string{
				"spec.workload.target.deployment: must be set",
				"spec.workload.target.port: must be set: the port of the Services, from 1 to 65535",
			},
		},
		"target name invalid": {
			base: validGatewayRelease,
			tc:   func(r *Release) { r.Spec.Workload.Target.Deployment = "API" },
			want: []string{`spec.workload.target.deployment: "API" is not a valid Deployment name: use at most 253 lower-case letters, digits, '-' and '.', starting and ending with a letter or digit`},
		},
		"target gives invalid Service names": {
			base: validGatewayRelease,
			tc:   func(r *Release) { r.Spec.Workload.Target.Deployment = "api.v1" },
			want: []string{`spec.workload.target.deployment: "api.v1" gives Services named api.v1-primary and api.v1-canary, which are not valid Service names: a target needs a name of at most 55 lower-case letters, digits and '-', starting with a letter`},
		},
		"target name too long for its Services": {
			base: validGatewayRelease,
			tc:   func(r *Release) { r.Spec.Workload.Target.Deployment = long },
			want: []string{`spec.workload.target.deployment: "` + long + `" gives Services named ` + long + `-primary and ` + long + `-canary, which are not valid Service names: a target needs a name of at most 55 lower-case letters, digits and '-', starting with a letter`},
		},
		"target name of 55 is fine": {
			base: validGatewayRelease,
			tc:   func(r *Release) { r.Spec.Workload.Target.Deployment = long[1:] },
		},
		"target ports out of range": {
			base: validGatewayRelease,
			tc: func(r *Release) {
				r.Spec.Workload.Target.Port = 70000
				r.Spec.Workload.Target.TargetPort = -1
			},
			want: []string{
				"spec.workload.target.port: 70000 is above 65535",
				"spec.workload.target.targetPort: -1 is below 1",
			},
		},
		"target port negative, targetPort too high": {
			base: validGatewayRelease,
			tc: func(r *Release) {
				r.Spec.Workload.Target.Port = -8
				r.Spec.Workload.Target.TargetPort = 65536
			},
			want: []string{
				"spec.workload.target.port: -8 is below 1",
				"spec.workload.target.targetPort: 65536 is above 65535",
			},
		},
		"invalid port without targetPort is reported once": {
			base: validGatewayRelease,
			tc: func(r *Release) {
				r.Spec.Workload.Target.Port = 70000
				r.Spec.Workload.Target.TargetPort = 0
			},
			want: []string{"spec.workload.target.port: 70000 is above 65535"},
		},
		"target ports at the bounds": {
			base: validGatewayRelease,
			tc: func(r *Release) {
				r.Spec.Workload.Target.Port = 1
				r.Spec.Workload.Target.TargetPort = 65535
			},
		},
	})
}
