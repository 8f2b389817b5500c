package release

import (
	"net/url"

	"sluice.dev/sluice/api/v1alpha1"
)

// Redacted stands where a secret was taken out.
const Redacted = "<redacted>"

// Redact takes the secrets out of a view: the versions' environment
// values and the webhook and alert URLs (they often carry a token). Every
// answer given without the token is redacted; with it, the view is whole.
func (v *View) Redact() *View {
	out := *v
	out.Release = *v.Release.DeepCopy()
	RedactSpec(&out.Release.Spec)
	return &out
}

// RedactSpec takes the secrets out of a spec in place.
func RedactSpec(s *v1alpha1.ReleaseSpec) {
	if l := s.Workload.Local; l != nil {
		redactEnv(l.Stable.Env)
		redactEnv(l.Canary.Env)
	}
	for i := range s.Webhooks {
		s.Webhooks[i].URL = RedactURL(s.Webhooks[i].URL)
	}
	for i := range s.Alerts {
		s.Alerts[i].URL = RedactURL(s.Alerts[i].URL)
	}
}

func redactEnv(env map[string]string) {
	for k := range env {
		env[k] = Redacted
	}
}

// RedactURL keeps a URL's scheme and host, which say where it points,
// and drops the rest, where tokens live (a Slack hook's path, a query's
// key, a password).
func RedactURL(raw string) string {
	if raw == "" {
		return ""
	}
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return Redacted
	}
	return u.Scheme + "://" + u.Hostname() + "/" + Redacted
}
