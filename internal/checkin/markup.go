package checkin

import "strings"

// entities are the only three Slack escapes in a message's text
// ("Formatting text for app surfaces": &, < and > are sent as entities).
var entities = strings.NewReplacer("&amp;", "&", "&lt;", "<", "&gt;", ">")

// DecodeSlackMarkup turns the text of a message a person wrote in Slack into
// what a note stores: plain text, never mrkdwn. Mentions become "@name"
// (the label Slack sent, or the id when it sent none), channels "#name",
// "<!here>" "@here"; a labelled link keeps both its label and its address,
// "label (https://…)"; a bare link its address; &amp; &lt; &gt; their
// characters. Line breaks are kept; a "<" that opens nothing stays as it is.
// What the note stores is escaped again wherever it is shown.
func DecodeSlackMarkup(s string) string {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	var b strings.Builder
	b.Grow(len(s))
	for {
		open := strings.IndexByte(s, '<')
		if open < 0 {
			break
		}
		end := strings.IndexByte(s[open:], '>')
		if end < 0 {
			break
		}
		b.WriteString(entities.Replace(s[:open]))
		b.WriteString(decodeToken(s[open+1 : open+end]))
		s = s[open+end+1:]
	}
	b.WriteString(entities.Replace(s))
	return b.String()
}

// decodeToken is what one <…> of Slack's markup says, without the brackets.
func decodeToken(tok string) string {
	target, label, labelled := strings.Cut(tok, "|")
	target, label = entities.Replace(target), entities.Replace(label)
	switch {
	case strings.HasPrefix(target, "@"): // <@U123> or <@U123|name>
		if labelled && label != "" {
			return "@" + strings.TrimPrefix(label, "@")
		}
		return target
	case strings.HasPrefix(target, "#"): // <#C123|général>
		if labelled && label != "" {
			return "#" + strings.TrimPrefix(label, "#")
		}
		return target
	case strings.HasPrefix(target, "!"): // <!here>, <!subteam^S1|@équipe>, <!date^…|fallback>
		if labelled && label != "" {
			return label
		}
		name, _, _ := strings.Cut(target[1:], "^")
		return "@" + name
	case target == "":
		return "<" + tok + ">"
	}
	if !labelled || label == "" || label == target {
		return target
	}
	if mail, ok := strings.CutPrefix(target, "mailto:"); ok && mail == label {
		return label
	}
	return label + " (" + target + ")"
}
