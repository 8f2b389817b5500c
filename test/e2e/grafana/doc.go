// Package grafana checks the Grafana dashboard in config/grafana against
// the metrics it charts.
//
// The dashboard is a JSON file that no compiler reads, so a renamed metric
// or a typo in a query would only show as an empty panel on someone's
// screen. These tests read it as Grafana does: every query of every panel
// and annotation, with the template variables resolved the way Grafana
// resolves them (label_values queries against Prometheus) and Grafana's
// built-in intervals filled in, is sent to a real Prometheus that has
// scraped Sluice's own metrics — a telemetry.Recorder fed by releases run
// through the real engine — Istio-named request metrics for the same
// workloads, and the metrics of a real Sluice proxy per release carrying
// requests on loopback sockets. Every query must parse, return data, and
// raise no Prometheus warning; a few panels are also checked for what they
// show (the phase a release ended in, stable's and the canary's success
// rates and p99, the rollbacks).
//
// Prometheus is not downloaded here; set it up first:
//
//	eval "$(hack/e2e/setup.sh)"
//	go test ./test/e2e/grafana/
package grafana
