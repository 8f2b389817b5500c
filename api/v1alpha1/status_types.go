package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Phase is where a release stands; see DESIGN.md for the life cycle.
// +kubebuilder:validation:Enum=Initializing;Waiting;Progressing;Paused;Promoting;Promoted;RollingBack;RolledBack
type Phase string

// The phases of a release.
const (
	PhaseInitializing Phase = "Initializing"
	PhaseWaiting      Phase = "Waiting"
	PhaseProgressing  Phase = "Progressing"
	PhasePaused       Phase = "Paused"
	PhasePromoting    Phase = "Promoting"
	PhasePromoted     Phase = "Promoted"
	PhaseRollingBack  Phase = "RollingBack"
	PhaseRolledBack   Phase = "RolledBack"
)

// Terminal reports whether the release has ended for its canary revision.
func (p Phase) Terminal() bool { return p == PhasePromoted || p == PhaseRolledBack }

// Condition types, following the Flux/Kueue convention.
const (
	// ConditionReady is True once a release has ended well (Promoted, or
	// Waiting for a revision), False when it rolled back.
	ConditionReady = "Ready"
	// ConditionReconciling is True while traffic is moving.
	ConditionReconciling = "Reconciling"
	// ConditionStalled is True when the release cannot progress without a
	// change from a person (bad reference, invalid spec).
	ConditionStalled = "Stalled"
)

// ReleaseStatus is everything the engine needs to carry on after a restart.
type ReleaseStatus struct {
	// ObservedGeneration is the spec generation this status was made for.
	// +optional
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`

	// +optional
	Phase Phase `json:"phase,omitempty"`

	// Message says why the release is in its phase, for people.
	// +optional
	Message string `json:"message,omitempty"`

	// StepIndex is the step being run (len(steps) once all are done).
	// +optional
	StepIndex int32 `json:"stepIndex"`

	// StepCount is the number of steps in the plan.
	// +optional
	StepCount int32 `json:"stepCount,omitempty"`

	// StepsHash names the steps this status was made for. When the steps
	// are edited mid-release the release starts again at step 1, so an
	// index never points at a step it was not made for.
	// +optional
	StepsHash string `json:"stepsHash,omitempty"`

	// StepStartedAt is when the current step began.
	// +optional
	StepStartedAt *metav1.Time `json:"stepStartedAt,omitempty"`

	// CanaryWeight is the percent of traffic the canary should get now;
	// stable gets 100 - CanaryWeight.
	// +optional
	CanaryWeight int32 `json:"canaryWeight"`

	// StableRevision is the revision serving users: the last promoted one
	// (or the one found at the start). Traffic never goes to an older one.
	// +optional
	StableRevision string `json:"stableRevision,omitempty"`
	// CanaryRevision is the revision under test, or the last one tested.
	// +optional
	CanaryRevision string `json:"canaryRevision,omitempty"`

	// Analysis is the state of the checks for the current canary.
	// +optional
	Analysis AnalysisStatus `json:"analysis,omitempty"`

	// StartedAt and FinishedAt bound the current canary's release.
	// +optional
	StartedAt *metav1.Time `json:"startedAt,omitempty"`
	// +optional
	FinishedAt *metav1.Time `json:"finishedAt,omitempty"`

	// LastCommand is the id of the last promote/abort/pause/resume applied,
	// so a command is applied once even if it is seen again.
	// +optional
	LastCommand string `json:"lastCommand,omitempty"`

	// History keeps the last decisions with their reasons, newest last.
	// +optional
	// +kubebuilder:validation:MaxItems=50
	History []Decision `json:"history,omitempty"`

	// +optional
	// +listType=map
	// +listMapKey=type
	Conditions []metav1.Condition `json:"conditions,omitempty"`
}

// AnalysisStatus counts checks for the current canary.
type AnalysisStatus struct {
	// +optional
	PassedChecks int32 `json:"passedChecks"`
	// +optional
	FailedChecks int32 `json:"failedChecks"`
	// ConsecutivePasses counts passing checks since the step began.
	// +optional
	ConsecutivePasses int32 `json:"consecutivePasses"`
	// LastCheckAt is when the last check ran.
	// +optional
	LastCheckAt *metav1.Time `json:"lastCheckAt,omitempty"`
	// NoDataSince is when checks started to see no data; nil when they did.
	// +optional
	NoDataSince *metav1.Time `json:"noDataSince,omitempty"`
	// Metrics are the results of the last check.
	// +optional
	Metrics []MetricStatus `json:"metrics,omitempty"`
	// Judge is the statistical judge's verdict and memory on Kubernetes,
	// where .status is the controller's only memory.
	// +optional
	Judge *JudgeStatus `json:"judge,omitempty"`
}

// JudgeStatus is the statistical judge of one canary: its last verdict for
// people, and what a restarted controller needs to resume the very same
// test rather than start it over.
type JudgeStatus struct {
	// Decision is the last verdict: Pass, Fail or Continue.
	// +optional
	Decision string `json:"decision,omitempty"`
	// Reason says why, with the evidence.
	// +optional
	Reason string `json:"reason,omitempty"`
	// StartedAt is the release the evidence belongs to (status.startedAt).
	// +optional
	StartedAt *metav1.Time `json:"startedAt,omitempty"`
	// ReadAt is when the counts were last read. Between checks the
	// controller reads the judge again once this is old enough, so a bad
	// canary is caught in seconds even with a long analysis interval.
	// +optional
	ReadAt *metav1.Time `json:"readAt,omitempty"`
	// State is the judge's evidence as JSON.
	// +optional
	// +kubebuilder:validation:MaxLength=16384
	State string `json:"state,omitempty"`
	// Stable and Canary are the mesh's cumulative counts last read: the
	// next batch is what they served since.
	// +optional
	Stable *JudgeCounts `json:"stable,omitempty"`
	// +optional
	Canary *JudgeCounts `json:"canary,omitempty"`
}

// JudgeCounts are one version's cumulative request counts.
type JudgeCounts struct {
	Requests int64 `json:"requests"`
	Errors   int64 `json:"errors"`
	// Buckets are per-bucket (not cumulative) latency counts on the
	// judge's bounds, the last one +Inf.
	// +optional
	// +kubebuilder:validation:MaxItems=64
	Buckets []int64 `json:"buckets,omitempty"`
}

// CheckVerdict is the outcome of one metric, or of one whole check.
// +kubebuilder:validation:Enum=Pass;Fail;NoData
type CheckVerdict string

// The verdicts of a check.
const (
	VerdictPass   CheckVerdict = "Pass"
	VerdictFail   CheckVerdict = "Fail"
	VerdictNoData CheckVerdict = "NoData"
)

// MetricStatus is one metric's last value and verdict.
type MetricStatus struct {
	Name string `json:"name"`
	// Value is a decimal string so the CRD need not store floats.
	// +optional
	Value string `json:"value,omitempty"`
	// +optional
	Verdict CheckVerdict `json:"verdict,omitempty"`
	// +optional
	Message string `json:"message,omitempty"`
}

// Decision is one thing the engine decided, kept for people and the CLI.
type Decision struct {
	Time metav1.Time `json:"time"`
	// Reason is a CamelCase word, as in Kubernetes events.
	Reason string `json:"reason"`
	// Message is the sentence shown to people.
	Message string `json:"message"`
	// Warning marks decisions about failures.
	// +optional
	Warning bool `json:"warning,omitempty"`
	// CanaryWeight is the canary weight after the decision, so charts draw
	// the weight over time from the history alone.
	// +optional
	CanaryWeight int32 `json:"canaryWeight"`
	// Step is the 1-based step the decision is about; 0 for none.
	// +optional
	Step int32 `json:"step,omitempty"`
	// Revision is the canary revision the decision is about.
	// +optional
	Revision string `json:"revision,omitempty"`
}
