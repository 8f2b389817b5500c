package dashboard

import (
	"net"
	"net/http"
	"slices"
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"sluice.dev/sluice/api/v1alpha1"
	"sluice.dev/sluice/internal/local"
	"sluice.dev/sluice/internal/release"
)

func TestListAndGetFromTheStateDir(t *testing.T) {
	dir := t.TempDir()
	saveRelease(t, dir, "web", v1alpha1.PhaseProgressing, 30, "")
	saveRelease(t, dir, "api", v1alpha1.PhaseRolledBack, 0, "")
	_, base := serve(t, local.NewClient(dir), Options{})

	code, _, body := call(t, http.MethodGet, base+"/api/releases", nil)
	if code != http.StatusOK {
		t.Fatalf("list: %d %s", code, body)
	}
	list := decode[ReleaseList](t, body)
	if len(list.Releases) != 2 || list.Releases[0].Key != "api" || list.Releases[1].Key != "web" {
		t.Fatalf("list not sorted by name: %+v", list.Releases)
	}
	web := list.Releases[1]
	if web.Phase != v1alpha1.PhaseProgressing || web.CanaryWeight != 30 || web.Step != "pause (until promoted)" || web.Stable != "v1" || web.Canary != "v2" {
		t.Fatalf("summary: %+v", web)
	}
	if list.Releases[0].Health != release.HealthFailing {
		t.Fatalf("a rolled back release is %s", list.Releases[0].Health)
	}

	code, _, body = call(t, http.MethodGet, base+"/api/releases/web", nil)
	if code != http.StatusOK {
		t.Fatalf("get: %d %s", code, body)
	}
	v := decode[ReleaseView](t, body)
	if v.Key != "web" || v.Live || v.Release.Status.CanaryWeight != 30 || len(v.Plan) != 2 || v.Plan[1].State != "current" {
		t.Fatalf("view: key %s live %v weight %d plan %+v", v.Key, v.Live, v.Release.Status.CanaryWeight, v.Plan)
	}
	if strings.Contains(body, "judgeState") {
		t.Fatal("the judge's saved evidence is shown")
	}

	// A running release: live, and its control endpoint stays hidden.
	runner := newRunnerEndpoint(t, dir, "web")
	saveRelease(t, dir, "web", v1alpha1.PhaseProgressing, 30, runner.srv.URL)
	_, _, body = call(t, http.MethodGet, base+"/api/releases/web", nil)
	if v := decode[ReleaseView](t, body); !v.Live || strings.Contains(body, runner.srv.URL) || strings.Contains(body, `"control"`) {
		t.Fatalf("live %v; body shows the control endpoint: %v", v.Live, strings.Contains(body, runner.srv.URL))
	}
}

func TestGetErrors(t *testing.T) {
	dir := t.TempDir()
	_, base := serve(t, local.NewClient(dir), Options{})
	tests := map[string]struct {
		path string
		want int
	}{
		"no such release":            {path: "/api/releases/nope", want: http.StatusNotFound},
		"a path out of the dir":      {path: "/api/releases/..%2F..%2Fetc%2Fpasswd", want: http.StatusBadRequest},
		"a name with a slash":        {path: "/api/releases/a%2Fb", want: http.StatusBadRequest},
		"events of a bad name":       {path: "/api/releases/a%2F..%2Fb/events", want: http.StatusBadRequest},
		"a page that does not exist": {path: "/favicon.ico", want: http.StatusNotFound},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			code, _, body := call(t, http.MethodGet, base+tc.path, nil)
			if code != tc.want {
				t.Fatalf("GET %s: %d %s, want %d", tc.path, code, body, tc.want)
			}
			if !strings.Contains(body, `"error"`) {
				t.Fatalf("error answer without a message: %s", body)
			}
		})
	}
}

func TestFrontEndIsServed(t *testing.T) {
	_, base := serve(t, local.NewClient(t.TempDir()), Options{})
	tests := map[string]struct {
		path, contentType, contains string
	}{
		"the start page":    {path: "/", contentType: "text/html", contains: `<main id="app">`},
		"a release page":    {path: "/releases/web", contentType: "text/html", contains: `src="/assets/app.js"`},
		"the app":           {path: "/assets/app.js", contentType: "javascript", contains: "SluiceRelease"},
		"the live streams":  {path: "/assets/ui.js", contentType: "javascript", contains: "EventSource"},
		"the list":          {path: "/assets/list.js", contentType: "javascript", contains: "SluiceList"},
		"the release page":  {path: "/assets/release.js", contentType: "javascript", contains: "Bearer"},
		"the charts":        {path: "/assets/charts.js", contentType: "javascript", contains: "SluiceCharts"},
		"the style":         {path: "/assets/app.css", contentType: "text/css", contains: "--canary"},
		"how it is started": {path: "/api/info", contentType: "application/json", contains: `"readOnly":true`},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			code, h, body := call(t, http.MethodGet, base+tc.path, nil)
			if code != http.StatusOK || !strings.Contains(h.Get("Content-Type"), tc.contentType) || !strings.Contains(body, tc.contains) {
				t.Fatalf("GET %s: %d %s, body has %q: %v", tc.path, code, h.Get("Content-Type"), tc.contains, strings.Contains(body, tc.contains))
			}
			if !strings.Contains(h.Get("Content-Security-Policy"), "default-src 'self'") || h.Get("Referrer-Policy") != "no-referrer" {
				t.Fatalf("security headers missing: %v", h)
			}
		})
	}
	// Nothing in the front end is fetched from elsewhere.
	for _, p := range []string{"/", "/assets/app.js", "/assets/ui.js", "/assets/list.js", "/assets/release.js", "/assets/charts.js", "/assets/app.css"} {
		_, _, body := call(t, http.MethodGet, base+p, nil)
		for _, far := range []string{"http://", "https://", "//cdn", "@import"} {
			if strings.Contains(strings.ReplaceAll(body, "http://www.w3.org/2000/svg", ""), far) {
				t.Errorf("%s refers to %q", p, far)
			}
		}
	}
}

func TestCommandsNeedTheToken(t *testing.T) {
	tests := map[string]struct {
		token  string // the dashboard's
		header string // Authorization
		path   string
		want   int
		sent   bool
		says   string
	}{
		"read-only refuses even a bearer": {
			header: "Bearer " + testToken, path: "abort", want: http.StatusForbidden, says: "read-only",
		},
		"no token": {
			token: testToken, path: "abort", want: http.StatusUnauthorized, says: "needs the dashboard's token",
		},
		"a wrong token": {
			token: testToken, header: "Bearer " + testToken + "x", path: "abort", want: http.StatusUnauthorized, says: "not this dashboard's token",
		},
		"the token in another scheme": {
			token: testToken, header: "Basic " + testToken, path: "abort", want: http.StatusUnauthorized,
		},
		"an empty bearer": {
			token: testToken, header: "Bearer ", path: "abort", want: http.StatusUnauthorized,
		},
		"the token": {
			token: testToken, header: "Bearer " + testToken, path: "abort", want: http.StatusAccepted, sent: true,
		},
		"the scheme in any case": {
			token: testToken, header: "bearer " + testToken, path: "pause", want: http.StatusAccepted, sent: true,
		},
		"an unknown command": {
			token: testToken, header: "Bearer " + testToken, path: "delete", want: http.StatusNotFound, says: "unknown command",
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			runner := newRunnerEndpoint(t, dir, "web")
			saveRelease(t, dir, "web", v1alpha1.PhaseProgressing, 20, runner.srv.URL)
			_, base := serve(t, local.NewClient(dir), Options{Token: tc.token})
			h := http.Header{}
			if tc.header != "" {
				h.Set("Authorization", tc.header)
			}
			code, hdr, body := call(t, http.MethodPost, base+"/api/releases/web/"+tc.path, h)
			if code != tc.want || !strings.Contains(body, tc.says) {
				t.Fatalf("POST %s: %d %s, want %d saying %q", tc.path, code, body, tc.want, tc.says)
			}
			if code == http.StatusUnauthorized && !strings.HasPrefix(hdr.Get("WWW-Authenticate"), "Bearer") {
				t.Fatalf("401 without WWW-Authenticate: %v", hdr)
			}
			sent := runner.sent()
			if tc.sent != (len(sent) == 1) {
				t.Fatalf("commands reaching the runner: %v", sent)
			}
			if tc.sent {
				res := decode[CommandResult](t, body)
				if sent[0] != tc.path || res.ID != tc.path+"-1" || res.Release != "web" {
					t.Fatalf("runner got %v; answer %+v", sent, res)
				}
			}
		})
	}
}

// TestCommandToAStoppedRunner checks that a command for a release no
// runner runs is queued in its state file for the next runner.
func TestCommandToAStoppedRunner(t *testing.T) {
	dir := t.TempDir()
	saveRelease(t, dir, "web", v1alpha1.PhaseRolledBack, 0, "")
	_, base := serve(t, local.NewClient(dir), Options{Token: testToken})
	h := http.Header{"Authorization": {"Bearer " + testToken}}
	code, _, body := call(t, http.MethodPost, base+"/api/releases/web/retry", h)
	if code != http.StatusAccepted || !strings.Contains(body, "queued") {
		t.Fatalf("retry without a runner: %d %s", code, body)
	}
	st, err := local.LoadState(local.StatePath(dir, "web"))
	if err != nil || len(st.Pending) != 1 || st.Pending[0].Kind != "retry" {
		t.Fatalf("the state file's pending commands: %+v (%v)", st, err)
	}
	code, _, body = call(t, http.MethodPost, base+"/api/releases/gone/abort", h)
	if code != http.StatusNotFound {
		t.Fatalf("abort of an unknown release: %d %s", code, body)
	}
}

func TestNamespacedNames(t *testing.T) {
	snap := func(ns, name string) *release.View {
		return &release.View{Release: v1alpha1.Release{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}}}
	}
	src := mapSource{"shop/web": snap("shop", "web"), "blog/web": snap("blog", "web")}
	_, base := serve(t, src, Options{Namespaced: true, Token: testToken})

	_, _, body := call(t, http.MethodGet, base+"/api/releases", nil)
	var keys []string
	for _, r := range decode[ReleaseList](t, body).Releases {
		keys = append(keys, r.Key)
	}
	if !slices.Equal(keys, []string{"blog/web", "shop/web"}) {
		t.Fatalf("keys %v", keys)
	}
	code, _, body := call(t, http.MethodGet, base+"/api/releases/shop%2Fweb", nil)
	if code != http.StatusOK || decode[ReleaseView](t, body).Release.Namespace != "shop" {
		t.Fatalf("get shop/web: %d %s", code, body)
	}
	code, _, body = call(t, http.MethodPost, base+"/api/releases/blog%2Fweb/promote", http.Header{"Authorization": {"Bearer " + testToken}})
	if code != http.StatusAccepted || decode[CommandResult](t, body).ID != "promote/blog.web" {
		t.Fatalf("promote blog/web: %d %s", code, body)
	}
	if code, _, _ := call(t, http.MethodGet, base+"/api/releases/web", nil); code != http.StatusBadRequest {
		t.Fatalf("a bare name on a namespaced dashboard: %d", code)
	}
}

func TestForeignHostsAreRefused(t *testing.T) {
	tests := map[string]struct {
		host        string
		allowRemote bool
		want        int
	}{
		"localhost":                    {host: "localhost:7777", want: http.StatusOK},
		"127.0.0.1":                    {host: "127.0.0.1:7777", want: http.StatusOK},
		"::1":                          {host: "[::1]:7777", want: http.StatusOK},
		"a rebound name":               {host: "attacker.example:7777", want: http.StatusForbidden},
		"a LAN address":                {host: "192.0.2.10:7777", want: http.StatusForbidden},
		"any name once remote allowed": {host: "dash.example", allowRemote: true, want: http.StatusOK},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			_, base := serve(t, local.NewClient(t.TempDir()), Options{AllowRemote: tc.allowRemote})
			req, err := http.NewRequest(http.MethodGet, base+"/api/releases", nil)
			if err != nil {
				t.Fatal(err)
			}
			req.Host = tc.host
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			_ = resp.Body.Close()
			if resp.StatusCode != tc.want {
				t.Fatalf("Host %s: %d, want %d", tc.host, resp.StatusCode, tc.want)
			}
		})
	}
}

func TestListen(t *testing.T) {
	tests := map[string]struct {
		addr        string
		allowRemote bool
		ok          bool
	}{
		"loopback":                 {addr: "127.0.0.1:0", ok: true},
		"localhost":                {addr: "localhost:0", ok: true},
		"every interface":          {addr: ":0"},
		"every interface, named":   {addr: "0.0.0.0:0"},
		"another address":          {addr: "192.0.2.10:0"},
		"no port":                  {addr: "127.0.0.1"},
		"loopback, remote allowed": {addr: "127.0.0.1:0", allowRemote: true, ok: true},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			s, err := New(local.NewClient(t.TempDir()), Options{AllowRemote: tc.allowRemote})
			if err != nil {
				t.Fatal(err)
			}
			ln, err := s.Listen(tc.addr)
			if (err == nil) != tc.ok {
				t.Fatalf("Listen(%q) error %v, want ok=%v", tc.addr, err, tc.ok)
			}
			if ln != nil {
				_ = ln.Close()
			}
		})
	}
}

func TestNew(t *testing.T) {
	if _, err := New(nil, Options{}); err == nil {
		t.Fatal("a dashboard without a source")
	}
	if _, err := New(local.NewClient(t.TempDir()), Options{Token: "short"}); err == nil {
		t.Fatal("a guessable token was accepted")
	}
	s, err := New(local.NewClient(t.TempDir()), Options{})
	if err != nil || !s.ReadOnly() {
		t.Fatalf("no token: %v, read-only %v", err, s.ReadOnly())
	}
}

func TestGenerateToken(t *testing.T) {
	a, err := GenerateToken()
	if err != nil {
		t.Fatal(err)
	}
	b, _ := GenerateToken()
	if a == b || len(a) < MinTokenLength || strings.ContainsAny(a, "+/=") {
		t.Fatalf("tokens %q %q", a, b)
	}
	if _, err := New(local.NewClient(t.TempDir()), Options{Token: a}); err != nil {
		t.Fatalf("a generated token is refused: %v", err)
	}
}

func TestURL(t *testing.T) {
	lo := &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 7777}
	tests := map[string]struct {
		addr           net.Addr
		release, token string
		want           string
	}{
		"the list with a token": {addr: lo, token: "a-b_c", want: "http://127.0.0.1:7777/?token=a-b_c"},
		"a release, read-only":  {addr: lo, release: "web", want: "http://127.0.0.1:7777/releases/web"},
		"a namespaced release":  {addr: lo, release: "shop/web", token: "t", want: "http://127.0.0.1:7777/releases/shop/web?token=t"},
		"every interface":       {addr: &net.TCPAddr{IP: net.IPv4zero, Port: 80}, want: "http://127.0.0.1:80/"},
		"ipv6 loopback":         {addr: &net.TCPAddr{IP: net.IPv6loopback, Port: 80}, want: "http://[::1]:80/"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			if got := URL(tc.addr, tc.release, tc.token); got != tc.want {
				t.Fatalf("URL = %s, want %s", got, tc.want)
			}
		})
	}
}
