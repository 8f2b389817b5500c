package v1alpha1

import (
	"fmt"
	"math"
	"net/url"
	"slices"
	"strconv"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// FormatError renders one problem as "<path>: <detail>", the way the CLI
// prints it, without the "Invalid value: ..." wording of field.Error,
// because every detail written here already names the bad value.
func FormatError(e *field.Error) string {
	if e == nil {
		return ""
	}
	detail := e.Detail
	if detail == "" {
		detail = e.ErrorBody()
	}
	if e.Field == "" || e.Field == "<nil>" {
		return detail
	}
	return e.Field + ": " + detail
}

// Validate reports every problem of the release at once, each with its
// field path, so that a file is fixed in one pass. It accepts a release
// before or after Default: fields left at zero mean "use the default".
//
// The rules are split by section: validation_workload.go,
// validation_traffic.go (and validation_match.go), validation_strategy.go,
// validation_analysis.go and validation_webhooks.go. Rules that pair two
// sections (a router with a workload driver, Prometheus with Kubernetes)
// are reported under the section that would have to change.
func (r *Release) Validate() field.ErrorList {
	var errs field.ErrorList
	errs = append(errs, validateMeta(&r.ObjectMeta, field.NewPath("metadata"))...)
	s, sp := &r.Spec, field.NewPath("spec")
	driver := workloadDriver(&s.Workload)
	errs = append(errs, validateWorkload(&s.Workload, sp.Child("workload"))...)
	errs = append(errs, validateTraffic(&s.Traffic, sp.Child("traffic"))...)
	errs = append(errs, validateRouterFits(driver, &s.Traffic, sp.Child("traffic"))...)
	errs = append(errs, validateStrategy(&s.Strategy, len(s.Analysis.Metrics) > 0, sp.Child("strategy"))...)
	errs = append(errs, validateAnalysis(&s.Analysis, driver, sp.Child("analysis"))...)
	errs = append(errs, validateWebhooks(s.Webhooks, sp.Child("webhooks"))...)
	errs = append(errs, validateAlerts(s.Alerts, driver == driverLocal, sp.Child("alerts"))...)
	return errs
}

func validateMeta(m *metav1.ObjectMeta, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	if m.Name == "" {
		errs = append(errs, field.Required(p.Child("name"), "must be set"))
	} else if len(validation.IsDNS1123Label(m.Name)) > 0 {
		errs = append(errs, field.Invalid(p.Child("name"), m.Name, fmt.Sprintf(
			"%q is not a valid name: %s", m.Name, labelRule)))
	}
	if m.Namespace != "" && len(validation.IsDNS1123Label(m.Namespace)) > 0 {
		errs = append(errs, field.Invalid(p.Child("namespace"), m.Namespace, fmt.Sprintf(
			"%q is not a valid namespace: %s", m.Namespace, labelRule)))
	}
	return errs
}

// How to write each kind of Kubernetes name, in the words of the messages.
const (
	labelRule     = "use at most 63 lower-case letters, digits and '-', starting and ending with a letter or digit"
	subdomainRule = "use at most 253 lower-case letters, digits, '-' and '.', starting and ending with a letter or digit"
	serviceRule   = "use at most 63 lower-case letters, digits and '-', starting with a letter and ending with a letter or digit"
)

// objectName checks the name of an object the release refers to (a
// Deployment, a VirtualService); what names its kind for the message.
// Most kinds take DNS-1123 subdomain names.
func objectName(p *field.Path, name, what string) *field.Error {
	if name == "" {
		return field.Required(p, "must be set")
	}
	if len(validation.IsDNS1123Subdomain(name)) > 0 {
		return field.Invalid(p, name, fmt.Sprintf("%q is not a valid %s name: %s", name, what, subdomainRule))
	}
	return nil
}

// serviceName checks a Service name, which is stricter than most: a
// DNS-1035 label, because it becomes a DNS name of its own.
func serviceName(p *field.Path, name string) *field.Error {
	if name == "" {
		return field.Required(p, "must be set")
	}
	if len(validation.IsDNS1035Label(name)) > 0 {
		return field.Invalid(p, name, fmt.Sprintf("%q is not a valid Service name: %s", name, serviceRule))
	}
	return nil
}

// httpURL checks a URL Sluice will send requests to.
func httpURL(p *field.Path, s string) *field.Error {
	if u, err := url.Parse(s); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return field.Invalid(p, s, fmt.Sprintf("%q is not an absolute http:// or https:// URL", s))
	}
	return nil
}

// uniqueNames checks a list of names that must each be set, be valid (when
// valid is not nil) and appear once; what says what a name refers to.
func uniqueNames(p *field.Path, names []string, what string, valid func(*field.Path, string) *field.Error) field.ErrorList {
	var errs field.ErrorList
	first := map[string]int{}
	for i, name := range names {
		ip := p.Index(i)
		if name == "" {
			errs = append(errs, field.Required(ip, "must not be empty: name "+what))
			continue
		}
		if valid != nil {
			errs = appendErr(errs, valid(ip, name))
		}
		if j, dup := first[name]; dup {
			errs = append(errs, duplicate(ip, name, "listed at", p.Index(j)))
			continue
		}
		first[name] = i
	}
	return errs
}

// duplicate reports a name already used earlier in a list, pointing at the
// first use so the user can decide which one to change.
func duplicate(p *field.Path, name, how string, first *field.Path) *field.Error {
	return &field.Error{Type: field.ErrorTypeDuplicate, Field: p.String(), BadValue: name,
		Detail: fmt.Sprintf("%q is already %s %s", name, how, first)}
}

// tooMany mirrors a MaxItems bound of the CRD, so a file that `sluice lint`
// accepts is not refused by the API server.
func tooMany(p *field.Path, n, limit int, what string) *field.Error {
	if n <= limit {
		return nil
	}
	return &field.Error{Type: field.ErrorTypeTooMany, Field: p.String(), BadValue: n,
		Detail: fmt.Sprintf("%d %s; at most %d are allowed", n, what, limit)}
}

// exactlyOne says which of the named members must be set, in the words a
// user will search the docs for.
func exactlyOne(p *field.Path, names []string, set ...bool) *field.Error {
	var found []string
	for i, ok := range set {
		if ok {
			found = append(found, names[i])
		}
	}
	switch len(found) {
	case 1:
		return nil
	case 0:
		return field.Required(p, fmt.Sprintf("exactly one of %s must be set", orList(names)))
	default:
		return field.Forbidden(p, fmt.Sprintf("exactly one of %s must be set, found %s", orList(names), strings.Join(found, " and ")))
	}
}

func orList(names []string) string {
	if len(names) <= 1 {
		return strings.Join(names, "")
	}
	return strings.Join(names[:len(names)-1], ", ") + " or " + names[len(names)-1]
}

func intRange(p *field.Path, v, lo, hi int32) *field.Error {
	switch {
	case v < lo:
		return field.Invalid(p, v, fmt.Sprintf("%d is below %d", v, lo))
	case v > hi:
		return field.Invalid(p, v, fmt.Sprintf("%d is above %d", v, hi))
	}
	return nil
}

func floatRange(p *field.Path, v *float64, info MetricInfo) *field.Error {
	switch {
	case v == nil:
		return nil
	case math.IsNaN(*v):
		return field.Invalid(p, "NaN", "NaN is not a number")
	case *v < info.Min:
		return field.Invalid(p, *v, fmt.Sprintf("%s is below %s %s", fmtFloat(*v), fmtFloat(info.Min), info.Unit))
	case *v > info.Max:
		return field.Invalid(p, *v, fmt.Sprintf("%s is above %s %s", fmtFloat(*v), fmtFloat(info.Max), info.Unit))
	}
	return nil
}

func positiveDuration(p *field.Path, d *metav1.Duration) *field.Error {
	if d == nil || d.Duration > 0 {
		return nil
	}
	return field.Invalid(p, d.Duration.String(), fmt.Sprintf("%s is not a positive duration", d.Duration))
}

func fmtFloat(f float64) string { return strconv.FormatFloat(f, 'g', -1, 64) }

func appendErr(errs field.ErrorList, e *field.Error) field.ErrorList {
	if e == nil {
		return errs
	}
	return append(errs, e)
}

// isToken reports an RFC 9110 token, the syntax of header and cookie names.
func isToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0 {
			continue
		}
		return false
	}
	return true
}

func sortedMapKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// nameSet checks the names of a list keyed by name (webhooks, alerts): each
// set, a DNS label, and used once, the repeat pointing at the first.
type nameSet struct {
	p     *field.Path
	what  string
	first map[string]int
}

func newNameSet(p *field.Path, what string) *nameSet {
	return &nameSet{p: p, what: what, first: map[string]int{}}
}

// check checks the name of item i.
func (s *nameSet) check(i int, name string) field.ErrorList {
	var errs field.ErrorList
	np := s.p.Index(i).Child("name")
	switch {
	case name == "":
		errs = append(errs, field.Required(np, "must be set"))
	case len(validation.IsDNS1123Label(name)) > 0:
		errs = append(errs, field.Invalid(np, name, fmt.Sprintf("%q is not a valid %s name: %s", name, s.what, labelRule)))
	}
	if j, dup := s.first[name]; dup && name != "" {
		errs = append(errs, duplicate(np, name, "used by", s.p.Index(j)))
	} else {
		s.first[name] = i
	}
	return errs
}
