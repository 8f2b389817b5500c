package v1alpha1

import (
	"fmt"
	"strings"

	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// The workload drivers, named as in spec.workload.
const (
	driverLocal       = "local"
	driverDeployments = "deployments"
	driverTarget      = "target"
)

// workloadDriver names the one workload member that is set, or "" when
// none or several are; rules that pair the workload with other sections
// only apply once the workload is unambiguous, so that one mistake is not
// reported three times.
func workloadDriver(w *WorkloadSpec) string {
	var found []string
	if w.Local != nil {
		found = append(found, driverLocal)
	}
	if w.Deployments != nil {
		found = append(found, driverDeployments)
	}
	if w.Target != nil {
		found = append(found, driverTarget)
	}
	if len(found) != 1 {
		return ""
	}
	return found[0]
}

func validateWorkload(w *WorkloadSpec, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	errs = appendErr(errs, exactlyOne(p, []string{driverLocal, driverDeployments, driverTarget},
		w.Local != nil, w.Deployments != nil, w.Target != nil))
	if w.Local != nil {
		lp := p.Child("local")
		errs = append(errs, validateLocalVersion(&w.Local.Stable, lp.Child("stable"))...)
		errs = append(errs, validateLocalVersion(&w.Local.Canary, lp.Child("canary"))...)
	}
	if w.Deployments != nil {
		errs = append(errs, validateDeployments(w.Deployments, p.Child("deployments"))...)
	}
	if w.Target != nil {
		errs = append(errs, validateTarget(w.Target, p.Child("target"))...)
	}
	return errs
}

func validateLocalVersion(v *LocalVersion, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	hasCommand, hasURL := len(v.Command) > 0, v.URL != ""
	switch {
	case !hasCommand && !hasURL:
		errs = append(errs, field.Required(p, "exactly one of command or url must be set"))
	case hasCommand && hasURL:
		errs = append(errs, field.Forbidden(p, "command and url are both set; set exactly one"))
	}
	if hasCommand && v.Command[0] == "" {
		errs = append(errs, field.Invalid(p.Child("command").Index(0), "", "the program must not be empty"))
	}
	if hasURL {
		errs = appendErr(errs, httpURL(p.Child("url"), v.URL))
		if !hasCommand && len(v.Env) > 0 {
			errs = append(errs, field.Forbidden(p.Child("env"), "only applies to command, not to url"))
		}
		if !hasCommand && v.Dir != "" {
			errs = append(errs, field.Forbidden(p.Child("dir"), "only applies to command, not to url"))
		}
	}
	for _, k := range sortedMapKeys(v.Env) {
		if k == "" || strings.ContainsAny(k, "=\x00") {
			errs = append(errs, field.Invalid(p.Child("env").Key(k), k, fmt.Sprintf("%q is not a valid environment variable name", k)))
		}
	}
	if v.HealthPath != "" && !strings.HasPrefix(v.HealthPath, "/") {
		errs = append(errs, field.Invalid(p.Child("healthPath"), v.HealthPath, fmt.Sprintf("%q must start with '/'", v.HealthPath)))
	}
	errs = appendErr(errs, positiveDuration(p.Child("startTimeout"), v.StartTimeout))
	return errs
}

func validateDeployments(d *DeploymentsWorkload, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	errs = appendErr(errs, objectName(p.Child("stable"), d.Stable, "Deployment"))
	errs = appendErr(errs, objectName(p.Child("canary"), d.Canary, "Deployment"))
	if d.Stable != "" && d.Canary == d.Stable {
		errs = append(errs, field.Invalid(p.Child("canary"), d.Canary, fmt.Sprintf(
			"%q is also the stable Deployment; the canary must be another Deployment", d.Canary)))
	}
	return errs
}

// Suffixes of the objects Sluice creates next to a target Deployment.
const (
	primarySuffix = "-primary"
	canarySuffix  = "-canary"
)

func validateTarget(t *TargetWorkload, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	dp := p.Child("deployment")
	if err := objectName(dp, t.Deployment, "Deployment"); err != nil {
		errs = append(errs, err)
	} else if svc := t.Deployment + primarySuffix; len(validation.IsDNS1035Label(svc)) > 0 {
		// The Deployment itself may exist under this name, but the
		// Services Sluice creates for it could not.
		errs = append(errs, field.Invalid(dp, t.Deployment, fmt.Sprintf(
			"%q gives Services named %s and %s%s, which are not valid Service names: a target needs a name of at most %d lower-case letters, digits and '-', starting with a letter",
			t.Deployment, svc, t.Deployment, canarySuffix, validation.DNS1035LabelMaxLength-len(primarySuffix))))
	}
	if t.Port == 0 {
		errs = append(errs, field.Required(p.Child("port"), "must be set: the port of the Services, from 1 to 65535"))
	} else {
		errs = appendErr(errs, intRange(p.Child("port"), t.Port, 1, 65535))
	}
	if t.TargetPort != 0 {
		errs = appendErr(errs, intRange(p.Child("targetPort"), t.TargetPort, 1, 65535))
	}
	return errs
}
