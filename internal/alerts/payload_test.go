package alerts

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"
)

// rollbackAlert carries the characters chats treat specially (<, >, &, a
// mention) so the exact payloads show how each provider escapes them.
func rollbackAlert() Alert {
	return Alert{
		Release: "api", Namespace: "shop", Severity: SeverityError,
		Reason:  "ThresholdReached",
		Message: "rolling back: 5 failed checks reached the threshold of 5; last: request-success-rate 97.1 < 99 @everyone & <b>",
		Phase:   "RollingBack", FromPhase: "Progressing", CanaryWeight: 0,
		Time: time.Date(2026, 3, 1, 11, 20, 30, 0, time.FixedZone("CET", 3600)),
	}
}

func checkAlert() Alert {
	return Alert{
		Release: "api", Severity: SeverityWarn,
		Reason: "CheckFailed", Message: "check 2/5 failed: request-duration 612 > 500",
		Phase: "Progressing", CanaryWeight: 20,
		Time: time.Date(2026, 3, 1, 10, 20, 30, 0, time.UTC),
	}
}

func promotedAlert() Alert {
	return Alert{
		Release: "api", Namespace: "shop", Severity: SeverityInfo,
		Reason: "Promoted", Message: "revision 7f9c2ab1d4 promoted after 12 passed checks",
		Phase: "Promoted", FromPhase: "Promoting", CanaryWeight: 100,
		Time: time.Date(2026, 3, 1, 10, 20, 30, 0, time.UTC),
	}
}

// TestPayloads posts each provider's format to a local receiver and checks
// the body byte for byte.
func TestPayloads(t *testing.T) {
	tests := map[string]struct {
		provider Provider
		alert    Alert
		want     string
	}{
		"slack rollback": {
			provider: ProviderSlack, alert: rollbackAlert(),
			want: `{"text":"[error] shop/api: Progressing → RollingBack: rolling back: 5 failed checks reached the threshold of 5; last: request-success-rate 97.1 &lt; 99 @everyone &amp; &lt;b&gt;",
			"attachments":[{"color":"#dc2626","blocks":[
			 {"type":"header","text":{"type":"plain_text","text":"shop/api: Progressing → RollingBack"}},
			 {"type":"section","text":{"type":"mrkdwn","text":"*ThresholdReached*: rolling back: 5 failed checks reached the threshold of 5; last: request-success-rate 97.1 &lt; 99 @everyone &amp; &lt;b&gt;"}},
			 {"type":"section","fields":[{"type":"mrkdwn","text":"*Release*\nshop/api"},{"type":"mrkdwn","text":"*Phase*\nRollingBack"},{"type":"mrkdwn","text":"*Canary weight*\n0%"},{"type":"mrkdwn","text":"*Severity*\nerror"}]},
			 {"type":"context","elements":[{"type":"mrkdwn","text":"Sluice · <!date^1772360430^{date_short_pretty} {time_secs}|2026-03-01T10:20:30Z>"}]}]}]}`,
		},
		"slack check": {
			provider: ProviderSlack, alert: checkAlert(),
			want: `{"text":"[warn] api: CheckFailed: check 2/5 failed: request-duration 612 &gt; 500",
			"attachments":[{"color":"#f59e0b","blocks":[
			 {"type":"header","text":{"type":"plain_text","text":"api: CheckFailed"}},
			 {"type":"section","text":{"type":"mrkdwn","text":"*CheckFailed*: check 2/5 failed: request-duration 612 &gt; 500"}},
			 {"type":"section","fields":[{"type":"mrkdwn","text":"*Release*\napi"},{"type":"mrkdwn","text":"*Phase*\nProgressing"},{"type":"mrkdwn","text":"*Canary weight*\n20%"},{"type":"mrkdwn","text":"*Severity*\nwarn"}]},
			 {"type":"context","elements":[{"type":"mrkdwn","text":"Sluice · <!date^1772360430^{date_short_pretty} {time_secs}|2026-03-01T10:20:30Z>"}]}]}]}`,
		},
		"teams rollback": {
			provider: ProviderTeams, alert: rollbackAlert(),
			want: `{"type":"message","attachments":[{"contentType":"application/vnd.microsoft.card.adaptive","contentUrl":null,"content":{
			 "$schema":"http://adaptivecards.io/schemas/adaptive-card.json","type":"AdaptiveCard","version":"1.4","msteams":{"width":"Full"},
			 "body":[
			  {"type":"TextBlock","text":"shop/api: Progressing → RollingBack","weight":"Bolder","size":"Medium","color":"Attention","wrap":true},
			  {"type":"TextBlock","text":"rolling back: 5 failed checks reached the threshold of 5; last: request-success-rate 97.1 < 99 @everyone & <b>","wrap":true},
			  {"type":"FactSet","facts":[{"title":"Reason","value":"ThresholdReached"},{"title":"Release","value":"shop/api"},{"title":"Phase","value":"RollingBack"},{"title":"Canary weight","value":"0%"},{"title":"Severity","value":"error"},{"title":"Time","value":"2026-03-01T10:20:30Z"}]}]}}]}`,
		},
		"teams promoted": {
			provider: ProviderTeams, alert: promotedAlert(),
			want: `{"type":"message","attachments":[{"contentType":"application/vnd.microsoft.card.adaptive","contentUrl":null,"content":{
			 "$schema":"http://adaptivecards.io/schemas/adaptive-card.json","type":"AdaptiveCard","version":"1.4","msteams":{"width":"Full"},
			 "body":[
			  {"type":"TextBlock","text":"shop/api: Promoting → Promoted","weight":"Bolder","size":"Medium","color":"Good","wrap":true},
			  {"type":"TextBlock","text":"revision 7f9c2ab1d4 promoted after 12 passed checks","wrap":true},
			  {"type":"FactSet","facts":[{"title":"Reason","value":"Promoted"},{"title":"Release","value":"shop/api"},{"title":"Phase","value":"Promoted"},{"title":"Canary weight","value":"100%"},{"title":"Severity","value":"info"},{"title":"Time","value":"2026-03-01T10:20:30Z"}]}]}}]}`,
		},
		"discord rollback": {
			provider: ProviderDiscord, alert: rollbackAlert(),
			want: `{"username":"Sluice","embeds":[{"title":"shop/api: Progressing → RollingBack",
			 "description":"**ThresholdReached**: rolling back: 5 failed checks reached the threshold of 5; last: request-success-rate 97.1 < 99 @everyone & <b>",
			 "color":14427686,
			 "fields":[{"name":"Release","value":"shop/api","inline":true},{"name":"Phase","value":"RollingBack","inline":true},{"name":"Canary weight","value":"0%","inline":true},{"name":"Severity","value":"error","inline":true}],
			 "timestamp":"2026-03-01T10:20:30Z","footer":{"text":"Sluice"}}],"allowed_mentions":{"parse":[]}}`,
		},
		"discord check": {
			provider: ProviderDiscord, alert: checkAlert(),
			want: `{"username":"Sluice","embeds":[{"title":"api: CheckFailed",
			 "description":"**CheckFailed**: check 2/5 failed: request-duration 612 > 500",
			 "color":16096779,
			 "fields":[{"name":"Release","value":"api","inline":true},{"name":"Phase","value":"Progressing","inline":true},{"name":"Canary weight","value":"20%","inline":true},{"name":"Severity","value":"warn","inline":true}],
			 "timestamp":"2026-03-01T10:20:30Z","footer":{"text":"Sluice"}}],"allowed_mentions":{"parse":[]}}`,
		},
		"webhook rollback": {
			provider: ProviderWebhook, alert: rollbackAlert(),
			want: `{"release":"api","namespace":"shop","severity":"error","reason":"ThresholdReached",
			 "message":"rolling back: 5 failed checks reached the threshold of 5; last: request-success-rate 97.1 < 99 @everyone & <b>",
			 "phase":"RollingBack","fromPhase":"Progressing","canaryWeight":0,"time":"2026-03-01T10:20:30Z"}`,
		},
		"webhook check": {
			provider: ProviderWebhook, alert: checkAlert(),
			want: `{"release":"api","severity":"warn","reason":"CheckFailed","message":"check 2/5 failed: request-duration 612 > 500",
			 "phase":"Progressing","canaryWeight":20,"time":"2026-03-01T10:20:30Z"}`,
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			rcv := newReceiver(t, 0, nil)
			cfg := mustConfig(t, "team", tc.provider, rcv.URL+"/hook/T000/B000/secret", SeverityInfo, 5*time.Second)
			var d Dispatcher
			res := d.Send(context.Background(), []Config{cfg}, tc.alert)
			if len(res) != 1 || !res[0].OK || res[0].Status != 200 {
				t.Fatalf("results: %+v, want one OK result", res)
			}
			if res[0].Message != "answer from the receiver" {
				t.Errorf("result message %q, want the receiver's answer", res[0].Message)
			}
			got := rcv.requests()
			if len(got) != 1 {
				t.Fatalf("receiver got %d requests, want 1", len(got))
			}
			if got[0].Path != "/hook/T000/B000/secret" || got[0].ContentType != "application/json" {
				t.Errorf("path %q, content type %q", got[0].Path, got[0].ContentType)
			}
			var want bytes.Buffer
			if err := json.Compact(&want, []byte(strings.ReplaceAll(tc.want, "\t", ""))); err != nil {
				t.Fatalf("the test's JSON: %v", err)
			}
			if !bytes.Equal(got[0].Body, want.Bytes()) {
				t.Errorf("payload:\n got %s\nwant %s", got[0].Body, want.Bytes())
			}
		})
	}
}

// TestPayloadLimits checks that an oversized message is cut to each
// chat's field limits rather than refused by the chat.
func TestPayloadLimits(t *testing.T) {
	a := checkAlert()
	a.Message = strings.Repeat("é", 5000) // 10000 bytes
	a.Release = strings.Repeat("r", 300)
	tests := map[string]struct {
		enc   encoder
		check func(t *testing.T, body []byte)
	}{
		"slack": {slackBody, func(t *testing.T, body []byte) {
			var m slackMessage
			mustUnmarshal(t, body, &m)
			if n := len(m.Attachments[0].Blocks[0].Text.Text); n > slackHeaderMax {
				t.Errorf("header %d bytes, max %d", n, slackHeaderMax)
			}
			if s := m.Attachments[0].Blocks[1].Text.Text; len(s) > slackSectionMax || !strings.HasSuffix(s, "…") {
				t.Errorf("section %d bytes, max %d, ends %q", len(s), slackSectionMax, s[len(s)-6:])
			}
			if n := len(m.Text); n > slackTextMax {
				t.Errorf("text %d bytes, max %d", n, slackTextMax)
			}
		}},
		"discord": {discordBody, func(t *testing.T, body []byte) {
			var m discordMessage
			mustUnmarshal(t, body, &m)
			if n := len(m.Embeds[0].Title); n > discordTitleMax {
				t.Errorf("title %d bytes, max %d", n, discordTitleMax)
			}
			if n := len(m.Embeds[0].Description); n > discordDescriptionMax {
				t.Errorf("description %d bytes, max %d", n, discordDescriptionMax)
			}
			for _, f := range m.Embeds[0].Fields {
				if len(f.Value) > discordFieldMax {
					t.Errorf("field %s %d bytes, max %d", f.Name, len(f.Value), discordFieldMax)
				}
			}
		}},
		"teams": {teamsBody, func(t *testing.T, body []byte) {
			var m teamsMessage
			mustUnmarshal(t, body, &m)
			if n := len(m.Attachments[0].Content.Body[1].Text); n > teamsMessageMax {
				t.Errorf("message %d bytes, max %d", n, teamsMessageMax)
			}
		}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			body, err := tc.enc(a)
			if err != nil {
				t.Fatal(err)
			}
			if !json.Valid(body) || !strings.Contains(string(body), "é") {
				t.Fatalf("body is not valid JSON or lost the text: %.200s", body)
			}
			tc.check(t, body)
		})
	}
}

func mustUnmarshal(t *testing.T, b []byte, v any) {
	t.Helper()
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("decoding %.200s: %v", b, err)
	}
}
