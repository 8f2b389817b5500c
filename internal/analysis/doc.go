// Package analysis turns metric values into verdicts. Threshold checks
// compare one version's value with the range the user wrote; the statistical
// judge compares canary with stable and may decide sooner. Both are pure:
// values come in through a Source, verdicts go out to the engine.
package analysis
