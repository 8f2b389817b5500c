package kubernetes

import (
	"maps"
	"strings"
	"testing"
)

func TestObjectLabels(t *testing.T) {
	for name, tc := range map[string]struct {
		release string
		want    map[string]string
	}{
		"short name": {release: "api", want: map[string]string{LabelRole: RoleCanary, LabelRelease: "api"}},
		"name too long for a label value": {
			release: strings.Repeat("a", 64),
			want:    map[string]string{LabelRole: RoleCanary},
		},
	} {
		t.Run(name, func(t *testing.T) {
			got := (&Target{release: tc.release}).objectLabels(RoleCanary)
			if !maps.Equal(got, tc.want) {
				t.Errorf("objectLabels = %v, want %v", got, tc.want)
			}
		})
	}
}
