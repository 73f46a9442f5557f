package slackbot

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"github.com/pic-montreal/relais/commands"
	"github.com/pic-montreal/relais/internal/slackfake"
)

func testModal(callbackID string) *slack.ModalViewRequest {
	return &slack.ModalViewRequest{Type: slack.VTModal, CallbackID: callbackID,
		Title:  slack.NewTextBlockObject(slack.PlainTextType, "Suivi", false, false),
		Blocks: slack.Blocks{BlockSet: []slack.Block{slack.NewSectionBlock(slack.NewTextBlockObject(slack.MarkdownType, "Bonjour", false, false), nil, nil)}}}
}

// A command or a click whose reply opens a modal gets it opened on its own
// trigger_id; when Slack refuses, the user is told to try again.
func TestRepliesOpenModals(t *testing.T) {
	fake := slackfake.New(t, slackfake.Options{})
	h := &testHandler{
		command: func(_ context.Context, inv commands.Invocation) commands.Reply {
			return commands.Reply{OpenModal: testModal("cmd:" + inv.Text)}
		},
		action: func(_ context.Context, act commands.ActionInvocation) commands.Reply {
			return commands.Reply{OpenModal: testModal("click:" + act.Value)}
		},
	}
	logger, _ := testLogger()
	rc := NewHTTPHandler(testConfig(fake, nil), h, logger)
	defer shutdown(t, rc)

	trigger := fake.IssueTriggerID("U0USER")
	rec := serve(rc, signed(PathCommands, slackfake.FormContentType,
		slackfake.SlashCommand{Text: "suivi créer", TriggerID: trigger}.Body()))
	if rec.Code != http.StatusOK || rec.Body.Len() != 0 {
		t.Fatalf("ack: %d %q; want an empty ack", rec.Code, rec.Body)
	}
	opened := fake.WaitDelivered(t, "views.open", 1)[0]
	if opened.Param("trigger_id") != trigger || !strings.Contains(opened.Param("view"), `"callback_id":"cmd:suivi créer"`) {
		t.Errorf("views.open: trigger %q view %s", opened.Param("trigger_id"), opened.Param("view"))
	}

	responseURL := fake.NewResponseURL()
	trigger = fake.IssueTriggerID("U0USER")
	rec = serve(rc, signed(PathInteractions, slackfake.FormContentType, slackfake.InteractionBody(
		slackfake.BlockAction{ActionID: "x", Value: "v", ResponseURL: responseURL, TriggerID: trigger}.JSON())))
	if rec.Code != http.StatusOK {
		t.Fatalf("click: %d", rec.Code)
	}
	if c := fake.WaitDelivered(t, "views.open", 2)[1]; !strings.Contains(c.Param("view"), `"callback_id":"click:v"`) ||
		c.Param("trigger_id") != trigger {
		t.Errorf("views.open after a click: %v", c)
	}

	// Slack refuses the trigger (used already): a message says so.
	rec = serve(rc, signed(PathCommands, slackfake.FormContentType, slackfake.SlashCommand{Text: "x", TriggerID: trigger}.Body()))
	if m := decodeMessage(t, rec.Body.Bytes()); m["text"] != bilingual("error.modal") || m["response_type"] != "ephemeral" {
		t.Errorf("after a refused views.open: %v", m)
	}
}

func viewSubmission(callbackID string, values map[string]any) json.RawMessage {
	return json.RawMessage(mustMarshal(map[string]any{
		"type": "view_submission", "team": map[string]any{"id": slackfake.TeamID},
		"user":       map[string]any{"id": "U0SUB", "team_id": slackfake.TeamID},
		"trigger_id": "TRIG-SUB",
		"view": map[string]any{"id": "V0SUB", "type": "modal", "callback_id": callbackID,
			"private_metadata": "round=7",
			"blocks": []any{
				map[string]any{"type": "input", "block_id": "moved", "label": map[string]any{"type": "plain_text", "text": "Avancées"},
					"element": map[string]any{"type": "plain_text_input", "action_id": "text"}},
			},
			"state": map[string]any{"values": values}},
	}))
}

func mustMarshal(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}

// A view submission is answered inside its acknowledgement: errors keep the
// modal open with what was typed, an update replaces it, nothing closes it.
// Too slow or failing, it stays open with a message under its first input.
func TestViewSubmissionsAnsweredInTheAck(t *testing.T) {
	release := make(chan struct{})
	var mu sync.Mutex
	var got commands.ViewSubmission
	h := &testHandler{submit: func(_ context.Context, sub commands.ViewSubmission) commands.SubmissionReply {
		if sub.CallbackID == "errors" {
			mu.Lock()
			got = sub
			mu.Unlock()
		}
		switch sub.CallbackID {
		case "errors":
			return commands.SubmissionReply{Errors: map[string]string{"moved": "Trop court"}}
		case "update":
			return commands.SubmissionReply{Update: testModal("next")}
		case "slow":
			<-release
		case "boom":
			panic("boom")
		}
		return commands.SubmissionReply{}
	}}
	logger, _ := testLogger()
	cfg := testConfig(nil, nil)
	cfg.AckBudget = 50 * time.Millisecond
	rc := NewHTTPHandler(cfg, h, logger)
	defer func() { close(release); shutdown(t, rc) }()

	values := map[string]any{"moved": map[string]any{"text": map[string]any{"type": "plain_text_input", "value": "Une assemblée"}},
		"themes": map[string]any{"pick": map[string]any{"type": "multi_static_select",
			"selected_options": []any{map[string]any{"value": "logement"}, map[string]any{"value": "emploi"}}}}}
	submit := func(callbackID string) map[string]any {
		t.Helper()
		rec := serve(rc, signed(PathInteractions, slackfake.FormContentType, slackfake.InteractionBody(viewSubmission(callbackID, values))))
		if rec.Code != http.StatusOK {
			t.Fatalf("%s: status %d", callbackID, rec.Code)
		}
		if rec.Body.Len() == 0 {
			return nil
		}
		return decodeMessage(t, rec.Body.Bytes())
	}

	if ack := submit("errors"); ack["response_action"] != "errors" || ack["errors"].(map[string]any)["moved"] != "Trop court" {
		t.Errorf("errors: %v", ack)
	}
	mu.Lock()
	defer mu.Unlock()
	if got.Caller.SlackUserID != "U0SUB" || got.ViewID != "V0SUB" || got.PrivateMetadata != "round=7" ||
		got.Values["moved"]["text"].Text != "Une assemblée" ||
		strings.Join(got.Values["themes"]["pick"].Selected, ",") != "logement,emploi" {
		t.Errorf("submission = %+v", got)
	}
	if ack := submit("update"); ack["response_action"] != "update" || ack["view"].(map[string]any)["callback_id"] != "next" {
		t.Errorf("update: %v", ack)
	}
	if ack := submit("close"); ack != nil {
		t.Errorf("close: %v, want an empty ack", ack)
	}
	for name, want := range map[string]string{"slow": bilingual("error.slow_submit"), "boom": bilingual("error.internal")} {
		if ack := submit(name); ack["response_action"] != "errors" || ack["errors"].(map[string]any)["moved"] != want {
			t.Errorf("%s: %v", name, ack)
		}
	}
}

// An event's reply is shown after the acknowledgement: the App Home
// published for its user.
func TestEventRepliesAreShown(t *testing.T) {
	fake := slackfake.New(t, slackfake.Options{})
	events := newRecordingEvents(nil)
	events.reply = commands.EventReply{
		Home: &slack.HomeTabViewRequest{Type: slack.VTHomeTab, Blocks: slack.Blocks{BlockSet: []slack.Block{slack.NewDividerBlock()}}},
	}
	logger, _ := testLogger()
	rc := NewHTTPHandler(testConfig(fake, nil), &testHandler{events: events}, logger)
	defer shutdown(t, rc)
	rec := serve(rc, signed(PathEvents, slackfake.JSONContentType, slackfake.EventCallback("Ev0HOME", slackfake.AppHomeOpened("U0HOME"))))
	if rec.Code != http.StatusOK {
		t.Fatalf("status %d", rec.Code)
	}
	if c := fake.WaitDelivered(t, "views.publish", 1)[0]; c.Param("user_id") != "U0HOME" || !strings.Contains(c.Param("view"), `"type":"home"`) {
		t.Errorf("views.publish: %v", c)
	}
}
