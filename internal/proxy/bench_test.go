package proxy

import (
	"io"
	"net/http"
	"strings"
	"testing"
)

// BenchmarkProxy measures one request through a real listener to a real
// local backend, keep-alive on both sides, at weight 50 with a match rule
// checked on every request, served by NewServer (the proxy's own HTTP/1.1
// server) and by a plain net/http server, in the same run. Compare with
// BenchmarkDirect for the proxy's own cost.
func BenchmarkProxy(b *testing.B) {
	fronts := map[string]func(testing.TB, *Proxy) *frontend{"server=own": front, "server=net-http": frontStd}
	for _, name := range []string{"server=own", "server=net-http"} {
		b.Run(name, func(b *testing.B) {
			body := strings.Repeat("x", 1024)
			h := func(w http.ResponseWriter, r *http.Request) { _, _ = io.WriteString(w, body) }
			st, ca := backend(b, "stable", h), backend(b, "canary", h)
			p := newTestProxy(b, st.URL, ca.URL, 50)
			rt := p.Route()
			rt.Match = matchRulesForBench()
			if err := p.SetRoute(rt); err != nil {
				b.Fatal(err)
			}
			fe := fronts[name](b, p)
			runClients(b, fe.URL)
			s := p.Stats()
			if s.Stable.Errors+s.Canary.Errors > 0 {
				b.Fatalf("errors: %+v", s)
			}
		})
	}
}

// BenchmarkDirect is the same load straight to the backend.
func BenchmarkDirect(b *testing.B) {
	body := strings.Repeat("x", 1024)
	st := backend(b, "stable", func(w http.ResponseWriter, r *http.Request) { _, _ = io.WriteString(w, body) })
	runClients(b, st.URL)
}

func runClients(b *testing.B, url string) {
	c := client()
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		buf := make([]byte, 4096)
		for pb.Next() {
			res, err := c.Get(url)
			if err != nil {
				b.Error(err)
				return
			}
			for {
				if _, err := res.Body.Read(buf); err != nil {
					break
				}
			}
			_ = res.Body.Close()
			if res.StatusCode != http.StatusOK {
				b.Errorf("status %d", res.StatusCode)
				return
			}
		}
	})
}
