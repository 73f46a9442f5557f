package blockkit

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// ellipsis marks truncated display text; it counts as one character.
const ellipsis = "…"

// Escape makes user- or data-provided text safe to put in mrkdwn: &, < and >
// become entities, so "<!channel>", "<@U123>" or "<http://x|y>" typed by a
// user or stored in data is shown as typed and never becomes a mention or a
// link. Control characters other than \n and \t are removed (they have no
// business in a message and could drive a terminal in the console), and
// invalid UTF-8 becomes U+FFFD.
func Escape(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s { // ranging yields U+FFFD for invalid bytes
		switch {
		case r == '&':
			b.WriteString("&amp;")
		case r == '<':
			b.WriteString("&lt;")
		case r == '>':
			b.WriteString("&gt;")
		case isStripped(r):
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// Link returns a mrkdwn link to url labelled label, both made safe: the label
// is escaped, and the URL cannot close the link early or start a label.
// An empty label gives a bare link.
func Link(url, label string) string {
	u := strings.NewReplacer("&", "&amp;", "<", "%3C", ">", "%3E", "|", "%7C").Replace(clean(url, true))
	u = strings.Join(strings.Fields(u), "")
	if label == "" {
		return "<" + u + ">"
	}
	return "<" + u + "|" + Escape(label) + ">"
}

// isStripped reports the control characters Relais never sends: C0 except
// \t and \n, DEL, and C1 (0x9B is a terminal's CSI).
func isStripped(r rune) bool {
	return (r < 0x20 && r != '\n' && r != '\t') || (r >= 0x7f && r <= 0x9f)
}

// clean removes stripped control characters and invalid UTF-8; singleLine
// also turns \n and \t into spaces, for plain_text that shows on one line.
func clean(s string, singleLine bool) string {
	if isClean(s, singleLine) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		switch {
		case singleLine && (r == '\n' || r == '\t'):
			b.WriteByte(' ')
		case isStripped(r):
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

func isClean(s string, singleLine bool) bool {
	for _, r := range s {
		if r == utf8.RuneError || isStripped(r) || (singleLine && (r == '\n' || r == '\t')) {
			return false
		}
	}
	return true
}

// Truncate shortens mrkdwn to at most max characters, ending it with "…" when
// it had to cut. The cut falls on a rune boundary, not between a letter and
// its combining accent, and never inside a <…|…> link or mention nor inside
// an &amp; entity: those are dropped whole rather than left half-open.
// The result is valid UTF-8.
func Truncate(s string, max int) string { return truncate(s, max, true) }

// TruncatePlain is Truncate for plain_text, where < has no meaning: only
// entities are protected.
func TruncatePlain(s string, max int) string { return truncate(s, max, false) }

func truncate(s string, max int, mrkdwn bool) string {
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "\uFFFD")
	}
	if max <= 0 {
		return ""
	}
	if utf8.RuneCountInString(s) <= max {
		return s
	}
	// Keep max-1 runes, leaving room for the ellipsis.
	cut, n := 0, 0
	for i := range s {
		if n == max-1 {
			cut = i
			break
		}
		n++
	}
	head := s[:cut]
	// A combining mark belongs to the letter before it: drop both rather
	// than show a bare "e" for "é" written as e + U+0301.
	for next, _ := utf8.DecodeRuneInString(s[cut:]); head != "" && isMark(next); {
		r, size := utf8.DecodeLastRuneInString(head)
		head = head[:len(head)-size]
		next = r
	}
	// Each cut can expose another half-open construct ("&amp<…"): repeat
	// until nothing changes.
	for prev := ""; prev != head; {
		prev = head
		if mrkdwn {
			head = dropOpenLink(head)
		}
		head = strings.TrimRightFunc(dropOpenEntity(head), unicode.IsSpace)
	}
	return head + ellipsis
}

func isMark(r rune) bool { return unicode.In(r, unicode.Mn, unicode.Me) }

// dropOpenLink cuts s before the first '<' that no '>' closes.
func dropOpenLink(s string) string {
	open := -1
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '<':
			if open < 0 {
				open = i
			}
		case '>':
			open = -1
		}
	}
	if open >= 0 {
		return s[:open]
	}
	return s
}

// maxEntity is the longest entity worth protecting without its ';'
// ("&#x1F600" is 8 bytes); a lone '&' further back is just an ampersand.
const maxEntity = 8

// dropOpenEntity cuts s before a trailing "&amp", "&#38"… missing its ';',
// again if what is left ends the same way ("&&amp").
func dropOpenEntity(s string) string {
	for {
		i := strings.LastIndexByte(s, '&')
		if i < 0 || len(s)-i > maxEntity || !isEntityTail(s[i+1:]) {
			return s
		}
		s = s[:i]
	}
}

func isEntityTail(s string) bool {
	for j := 0; j < len(s); j++ {
		c := s[j]
		if !(c == '#' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') {
			return false
		}
	}
	return true
}

// runes counts characters the way Slack's limits do.
func runes(s string) int { return utf8.RuneCountInString(s) }
