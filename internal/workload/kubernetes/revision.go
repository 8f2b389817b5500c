package kubernetes

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"maps"
	"strings"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// revisionLen is the number of hex digits kept: short enough for a status
// line, long enough that two templates never collide in practice.
const revisionLen = 10

// sluicePrefix marks the labels and annotations Sluice writes itself.
const sluicePrefix = "sluice.dev/"

// Revision names what a pod template runs. The engine compares the stable
// and canary revisions to know whether there is anything to release, so the
// same template must give the same revision on <target>, <target>-primary
// and <target>-canary. It hashes the canonical JSON of the template (struct
// fields in declaration order, map keys sorted) after dropping every label
// and annotation under sluice.dev/ (the role label Sluice adds to the copies
// above all), and the creation timestamp, which carries no meaning in a
// template. Anything else, an image, an env var, a user's label, is a new
// revision.
func Revision(tpl corev1.PodTemplateSpec) (string, error) {
	t := *tpl.DeepCopy()
	t.Labels = withoutSluiceKeys(t.Labels)
	t.Annotations = withoutSluiceKeys(t.Annotations)
	t.CreationTimestamp = metav1.Time{}
	b, err := json.Marshal(t)
	if err != nil {
		return "", fmt.Errorf("encoding the pod template: %w", err)
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])[:revisionLen], nil
}

// ContentRevision is Revision without the template's labels: what two
// Deployments of the same service run, whatever labels tell them apart
// (version: v1 / v2 behind DestinationRule subsets, track: stable / canary
// behind two Services). The deployments form compares its two Deployments
// by it, and copies a promoted template onto stable keeping stable's
// labels, after which both have the same content revision.
func ContentRevision(tpl corev1.PodTemplateSpec) (string, error) {
	t := *tpl.DeepCopy()
	t.Labels = nil
	return Revision(t)
}

// withoutSluiceKeys drops Sluice's keys; an empty result is nil so a
// template that only had Sluice's keys hashes like one that had none.
func withoutSluiceKeys(m map[string]string) map[string]string {
	out := maps.Clone(m)
	maps.DeleteFunc(out, func(k, _ string) bool { return strings.HasPrefix(k, sluicePrefix) })
	if len(out) == 0 {
		return nil
	}
	return out
}
