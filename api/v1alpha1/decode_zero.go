package v1alpha1

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/util/validation/field"
)

// Many fields of a Release mean "use the default" when left out, and Go
// cannot tell a field left out from one written as 0. Decoding can: a zero
// written where it would silently become the default, or mean something
// else than it says, is refused here, naming the default.

// zeroRule is a field where an explicit zero is refused, and why.
type zeroRule struct {
	path   string // with [*] for every item of a list
	detail string
}

// zeroRules are in the order of the spec, as decoding reports.
var zeroRules = []zeroRule{
	{"spec.workload.target.targetPort", "leave targetPort out to use port"},
	{"spec.workload.local.stable.version", fmt.Sprintf("an empty version is shown as %q; leave it out for that, or name the version", DefaultStableVersion)},
	{"spec.workload.local.canary.version", fmt.Sprintf("an empty version is shown as %q; leave it out for that, or name the version", DefaultCanaryVersion)},
	{"spec.workload.local.stable.healthPath", fmt.Sprintf("an empty health path is %s; leave it out for that", DefaultHealthPath)},
	{"spec.workload.local.canary.healthPath", fmt.Sprintf("an empty health path is %s; leave it out for that", DefaultHealthPath)},
	{"spec.strategy.stepWeight", "a step of 0% never moves traffic: stepWeight is 1 to 100"},
	{"spec.strategy.maxWeight", fmt.Sprintf("maxWeight is 1 to 100; leave it out for the default %d", DefaultMaxWeight)},
	{"spec.strategy.steps[*].analysis.passes", fmt.Sprintf("a gate needs at least 1 passing check; leave passes out for the default %d", DefaultPasses)},
	{"spec.strategy.steps[*].pause.duration", "a pause of 0s would wait until `sluice promote`; leave duration out for that (pause: {}), or give how long to wait"},
	{"spec.analysis.threshold", fmt.Sprintf("0 failed checks cannot roll back: the threshold is at least 1; leave it out for the default %d", DefaultThreshold)},
	{"spec.analysis.judge.alpha", "an alpha of 0 would never roll back: it is above 0 and at most 0.5; leave it out for the default 0.01"},
	{"spec.analysis.judge.minRequests", "0 is not a minimum: leave it out for the default 500, or give 1 or more"},
	{"spec.analysis.prometheus.address", "an empty address is the controller's --prometheus-address; leave it out for that"},
	{"spec.alerts[*].severity", "an empty severity is info (every alert); leave it out for that"},
	{"spec.alerts[*].urlSecretRef.key", fmt.Sprintf("an empty key is %q; leave it out for that", DefaultAlertSecretKey)},
}

// checkZeros finds the fields of zeroRules written as a zero.
func checkZeros(tree any) field.ErrorList {
	var errs field.ErrorList
	for _, r := range zeroRules {
		for _, hit := range lookup(tree, nil, strings.Split(r.path, ".")) {
			if isZero(hit.v) {
				errs = append(errs, field.Invalid(hit.p, hit.v, fmt.Sprintf("%s: %s", shown(hit.v), r.detail)))
			}
		}
	}
	return errs
}

type found struct {
	p *field.Path
	v any
}

// lookup follows path segments through a decoded JSON tree; "name[*]"
// goes into every item of the list at name.
func lookup(v any, p *field.Path, segs []string) []found {
	if len(segs) == 0 {
		return []found{{p, v}}
	}
	obj, ok := v.(map[string]any)
	if !ok {
		return nil
	}
	name, each := strings.CutSuffix(segs[0], "[*]")
	child, ok := obj[name]
	if !ok {
		return nil
	}
	var cp *field.Path
	if p == nil {
		cp = field.NewPath(name)
	} else {
		cp = p.Child(name)
	}
	if !each {
		return lookup(child, cp, segs[1:])
	}
	list, _ := child.([]any)
	var out []found
	for i, item := range list {
		out = append(out, lookup(item, cp.Index(i), segs[1:])...)
	}
	return out
}

// isZero reports a number equal to 0, a duration of no time or an empty
// string. Values of the wrong type are the shape check's.
func isZero(v any) bool {
	switch x := v.(type) {
	case json.Number:
		f, err := x.Float64()
		return err == nil && f == 0
	case string:
		if x == "" {
			return true
		}
		d, err := time.ParseDuration(x)
		return err == nil && d == 0
	}
	return false
}

// shown is the value as written; an empty string quoted, so it shows.
func shown(v any) string {
	if s, ok := v.(string); ok {
		if s == "" {
			return `""`
		}
		return s
	}
	return fmt.Sprint(v)
}
