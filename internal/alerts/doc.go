// Package alerts tells people where they already talk — Slack, Microsoft
// Teams, Discord, or any system that takes a JSON webhook — what a release
// is doing: every phase change and every failed check, with the engine's
// reason.
//
// It exists apart from the release's webhooks (package hooks) because the
// two answer different needs. Webhooks take part in a release: their
// answers hold, pass or roll it back, and they receive Sluice's own
// payload. Alerts never change a release: each receiver gets the message
// shape its chat expects, filtered by how severe the news is, and a
// receiver that is slow or down only delays its own messages.
//
// The parts:
//
//   - Alert is one piece of news; FromEvent makes one from an engine
//     decision, and says whether the decision is news at all.
//   - Config is one receiver as the user declared it, checked once when
//     read (NewConfig): an unknown provider or a bad URL is an error for a
//     person to fix, never a silent fallback to another format.
//   - Dispatcher sends alerts. Send waits for the answers (for tools and
//     tests); Notify queues them and returns at once (for the shells, whose
//     loop must not wait on a chat service), keeping each receiver's
//     messages in order.
//
// Incoming webhook URLs are secrets (whoever has one can post to the
// channel), so they never appear in logs or errors; receivers are named by
// Config.Name instead.
package alerts
