package security

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"
)

// diffCase is one case of the differential test: what clients send, one
// connection per step, to an upstream that behaves as named.
type diffCase struct {
	name     string
	upstream string // a key of upstreams; "" is echo
	steps    []clientStep
}

// clientStep is one client connection: its bytes, written in pieces 20 ms
// apart, after a wait.
type clientStep struct {
	send    []string
	methods []string // of the requests sent, for HEAD; default: each is the first word of send[0]
	wait    time.Duration
}

// sideResult is what one proxy did with a case: what each client got
// back, and what the upstream read.
type sideResult struct {
	client   []string // one line per response, then whether the connection ended
	upstream []string // one line per request the upstream read
}

func (r sideResult) String() string {
	return "client:\n  " + strings.Join(r.client, "\n  ") + "\nupstream:\n  " + strings.Join(r.upstream, "\n  ")
}

// runClient sends a step and reads until the proxy closes the connection
// or sends nothing more for a while.
func runClient(addr string, st clientStep) []string {
	conn, err := net.DialTimeout("tcp", addr, 2*time.Second)
	if err != nil {
		return []string{"dial: " + err.Error()}
	}
	defer func() { _ = conn.Close() }()
	go func() {
		for i, piece := range st.send {
			if i > 0 {
				time.Sleep(20 * time.Millisecond)
			}
			if _, err := io.WriteString(conn, piece); err != nil {
				return
			}
		}
	}()
	var got bytes.Buffer
	closed := false
	buf := make([]byte, 64<<10)
	for end := time.Now().Add(4 * time.Second); time.Now().Before(end); {
		_ = conn.SetReadDeadline(time.Now().Add(400 * time.Millisecond))
		n, err := conn.Read(buf)
		got.Write(buf[:n])
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			break
		}
		if err != nil {
			closed = true
			break
		}
	}
	return append(parseResponses(got.Bytes(), st.methods, st.send), fmt.Sprintf("closed=%v", closed))
}

// ignoredResponseFields differ between any two proxies, or say how the
// body is framed, which the body itself already shows.
var ignoredResponseFields = map[string]bool{
	"Date": true, "Server": true, "Content-Length": true, "Transfer-Encoding": true, "Connection": true,
	"Content-Type": true, "X-Sluice-Version": true, "Keep-Alive": false,
}

// parseResponses reads the responses in b, one line each: the status, and
// for a response from the upstream (X-Up) its body and fields.
func parseResponses(b []byte, methods, send []string) []string {
	if len(methods) == 0 {
		for _, s := range send {
			if m, _, ok := strings.Cut(strings.TrimLeft(s, "\r\n"), " "); ok {
				methods = append(methods, m)
				break
			}
		}
	}
	br := bufio.NewReader(bytes.NewReader(b))
	var out []string
	for i := 0; ; {
		if _, err := br.Peek(1); err != nil {
			return out
		}
		method := "GET"
		if i < len(methods) {
			method = methods[i]
		}
		res, err := http.ReadResponse(br, &http.Request{Method: method})
		if err != nil {
			rest, _ := io.ReadAll(br)
			return append(out, fmt.Sprintf("unreadable (%v): %.60q", err, rest))
		}
		body, berr := io.ReadAll(res.Body)
		_ = res.Body.Close()
		line := fmt.Sprintf("%d", res.StatusCode)
		if res.Header.Get("X-Up") != "" || res.Header.Get("X-Evil") != "" {
			var fields []string
			for k, vv := range res.Header {
				if !ignoredResponseFields[k] {
					fields = append(fields, k+": "+strings.Join(vv, ","))
				}
			}
			for k, vv := range res.Trailer {
				fields = append(fields, "trailer "+k+": "+strings.Join(vv, ","))
			}
			sort.Strings(fields)
			line += fmt.Sprintf(" %q %q", fields, body)
		}
		if berr != nil {
			line += " body broken"
		}
		out = append(out, line)
		if res.StatusCode >= 200 || res.StatusCode == http.StatusSwitchingProtocols {
			i++
		}
	}
}

// ignoredRequestFields are set by each proxy for itself (its upstream's
// Host, its X-Forwarded fields, its own keep-alive and framing).
var ignoredRequestFields = map[string]bool{
	"host": true, "x-forwarded-for": true, "x-forwarded-host": true, "x-forwarded-proto": true,
	"x-real-ip": true, "connection": true, "content-length": true, "transfer-encoding": true,
}

// upstreamLines describes what the upstream read, one line per request.
func upstreamLines(reqs []upstreamReq) []string {
	var out []string
	for _, q := range reqs {
		var fields []string
		for _, f := range q.Fields {
			if k, _, _ := strings.Cut(f, ":"); !ignoredRequestFields[strings.ToLower(k)] {
				fields = append(fields, f)
			}
		}
		line := fmt.Sprintf("%q %q body=%q", q.Line, fields, q.Body)
		if q.Err != "" {
			line += " unfinished (" + q.Err + ")"
		}
		out = append(out, line)
	}
	return out
}

// runSide runs a case's steps against one proxy.
func runSide(addr string, c diffCase) []string {
	var out []string
	for i, st := range c.steps {
		time.Sleep(st.wait)
		for _, l := range runClient(addr, st) {
			out = append(out, fmt.Sprintf("%d: %s", i, l))
		}
	}
	return out
}

// TestDifferentialNginx sends every case of the corpus through nginx and
// through Sluice at once, to the same kind of upstream, and compares what
// each upstream read and what each client got back. A difference must be
// one of knownDifferences, each explained in README.md; a difference that
// is gone must leave the table, so the table says what is true.
func TestDifferentialNginx(t *testing.T) {
	rec := newRecorder(t, "nginx", "sluice", "sluice-canary")
	nginx := startNginx(t, rec.addrs["nginx"])
	s := startSluice(t, "differential", "", fmt.Sprintf(`  workload:
    local:
      stable: {version: v1, url: "http://%s", healthPath: %s}
      canary: {version: v2, url: "http://%s", healthPath: %s}
  strategy:
    steps:
      - setWeight: 0
      - pause: {}
`, rec.addrs["sluice"], healthPath, rec.addrs["sluice-canary"], healthPath))

	cases := corpus()
	if len(cases) < 100 {
		t.Errorf("the corpus has %d cases; it should have at least 100", len(cases))
	}
	readme, _ := os.ReadFile("README.md")
	var report strings.Builder
	differ := 0
	for _, c := range cases {
		b, ok := upstreams[c.upstream]
		if c.upstream == "" {
			b, ok = echo, true
		}
		if !ok {
			t.Fatalf("%s: no upstream %q", c.name, c.upstream)
		}
		rec.reset(b)
		var wg sync.WaitGroup
		var got [2]sideResult
		for i, addr := range []string{nginx, s.proxyAddr} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				got[i].client = runSide(addr, c)
			}()
		}
		wg.Wait()
		got[0].upstream, got[1].upstream = upstreamLines(rec.requests("nginx")), upstreamLines(rec.requests("sluice"))
		same := got[0].String() == got[1].String()
		why, known := knownDifferences[c.name]
		switch {
		case !same && !known:
			t.Errorf("%s: Sluice differs from nginx, and the difference is not in knownDifferences\n-- nginx --\n%s\n-- sluice --\n%s", c.name, got[0], got[1])
		case same && known && !timingDependent[c.name]:
			t.Errorf("%s: Sluice now does what nginx does; remove it from knownDifferences and README.md", c.name)
		case known && !bytes.Contains(readme, []byte("| "+c.name+" |")):
			t.Errorf("%s: a known difference missing from README.md's table", c.name)
		}
		if !same {
			differ++
			fmt.Fprintf(&report, "### %s\n%s\n-- nginx --\n%s\n-- sluice --\n%s\n\n", c.name, why, got[0], got[1])
		}
	}
	for name := range knownDifferences {
		if !hasCase(cases, name) {
			t.Errorf("knownDifferences names %q, which is no case of the corpus", name)
		}
	}
	t.Logf("%d cases, %d differ from nginx (all explained in README.md)", len(cases), differ)
	if out := os.Getenv("SLUICE_DIFFERENTIAL_REPORT"); out != "" {
		_ = os.WriteFile(out, []byte(report.String()), 0o644)
	}
}

func hasCase(cases []diffCase, name string) bool {
	for _, c := range cases {
		if c.name == name {
			return true
		}
	}
	return false
}
