package commands

import (
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"
)

// MaxInputRunes is the longest command text Relais reads.
const MaxInputRunes = 2000

// inputProblem is why a command text cannot be read; "" when it can.
type inputProblem string

const (
	inputOK      inputProblem = ""
	inputTooLong inputProblem = "input.too_long"
	inputControl inputProblem = "input.control"
	inputNotUTF8 inputProblem = "input.not_utf8"
)

// With should_escape on (the manifest), Slack sends special tokens in command
// text: <@U123|name> or <@U123>, <#C123|name>, <!channel>, <https://x|label>,
// and &amp; &lt; &gt; for what was typed. They are turned back into plain
// words: a person stays "@U123", the one spelling commands that take a person
// can trust, a channel "#name", a link its label; none is echoed as a live
// mention.
var slackToken = regexp.MustCompile(`<([@#!]?)([^<>|]*)(?:\|([^<>]*))?>`)

// cleanInput turns raw command text into plain words: Slack's entities
// decoded, its tokens flattened, white space folded.
func cleanInput(raw string) (string, inputProblem) {
	if !utf8.ValidString(raw) {
		return "", inputNotUTF8
	}
	if utf8.RuneCountInString(raw) > MaxInputRunes {
		return "", inputTooLong
	}
	for _, r := range raw {
		if r == '\n' || r == '\t' || r == '\r' {
			continue
		}
		if unicode.IsControl(r) || isBidiControl(r) {
			return "", inputControl
		}
	}
	s := slackToken.ReplaceAllStringFunc(raw, func(tok string) string {
		m := slackToken.FindStringSubmatch(tok)
		sigil, target, label := m[1], m[2], m[3]
		switch {
		case sigil == "@":
			return "@" + target
		case sigil == "#" && label != "":
			return "#" + label
		case sigil == "#":
			return "#" + target
		case label != "":
			return label
		case sigil == "!":
			return "@" + strings.SplitN(target, "^", 2)[0]
		default:
			return target
		}
	})
	s = strings.NewReplacer("&lt;", "<", "&gt;", ">", "&amp;", "&").Replace(s)
	return strings.Join(strings.Fields(s), " "), inputOK
}

// isBidiControl reports the invisible direction overrides that can make text
// read differently from what it is.
func isBidiControl(r rune) bool {
	return (r >= 0x202A && r <= 0x202E) || (r >= 0x2066 && r <= 0x2069) || r == 0x200E || r == 0x200F
}

// splitVerb separates the first word from the rest.
func splitVerb(s string) (verb, rest string) {
	verb, rest, _ = strings.Cut(s, " ")
	return verb, strings.TrimSpace(rest)
}
