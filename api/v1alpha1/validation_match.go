package v1alpha1

import (
	"errors"
	"fmt"
	"regexp"
	"regexp/syntax"

	"k8s.io/apimachinery/pkg/util/validation/field"
)

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
