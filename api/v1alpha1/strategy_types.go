package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Strategy is the path from 0% to promotion. Give either explicit Steps
// (Argo Rollouts style) or the shorthand StepWeight/StepWeights + MaxWeight
// (Flagger style), which expands to "set the weight, then wait for one
// passing analysis check" for each weight.
// +kubebuilder:validation:XValidation:rule="has(self.steps) != (has(self.stepWeight) || has(self.stepWeights))",message="set steps, or stepWeight or stepWeights, not both"
type Strategy struct {
	// Steps are run in order; after the last one the canary is promoted.
	// +optional
	// +kubebuilder:validation:MaxItems=100
	Steps []Step `json:"steps,omitempty"`

	// StepWeight is the weight added after each passing check (shorthand).
	// +optional
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=100
	StepWeight int32 `json:"stepWeight,omitempty"`

	// StepWeights lists the weights to go through (shorthand).
	// +optional
	// +kubebuilder:validation:MaxItems=100
	// +kubebuilder:validation:items:Minimum=1
	// +kubebuilder:validation:items:Maximum=100
	StepWeights []int32 `json:"stepWeights,omitempty"`

	// MaxWeight is the last weight before promotion (shorthand; default 50).
	// +optional
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=100
	MaxWeight int32 `json:"maxWeight,omitempty"`
}

// Step is one item of the strategy; exactly one member is set.
// +kubebuilder:validation:XValidation:rule="(has(self.setWeight) ? 1 : 0) + (has(self.pause) ? 1 : 0) + (has(self.analysis) ? 1 : 0) == 1",message="exactly one of setWeight, pause or analysis must be set"
type Step struct {
	// SetWeight sends this percent of traffic to the canary.
	// +optional
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:validation:Maximum=100
	SetWeight *int32 `json:"setWeight,omitempty"`

	// Pause holds the release: for a duration, or until promoted.
	// +optional
	Pause *PauseStep `json:"pause,omitempty"`

	// Analysis holds the release until enough analysis checks in a row pass.
	// +optional
	Analysis *AnalysisStep `json:"analysis,omitempty"`
}

// PauseStep waits. Without a duration it waits for `sluice promote`.
type PauseStep struct {
	// +optional
	// +kubebuilder:validation:Type=string
	// +kubebuilder:validation:Pattern=`^([0-9]+(\.[0-9]+)?(ns|us|µs|ms|s|m|h))+$`
	Duration *metav1.Duration `json:"duration,omitempty"`
}

// AnalysisStep is a gate: it passes after Passes checks in a row pass.
type AnalysisStep struct {
	// Passes is how many checks in a row must pass (default 1).
	// +optional
	// +kubebuilder:validation:Minimum=1
	Passes int32 `json:"passes,omitempty"`
}
