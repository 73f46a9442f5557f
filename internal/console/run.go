package console

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"unicode"

	"github.com/pic-montreal/relais/commands"
)

// Handler is what the console runs: commands and clicks, as the Slack
// transports do (a terminal has no modal, App Home nor events).
type Handler interface {
	Command(ctx context.Context, inv commands.Invocation) commands.Reply
	Action(ctx context.Context, act commands.ActionInvocation) commands.Reply
}

// Options sets up a console session.
type Options struct {
	// Caller is who the commands run as.
	Caller commands.Caller
	// ChannelID is passed to the handler as the channel the commands come
	// from; empty means none, as in a direct message.
	ChannelID string
	// Interactive prints a welcome and a prompt before each line; off, the
	// console only prints replies, so it can be scripted.
	Interactive bool
	// Color allows ANSI styles; set it only when out is a terminal.
	Color bool
	// Prompt replaces DefaultPrompt in interactive mode.
	Prompt string
}

// DefaultPrompt is shown before each line in interactive mode.
const DefaultPrompt = "relais> "

// MaxLineBytes is the longest line the console takes. A longer one is
// skipped with a message: no command is that long, and memory stays bounded.
const MaxLineBytes = 64 << 10

const welcome = `Relais — console locale. Tapez une commande (ex. « aide » ou « quartier Verdun »), le numéro d'un bouton pour le choisir, ou « quitter ».
Relais — local console. Type a command (e.g. “help” or “quartier Verdun”), a button's number to click it, or “quit”.
`

// IsTerminal reports whether f is a character device, such as a terminal.
// /dev/null is one too; that only turns on a prompt nobody sees.
func IsTerminal(f *os.File) bool {
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

// Run reads commands from in, one per line, runs them through handler and
// writes the replies to out. A line may start with "/pic" or not; a bare
// number clicks that button of the last reply; "quit", "exit", "quitter" or
// the end of in stops it. It returns nil then, ctx's error when ctx ends, or
// the error reading in or writing out. When ctx ends while in blocks, the
// read in progress is abandoned to its goroutine until in yields or closes.
func Run(ctx context.Context, in io.Reader, out io.Writer, handler Handler, opts Options) error {
	if opts.Prompt == "" {
		opts.Prompt = DefaultPrompt
	}
	lines := make(chan line)
	done := make(chan struct{})
	defer close(done)
	// Reading happens aside so that a cancelled ctx ends Run even while
	// in blocks (a terminal waiting for a line).
	go readLines(in, lines, done)

	w := &errWriter{w: out}
	if opts.Interactive {
		w.write(welcome)
	}
	var choices []Choice
	// surface is where the last reply sits: a shared one is the channel's,
	// and its buttons act as they would on a channel message in Slack.
	surface := commands.SurfacePrivate
	for {
		if opts.Interactive {
			w.write(opts.Prompt)
		}
		if w.err != nil {
			return w.err
		}
		var l line
		select {
		case <-ctx.Done():
			return ctx.Err()
		case l = <-lines:
		}
		switch {
		case errors.Is(l.err, io.EOF):
			if opts.Interactive {
				w.write("\n") // leave the shell's prompt on a line of its own
			}
			return w.err
		case l.err != nil:
			return fmt.Errorf("console: reading input: %w", l.err)
		case l.tooLong:
			w.write(fmt.Sprintf("Ligne trop longue (plus de %d Kio), ignorée. / Line too long (over %d KiB), skipped.\n", MaxLineBytes>>10, MaxLineBytes>>10))
			continue
		}
		cmd := strings.TrimSpace(l.text)
		var reply commands.Reply
		switch {
		case cmd == "":
			continue
		case isQuit(stripCommand(cmd)):
			return w.err
		case isNumber(cmd):
			n, err := strconv.Atoi(cmd)
			if err != nil || n < 1 || n > len(choices) {
				w.write(fmt.Sprintf("Pas de bouton %s. / No button %s.\n", cmd, cmd))
				continue
			}
			c := choices[n-1]
			reply = handler.Action(ctx, commands.ActionInvocation{Caller: opts.Caller, ChannelID: opts.ChannelID,
				ActionID: c.ActionID, Value: c.Value, Surface: surface})
		default:
			reply = handler.Command(ctx, commands.Invocation{Caller: opts.Caller, ChannelID: opts.ChannelID, Text: stripCommand(cmd)})
		}
		if w.err == nil {
			choices, w.err = Render(w.w, reply, opts.Color)
			surface = commands.SurfacePrivate
			if reply.InChannel {
				surface = commands.SurfaceShared
			}
		}
	}
}

// stripCommand drops a leading "/pic": the console is always talking to it.
func stripCommand(cmd string) string {
	name, rest := cmd, ""
	if i := strings.IndexFunc(cmd, unicode.IsSpace); i >= 0 {
		name, rest = cmd[:i], cmd[i:]
	}
	if strings.EqualFold(name, "/pic") {
		return strings.TrimSpace(rest)
	}
	return cmd
}

func isQuit(cmd string) bool {
	switch strings.ToLower(cmd) {
	case "quit", "exit", "quitter", "/quit", "/exit", "/quitter":
		return true
	}
	return false
}

func isNumber(cmd string) bool {
	if len(cmd) > 6 {
		return false
	}
	for _, c := range []byte(cmd) {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

type line struct {
	text    string
	tooLong bool
	err     error
}

func readLines(in io.Reader, lines chan<- line, done <-chan struct{}) {
	r := bufio.NewReader(in)
	for {
		l := readLine(r)
		select {
		case lines <- l:
		case <-done:
			return
		}
		if l.err != nil {
			return
		}
	}
}

// readLine reads one line, keeping at most MaxLineBytes of it: the rest of a
// longer line is read and thrown away, so memory stays bounded.
func readLine(r *bufio.Reader) line {
	var buf []byte
	tooLong := false
	for {
		chunk, err := r.ReadSlice('\n')
		if !tooLong {
			if len(buf)+len(chunk) > MaxLineBytes+2 { // room for "\r\n"
				tooLong, buf = true, nil
			} else {
				buf = append(buf, chunk...)
			}
		}
		if errors.Is(err, bufio.ErrBufferFull) {
			continue
		}
		if err != nil && (len(buf) == 0 && !tooLong || !errors.Is(err, io.EOF)) {
			return line{err: err}
		}
		// A last line without "\n" is a line; EOF comes on the next read.
		text := string(bytes.TrimRight(buf, "\r\n"))
		if len(text) > MaxLineBytes {
			tooLong, text = true, ""
		}
		return line{text: text, tooLong: tooLong}
	}
}

// errWriter keeps the first write error, so the loop checks it once a turn.
type errWriter struct {
	w   io.Writer
	err error
}

func (e *errWriter) write(s string) {
	if e.err == nil {
		_, e.err = io.WriteString(e.w, s)
	}
}
