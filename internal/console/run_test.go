package console

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"github.com/pic-montreal/relais/commands"
	"github.com/pic-montreal/relais/internal/blockkit"
)

// fakeHandler records what the console sends and answers with canned
// replies: "page" gives two buttons, anything else echoes the text.
type fakeHandler struct {
	commands []commands.Invocation
	actions  []commands.ActionInvocation
}

func (h *fakeHandler) Command(_ context.Context, inv commands.Invocation) commands.Reply {
	h.commands = append(h.commands, inv)
	if inv.Text == "page" {
		return commands.Reply{Text: "Page 1", Blocks: []slack.Block{
			blockkit.Section("Page 1"),
			blockkit.Actions("nav", blockkit.Button("page:prev", "Précédente", "p0"), blockkit.Button("page:next", "Suivante", "p2")),
		}}
	}
	return commands.Reply{Text: "echo: " + inv.Text}
}

func (h *fakeHandler) Action(_ context.Context, act commands.ActionInvocation) commands.Reply {
	h.actions = append(h.actions, act)
	return commands.Reply{Text: "clicked " + act.ActionID + "=" + act.Value, ReplaceOriginal: true}
}

var caller = commands.Caller{SlackUserID: "U1", TeamID: "T1"}

func run(t *testing.T, input string, opts Options) (string, *fakeHandler) {
	t.Helper()
	h := &fakeHandler{}
	var out strings.Builder
	opts.Caller = caller
	if err := Run(context.Background(), strings.NewReader(input), &out, h, opts); err != nil {
		t.Fatalf("Run: %v", err)
	}
	return out.String(), h
}

func texts(h *fakeHandler) []string {
	var out []string
	for _, c := range h.commands {
		out = append(out, c.Text)
	}
	return out
}

func TestRunScript(t *testing.T) {
	out, h := run(t, "quartier Verdun\n/pic\taide\n/PIC\n\n   \n\tinitiatives logement  \r\nquitter\nnot reached\n", Options{ChannelID: "C9"})
	want := "echo: quartier Verdun\necho: aide\necho:\necho: initiatives logement\n" // trailing spaces trimmed
	if out != want {
		t.Errorf("output:\n%q\nwant:\n%q", out, want)
	}
	if got := strings.Join(texts(h), "|"); got != "quartier Verdun|aide||initiatives logement" {
		t.Errorf("commands = %q", got)
	}
	if inv := h.commands[0]; inv.Caller != caller || inv.ChannelID != "C9" {
		t.Errorf("invocation = %+v", inv)
	}
}

func TestRunQuitWords(t *testing.T) {
	for _, q := range []string{"quit", "EXIT", "Quitter", "/pic quitter"} {
		_, h := run(t, "a\n"+q+"\nb\n", Options{})
		if got := strings.Join(texts(h), "|"); got != "a" {
			t.Errorf("%q: commands = %q, want only a", q, got)
		}
	}
}

func TestRunEOFWithoutNewline(t *testing.T) {
	out, h := run(t, "aide", Options{})
	if out != "echo: aide\n" || len(h.commands) != 1 {
		t.Errorf("output %q, commands %v", out, texts(h))
	}
	out, _ = run(t, "", Options{})
	if out != "" {
		t.Errorf("empty input gave %q", out)
	}
}

func TestRunClicksNumberedButtons(t *testing.T) {
	out, h := run(t, "page\n2\n2\n0\npage\n1\n", Options{})
	want := "Page 1\n\n[1] Précédente   [2] Suivante\n" +
		"clicked page:next=p2\n" +
		"Pas de bouton 2. / No button 2.\n" + // the click's reply has no buttons
		"Pas de bouton 0. / No button 0.\n" +
		"Page 1\n\n[1] Précédente   [2] Suivante\n" +
		"clicked page:prev=p0\n"
	if out != want {
		t.Errorf("output:\n%s\nwant:\n%s", out, want)
	}
	if len(h.actions) != 2 {
		t.Fatalf("actions = %+v", h.actions)
	}
	want0 := commands.ActionInvocation{Caller: caller, ActionID: "page:next", Value: "p2", Surface: commands.SurfacePrivate}
	if h.actions[0] != want0 {
		t.Errorf("action = %+v, want %+v", h.actions[0], want0)
	}
	if got := strings.Join(texts(h), "|"); got != "page|page" {
		t.Errorf("numbers reached the handler as commands: %q", got)
	}
}

func TestRunInteractive(t *testing.T) {
	out, _ := run(t, "aide\n", Options{Interactive: true})
	want := welcome + "relais> echo: aide\nrelais> \n"
	if out != want {
		t.Errorf("output:\n%q\nwant:\n%q", out, want)
	}
	if !strings.Contains(welcome, "quitter") || !strings.Contains(welcome, "quit") {
		t.Error("welcome is not bilingual")
	}
	out, _ = run(t, "quit\n", Options{Interactive: true, Prompt: "pic$ "})
	if out != welcome+"pic$ " {
		t.Errorf("custom prompt: %q", out)
	}
}

func TestRunLongLines(t *testing.T) {
	huge := strings.Repeat("é", 3*MaxLineBytes) // 192 Kio in one line
	atLimit := "x" + strings.Repeat("a", MaxLineBytes-1)
	out, h := run(t, huge+"\naide\n"+atLimit+"\r\n"+atLimit+"b\n", Options{})
	tooLong := "Ligne trop longue (plus de 64 Kio), ignorée. / Line too long (over 64 KiB), skipped.\n"
	want := tooLong + "echo: aide\necho: " + atLimit + "\n" + tooLong
	if out != want {
		t.Errorf("output (%d bytes) starts %.200q", len(out), out)
	}
	if got := texts(h); len(got) != 2 || got[0] != "aide" || got[1] != atLimit {
		t.Errorf("commands: %d, first %.20q", len(got), got)
	}
}

func TestRunStopsWhenContextEnds(t *testing.T) {
	pr, pw := io.Pipe()
	defer pw.Close()
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() { errc <- Run(ctx, pr, io.Discard, &fakeHandler{}, Options{}) }()
	cancel()
	select {
	case err := <-errc:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("Run = %v, want context.Canceled", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not stop while waiting for input")
	}
}

func TestRunReportsWriteError(t *testing.T) {
	err := Run(context.Background(), strings.NewReader("aide\naide\n"), failingWriter{}, &fakeHandler{}, Options{})
	if err == nil || !strings.Contains(err.Error(), "disk full") {
		t.Errorf("Run = %v, want the write error", err)
	}
}

type failingReader struct{}

func (failingReader) Read([]byte) (int, error) { return 0, errors.New("broken pipe") }

func TestRunReportsReadError(t *testing.T) {
	err := Run(context.Background(), failingReader{}, io.Discard, &fakeHandler{}, Options{})
	if err == nil || !strings.Contains(err.Error(), "broken pipe") {
		t.Errorf("Run = %v, want the read error", err)
	}
}

func TestIsTerminal(t *testing.T) {
	f, err := os.Create(filepath.Join(t.TempDir(), "f"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if IsTerminal(f) {
		t.Error("a regular file is a terminal")
	}
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer w.Close()
	if IsTerminal(r) {
		t.Error("a pipe is a terminal")
	}
	f.Close()
	if IsTerminal(f) {
		t.Error("a closed file is a terminal")
	}
}
