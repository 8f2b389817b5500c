package convert

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation"

	"sluice.dev/sluice/api/v1alpha1"
)

// clusterState are metadata fields a cluster writes; an object exported
// with kubectl get -o yaml carries them.
var clusterState = []string{"uid", "resourceVersion", "generation", "creationTimestamp", "managedFields", "selfLink", "ownerReferences", "finalizers", "deletionTimestamp", "deletionGracePeriodSeconds"}

// lastApplied is kubectl's copy of the object, which would describe the
// old object on the new one.
const lastApplied = "kubectl.kubernetes.io/last-applied-configuration"

// newRelease starts the Release for a source object: its name, namespace,
// labels and annotations, and the status fields accounted for.
func newRelease(s *source) *v1alpha1.Release {
	rel := &v1alpha1.Release{}
	rel.APIVersion, rel.Kind = v1alpha1.GroupVersion.String(), v1alpha1.Kind
	rel.Name, rel.Namespace = s.str("metadata.name"), s.str("metadata.namespace")
	s.mapTo("metadata.name", "Release metadata.name")
	s.mapTo("metadata.namespace", "Release metadata.namespace")
	for _, k := range []string{"labels", "annotations"} {
		m := map[string]string{}
		for key, v := range s.object("metadata." + k) {
			p := join("metadata."+k, key)
			if key == lastApplied {
				s.drop(p, "kubectl's copy of the "+s.obj.kind()+", not of the Release")
				continue
			}
			if sv, ok := v.(string); ok {
				m[key] = sv
				s.mapTo(p, "Release metadata."+k)
			}
		}
		if len(m) > 0 {
			if k == "labels" {
				rel.Labels = m
			} else {
				rel.Annotations = m
			}
		}
	}
	for _, f := range clusterState {
		s.drop("metadata."+f, "written by the cluster, not by you")
	}
	s.drop("status", "the status "+s.obj.kind()+" kept; the Release keeps its own")
	return rel
}

// duration reads a duration field; Argo also writes seconds as a number.
func (s *source) duration(path string) (*metav1.Duration, error) {
	v, ok := s.value(path)
	if !ok {
		return nil, nil
	}
	switch x := v.(type) {
	case int64:
		return &metav1.Duration{Duration: time.Duration(x) * time.Second}, nil
	case float64:
		return &metav1.Duration{Duration: time.Duration(x * float64(time.Second))}, nil
	case string:
		if n, err := strconv.Atoi(x); err == nil {
			return &metav1.Duration{Duration: time.Duration(n) * time.Second}, nil
		}
		d, err := time.ParseDuration(x)
		if err != nil {
			return nil, fmt.Errorf("%s: %q is not a duration such as 30s or 1m", path, x)
		}
		return &metav1.Duration{Duration: d}, nil
	}
	return nil, fmt.Errorf("%s: %v is not a duration", path, v)
}

// dnsLabel makes a name a DNS label (webhook, alert names), saying whether
// it had to change.
func dnsLabel(name string) (string, bool) {
	if len(validation.IsDNS1123Label(name)) == 0 {
		return name, false
	}
	var b strings.Builder
	for _, r := range strings.ToLower(name) {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			b.WriteRune(r)
		} else {
			b.WriteByte('-')
		}
	}
	out := strings.Trim(b.String(), "-")
	if len(out) > 63 {
		out = strings.Trim(out[:63], "-")
	}
	if out == "" {
		out = "hook"
	}
	return out, true
}

// int32p and friends make optional values.
func int32p(v int32) *int32 { return &v }

func float64p(v float64) *float64 { return &v }
