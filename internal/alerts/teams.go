package alerts

import (
	"fmt"
)

// teamsMessage is the envelope both kinds of Teams webhook accept (the
// older Office 365 connectors and the Workflows that replace them): a
// message whose one attachment is an Adaptive Card.
type teamsMessage struct {
	Type        string            `json:"type"`
	Attachments []teamsAttachment `json:"attachments"`
}

type teamsAttachment struct {
	ContentType string    `json:"contentType"`
	ContentURL  *string   `json:"contentUrl"`
	Content     teamsCard `json:"content"`
}

type teamsCard struct {
	Schema  string         `json:"$schema"`
	Type    string         `json:"type"`
	Version string         `json:"version"`
	MSTeams map[string]any `json:"msteams,omitempty"`
	Body    []teamsElement `json:"body"`
}

// teamsElement is a TextBlock or a FactSet, the two elements used.
type teamsElement struct {
	Type   string      `json:"type"`
	Text   string      `json:"text,omitempty"`
	Weight string      `json:"weight,omitempty"`
	Size   string      `json:"size,omitempty"`
	Color  string      `json:"color,omitempty"`
	Wrap   bool        `json:"wrap,omitempty"`
	Facts  []teamsFact `json:"facts,omitempty"`
}

type teamsFact struct {
	Title string `json:"title"`
	Value string `json:"value"`
}

// teamsMessageMax keeps the message well inside Teams' 28 KB card limit.
const teamsMessageMax = 4000

func teamsBody(a Alert) ([]byte, error) {
	fs := []teamsFact{{Title: "Reason", Value: a.Reason}}
	for _, f := range facts(a) {
		fs = append(fs, teamsFact{Title: f[0], Value: f[1]})
	}
	fs = append(fs, teamsFact{Title: "Time", Value: stamp(a)})
	msg := teamsMessage{
		Type: "message",
		Attachments: []teamsAttachment{{
			ContentType: "application/vnd.microsoft.card.adaptive",
			Content: teamsCard{
				Schema:  "http://adaptivecards.io/schemas/adaptive-card.json",
				Type:    "AdaptiveCard",
				Version: "1.4",
				MSTeams: map[string]any{"width": "Full"},
				Body: []teamsElement{
					{Type: "TextBlock", Text: oneLine(a.Title()), Weight: "Bolder", Size: "Medium", Color: teamsColour(a), Wrap: true},
					{Type: "TextBlock", Text: truncate(a.Message, teamsMessageMax), Wrap: true},
					{Type: "FactSet", Facts: fs},
				},
			},
		}},
	}
	b, err := marshal(msg)
	if err != nil {
		return nil, fmt.Errorf("encoding the Teams message: %w", err)
	}
	return b, nil
}

// teamsColour maps colour onto the named colours Adaptive Cards allow.
func teamsColour(a Alert) string {
	switch colour(a) {
	case 0x16a34a:
		return "Good"
	case 0xf59e0b:
		return "Warning"
	case 0xdc2626:
		return "Attention"
	}
	return "Accent"
}
