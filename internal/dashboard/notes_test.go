package dashboard

import (
	"context"
	"net/http"
	"slices"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"sluice.dev/sluice/api/v1alpha1"
	"sluice.dev/sluice/internal/release"
)

// notedSource is a mapSource whose releases come with notes.
type notedSource struct {
	mapSource
	notes map[string][]string
}

func (n notedSource) GetNoted(ctx context.Context, name string) (*release.View, bool, []string, error) {
	snap, live, err := n.Get(ctx, name)
	return snap, live, n.notes[name], err
}

var _ NotedSource = notedSource{}

func TestNotesReachTheReleaseView(t *testing.T) {
	snap := &release.View{Release: v1alpha1.Release{ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: "web"}}}
	src := notedSource{
		mapSource: mapSource{"shop/web": snap, "blog/web": snap},
		notes:     map[string][]string{"shop/web": {"metrics: prometheus at http://x: connection refused"}},
	}
	_, base := serve(t, src, Options{Namespaced: true})
	tests := map[string]struct {
		path string
		want []string
	}{
		"noted":     {path: "/api/releases/shop%2Fweb", want: src.notes["shop/web"]},
		"no notes":  {path: "/api/releases/blog%2Fweb"},
		"not found": {path: "/api/releases/blog%2Fapi"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			code, _, body := call(t, http.MethodGet, base+tc.path, nil)
			if name == "not found" {
				if code != http.StatusNotFound {
					t.Fatalf("%d %s, want 404", code, body)
				}
				return
			}
			if code != http.StatusOK {
				t.Fatalf("%d %s", code, body)
			}
			if got := decode[ReleaseView](t, body).Notes; !slices.Equal(got, tc.want) {
				t.Fatalf("notes %q, want %q", got, tc.want)
			}
		})
	}
}
