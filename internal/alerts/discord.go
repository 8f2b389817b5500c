package alerts

import (
	"fmt"
)

// Discord's limits on embed fields.
const (
	discordTitleMax       = 256
	discordDescriptionMax = 4096
	discordFieldMax       = 1024
)

// discordMessage is a channel webhook's execute body with one embed.
// AllowedMentions is empty on purpose: a release message that happens to
// contain @everyone or a role must not ping anyone.
type discordMessage struct {
	Username        string                 `json:"username"`
	Embeds          []discordEmbed         `json:"embeds"`
	AllowedMentions discordAllowedMentions `json:"allowed_mentions"`
}

type discordEmbed struct {
	Title       string         `json:"title"`
	Description string         `json:"description"`
	Color       uint32         `json:"color"`
	Fields      []discordField `json:"fields"`
	Timestamp   string         `json:"timestamp"`
	Footer      discordFooter  `json:"footer"`
}

type discordField struct {
	Name   string `json:"name"`
	Value  string `json:"value"`
	Inline bool   `json:"inline"`
}

type discordFooter struct {
	Text string `json:"text"`
}

type discordAllowedMentions struct {
	Parse []string `json:"parse"`
}

func discordBody(a Alert) ([]byte, error) {
	fields := make([]discordField, 0, 4)
	for _, f := range facts(a) {
		fields = append(fields, discordField{Name: f[0], Value: truncate(f[1], discordFieldMax), Inline: true})
	}
	msg := discordMessage{
		Username: "Sluice",
		Embeds: []discordEmbed{{
			Title:       truncate(oneLine(a.Title()), discordTitleMax),
			Description: truncate("**"+a.Reason+"**: "+a.Message, discordDescriptionMax),
			Color:       colour(a),
			Fields:      fields,
			Timestamp:   stamp(a),
			Footer:      discordFooter{Text: "Sluice"},
		}},
		AllowedMentions: discordAllowedMentions{Parse: []string{}},
	}
	b, err := marshal(msg)
	if err != nil {
		return nil, fmt.Errorf("encoding the Discord message: %w", err)
	}
	return b, nil
}
