// Package kubernetes is the workload driver of the Kubernetes shell: it
// reads the revisions and readiness of a release's two versions from
// Deployments, and carries out what the engine wants of them (canary up or
// down, promotion). The controller builds one with New for each Release and
// calls Observe and Apply on every tick; the driver keeps no state of its
// own, so a restarted controller converges from what the API server holds.
//
// Promotion means the same in both setups people already run: the stable
// side takes the canary's revision, then all traffic goes back to it.
//
//   - Deployments: two Deployments the user owns (api-v1 labelled
//     version: v1, api-v2 labelled version: v2, behind DestinationRule
//     subsets; or api-stable and api-canary behind two Services). The
//     stable Deployment always serves; promotion copies the canary's pod
//     template onto it, keeping its labels, and the idle canary is scaled
//     to zero until the next image is set on it.
//   - Target: one Deployment kept in Git. Sluice runs the versions in
//     <target>-primary (stable) and <target>-canary, Deployments it creates
//     and owns, each with a Service of the same name for the router to
//     point at. Every new pod template of the target is a canary;
//     promotion copies it to the primary.
//
// # Revisions
//
// The deployments form compares its two Deployments by ContentRevision,
// Revision without the template's labels, which differ by design.
//
// A revision is the first 10 hex digits of the SHA-256 of the pod
// template's canonical JSON, without any label or annotation under
// sluice.dev/ (Sluice adds sluice.dev/role to its copies' pods) and without
// the template's creation timestamp. The same template therefore has the
// same revision on the target and on its copies. <target>-primary and
// <target>-canary carry the revision they run in the annotation
// sluice.dev/revision.
//
// # Fields Sluice owns
//
// Sluice never rewrites a user's object whole. On the objects the user
// owns it writes, with JSON merge patches under the field manager "sluice":
//
//   - Deployments form: spec.template of the stable Deployment when a
//     canary is promoted (a JSON patch guarded by the resourceVersion, the
//     stable's labels kept), and spec.replicas of the canary Deployment
//     (set to 0 once a release has ended, restored when the next starts);
//     the count to restore is kept in the annotation
//     sluice.dev/scaled-down-from.
//   - Target form: spec.replicas of the target, which Sluice keeps at 0
//     (the target only holds the template; its pods would otherwise serve
//     outside the weights), and the annotation sluice.dev/replicas, where
//     the owner's replica count is recorded for the copies. A non-zero
//     spec.replicas set again from Git or with kubectl scale is recorded
//     anew and taken back to 0.
//
// Tell the GitOps tool to leave those fields alone. Argo CD: in the
// Application, ignoreDifferences with jsonPointers /spec/replicas (and
// /metadata/annotations/sluice.dev~1replicas) for the target Deployment,
// and the sync option RespectIgnoreDifferences=true. Flux: leave
// spec.replicas out of the manifest in Git (as with an autoscaler) and, to
// choose the count, write the annotation sluice.dev/replicas in Git
// instead; Flux's server-side apply then never touches spec.replicas.
//
// Everything else Sluice writes is on objects it creates: the Deployments
// and Services <target>-primary and <target>-canary, server-side applied
// under the field manager "sluice" with an ownerReference to the Release.
// Their pods keep the target's labels unchanged plus sluice.dev/role:
// primary or canary, which the Deployments' and Services' selectors add to
// the target's selector labels. Deleting the Release deletes them; call
// Finalize first (from a finalizer) to give the target its replicas back.
package kubernetes
