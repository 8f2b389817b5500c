package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// AlertProvider is the service an alert receiver is; it decides the shape
// of the message, so a Slack URL never gets Teams' JSON.
// +kubebuilder:validation:Enum=slack;teams;discord;webhook
type AlertProvider string

// The alert providers.
const (
	// AlertSlack posts to a Slack incoming webhook.
	AlertSlack AlertProvider = "slack"
	// AlertTeams posts to a Microsoft Teams incoming webhook or Workflows
	// URL.
	AlertTeams AlertProvider = "teams"
	// AlertDiscord posts to a Discord channel webhook.
	AlertDiscord AlertProvider = "discord"
	// AlertWebhook posts the alert as JSON to any URL.
	AlertWebhook AlertProvider = "webhook"
)

// AlertProviders lists every provider, for messages and callers that
// dispatch on it.
var AlertProviders = []AlertProvider{AlertSlack, AlertTeams, AlertDiscord, AlertWebhook}

// AlertSeverity is the least severe news a receiver wants: info is every
// phase change, warn adds nothing below failed and held checks, error is
// rollbacks only.
// +kubebuilder:validation:Enum=info;warn;error
type AlertSeverity string

// The alert severities, from least to most severe.
const (
	AlertInfo  AlertSeverity = "info"
	AlertWarn  AlertSeverity = "warn"
	AlertError AlertSeverity = "error"
)

// AlertSeverities lists the severities from least to most severe.
var AlertSeverities = []AlertSeverity{AlertInfo, AlertWarn, AlertError}

// DefaultAlertSecretKey is the Secret key read when urlSecretRef names no
// key.
const DefaultAlertSecretKey = "url"

// Alert sends news of the release to a chat or an HTTP endpoint: every
// phase change, each failed or held check, with the engine's reason.
// Receivers never hold the release: a chat that is down only loses its
// messages.
// +kubebuilder:validation:XValidation:rule="(has(self.url) ? 1 : 0) + (has(self.urlSecretRef) ? 1 : 0) + (has(self.urlFromEnv) ? 1 : 0) == 1",message="exactly one of url, urlSecretRef or urlFromEnv must be set"
type Alert struct {
	// Name identifies the receiver in logs and Events; the URL never
	// appears there, as it often holds a token.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=63
	Name string `json:"name"`
	// Provider is the kind of receiver.
	Provider AlertProvider `json:"provider"`
	// URL is the receiver's address, such as a Slack incoming webhook.
	// +optional
	// +kubebuilder:validation:Pattern=`^https?://`
	URL string `json:"url,omitempty"`
	// URLSecretRef reads the address from a Secret in the release's
	// namespace, so the token in it stays out of the release (Kubernetes
	// only).
	// +optional
	URLSecretRef *SecretKeyRef `json:"urlSecretRef,omitempty"`
	// URLFromEnv reads the address from an environment variable of
	// `sluice run`, so the token stays out of the release file and its Git
	// history (local releases only; on Kubernetes use urlSecretRef).
	// +optional
	// +kubebuilder:validation:MaxLength=128
	// +kubebuilder:validation:Pattern=`^[A-Za-z_][A-Za-z0-9_]*$`
	URLFromEnv string `json:"urlFromEnv,omitempty"`
	// Severity is the least severe alert sent (default info: everything).
	// +optional
	Severity AlertSeverity `json:"severity,omitempty"`
	// Timeout bounds one post (default 10s).
	// +optional
	// +kubebuilder:validation:Type=string
	// +kubebuilder:validation:Pattern=`^([0-9]+(\.[0-9]+)?(ns|us|µs|ms|s|m|h))+$`
	Timeout *metav1.Duration `json:"timeout,omitempty"`
}

// SecretKeyRef names one key of a Secret in the release's namespace.
type SecretKeyRef struct {
	// +kubebuilder:validation:MinLength=1
	Name string `json:"name"`
	// Key is the key in the Secret's data (default "url").
	// +optional
	Key string `json:"key,omitempty"`
}
