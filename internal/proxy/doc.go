// Package proxy is Sluice's embedded data plane: a weighted L7 reverse proxy
// that sits in front of the stable and the canary version when a release runs
// locally, with no mesh and no cluster.
//
// It exists so that `sluice run` and `sluice demo` can do what a service mesh
// does on Kubernetes: split traffic by weight, send chosen users to the canary
// by header or cookie, and measure every request itself so analysis needs no
// Prometheus. The measurements are plain atomic counters and a fixed-bucket
// latency histogram per version, read lock-free by [Proxy.Stats] and, at
// scrape time, by a Prometheus collector.
//
// A route is swapped atomically by [Proxy.SetRoute]: requests in flight finish
// on the route they started with, new requests see the new one, and none fail
// because of the change. Weighted choice is deterministic and low-discrepancy
// (see split.go), so a 10% step really is 10% even over a few hundred requests.
//
// Users put it in front of real services, so it must cost little and lose
// nothing. Bodiless GET, HEAD, OPTIONS and TRACE requests — nearly all
// traffic — take a fast path over the proxy's own keep-alive connections,
// written and read by the handler's goroutine (fastpath.go, upstream.go);
// other requests go through a lean forwarder on http.Transport (forward.go);
// protocol upgrades through httputil.ReverseProxy (upgrade.go). All three
// handle hop-by-hop headers, X-Forwarded-*, 1xx responses, trailers and
// streaming the same way.
//
// [Proxy.NewServer] serves HTTP/1.1 and h2c. It reads HTTP/1.1 itself
// (server.go, h1*.go): one goroutine per connection parses each request
// head into reused structures and forwards the fast path's requests over
// the same pooled upstream connections, with no net/http server, context
// or background read per request. It serves plain requests, with bodies of
// up to 16 KiB framed by one Content-Length or by plain chunks, which it
// reads whole before forwarding (a chunked body is sent on with its
// length, h1chunked.go); a connection with anything else (a larger body,
// an upgrade, HTTP/2, an odd head) is handed at that request's boundary,
// with the bytes already read, to a net/http server that serves it from
// then on. On unix its sockets are read and written with raw system calls
// (rawio_unix.go), and each connection's loop runs inside one read
// callback of its socket (h1loop_unix.go), so that after a short read the
// next wait goes to the poller without a read that would find nothing:
// about 5 system calls per proxied request, as nginx makes — 4, and a peek
// that makes sure a pooled upstream connection holds nothing nobody asked
// for before it carries the next request.
//
// The proxy faces clients directly, so every request head is judged on
// the bytes as sent, by one screen on both servers (h1screen.go): framing
// that two parsers could read differently — Transfer-Encoding beside
// Content-Length or on HTTP/1.0, two lengths, bare LF, obs-fold — is
// refused with 400 and the connection closed, as are invalid chunked
// bodies, before anything reaches an upstream; [Limits] bound the target,
// the head, the body and the time a client may take, each answered with
// nginx's status. A connection handed to net/http is read through a gate
// (gate.go) that follows every body to its end and screens each later
// head, since net/http hides from a handler what the screen must see.
// Requests refused, and clients that break or stall their bodies, are the
// client's errors ([Proxy.ClientErrors]): never counted for a version,
// never a reason to eject one. The request target goes upstream byte for
// byte as sent (target.go), and no upstream connection that holds bytes
// nobody asked for is ever reused (upstream.go), so no client can get a
// response meant for another. test/e2e/security holds the proxy against
// nginx on a corpus of such requests.
//
// A version whose upstream keeps failing is ejected for a while (outlier
// detection, outlier.go) and requests that failed before reaching it are
// retried once on the other version; [Proxy.Health] reports both, so the
// shell can show an ejection and treat a canary's as a failure.
// bench/proxy compares the proxy with nginx and HAProxy.
package proxy
