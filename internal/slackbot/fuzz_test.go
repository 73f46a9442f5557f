package slackbot

import (
	"context"
	"io"
	"log/slog"
	"net/url"
	"testing"
	"time"

	"github.com/pic-montreal/relais/commands"
	"github.com/pic-montreal/relais/internal/slackfake"
)

// fuzzReceiver is the full HTTP receiver with a fast handler, an in-memory
// deduper, and response_url posts recorded instead of sent (fuzzed payloads
// carry arbitrary URLs).
func fuzzReceiver(t testing.TB) *Receiver {
	cfg := testConfig(nil, nil)
	cfg.AckBudget = time.Minute
	h := &testHandler{
		command: func(_ context.Context, inv commands.Invocation) commands.Reply { return commands.Reply{Text: inv.Text} },
	}
	rc := NewHTTPHandler(cfg, h, slog.New(slog.NewTextHandler(io.Discard, nil)))
	rc.core.post = func(string, message) {}
	return rc
}

// fuzzServe sends body, signed, to path and checks the receiver neither
// panics nor answers 5xx.
func fuzzServe(t *testing.T, rc *Receiver, path, contentType string, body []byte) {
	rec := serve(rc, signed(path, contentType, body))
	if rec.Code >= 500 {
		t.Fatalf("%s: status %d for %q", path, rec.Code, body)
	}
	ctx, cancel := context.WithTimeout(context.Background(), slackfake.WaitTimeout)
	defer cancel()
	if err := rc.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
}

func FuzzSlashCommand(f *testing.F) {
	f.Add(slackfake.SlashCommand{Text: "projets Ahuntsic"}.Body())
	f.Add([]byte(vectorBody))
	f.Add([]byte("user_id=U1&team_id=T1&text=%E2%80%AF%C3%A9"))
	f.Add([]byte("%zz"))
	rc := fuzzReceiver(f)
	f.Fuzz(func(t *testing.T, body []byte) {
		fuzzServe(t, rc, PathCommands, slackfake.FormContentType, body)
	})
}

func FuzzInteractionPayload(f *testing.F) {
	f.Add([]byte(slackfake.BlockAction{ActionID: "page_next", Value: "2"}.JSON()))
	f.Add([]byte(`{"type":"view_submission","view":{"state":{"values":{}}}}`))
	f.Add([]byte(`{"type":"block_actions","user":{"id":"U1"},"actions":[{"block_id":"b","action_id":"a","selected_option":{"value":"v"}}]}`))
	f.Add([]byte(`{"type":"block_actions","state":{"values":{"b":{"a":{"type":"datepicker"}}}}}`))
	f.Add([]byte(`{"type":"dialog_submission","state":"x"}`))
	rc := fuzzReceiver(f)
	f.Fuzz(func(t *testing.T, payload []byte) {
		body := []byte(url.Values{"payload": {string(payload)}}.Encode())
		fuzzServe(t, rc, PathInteractions, slackfake.FormContentType, body)
	})
}

func FuzzEventPayload(f *testing.F) {
	f.Add([]byte(slackfake.EventCallback("Ev1", slackfake.AppHomeOpened("U1"))))
	f.Add([]byte(slackfake.URLVerification("challenge")))
	f.Add([]byte(`{"type":"event_callback","event_id":"Ev2","event":{"type":"message","channel":"C1","user":"U1","text":"allo","ts":"1.2"}}`))
	f.Add([]byte(`{"type":"event_callback","event_id":"Ev3","event":{"type":"reaction_added","item":{"type":"message"}}}`))
	f.Add([]byte(`{"type":"app_rate_limited","minute_rate_limited":1}`))
	rc := fuzzReceiver(f)
	f.Fuzz(func(t *testing.T, body []byte) {
		fuzzServe(t, rc, PathEvents, slackfake.JSONContentType, body)
	})
}
