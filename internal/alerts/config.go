package alerts

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"
)

// Provider names the service a receiver is, which decides the shape of
// the JSON it is sent.
type Provider string

// The providers.
const (
	// ProviderSlack is a Slack incoming webhook.
	ProviderSlack Provider = "slack"
	// ProviderTeams is a Microsoft Teams incoming webhook or Workflows
	// ("when a Teams webhook request is received") URL.
	ProviderTeams Provider = "teams"
	// ProviderDiscord is a Discord channel webhook.
	ProviderDiscord Provider = "discord"
	// ProviderWebhook is any URL that takes the Alert as JSON.
	ProviderWebhook Provider = "webhook"
)

// Providers lists every provider, for validation messages and the CRD.
func Providers() []Provider {
	return []Provider{ProviderSlack, ProviderTeams, ProviderDiscord, ProviderWebhook}
}

// DefaultTimeout bounds one post when a receiver sets no timeout. Chat
// services answer in well under a second; ten leaves room for a slow day
// without letting a dead receiver hold its queue for long.
const DefaultTimeout = 10 * time.Second

// Config is one receiver of alerts, checked. Make it with NewConfig.
type Config struct {
	// Name identifies the receiver in logs and results; the URL never
	// appears there.
	Name     string
	Provider Provider
	URL      string
	// MinSeverity is the least severe alert the receiver is sent.
	MinSeverity Severity
	// Timeout bounds one post.
	Timeout time.Duration
}

// ConfigError says which field of a receiver is wrong, relative to the
// receiver (such as "provider"), so the caller can prefix its own path
// (such as spec.alerts[2]).
type ConfigError struct {
	Field   string
	Message string
}

func (e *ConfigError) Error() string { return e.Field + ": " + e.Message }

// NewConfig checks a receiver as the user declared it. An unknown provider
// is an error: sending Slack's format to a Teams URL would fail on every
// alert, silently, when the news matters most. Empty severity means info;
// a timeout of zero or less means DefaultTimeout.
func NewConfig(name, provider, rawURL, minSeverity string, timeout time.Duration) (Config, error) {
	if strings.TrimSpace(name) == "" {
		return Config{}, &ConfigError{Field: "name", Message: "must not be empty"}
	}
	p, err := parseProvider(provider)
	if err != nil {
		return Config{}, &ConfigError{Field: "provider", Message: err.Error()}
	}
	if err := checkURL(rawURL); err != nil {
		return Config{}, &ConfigError{Field: "url", Message: err.Error()}
	}
	sev, err := ParseSeverity(minSeverity)
	if err != nil {
		return Config{}, &ConfigError{Field: "severity", Message: err.Error()}
	}
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	return Config{Name: name, Provider: p, URL: rawURL, MinSeverity: sev, Timeout: timeout}, nil
}

func parseProvider(s string) (Provider, error) {
	for _, p := range Providers() {
		if string(p) == s {
			return p, nil
		}
	}
	names := make([]string, 0, len(Providers()))
	for _, p := range Providers() {
		names = append(names, string(p))
	}
	return "", fmt.Errorf("unknown provider %q (%s)", s, strings.Join(names, ", "))
}

// checkURL accepts absolute http(s) URLs. Its messages never repeat the
// URL: it may hold the webhook's secret token.
func checkURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil {
		return errors.New("not a valid URL")
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return fmt.Errorf("want an http or https URL, got scheme %q", u.Scheme)
	}
	if u.Host == "" {
		return errors.New("the URL has no host")
	}
	return nil
}
