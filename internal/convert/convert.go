package convert

import (
	"errors"
	"fmt"
)

// The Argo Rollouts group.
const argoGroup = "argoproj.io"

// Convert converts every Canary and Rollout of the input. The error joins
// the problems of each object that could not be converted; the others are
// still returned.
func Convert(in *Input) ([]*Result, error) {
	var (
		results []*Result
		errs    []error
		found   bool
	)
	for _, o := range in.objects {
		var (
			r   *Result
			err error
		)
		switch {
		case o.group() == flaggerGroup && o.kind() == "Canary":
			r, err = convertCanary(in, o)
		case o.group() == argoGroup && o.kind() == "Rollout":
			r, err = convertRollout(in, o)
		default:
			continue
		}
		found = true
		if err != nil {
			errs = append(errs, err)
			continue
		}
		results = append(results, r)
	}
	if !found {
		return nil, errors.New("the input holds no Flagger Canary (flagger.app/v1beta1) or Argo Rollout (argoproj.io/v1alpha1)")
	}
	return results, errors.Join(errs...)
}

// untouched lists the input objects the results neither converted nor
// write again, which the user applies as they are (a Deployment, a
// VirtualService that needs no change).
func untouched(in *Input, results []*Result) []string {
	used := map[string]bool{}
	for _, r := range results {
		for _, sf := range r.Fields {
			used[sf.Object] = true
		}
		for _, o := range r.Objects {
			used[outputRef(o.Object)] = true
		}
	}
	var out []string
	for _, o := range in.objects {
		if used[o.ref()] || used[outputRef(o.data)] || o.group() == flaggerGroup && o.kind() == "Canary" || o.group() == argoGroup && o.kind() == "Rollout" {
			continue
		}
		out = append(out, o.ref())
	}
	return out
}

// outputRef names an output object as Kind name (namespaces left out, as
// the input may or may not have them).
func outputRef(obj map[string]any) string {
	return fmt.Sprintf("%s %s", str(obj, "kind"), str(obj, "metadata", "name"))
}
