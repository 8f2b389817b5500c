package hooks

import (
	"maps"
	"time"

	"sluice.dev/sluice/api/v1alpha1"
)

// Payload is the JSON body every webhook receives: enough about the
// release for a receiver to act (start a load test against the canary,
// post a message) without reading the cluster.
type Payload struct {
	// Name and Namespace identify the Release.
	Name      string `json:"name"`
	Namespace string `json:"namespace,omitempty"`
	// Phase is where the release stands when the hook is called (a
	// v1alpha1.Phase).
	Phase string `json:"phase"`
	// Type is the hook's type; Call sets it from the hook.
	Type v1alpha1.WebhookType `json:"type"`
	// CanaryWeight is the percent of traffic the canary gets.
	CanaryWeight int32 `json:"canaryWeight"`
	// StepIndex is the strategy step being run.
	StepIndex int32 `json:"stepIndex"`
	// Revision is the canary's revision, so a receiver can tell releases of
	// the same object apart.
	Revision string `json:"revision,omitempty"`
	// Reason is the decision's reason (an engine.Reason such as
	// ThresholdReached), for event and post-rollout hooks.
	Reason string `json:"reason,omitempty"`
	// Message says what just happened, for event and post-rollout hooks.
	Message string `json:"message,omitempty"`
	// Metadata is the hook's own metadata from the Release (such as a load
	// test's command), over whatever the caller put here.
	Metadata map[string]string `json:"metadata,omitempty"`
	// Time is when the call was made; Call sets it from its clock when zero.
	Time time.Time `json:"time"`
}

// Result is one hook's answer, as the controller reports it in status and
// events.
type Result struct {
	// Name is the webhook's name.
	Name string
	// Type is the webhook's type.
	Type v1alpha1.WebhookType
	// OK is true when the receiver answered 2xx.
	OK bool
	// Status is the HTTP status, or 0 when there was no answer.
	Status int
	// Message is the start of the answer's body, or why there was none.
	Message string
	// Duration is how long the call took.
	Duration time.Duration
}

// withHook is p as sent to hook: its type, its metadata over p's, and a
// time.
func (p Payload) withHook(hook v1alpha1.Webhook, now func() time.Time) Payload {
	p.Type = hook.Type
	if len(hook.Metadata) > 0 {
		md := make(map[string]string, len(p.Metadata)+len(hook.Metadata))
		maps.Copy(md, p.Metadata)
		maps.Copy(md, hook.Metadata)
		p.Metadata = md
	}
	if p.Time.IsZero() {
		p.Time = now()
	}
	return p
}
