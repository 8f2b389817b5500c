package v1alpha1

import (
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func TestValidateAlerts(t *testing.T) {
	slack := Alert{Name: "team", Provider: AlertSlack, URL: "https://hooks.slack.com/services/T0/B0/secret"}
	runValidate(t, map[string]validateCase{
		"every provider, local": {
			tc: func(r *Release) {
				for _, p := range AlertProviders {
					r.Spec.Alerts = append(r.Spec.Alerts, Alert{Name: string(p), Provider: p, URL: "http://127.0.0.1:9/" + string(p), Severity: AlertWarn})
				}
			},
		},
		"secret ref on Kubernetes": {
			base: validIstioRelease,
			tc: func(r *Release) {
				r.Spec.Alerts = []Alert{{Name: "team", Provider: AlertTeams, URLSecretRef: &SecretKeyRef{Name: "teams-hook"}}}
			},
		},
		"secret ref on a local release": {
			tc: func(r *Release) {
				r.Spec.Alerts = []Alert{{Name: "team", Provider: AlertSlack, URLSecretRef: &SecretKeyRef{Name: "slack"}}}
			},
			want: []string{"spec.alerts[0].urlSecretRef: local releases read no Secrets; give the url, or urlFromEnv to read it from the environment"},
		},
		"url from the environment, local": {
			tc: func(r *Release) {
				r.Spec.Alerts = []Alert{{Name: "team", Provider: AlertSlack, URLFromEnv: "SLACK_WEBHOOK_URL"}}
			},
		},
		"url from the environment on Kubernetes": {
			base: validIstioRelease,
			tc: func(r *Release) {
				r.Spec.Alerts = []Alert{{Name: "team", Provider: AlertSlack, URLFromEnv: "SLACK_WEBHOOK_URL"}}
			},
			want: []string{`spec.alerts[0].urlFromEnv: the controller reads no environment for releases; use urlSecretRef`},
		},
		"not an environment variable name": {
			tc: func(r *Release) {
				r.Spec.Alerts = []Alert{{Name: "team", Provider: AlertSlack, URLFromEnv: "1SLACK-URL"}}
			},
			want: []string{`spec.alerts[0].urlFromEnv: is not an environment variable name (letters, digits and _, not starting with a digit)`},
		},
		"url and from the environment": {
			tc: func(r *Release) {
				a := slack
				a.URLFromEnv = "SLACK_WEBHOOK_URL"
				r.Spec.Alerts = []Alert{a}
			},
			want: []string{"spec.alerts[0]: set one of url, urlSecretRef or urlFromEnv"},
		},
		"all missing": {
			tc: func(r *Release) { r.Spec.Alerts = []Alert{{}} },
			want: []string{
				"spec.alerts[0].name: must be set",
				"spec.alerts[0].provider: must be set: one of slack, teams, discord or webhook",
				"spec.alerts[0].url: must be set (or urlSecretRef on Kubernetes, urlFromEnv locally), such as https://hooks.slack.com/services/...",
			},
		},
		"both url and secret": {
			base: validIstioRelease,
			tc: func(r *Release) {
				a := slack
				a.URLSecretRef = &SecretKeyRef{Name: "slack"}
				r.Spec.Alerts = []Alert{a}
			},
			want: []string{"spec.alerts[0]: set one of url, urlSecretRef or urlFromEnv"},
		},
		"unknown provider is an error": {
			tc: func(r *Release) {
				a := slack
				a.Provider = "mattermost"
				r.Spec.Alerts = []Alert{a}
			},
			want: []string{`spec.alerts[0].provider: "mattermost" is not an alert provider; use slack, teams, discord or webhook`},
		},
		"bad url, not repeated": {
			tc: func(r *Release) {
				a := slack
				a.URL = "hooks.slack.com/services/T0/B0/secret"
				r.Spec.Alerts = []Alert{a}
			},
			want: []string{"spec.alerts[0].url: is not an absolute http:// or https:// URL"},
		},
		"names, severity, timeout": {
			tc: func(r *Release) {
				a, b, c := slack, slack, slack
				b.Severity = "critical"
				c.Name = "Team Chat"
				c.Timeout = &metav1.Duration{Duration: -time.Second}
				r.Spec.Alerts = []Alert{a, b, c}
			},
			want: []string{
				`spec.alerts[1].name: "team" is already used by spec.alerts[0]`,
				`spec.alerts[1].severity: "critical" is not a severity; use info, warn or error`,
				`spec.alerts[2].name: "Team Chat" is not a valid alert name: use at most 63 lower-case letters, digits and '-', starting and ending with a letter or digit`,
				"spec.alerts[2].timeout: -1s is not a positive duration",
			},
		},
	})
}

func TestAlertErrorsNeverShowTheURL(t *testing.T) {
	r := validRelease()
	r.Spec.Alerts = []Alert{{Name: "x", Provider: AlertSlack, URL: "ftp://hooks.slack.com/services/TOKEN123"}}
	for _, e := range r.Validate() {
		if strings.Contains(e.Error(), "TOKEN123") {
			t.Errorf("error shows the URL: %v", e)
		}
	}
}

func TestDefaultAlerts(t *testing.T) {
	r := validIstioRelease()
	r.Spec.Alerts = []Alert{{Name: "a", Provider: AlertWebhook, URLSecretRef: &SecretKeyRef{Name: "s"}}}
	r.Default()
	got := r.Spec.Alerts[0]
	if got.Severity != AlertInfo || got.Timeout == nil || got.Timeout.Duration != DefaultAlertTimeout || got.URLSecretRef.Key != DefaultAlertSecretKey {
		t.Errorf("defaults = %+v, want info, %s, key %q", got, DefaultAlertTimeout, DefaultAlertSecretKey)
	}
}
