// Package v1alpha1 holds the Release API: the one contract that both the
// Kubernetes controller and the local runner read, so that a release file
// means the same thing wherever it runs.
//
// +kubebuilder:object:generate=true
// +groupName=sluice.dev
package v1alpha1
