package convert

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// Argo Rollouts judges a measurement with expressions such as
// "result[0] >= 0.95" or "result[0] > 5 || result[0] < 1". Sluice judges a
// value by a range, so the expressions that bound one value from below
// and above are read into a range; any other expression is refused.

// bound is one comparison of the result with a number.
var bound = regexp.MustCompile(`^\(?\s*(?:(result(?:\[0\])?|asFloat\(result(?:\[0\])?\))\s*(>=|<=|>|<)\s*(-?[0-9.eE+-]+)|(-?[0-9.eE+-]+)\s*(>=|<=|>|<)\s*(result(?:\[0\])?|asFloat\(result(?:\[0\])?\)))\s*\)?$`)

// noData are guards for an empty or NaN result; Sluice holds a check
// without data, so they are dropped.
var noData = regexp.MustCompile(`^(len\(result\)\s*==\s*0|isNaN\(result(\[0\])?\)|isNil\(result(\[0\])?\))$`)

// rangeOf reads a successCondition (success true) or failureCondition into
// the range the value must stay in. strict says whether a > or < was read
// as >= or <=, which Sluice's ranges are.
func rangeOf(expr string, success bool) (lo, hi *float64, strict bool, err error) {
	sep := "&&"
	if !success {
		sep = "||" // failing if any bound is crossed: staying inside all of them
	}
	other := map[string]string{"&&": "||", "||": "&&"}[sep]
	if strings.Contains(expr, other) {
		if !success || !onlyGuards(expr, other) {
			return nil, nil, false, fmt.Errorf("%q: Sluice checks a value against a range; only conditions that bound the value (%s of >=, <=, >, <) can be read", expr, sep)
		}
		// "len(result) == 0 || result[0] >= 0.9": the guard, then the bound.
		parts := strings.Split(expr, other)
		expr = parts[len(parts)-1]
	}
	for _, term := range strings.Split(expr, sep) {
		term = strings.TrimSpace(term)
		if noData.MatchString(term) {
			continue
		}
		m := bound.FindStringSubmatch(term)
		if m == nil {
			return nil, nil, false, fmt.Errorf("%q: %q is not a comparison of the result with a number", expr, term)
		}
		op, num := m[2], m[3]
		if m[1] == "" { // number op result: turn it round
			op, num = map[string]string{">=": "<=", "<=": ">=", ">": "<", "<": ">"}[m[5]], m[4]
		}
		v, perr := strconv.ParseFloat(num, 64)
		if perr != nil {
			return nil, nil, false, fmt.Errorf("%q: %q is not a number", expr, num)
		}
		// A success bound with > or <, or a failure bound with >= or <=,
		// excludes the number that a Sluice range includes.
		strict = strict || (op == ">" || op == "<") == success
		// Success "result >= v" and failure "result < v" both mean min v.
		isMin := (op == ">=" || op == ">") == success
		if isMin {
			if lo == nil || v > *lo {
				lo = float64p(v)
			}
		} else if hi == nil || v < *hi {
			hi = float64p(v)
		}
	}
	if lo == nil && hi == nil {
		return nil, nil, false, fmt.Errorf("%q bounds nothing", expr)
	}
	return lo, hi, strict, nil
}

// onlyGuards reports whether every part of expr split at sep but the last
// is a guard for no data.
func onlyGuards(expr, sep string) bool {
	parts := strings.Split(expr, sep)
	for _, p := range parts[:len(parts)-1] {
		if !noData.MatchString(strings.TrimSpace(p)) {
			return false
		}
	}
	return true
}
