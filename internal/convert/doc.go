// Package convert turns a Flagger Canary (flagger.app/v1beta1) or an Argo
// Rollout (argoproj.io/v1alpha1), with the objects it refers to, into a
// Sluice Release and the objects the Release needs, so that someone moving
// to Sluice starts from their own setup rather than from an example.
//
// It is pure: YAML in, objects and a report out; `sluice convert` reads the
// files and writes the result. Every field of the source objects ends up
// in the report, either mapped (with where it went) or not (with why), so
// nothing a user relied on disappears without a word. What cannot be
// expressed in Sluice at all (a router other than Istio or Gateway API, a
// DaemonSet) is an error naming the field.
//
// A Canary keeps one Deployment in Git: it becomes the target form
// (<target>-primary and <target>-canary created by Sluice), with the
// VirtualService or HTTPRoute and the Service that Flagger generated
// written out, since Sluice generates neither. A Rollout's pod template
// becomes two Deployments, <rollout>-stable serving users and an idle
// <rollout>-canary where each new version is set (the deployments form);
// a Rollout with a workloadRef becomes the target form. Analysis templates
// become metrics with PromQL queries, Argo's success and failure
// conditions threshold ranges.
package convert
