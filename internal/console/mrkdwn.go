package console

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// ANSI styles, used only when color is on. Each inline style ends with its
// own reset so that styles nest.
const (
	ansiBold     = "\x1b[1m"
	ansiBoldOff  = "\x1b[22m"
	ansiItalic   = "\x1b[3m"
	ansiItalOff  = "\x1b[23m"
	ansiStrike   = "\x1b[9m"
	ansiStrikOff = "\x1b[29m"
	ansiDim      = "\x1b[2m"
	ansiCyan     = "\x1b[36m"
	ansiReset    = "\x1b[0m"
)

// sanitize removes control characters other than \n and \t, so text from a
// reply (ultimately from users and data) can never drive the terminal.
func sanitize(s string) string {
	return strings.Map(func(r rune) rune {
		if (r < 0x20 && r != '\n' && r != '\t') || (r >= 0x7f && r <= 0x9f) {
			return -1
		}
		return r
	}, s)
}

var unescape = strings.NewReplacer("&amp;", "&", "&lt;", "<", "&gt;", ">")

// mrkdwn turns Slack mrkdwn into terminal text: <url|label> links become
// "label (url)", mentions "@name", entities are decoded, and *bold*, _italic_
// and ~strike~ become ANSI styles with color, or lose their markers without.
func mrkdwn(s string, color bool) string {
	return emphasis(links(sanitize(s)), color)
}

// plain is for plain_text objects: shown as they are, made safe.
func plain(s string) string { return sanitize(s) }

// links rewrites Slack's <…> syntax and decodes entities everywhere else.
func links(s string) string {
	var b strings.Builder
	for {
		i := strings.IndexByte(s, '<')
		if i < 0 {
			b.WriteString(unescape.Replace(s))
			return b.String()
		}
		j := strings.IndexByte(s[i:], '>')
		if j < 0 {
			b.WriteString(unescape.Replace(s))
			return b.String()
		}
		b.WriteString(unescape.Replace(s[:i]))
		b.WriteString(link(s[i+1 : i+j]))
		s = s[i+j+1:]
	}
}

// link renders the inside of one <…>.
func link(tok string) string {
	target, label, hasLabel := strings.Cut(tok, "|")
	target, label = unescape.Replace(target), unescape.Replace(label)
	switch {
	case strings.HasPrefix(target, "@"): // user
		if hasLabel {
			return "@" + strings.TrimPrefix(label, "@")
		}
		return target
	case strings.HasPrefix(target, "#"): // channel
		if hasLabel {
			return "#" + strings.TrimPrefix(label, "#")
		}
		return target
	case strings.HasPrefix(target, "!"): // @here, @channel, user groups, dates
		if hasLabel {
			return label
		}
		name, _, _ := strings.Cut(target[1:], "^")
		return "@" + name
	}
	if !hasLabel || label == target {
		return target
	}
	if label == strings.TrimPrefix(target, "mailto:") {
		return label
	}
	return label + " (" + target + ")"
}

// emphasis applies *bold*, _italic_ and ~strike~ the way Slack reads them:
// a marker opens after a non-word character and before a non-space, and
// closes on the same line before a non-word character. Code spans in
// backticks are left alone.
func emphasis(s string, color bool) string {
	rs := []rune(s)
	var b strings.Builder
	for i := 0; i < len(rs); i++ {
		r := rs[i]
		if r == '`' {
			end := codeEnd(rs, i)
			b.WriteString(string(rs[i:end]))
			i = end - 1
			continue
		}
		on, off, ok := style(r)
		if ok && opens(rs, i) {
			if j := closes(rs, i); j > 0 {
				inner := emphasis(string(rs[i+1:j]), color)
				if color {
					b.WriteString(on + inner + off)
				} else {
					b.WriteString(inner)
				}
				i = j
				continue
			}
		}
		b.WriteRune(r)
	}
	return b.String()
}

func style(r rune) (on, off string, ok bool) {
	switch r {
	case '*':
		return ansiBold, ansiBoldOff, true
	case '_':
		return ansiItalic, ansiItalOff, true
	case '~':
		return ansiStrike, ansiStrikOff, true
	}
	return "", "", false
}

func isWord(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) }

func opens(rs []rune, i int) bool {
	return (i == 0 || !isWord(rs[i-1])) && i+1 < len(rs) && !unicode.IsSpace(rs[i+1]) && rs[i+1] != rs[i]
}

// closes returns the index of the marker closing the one at i, or -1.
func closes(rs []rune, i int) int {
	for j := i + 2; j < len(rs); j++ {
		if rs[j] == '\n' {
			return -1
		}
		if rs[j] == rs[i] && !unicode.IsSpace(rs[j-1]) && (j+1 == len(rs) || !isWord(rs[j+1])) {
			return j
		}
	}
	return -1
}

// codeEnd returns the index just past the code span (`x` or ```x```) that
// starts at i, or i+1 when the backtick opens nothing.
func codeEnd(rs []rune, i int) int {
	fence := "`"
	if strings.HasPrefix(string(rs[i:min(i+3, len(rs))]), "```") {
		fence = "```"
	}
	rest := string(rs[i+len(fence):])
	if k := strings.Index(rest, fence); k >= 0 {
		return i + len(fence) + utf8.RuneCountInString(rest[:k]) + len(fence)
	}
	return i + 1
}

// width is the visible width of s: runes, ANSI sequences not counted.
func width(s string) int {
	n := 0
	for i := 0; i < len(s); {
		if s[i] == 0x1b && i+1 < len(s) && s[i+1] == '[' {
			j := i + 2
			for j < len(s) && (s[j] < 0x40 || s[j] > 0x7e) {
				j++
			}
			i = j + 1
			continue
		}
		_, size := utf8.DecodeRuneInString(s[i:])
		i += size
		n++
	}
	return n
}
