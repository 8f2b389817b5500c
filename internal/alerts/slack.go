package alerts

import (
	"fmt"
	"strings"
)

// Slack's limits on the fields used, in bytes to be safe with multi-byte
// text (Slack counts characters).
const (
	slackHeaderMax  = 150
	slackSectionMax = 3000
	slackFieldMax   = 2000
	slackTextMax    = 3000
)

// slackMessage is an incoming webhook message: the plain text is what
// notifications and old clients show; the attachment carries the coloured
// bar and the blocks.
type slackMessage struct {
	Text        string            `json:"text"`
	Attachments []slackAttachment `json:"attachments"`
}

type slackAttachment struct {
	Color  string       `json:"color"`
	Blocks []slackBlock `json:"blocks"`
}

type slackBlock struct {
	Type     string      `json:"type"`
	Text     *slackText  `json:"text,omitempty"`
	Fields   []slackText `json:"fields,omitempty"`
	Elements []slackText `json:"elements,omitempty"`
}

type slackText struct {
	Type string `json:"type"`
	Text string `json:"text"`
}

func slackBody(a Alert) ([]byte, error) {
	fields := make([]slackText, 0, 4)
	for _, f := range facts(a) {
		fields = append(fields, slackText{Type: "mrkdwn", Text: truncate("*"+f[0]+"*\n"+slackEscape(f[1]), slackFieldMax)})
	}
	msg := slackMessage{
		Text: truncate(fmt.Sprintf("[%s] %s: %s", a.Severity, slackEscape(oneLine(a.Title())), slackEscape(a.Message)), slackTextMax),
		Attachments: []slackAttachment{{
			Color: fmt.Sprintf("#%06x", colour(a)),
			Blocks: []slackBlock{
				{Type: "header", Text: &slackText{Type: "plain_text", Text: truncate(oneLine(a.Title()), slackHeaderMax)}},
				{Type: "section", Text: &slackText{Type: "mrkdwn", Text: truncate("*"+slackEscape(a.Reason)+"*: "+slackEscape(a.Message), slackSectionMax)}},
				{Type: "section", Fields: fields},
				{Type: "context", Elements: []slackText{{Type: "mrkdwn", Text: fmt.Sprintf("Sluice · <!date^%d^{date_short_pretty} {time_secs}|%s>", a.Time.Unix(), stamp(a))}}},
			},
		}},
	}
	b, err := marshal(msg)
	if err != nil {
		return nil, fmt.Errorf("encoding the Slack message: %w", err)
	}
	return b, nil
}

// slackEscape escapes the three characters Slack's mrkdwn reads as
// control sequences, so a message cannot mention @channel or make links.
var slackEscape = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace
