package local

import (
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"sluice.dev/sluice/api/v1alpha1"
	"sluice.dev/sluice/internal/proxy"
)

// TestProxyLimitsDefaultsAgree: what Default writes into a release's
// spec.traffic.proxy.limits is exactly what the proxy does with no limits
// given, so `sluice get` shows the limits that run.
func TestProxyLimitsDefaultsAgree(t *testing.T) {
	r := &v1alpha1.Release{Spec: v1alpha1.ReleaseSpec{Traffic: v1alpha1.TrafficSpec{Proxy: &v1alpha1.ProxyTraffic{Listen: "127.0.0.1:0"}}}}
	r.Default()
	got := proxyLimits(r.Spec.Traffic.Proxy)
	want := proxy.Limits{
		MaxURIBytes: proxy.DefaultMaxURIBytes, MaxHeaderBytes: proxy.DefaultMaxHeaderBytes,
		MaxHeaderFields: proxy.DefaultMaxHeaderFields, MaxBodyBytes: 0,
		HeaderTimeout: proxy.DefaultHeaderTimeout, BodyTimeout: proxy.DefaultBodyTimeout, IdleTimeout: proxy.DefaultIdleTimeout,
	}
	if got != want {
		t.Errorf("defaulted spec maps to %+v; the proxy's defaults are %+v", got, want)
	}
}

func TestProxyLimits(t *testing.T) {
	i32 := func(v int32) *int32 { return &v }
	i64 := func(v int64) *int64 { return &v }
	d := func(v time.Duration) *metav1.Duration { return &metav1.Duration{Duration: v} }
	tests := map[string]struct {
		in   *v1alpha1.ProxyTraffic
		want proxy.Limits
	}{
		"no proxy":  {in: nil},
		"no limits": {in: &v1alpha1.ProxyTraffic{}},
		"every limit": {
			in: &v1alpha1.ProxyTraffic{Limits: &v1alpha1.ProxyLimits{
				MaxURIBytes: i32(1), MaxHeaderBytes: i32(2048), MaxHeaderFields: i32(3), MaxBodyBytes: i64(4),
				HeaderTimeout: d(5 * time.Second), BodyTimeout: d(6 * time.Second), IdleTimeout: d(7 * time.Second),
			}},
			want: proxy.Limits{MaxURIBytes: 1, MaxHeaderBytes: 2048, MaxHeaderFields: 3, MaxBodyBytes: 4,
				HeaderTimeout: 5 * time.Second, BodyTimeout: 6 * time.Second, IdleTimeout: 7 * time.Second},
		},
		"some limits": {
			in:   &v1alpha1.ProxyTraffic{Limits: &v1alpha1.ProxyLimits{MaxBodyBytes: i64(1 << 20)}},
			want: proxy.Limits{MaxBodyBytes: 1 << 20},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			if got := proxyLimits(tc.in); got != tc.want {
				t.Errorf("got %+v, want %+v", got, tc.want)
			}
		})
	}
}
