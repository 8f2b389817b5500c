package v1alpha1

import (
	"errors"
	"fmt"
	"math"
	"net"
	"net/url"
	"regexp"
	"regexp/syntax"
	"slices"
	"strconv"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// MetricInfo is what validation knows about a metric name, so a range that
// can never be met (a success rate above 100) is caught before a release
// starts rather than by a rollback.
// +kubebuilder:object:generate=false
type MetricInfo struct {
	// Unit names what the values measure, for messages.
	Unit string
	// Min and Max bound the values a thresholdRange may name.
	Min, Max float64
}

// KnownMetrics are the metric names Validate accepts. It is a variable so
// that sources of custom metrics can add theirs.
var KnownMetrics = map[string]MetricInfo{
	MetricRequestSuccessRate: {Unit: "percent", Min: 0, Max: 100},
	MetricRequestDuration:    {Unit: "milliseconds", Min: 0, Max: math.Inf(1)},
}

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
func (r *Release) Validate() field.ErrorList {
	var errs field.ErrorList
	errs = append(errs, validateMeta(&r.ObjectMeta, field.NewPath("metadata"))...)
	sp := field.NewPath("spec")
	errs = append(errs, validateWorkload(&r.Spec.Workload, sp.Child("workload"))...)
	errs = append(errs, validateTraffic(&r.Spec.Traffic, sp.Child("traffic"))...)
	errs = append(errs, validateStrategy(&r.Spec.Strategy, len(r.Spec.Analysis.Metrics) > 0, sp.Child("strategy"))...)
	errs = append(errs, validateAnalysis(&r.Spec.Analysis, sp.Child("analysis"))...)
	return errs
}

func validateMeta(m *metav1.ObjectMeta, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	if m.Name == "" {
		errs = append(errs, field.Required(p.Child("name"), "must be set"))
	} else if len(validation.IsDNS1123Label(m.Name)) > 0 {
		errs = append(errs, field.Invalid(p.Child("name"), m.Name, fmt.Sprintf(
			"%q is not a valid name: use at most 63 lower-case letters, digits and '-', starting and ending with a letter or digit", m.Name)))
	}
	if m.Namespace != "" && len(validation.IsDNS1123Label(m.Namespace)) > 0 {
		errs = append(errs, field.Invalid(p.Child("namespace"), m.Namespace, fmt.Sprintf(
			"%q is not a valid namespace: use at most 63 lower-case letters, digits and '-', starting and ending with a letter or digit", m.Namespace)))
	}
	return errs
}

func validateWorkload(w *WorkloadSpec, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	if err := exactlyOne(p, []string{p.Child("local").String()}, w.Local != nil); err != nil {
		errs = append(errs, err)
	}
	if w.Local != nil {
		lp := p.Child("local")
		errs = append(errs, validateLocalVersion(&w.Local.Stable, lp.Child("stable"))...)
		errs = append(errs, validateLocalVersion(&w.Local.Canary, lp.Child("canary"))...)
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
		if u, err := url.Parse(v.URL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			errs = append(errs, field.Invalid(p.Child("url"), v.URL, fmt.Sprintf("%q is not an absolute http:// or https:// URL", v.URL)))
		}
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

func validateTraffic(t *TrafficSpec, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	if err := exactlyOne(p, []string{p.Child("proxy").String()}, t.Proxy != nil); err != nil {
		errs = append(errs, err)
	}
	if t.Proxy != nil {
		errs = appendErr(errs, validateListen(p.Child("proxy", "listen"), t.Proxy.Listen))
	}
	for i := range t.Match {
		errs = append(errs, validateMatchRule(&t.Match[i], p.Child("match").Index(i))...)
	}
	return errs
}

func validateListen(p *field.Path, listen string) *field.Error {
	if listen == "" {
		return field.Required(p, "must be set, such as 127.0.0.1:8080")
	}
	_, port, err := net.SplitHostPort(listen)
	if err != nil {
		return field.Invalid(p, listen, fmt.Sprintf("%q is not a host:port address such as 127.0.0.1:8080", listen))
	}
	if _, err := strconv.ParseUint(port, 10, 16); err != nil {
		return field.Invalid(p, listen, fmt.Sprintf("port %q is not a number from 0 to 65535", port))
	}
	return nil
}

func validateMatchRule(m *MatchRule, p *field.Path) field.ErrorList {
	if len(m.Headers) == 0 && len(m.Cookies) == 0 {
		return field.ErrorList{field.Required(p, "a match rule needs at least one header or cookie")}
	}
	var errs field.ErrorList
	for _, kind := range []struct {
		child string
		items map[string]StringMatch
	}{{"headers", m.Headers}, {"cookies", m.Cookies}} {
		for _, name := range sortedMapKeys(kind.items) {
			kp := p.Child(kind.child).Key(name)
			if !isToken(name) {
				what := "header"
				if kind.child == "cookies" {
					what = "cookie"
				}
				errs = append(errs, field.Invalid(kp, name, fmt.Sprintf("%q is not a valid %s name", name, what)))
			}
			errs = append(errs, validateStringMatch(kind.items[name], kp)...)
		}
	}
	return errs
}

func validateStringMatch(s StringMatch, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	errs = appendErr(errs, exactlyOne(p, []string{"exact", "prefix", "regex"}, s.Exact != "", s.Prefix != "", s.Regex != ""))
	if s.Regex != "" {
		if _, err := regexp.Compile(s.Regex); err != nil {
			reason := err.Error()
			var se *syntax.Error
			if errors.As(err, &se) {
				reason = se.Code.String()
			}
			errs = append(errs, field.Invalid(p.Child("regex"), s.Regex, fmt.Sprintf("%q is not a valid RE2 expression: %s", s.Regex, reason)))
		}
	}
	return errs
}

func validateStrategy(s *Strategy, hasMetrics bool, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	hasSteps := len(s.Steps) > 0
	hasShort := s.StepWeight != 0 || len(s.StepWeights) > 0
	switch {
	case hasSteps && hasShort:
		errs = append(errs, field.Forbidden(p, "set either steps or stepWeight/stepWeights, not both"))
	case !hasSteps && !hasShort:
		errs = append(errs, field.Required(p, "set steps, or stepWeight or stepWeights"))
	}
	if hasSteps && s.MaxWeight != 0 {
		errs = append(errs, field.Forbidden(p.Child("maxWeight"), "only applies to stepWeight, not to steps"))
	}
	if s.StepWeight != 0 && len(s.StepWeights) > 0 {
		errs = append(errs, field.Forbidden(p.Child("stepWeights"), "set stepWeight or stepWeights, not both"))
	}
	if s.StepWeight != 0 {
		errs = appendErr(errs, intRange(p.Child("stepWeight"), s.StepWeight, 1, 100))
	}
	if s.MaxWeight != 0 {
		errs = appendErr(errs, intRange(p.Child("maxWeight"), s.MaxWeight, 1, 100))
	}
	for i, w := range s.StepWeights {
		wp := p.Child("stepWeights").Index(i)
		switch {
		case w < 1 || w > 100:
			errs = appendErr(errs, intRange(wp, w, 1, 100))
		case i > 0 && w <= s.StepWeights[i-1]:
			errs = append(errs, field.Invalid(wp, w, fmt.Sprintf("%d is not above the previous weight %d", w, s.StepWeights[i-1])))
		case s.MaxWeight > 0 && w > s.MaxWeight:
			errs = append(errs, field.Invalid(wp, w, fmt.Sprintf("%d is above maxWeight %d", w, s.MaxWeight)))
		}
	}

	var gate *field.Path // where the first analysis gate is, if any
	for i := range s.Steps {
		sp := p.Child("steps").Index(i)
		errs = append(errs, validateStep(&s.Steps[i], sp)...)
		if s.Steps[i].Analysis != nil && gate == nil {
			gate = sp.Child("analysis")
		}
	}
	if !hasMetrics {
		switch {
		case gate != nil:
			errs = append(errs, field.Required(gate, "analysis steps need at least one metric in spec.analysis.metrics"))
		case !hasSteps && s.StepWeight != 0:
			errs = append(errs, field.Required(p.Child("stepWeight"), "stepWeight waits for passing analysis checks, which need at least one metric in spec.analysis.metrics"))
		case !hasSteps && len(s.StepWeights) > 0:
			errs = append(errs, field.Required(p.Child("stepWeights"), "stepWeights waits for passing analysis checks, which need at least one metric in spec.analysis.metrics"))
		}
	}
	return errs
}

func validateStep(s *Step, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	errs = appendErr(errs, exactlyOne(p, []string{"setWeight", "pause", "analysis"}, s.SetWeight != nil, s.Pause != nil, s.Analysis != nil))
	if s.SetWeight != nil {
		errs = appendErr(errs, intRange(p.Child("setWeight"), *s.SetWeight, 0, 100))
	}
	if s.Pause != nil && s.Pause.Duration != nil && s.Pause.Duration.Duration < 0 {
		d := s.Pause.Duration.Duration
		errs = append(errs, field.Invalid(p.Child("pause", "duration"), d.String(), fmt.Sprintf("%s is negative", d)))
	}
	if s.Analysis != nil && s.Analysis.Passes < 0 {
		errs = appendErr(errs, intRange(p.Child("analysis", "passes"), s.Analysis.Passes, 1, math.MaxInt32))
	}
	return errs
}

func validateAnalysis(a *Analysis, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	errs = appendErr(errs, positiveDuration(p.Child("interval"), a.Interval))
	errs = appendErr(errs, positiveDuration(p.Child("noDataTimeout"), a.NoDataTimeout))
	if a.Threshold < 0 {
		errs = appendErr(errs, intRange(p.Child("threshold"), a.Threshold, 1, math.MaxInt32))
	}
	first := map[string]int{}
	for i := range a.Metrics {
		mp := p.Child("metrics").Index(i)
		errs = append(errs, validateMetric(&a.Metrics[i], mp)...)
		name := a.Metrics[i].Name
		if j, dup := first[name]; dup && name != "" {
			errs = append(errs, &field.Error{Type: field.ErrorTypeDuplicate, Field: mp.Child("name").String(), BadValue: name,
				Detail: fmt.Sprintf("%q is already checked by %s", name, p.Child("metrics").Index(j))})
			continue
		}
		first[name] = i
	}
	return errs
}

func validateMetric(m *MetricCheck, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	info, known := KnownMetrics[m.Name]
	switch {
	case m.Name == "":
		errs = append(errs, field.Required(p.Child("name"), "must be set"))
	case !known:
		names := make([]string, 0, len(KnownMetrics))
		for n := range KnownMetrics {
			names = append(names, n)
		}
		slices.Sort(names)
		errs = append(errs, &field.Error{Type: field.ErrorTypeNotSupported, Field: p.Child("name").String(), BadValue: m.Name,
			Detail: fmt.Sprintf("%q is not a known metric; known metrics: %s", m.Name, strings.Join(names, ", "))})
	}
	tr, tp := m.ThresholdRange, p.Child("thresholdRange")
	switch {
	case tr.Min == nil && tr.Max == nil:
		errs = append(errs, field.Required(tp, "needs min, max or both"))
	case tr.Min != nil && tr.Max != nil && *tr.Min > *tr.Max:
		errs = append(errs, field.Invalid(tp, fmt.Sprintf("%s..%s", fmtFloat(*tr.Min), fmtFloat(*tr.Max)),
			fmt.Sprintf("min %s is above max %s", fmtFloat(*tr.Min), fmtFloat(*tr.Max))))
	}
	if known {
		errs = appendErr(errs, floatRange(tp.Child("min"), tr.Min, info))
		errs = appendErr(errs, floatRange(tp.Child("max"), tr.Max, info))
	}
	errs = appendErr(errs, positiveDuration(p.Child("window"), m.Window))
	return errs
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
