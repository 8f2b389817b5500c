package alerts

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestNewConfig(t *testing.T) {
	const secret = "https://hooks.slack.com/services/T000/B000/XXXXSECRET"
	tests := map[string]struct {
		name, provider, url, severity string
		timeout                       time.Duration
		want                          Config
		wantField                     string
	}{
		"slack with defaults": {
			name: "ops", provider: "slack", url: secret,
			want: Config{Name: "ops", Provider: ProviderSlack, URL: secret, MinSeverity: SeverityInfo, Timeout: DefaultTimeout},
		},
		"teams errors only": {
			name: "oncall", provider: "teams", url: "https://example.webhook.office.com/webhookb2/x", severity: "error", timeout: 3 * time.Second,
			want: Config{Name: "oncall", Provider: ProviderTeams, URL: "https://example.webhook.office.com/webhookb2/x", MinSeverity: SeverityError, Timeout: 3 * time.Second},
		},
		"discord":          {name: "d", provider: "discord", url: "http://127.0.0.1:9/x", want: Config{Name: "d", Provider: ProviderDiscord, URL: "http://127.0.0.1:9/x", MinSeverity: SeverityInfo, Timeout: DefaultTimeout}},
		"webhook":          {name: "w", provider: "webhook", url: "http://127.0.0.1:9/x", severity: "warn", want: Config{Name: "w", Provider: ProviderWebhook, URL: "http://127.0.0.1:9/x", MinSeverity: SeverityWarn, Timeout: DefaultTimeout}},
		"unknown provider": {name: "x", provider: "mattermost", url: secret, wantField: "provider"},
		"provider case":    {name: "x", provider: "Slack", url: secret, wantField: "provider"},
		"empty provider":   {name: "x", provider: "", url: secret, wantField: "provider"},
		"no name":          {name: " ", provider: "slack", url: secret, wantField: "name"},
		"not http":         {name: "x", provider: "slack", url: "ftp://hooks.example/XXXXSECRET", wantField: "url"},
		"relative URL":     {name: "x", provider: "slack", url: "/services/XXXXSECRET", wantField: "url"},
		"unparseable URL":  {name: "x", provider: "slack", url: "http://[::1/XXXXSECRET", wantField: "url"},
		"unknown severity": {name: "x", provider: "slack", url: secret, severity: "critical", wantField: "severity"},
		"negative timeout": {name: "t", provider: "webhook", url: "http://127.0.0.1:9/", timeout: -time.Second, want: Config{Name: "t", Provider: ProviderWebhook, URL: "http://127.0.0.1:9/", MinSeverity: SeverityInfo, Timeout: DefaultTimeout}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			got, err := NewConfig(tc.name, tc.provider, tc.url, tc.severity, tc.timeout)
			if tc.wantField == "" {
				if err != nil {
					t.Fatalf("NewConfig: %v", err)
				}
				if got != tc.want {
					t.Fatalf("config %+v, want %+v", got, tc.want)
				}
				return
			}
			var ce *ConfigError
			if !errors.As(err, &ce) || ce.Field != tc.wantField {
				t.Fatalf("error %v, want a ConfigError on %q", err, tc.wantField)
			}
			if strings.Contains(err.Error(), "XXXXSECRET") {
				t.Errorf("the error shows the URL's secret: %v", err)
			}
		})
	}
}

func TestUnknownProviderNamesTheChoices(t *testing.T) {
	_, err := NewConfig("x", "msteams", "https://example.com/", "", 0)
	if err == nil || !strings.Contains(err.Error(), "slack, teams, discord, webhook") {
		t.Fatalf("error %v, want one listing the providers", err)
	}
}
