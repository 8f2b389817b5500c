package dashboard

import (
	"slices"
	"strings"
	"testing"
	"time"

	"sluice.dev/sluice/api/v1alpha1"
	"sluice.dev/sluice/internal/release"
)

func TestObjects(t *testing.T) {
	tests := map[string]struct {
		spec v1alpha1.ReleaseSpec
		want string
	}{
		"deployments behind istio": {
			spec: v1alpha1.ReleaseSpec{
				Workload: v1alpha1.WorkloadSpec{Deployments: &v1alpha1.DeploymentsWorkload{Stable: "api-v1", Canary: "api-v2"}},
				Traffic:  v1alpha1.TrafficSpec{Istio: &v1alpha1.IstioTraffic{VirtualService: "api", DestinationRule: "api"}},
			},
			want: "stable Deployment api-v1|canary Deployment api-v2|traffic VirtualService api|traffic DestinationRule api",
		},
		"a target behind an HTTPRoute": {
			spec: v1alpha1.ReleaseSpec{
				Workload: v1alpha1.WorkloadSpec{Target: &v1alpha1.TargetWorkload{Deployment: "web"}},
				Traffic:  v1alpha1.TrafficSpec{GatewayAPI: &v1alpha1.GatewayAPITraffic{HTTPRoute: "web", StableService: "web-primary", CanaryService: "web-canary"}},
			},
			want: "target Deployment web|stable Deployment web-primary|canary Deployment web-canary|traffic HTTPRoute web|stable Service web-primary|canary Service web-canary",
		},
		"local processes and a URL": {
			spec: v1alpha1.ReleaseSpec{
				Workload: v1alpha1.WorkloadSpec{Local: &v1alpha1.LocalWorkload{
					Stable: v1alpha1.LocalVersion{Version: "v1", URL: "http://127.0.0.1:9001"},
					Canary: v1alpha1.LocalVersion{Version: "v2", Command: []string{"./app", "--v2"}},
				}},
				Traffic: v1alpha1.TrafficSpec{Proxy: &v1alpha1.ProxyTraffic{Listen: "127.0.0.1:8080"}},
			},
			want: "stable URL http://127.0.0.1:9001|canary process v2 (./app)|traffic Sluice proxy 127.0.0.1:8080",
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			var got []string
			for _, o := range objects(&v1alpha1.Release{Spec: tc.spec}) {
				got = append(got, o.Role+" "+o.Kind+" "+o.Name)
			}
			if strings.Join(got, "|") != tc.want {
				t.Fatalf("objects\n got %s\nwant %s", strings.Join(got, "|"), tc.want)
			}
		})
	}
}

func TestDelta(t *testing.T) {
	t0 := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	pts := func(secs ...int) []release.CheckPoint {
		var out []release.CheckPoint
		for _, s := range secs {
			out = append(out, release.CheckPoint{Time: t0.Add(time.Duration(s) * time.Second), Weight: int32(s)})
		}
		return out
	}
	view := func(p []release.CheckPoint) *ReleaseView {
		return &ReleaseView{View: release.View{Checks: p}}
	}
	tests := map[string]struct {
		prev, next []release.CheckPoint
		first      bool // no previous message
		wantDelta  bool
		wantPoints []int32
	}{
		"the first message is whole": {
			first: true, next: pts(1, 2, 3), wantPoints: []int32{1, 2, 3},
		},
		"later messages carry the new points": {
			prev: pts(1, 2, 3), next: pts(1, 2, 3, 4, 5), wantDelta: true, wantPoints: []int32{4, 5},
		},
		"no new point sends none": {
			prev: pts(1, 2, 3), next: pts(1, 2, 3), wantDelta: true, wantPoints: nil,
		},
		"trimmed history still joins up": {
			prev: pts(1, 2, 3), next: pts(3, 4), wantDelta: true, wantPoints: []int32{4},
		},
		"a gap sends the whole history": {
			prev: pts(1, 2, 3), next: pts(5, 6), wantPoints: []int32{5, 6},
		},
		"a history that went back in time is whole": {
			prev: pts(4, 5, 6), next: pts(1, 2), wantPoints: []int32{1, 2},
		},
		"an empty history is whole": {
			prev: pts(1), next: nil, wantPoints: nil,
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			var prev *ReleaseView
			if !tc.first {
				prev = view(tc.prev)
			}
			next := view(tc.next)
			got := delta(prev, next)
			if got.Delta != tc.wantDelta {
				t.Fatalf("delta = %v, want %v", got.Delta, tc.wantDelta)
			}
			var w []int32
			for _, p := range got.Checks {
				w = append(w, p.Weight)
			}
			if !slices.Equal(w, tc.wantPoints) {
				t.Fatalf("points %v, want %v", w, tc.wantPoints)
			}
			if got.Delta && (got.ChecksFrom == nil || !got.ChecksFrom.Equal(tc.next[0].Time)) {
				t.Fatalf("checksFrom %v, want %v", got.ChecksFrom, tc.next[0].Time)
			}
			if len(next.Checks) != len(tc.next) {
				t.Fatal("delta changed the view it was given")
			}
		})
	}
}
