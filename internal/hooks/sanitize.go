package hooks

import (
	"errors"
	"net/url"
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"
)

// MaxExcerpt is how much of an answer's text Result.Message keeps: enough
// for a receiver's reason ("load test failed: p99 812ms"), too little to
// carry a document into .status and Events, where whoever can read the
// Release reads it.
const MaxExcerpt = 160

// secretPair finds key=value and "key": "value" pairs whose key names a
// secret; their values are masked in excerpts.
var secretPair = regexp.MustCompile(`(?i)("?[\w.-]*(?:pass(?:word|wd)?|secret|token|api[_-]?key|auth[\w-]*|credential|private[_-]?key|session|cookie)[\w.-]*"?\s*[:=]\s*)("[^"]*"|'[^']*'|[^\s,;&}]+)`)

// excerpt is the start of an answer as one short line of printable text,
// with values that look like secrets masked.
func excerpt(data []byte) string {
	s := strings.ToValidUTF8(string(data), "�")
	s = strings.Map(func(r rune) rune {
		if !unicode.IsPrint(r) {
			return ' '
		}
		return r
	}, s)
	s = strings.Join(strings.Fields(s), " ")
	s = secretPair.ReplaceAllString(s, "${1}"+redacted)
	if len(s) > MaxExcerpt {
		cut := MaxExcerpt
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		s = s[:cut] + "…"
	}
	return s
}

// redacted stands where a secret was.
const redacted = "<redacted>"

// callError is the reason a call failed without the hook's URL, which may
// carry a token: the net/http client's errors quote the URL in full.
func callError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return errors.New(strings.ToLower(ue.Op) + " " + redactURL(ue.URL) + ": " + ue.Err.Error())
	}
	return err
}

// redactURL keeps a URL's scheme and host, which say where it points, and
// drops the rest, where tokens live.
func redactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return redacted
	}
	return u.Scheme + "://" + u.Hostname() + "/" + redacted
}
