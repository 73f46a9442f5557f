package slackfake

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/slack-go/slack"
)

func modal(title, text string) slack.ModalViewRequest {
	return slack.ModalViewRequest{Type: slack.VTModal, Title: slack.NewTextBlockObject(slack.PlainTextType, title, false, false),
		Blocks: slack.Blocks{BlockSet: []slack.Block{slack.NewSectionBlock(slack.NewTextBlockObject(slack.MarkdownType, text, false, false), nil, nil)}}}
}

func slackErr(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// A trigger_id opens one modal, for its user, within 3 s of the fake's clock.
func TestViewsTriggersAndUpdates(t *testing.T) {
	now := time.Unix(1700000000, 0)
	s := New(t, Options{Now: func() time.Time { return now }})
	api, ctx := client(s), context.Background()

	if _, err := api.OpenViewContext(ctx, "13345224609.738474920.8088930838d88f008e0", modal("Note", "x")); slackErr(err) != "invalid_trigger_id" {
		t.Errorf("unissued trigger: %v", err)
	}
	tr := s.IssueTriggerID("U1")
	v, err := api.OpenViewContext(ctx, tr, modal("Note", "Votre note"))
	if err != nil || v.View.ID == "" || v.View.Hash == "" {
		t.Fatalf("views.open: %+v %v", v, err)
	}
	if _, err := api.OpenViewContext(ctx, tr, modal("Note", "x")); slackErr(err) != "exchanged_trigger_id" {
		t.Errorf("trigger used twice: %v", err)
	}
	if m, ok := s.ModalOf("U1"); !ok || m.ID != v.View.ID || m.Title != "Note" || !strings.Contains(m.Shows(), "Votre note") {
		t.Errorf("U1 sees %+v %v", m, ok)
	}
	if _, ok := s.ModalOf("U2"); ok {
		t.Error("U2 sees U1's modal")
	}

	late := s.IssueTriggerID("U1")
	s.Advance(TriggerTTL)
	if _, err := api.PushViewContext(ctx, late, modal("Deux", "y")); slackErr(err) != "expired_trigger_id" {
		t.Errorf("trigger after 3 s: %v", err)
	}
	pushed, err := api.PushViewContext(ctx, s.IssueTriggerID("U1"), modal("Deux", "y"))
	if err != nil || pushed.View.PreviousViewID != v.View.ID || pushed.View.RootViewID != v.View.ID {
		t.Fatalf("views.push: %+v %v", pushed, err)
	}
	if st := s.ModalStack("U1"); len(st) != 2 || st[1].Title != "Deux" {
		t.Errorf("stack = %+v", st)
	}
	stale := s.IssueTriggerID("U1")
	s.ExpireTriggers()
	if _, err := api.OpenViewContext(ctx, stale, modal("Note", "x")); slackErr(err) != "expired_trigger_id" {
		t.Errorf("expired trigger: %v", err)
	}

	// views.update by id with the current hash, then a stale hash.
	up, err := api.UpdateViewContext(ctx, modal("Note", "Merci"), "", v.View.Hash, v.View.ID)
	if err != nil || up.View.Hash == v.View.Hash {
		t.Fatalf("views.update: %+v %v", up, err)
	}
	if _, err := api.UpdateViewContext(ctx, modal("Note", "Trop tard"), "", v.View.Hash, v.View.ID); slackErr(err) != "hash_conflict" {
		t.Errorf("stale hash: %v", err)
	}
	if st := s.ModalStack("U1"); st[0].Updates != 1 || !strings.Contains(st[0].Shows(), "Merci") {
		t.Errorf("after update: %+v", st[0])
	}
	// By external_id.
	withExt := modal("Ext", "a")
	withExt.ExternalID = "note-42"
	if _, err := api.OpenViewContext(ctx, s.IssueTriggerID("U2"), withExt); err != nil {
		t.Fatal(err)
	}
	if _, err := api.UpdateViewContext(ctx, modal("Ext", "b"), "note-42", "", ""); err != nil {
		t.Fatal(err)
	}
	if m, _ := s.ModalOf("U2"); !strings.Contains(m.Shows(), `"b"`) {
		t.Errorf("U2 sees %s", m.Shows())
	}
	if _, err := api.UpdateViewContext(ctx, modal("Ext", "b"), "", "", "V999"); slackErr(err) != "not_found" {
		t.Errorf("unknown view: %v", err)
	}
	s.CloseModals("U2")
	if _, ok := s.ModalOf("U2"); ok {
		t.Error("closed modal still shown")
	}
}

func TestAppHomePerUser(t *testing.T) {
	s := New(t, Options{})
	api, ctx := client(s), context.Background()
	home := func(text string) slack.HomeTabViewRequest {
		return slack.HomeTabViewRequest{Type: slack.VTHomeTab, Blocks: modal("", text).Blocks}
	}
	first, err := api.PublishViewContext(ctx, slack.PublishViewContextRequest{UserID: "U1", View: home("Accueil")})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := api.PublishViewContext(ctx, slack.PublishViewContextRequest{UserID: "U2", View: home("Autre")}); err != nil {
		t.Fatal(err)
	}
	stale := first.View.Hash
	if _, err := api.PublishViewContext(ctx, slack.PublishViewContextRequest{UserID: "U1", View: home("Bis"), Hash: &stale}); err != nil {
		t.Fatal(err)
	}
	if _, err := api.PublishViewContext(ctx, slack.PublishViewContextRequest{UserID: "U1", View: home("Ter"), Hash: &stale}); slackErr(err) != "hash_conflict" {
		t.Errorf("stale hash: %v", err)
	}
	h, ok := s.HomeOf("U1")
	if !ok || h.ID != first.View.ID || h.Updates != 1 || !strings.Contains(h.Shows(), "Bis") || h.Type != "home" {
		t.Errorf("U1's Home: %+v", h)
	}
	if h2, _ := s.HomeOf("U2"); !strings.Contains(h2.Shows(), "Autre") {
		t.Errorf("U2's Home: %s", h2.Shows())
	}
	if _, ok := s.HomeOf("U3"); ok {
		t.Error("U3 has a Home")
	}
	if _, err := api.PublishViewContext(ctx, slack.PublishViewContextRequest{UserID: "U1",
		View: slack.HomeTabViewRequest{Type: slack.VTModal}}); slackErr(err) != "invalid_arguments" {
		t.Errorf("a modal published as Home: %v", err)
	}
}

// A click carries a fresh trigger_id of the clicker, which opens a modal.
func TestClickCarriesAFreshTrigger(t *testing.T) {
	s := New(t, Options{})
	id := s.ShowAck(t, "C1", "U1", []byte(`{"text":"x","blocks":[{"type":"actions","elements":[{"type":"button","action_id":"go","text":{"type":"plain_text","text":"Go"}}]}]}`))
	payload, _ := s.Click(t, id, "U1", "go")
	var p struct {
		TriggerID string `json:"trigger_id"`
	}
	if err := json.Unmarshal(payload, &p); err != nil {
		t.Fatal(err)
	}
	if _, err := client(s).OpenViewContext(context.Background(), p.TriggerID, modal("Note", "x")); err != nil {
		t.Fatalf("views.open with the click's trigger: %v", err)
	}
	if _, ok := s.ModalOf("U1"); !ok {
		t.Error("no modal for the clicker")
	}
}
