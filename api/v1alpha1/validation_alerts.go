package v1alpha1

import (
	"fmt"
	"net/url"
	"regexp"
	"slices"

	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// The CRD's MaxItems for spec.alerts.
const maxAlerts = 10

// validateAlerts checks the receivers. Messages never repeat a URL: it
// usually carries the receiver's secret token, and errors end up in
// Events, logs and CI output.
func validateAlerts(alerts []Alert, local bool, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	errs = appendErr(errs, tooMany(p, len(alerts), maxAlerts, "alerts"))
	names := newNameSet(p, "alert")
	for i := range alerts {
		a, ap := &alerts[i], p.Index(i)
		errs = append(errs, names.check(i, a.Name)...)
		pp := ap.Child("provider")
		switch {
		case a.Provider == "":
			errs = append(errs, field.Required(pp, "must be set: one of "+alertProviderList()))
		case !slices.Contains(AlertProviders, a.Provider):
			errs = append(errs, &field.Error{Type: field.ErrorTypeNotSupported, Field: pp.String(), BadValue: string(a.Provider),
				Detail: fmt.Sprintf("%q is not an alert provider; use %s", a.Provider, alertProviderList())})
		}

		errs = append(errs, validateAlertURL(a, local, ap)...)

		if a.Severity != "" && !slices.Contains(AlertSeverities, a.Severity) {
			errs = append(errs, &field.Error{Type: field.ErrorTypeNotSupported, Field: ap.Child("severity").String(), BadValue: string(a.Severity),
				Detail: fmt.Sprintf("%q is not a severity; use info, warn or error", a.Severity)})
		}
		errs = appendErr(errs, positiveDuration(ap.Child("timeout"), a.Timeout))
	}
	return errs
}

func validateAlertURL(a *Alert, local bool, ap *field.Path) field.ErrorList {
	up, sp, ep := ap.Child("url"), ap.Child("urlSecretRef"), ap.Child("urlFromEnv")
	set := 0
	for _, has := range []bool{a.URL != "", a.URLSecretRef != nil, a.URLFromEnv != ""} {
		if has {
			set++
		}
	}
	switch {
	case set > 1:
		return field.ErrorList{field.Invalid(ap, field.OmitValueType{}, "set one of url, urlSecretRef or urlFromEnv")}
	case a.URLSecretRef != nil && local:
		return field.ErrorList{field.Invalid(sp, a.URLSecretRef.Name, "local releases read no Secrets; give the url, or urlFromEnv to read it from the environment")}
	case a.URLSecretRef != nil:
		var errs field.ErrorList
		if a.URLSecretRef.Name == "" {
			errs = append(errs, field.Required(sp.Child("name"), "must name a Secret in the release's namespace"))
		} else if len(validation.IsDNS1123Subdomain(a.URLSecretRef.Name)) > 0 {
			errs = append(errs, field.Invalid(sp.Child("name"), a.URLSecretRef.Name, fmt.Sprintf("%q is not a valid Secret name", a.URLSecretRef.Name)))
		}
		return errs
	case a.URLFromEnv != "" && !local:
		return field.ErrorList{field.Invalid(ep, a.URLFromEnv, "the controller reads no environment for releases; use urlSecretRef")}
	case a.URLFromEnv != "":
		if !envName.MatchString(a.URLFromEnv) || len(a.URLFromEnv) > 128 {
			return field.ErrorList{field.Invalid(ep, a.URLFromEnv, "is not an environment variable name (letters, digits and _, not starting with a digit)")}
		}
		return nil
	case a.URL == "":
		return field.ErrorList{field.Required(up, "must be set (or urlSecretRef on Kubernetes, urlFromEnv locally), such as https://hooks.slack.com/services/...")}
	}
	if u, err := url.Parse(a.URL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		// The URL is not repeated: it may hold the receiver's token.
		return field.ErrorList{field.Invalid(up, field.OmitValueType{}, "is not an absolute http:// or https:// URL")}
	}
	return nil
}

// envName is what a shell accepts as an environment variable's name.
var envName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

func alertProviderList() string {
	names := make([]string, len(AlertProviders))
	for i, p := range AlertProviders {
		names[i] = string(p)
	}
	return orList(names)
}
