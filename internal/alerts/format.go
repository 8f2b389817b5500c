package alerts

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"sluice.dev/sluice/api/v1alpha1"
)

// encoder turns an alert into the body one provider expects.
type encoder func(Alert) ([]byte, error)

// encoderFor is the body format of a provider; NewConfig has already
// refused unknown providers, so the error is for Configs built by hand.
func encoderFor(p Provider) (encoder, error) {
	switch p {
	case ProviderSlack:
		return slackBody, nil
	case ProviderTeams:
		return teamsBody, nil
	case ProviderDiscord:
		return discordBody, nil
	case ProviderWebhook:
		return webhookBody, nil
	}
	return nil, fmt.Errorf("unknown provider %q", p)
}

// colour is the accent of an alert in every chat: green for a promotion,
// then by severity: blue, amber, red.
func colour(a Alert) uint32 {
	if a.Phase == string(v1alpha1.PhasePromoted) && a.FromPhase != "" {
		return 0x16a34a
	}
	switch a.Severity {
	case SeverityWarn:
		return 0xf59e0b
	case SeverityError:
		return 0xdc2626
	}
	return 0x2563eb
}

// facts are the figures every provider shows beside the message.
func facts(a Alert) [][2]string {
	release := a.Release
	if a.Namespace != "" {
		release = a.Namespace + "/" + a.Release
	}
	return [][2]string{
		{"Release", release},
		{"Phase", a.Phase},
		{"Canary weight", fmt.Sprintf("%d%%", a.CanaryWeight)},
		{"Severity", string(a.Severity)},
	}
}

// stamp is the alert's time as every provider shows it: RFC 3339 in UTC,
// to the second.
func stamp(a Alert) string { return a.Time.UTC().Format(time.RFC3339) }

// truncate keeps s within max bytes, cutting at a rune boundary and
// marking the cut, so a long engine message never makes a chat refuse the
// whole alert for one oversized field.
func truncate(s string, max int) string {
	if len(s) <= max {
		return s
	}
	const mark = "…"
	cut := max - len(mark)
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + mark
}

// oneLine collapses whitespace, for titles that must stay on one line.
func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

// marshal encodes v as compact JSON without escaping <, > and &: the
// bodies go to chat services, not into HTML, and Slack's own <!date^…>
// syntax reads better in logs and tests unescaped.
func marshal(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err //nolint:wrapcheck // each caller says what it encoded
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}
