package security

// knownDifferences are the cases where Sluice deliberately does not do what
// nginx does, each with its reason; README.md has the same table, which
// TestDifferentialNginx checks, as it checks that each still differs.
var knownDifferences = map[string]string{
	// The target goes upstream as sent: RFC 9110 7.7 says a proxy MUST NOT
	// modify the absolute-path and query when forwarding; nginx decodes the
	// path to match its locations and refuses what it cannot decode.
	"target: a bad escape in the path":          "forwarded as sent (RFC 9110 7.7); nginx 400",
	"target: a short escape":                    "forwarded as sent (RFC 9110 7.7); nginx 400",
	"target: encoded dots":                      "forwarded as sent (RFC 9110 7.7); nginx 400 (decoded, it climbs above /)",
	"target: an encoded NUL":                    "forwarded as sent (RFC 9110 7.7); nginx 400",
	"target: a lone percent":                    "forwarded as sent (RFC 9110 7.7); nginx 400",
	"target: asterisk":                          "OPTIONS * is about the server the client talks to, which answers it (RFC 9110 9.3.7); nginx 400",
	"target: two spaces before it":              "400 for an invalid request-line (RFC 9112 3); nginx splits on whitespace, which 3 allows but parsers disagree on",
	"method: TRACE":                             "forwarded: TRACE is an end-to-end method (RFC 9110 9.3.8), the service decides; nginx 405",
	"method: CONNECT":                           "405: a known method not allowed here (RFC 9110 15.5.6); nginx 400, as it cannot parse the authority-form target",
	"method: lower case":                        "forwarded: methods are case-sensitive (RFC 9110 9.1), so get is another method, the service's to refuse; nginx 400",
	"framing: identity":                         "400: chunked is not the final coding (RFC 9112 6.3 says MUST 400 and close); nginx 501 (6.1, unknown coding)",
	"smuggling: xchunked":                       "400: chunked is not the final coding (RFC 9112 6.3); nginx 501",
	"smuggling: chunked, identity":              "400: chunked is not the final coding (RFC 9112 6.3); nginx 501",
	"framing: Expect something else":            "417, which RFC 9110 10.1.1 allows for an expectation other than 100-continue; nginx forwards it",
	"framing: an empty Host":                    "forwarded: an empty Host is valid (RFC 9112 3.2), only a missing or repeated one is 400; nginx 400",
	"framing: a chunked body over 1 MiB":        "no body limit by default (maxBodyBytes: 0; the proxy streams bodies); nginx's client_max_body_size is 1m",
	"hop: Connection lists a field":             "removed: RFC 9110 7.6.1 says a proxy MUST remove the fields Connection lists; nginx forwards it",
	"hop: TE trailers":                          "TE: trailers is passed on (gRPC needs it; RFC 9110 10.1.4); nginx drops TE",
	"hop: Proxy-Authorization":                  "removed: credentials for a proxy (RFC 9110 11.7.2) must not reach the service; nginx forwards them",
	"hop: Proxy-Connection":                     "removed, as RFC 9110 7.6.1 says intermediaries SHOULD; nginx forwards it",
	"hop: a client's X-Forwarded-For":           "the client's Forwarded is dropped: the proxy writes X-Forwarded-* itself, and a forged one would pass as its (RFC 7239 8.1); nginx forwards it",
	"smuggling: a tab before the value":         "read as chunked: HTAB is optional whitespace (RFC 9110 5.6.3); nginx 501",
	"smuggling: bare LF line ends":              "400: lines end with CRLF; RFC 9112 2.2 lets a recipient accept a bare LF, and parsers that differ on it can be desynchronised; nginx accepts it",
	"smuggling: a bare LF after a chunk size":   "400: a chunk line ends with CRLF (RFC 9112 7.1, erratum 7633; net/http refuses it too); nginx accepts it",
	"smuggling: a request in a chunk extension": "400: the trailer section holds field lines only (RFC 9112 7.1.2); nginx ignores what is not one",
	"smuggling: an invalid chunk after 100 KiB": "400 for both, but Sluice reads 64 KiB of a body before contacting the upstream and streams the rest, so the upstream may get a head and a part (never a whole request) before the exchange is aborted; nginx buffers the whole body (to disk)",
	"head: 1 MiB of fields":                     "431, the status RFC 6585 5 defines for header fields too large; nginx 400",
	"head: 10,000 fields":                       "431 (RFC 6585 5); nginx 400",
	"head: a 9 KiB field":                       "forwarded: Sluice bounds the whole head (maxHeaderBytes, 32 KiB), not each line; nginx refuses a line over 8 KiB",
	"head: 150 fields":                          "431: more than maxHeaderFields (100, configurable); nginx has no count limit",
	"head: an underscore in a name":             "forwarded: _ is a token character (RFC 9110 5.1); nginx drops such fields (underscores_in_headers off)",
	"head: whitespace around a value":           "trimmed: surrounding whitespace is not part of a field value (RFC 9110 5.5); nginx forwards it",
	"head: no colon":                            "400: a field line needs its colon (RFC 9112 5); nginx forwards the line as a field with an empty value",
	"head: HTTP/0.9":                            "400: no HTTP/0.9 (a request-line has a version, RFC 9112 3); nginx answers without a status line",
	"upstream: chunked response with a trailer": "the trailer is passed on (RFC 9110 6.5); nginx drops its values",
	"upstream: hop-by-hop fields":               "removed: fields Connection lists, Proxy-Authenticate and Upgrade (RFC 9110 7.6.1, 11.7.1); nginx forwards them",
	"upstream: two different lengths":           "502: RFC 9112 6.3 says a proxy MUST discard such a response and answer 502; nginx forwards it. The GET is retried once on the other version first (see below)",
	"upstream: 103 before the response":         "relayed: RFC 9110 15.2 says a proxy MUST forward 1xx responses; nginx 1.22 drops it and the client waits",
	"upstream: 101 without an upgrade":          "502: a server MUST NOT switch protocols the client did not ask for (RFC 9110 7.8); nginx relays it and the connection becomes a tunnel",
	"upstream: close without an answer":         "502 for both; Sluice first retries an idempotent request once on the other version (RFC 9110 9.2.2), so the upstream sees it twice",
	"upstream: an invalid status line":          "502 after a retry: a status code is 3 digits (RFC 9112 4); nginx relays the line",
	"upstream: a field with a bare CR":          "502 for both; Sluice retries the idempotent request once on the other version first (RFC 9110 9.2.2)",
	"upstream: a 16 KiB response field":         "forwarded: response heads are the service's and bounded by net/http's limit, not nginx's 4 KiB proxy_buffer_size (nginx 502)",
}

// timingDependent are known differences that show only on some runs: the
// test does not fail when they match nginx.
var timingDependent = map[string]bool{
	// Whether the head and part of the body reach the upstream before the
	// transport finds the invalid chunk depends on how fast each side is.
	"smuggling: an invalid chunk after 100 KiB": true,
}
