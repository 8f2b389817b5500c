package alerts

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"sluice.dev/sluice/api/v1alpha1"
)

func TestConfigsFromSpec(t *testing.T) {
	secrets := map[string]string{"hooks/url": "https://hooks.slack.test/T/B/secret", "hooks/teams": "https://teams.test/x", "bad/url": "ftp://TOKEN9"}
	resolve := func(_ context.Context, ref v1alpha1.SecretKeyRef) (string, error) {
		v, ok := secrets[ref.Name+"/"+ref.Key]
		if !ok {
			return "", errors.New("no such key")
		}
		return v, nil
	}
	tests := map[string]struct {
		specs   []v1alpha1.Alert
		resolve URLResolver
		env     map[string]string
		want    []Config
		wantErr string
	}{
		"inline and from a Secret, defaults filled": {
			specs: []v1alpha1.Alert{
				{Name: "ops", Provider: v1alpha1.AlertWebhook, URL: "http://127.0.0.1:9/a", Severity: v1alpha1.AlertError, Timeout: &metav1.Duration{Duration: time.Second}},
				{Name: "chat", Provider: v1alpha1.AlertSlack, URLSecretRef: &v1alpha1.SecretKeyRef{Name: "hooks"}},
				{Name: "teams", Provider: v1alpha1.AlertTeams, URLSecretRef: &v1alpha1.SecretKeyRef{Name: "hooks", Key: "teams"}},
			},
			resolve: resolve,
			want: []Config{
				{Name: "ops", Provider: ProviderWebhook, URL: "http://127.0.0.1:9/a", MinSeverity: SeverityError, Timeout: time.Second},
				{Name: "chat", Provider: ProviderSlack, URL: "https://hooks.slack.test/T/B/secret", MinSeverity: SeverityInfo, Timeout: DefaultTimeout},
				{Name: "teams", Provider: ProviderTeams, URL: "https://teams.test/x", MinSeverity: SeverityInfo, Timeout: DefaultTimeout},
			},
		},
		"none": {want: []Config{}},
		"unknown provider names its field; the good ones are kept": {
			specs:   []v1alpha1.Alert{{Name: "a", Provider: "slack", URL: "https://a.test/"}, {Name: "b", Provider: "pager", URL: "https://b.test/"}},
			want:    []Config{{Name: "a", Provider: ProviderSlack, URL: "https://a.test/", MinSeverity: SeverityInfo, Timeout: DefaultTimeout}},
			wantErr: `spec.alerts[1].provider: unknown provider "pager"`,
		},
		"a Secret that cannot be read": {
			specs:   []v1alpha1.Alert{{Name: "a", Provider: "slack", URLSecretRef: &v1alpha1.SecretKeyRef{Name: "gone"}}},
			resolve: resolve,
			wantErr: "spec.alerts[0].urlSecretRef: no such key",
		},
		"a Secret holding a bad URL": {
			specs:   []v1alpha1.Alert{{Name: "a", Provider: "slack", URLSecretRef: &v1alpha1.SecretKeyRef{Name: "bad"}}},
			resolve: resolve,
			wantErr: `spec.alerts[0].urlSecretRef: the Secret's value: want an http or https URL, got scheme "ftp"`,
		},
		"from the environment": {
			specs: []v1alpha1.Alert{{Name: "a", Provider: "slack", URLFromEnv: "SLACK_URL"}},
			env:   map[string]string{"SLACK_URL": "https://hooks.slack.test/T/B/secret"},
			want:  []Config{{Name: "a", Provider: ProviderSlack, URL: "https://hooks.slack.test/T/B/secret", MinSeverity: SeverityInfo, Timeout: DefaultTimeout}},
		},
		"an environment variable not set": {
			specs:   []v1alpha1.Alert{{Name: "a", Provider: "slack", URLFromEnv: "SLACK_URL"}},
			env:     map[string]string{},
			wantErr: "spec.alerts[0].urlFromEnv: SLACK_URL is not set",
		},
		"an environment variable holding a bad URL": {
			specs:   []v1alpha1.Alert{{Name: "a", Provider: "slack", URLFromEnv: "SLACK_URL"}},
			env:     map[string]string{"SLACK_URL": "ftp://TOKEN9"},
			wantErr: `spec.alerts[0].urlFromEnv: SLACK_URL's value: want an http or https URL, got scheme "ftp"`,
		},
		"the environment where it cannot be read": {
			specs:   []v1alpha1.Alert{{Name: "a", Provider: "slack", URLFromEnv: "SLACK_URL"}},
			wantErr: "spec.alerts[0].urlFromEnv: this release cannot read the environment; use urlSecretRef",
		},
		"a Secret without a resolver": {
			specs:   []v1alpha1.Alert{{Name: "a", Provider: "slack", URLSecretRef: &v1alpha1.SecretKeyRef{Name: "hooks"}}},
			wantErr: "spec.alerts[0].urlSecretRef: this release cannot read Secrets",
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			src := Sources{Secret: tc.resolve}
			if tc.env != nil {
				src.Env = func(k string) (string, bool) { v, ok := tc.env[k]; return v, ok }
			}
			got, err := ConfigsFromSpec(context.Background(), tc.specs, src)
			switch {
			case tc.wantErr != "":
				if err == nil || !strings.HasPrefix(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want %q", err, tc.wantErr)
				}
				if strings.Contains(err.Error(), "TOKEN9") || strings.Contains(err.Error(), "/T/B/secret") {
					t.Errorf("error shows the URL: %v", err)
				}
			case err != nil:
				t.Fatal(err)
			}
			if len(got) != len(tc.want) {
				t.Fatalf("got %d configs, want %d", len(got), len(tc.want))
			}
			for i := range got {
				if got[i] != tc.want[i] {
					t.Errorf("config %d = %+v, want %+v", i, got[i], tc.want[i])
				}
			}
		})
	}
}

// The API's enums and this package's must agree, or a valid release would
// fail here at run time.
func TestAPIEnumsMatch(t *testing.T) {
	if len(v1alpha1.AlertProviders) != len(Providers()) {
		t.Fatalf("API providers %v, package providers %v", v1alpha1.AlertProviders, Providers())
	}
	for i, p := range v1alpha1.AlertProviders {
		if string(p) != string(Providers()[i]) {
			t.Errorf("provider %d: API %q, package %q", i, p, Providers()[i])
		}
	}
	for _, s := range v1alpha1.AlertSeverities {
		if _, err := ParseSeverity(string(s)); err != nil {
			t.Errorf("API severity %q: %v", s, err)
		}
	}
}
