// Package hooks calls the webhooks a Release declares, so that people's
// own systems can take part in a release: run a load test while the canary
// takes traffic, hold a promotion until someone confirms it, ask for a
// rollback, or just be told what happened.
//
// Every call is a POST of a JSON Payload (the release, its phase, weight
// and step, and the hook's metadata) bounded by the hook's timeout (10s by
// default). What an answer means depends on the hook's type:
//
//   - pre-rollout, rollout, confirm-promotion are gates (Run): a 2xx answer
//     passes; any other status, a timeout or a network error does not, and
//     the controller holds the release and counts a failed check.
//   - rollback is a question asked at each check (RollbackRequested): a 2xx
//     answer from any hook means "roll back now". Anything else, including
//     an error, means "no": a broken rollback hook must not roll every
//     release back.
//   - post-rollout and event are notifications (Notify): fire-and-forget,
//     their answers are only logged and never change the release.
//
// Calls never follow a redirect to another scheme or host (the release's
// data stays where its author sent it), and read at most 64 KiB of an
// answer, so a misbehaving receiver cannot exhaust the controller.
package hooks
