package main

import (
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pic-montreal/relais/internal/digest"
	"github.com/pic-montreal/relais/internal/domain"
	"github.com/pic-montreal/relais/internal/slackfake"
	"github.com/pic-montreal/relais/internal/store"
)

// /pic digest preview over signed HTTP: the answer comes at once, then
// relais serve's delivery worker posts the preview in the caller's DM, the
// parent first and every other part in its thread, in order; a highlight's
// "Read the note" answers the clicker alone, as the server's rule says.
func TestDigestPreviewOverSignedHTTP(t *testing.T) {
	const user = "UDEMOPARTEN" // a partner, in English
	slack := slackfake.New(t, slackfake.Options{})
	db := seededDatabase(t)
	p := startServe(t, []string{
		"DATABASE_URL=" + db,
		"RELAIS_ALLOW_SAMPLE_DATA=1",
		"SLACK_SIGNING_SECRET=" + e2eSecret,
		"SLACK_BOT_TOKEN=" + slack.BotToken(),
		"SLACK_API_URL=" + slack.APIURL(),
	})
	defer p.stop(t)
	base := "http://" + p.addr
	st, err := store.Open(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	d, err := digest.Build(context.Background(), st, digest.Month{Year: 2026, Month: time.October}, digest.Partnership)
	if err != nil {
		t.Fatal(err)
	}
	parts := digest.Messages(d, domain.English)

	body := slackfake.SlashCommand{UserID: user, Text: "digest preview octobre 2026", ResponseURL: slack.NewResponseURL(),
		TriggerID: "4711.1.preview"}.Body()
	status, ack := post(t, slackfake.SignedRequest(e2eSecret, time.Now(), base+"/slack/commands",
		"application/x-www-form-urlencoded", body))
	if status != http.StatusOK || !strings.Contains(ack, "Preview of the digest for October 2026 sent to your messages") ||
		!strings.Contains(ack, `"response_type":"ephemeral"`) {
		t.Fatalf("command: %d %s", status, ack)
	}

	dm := slack.DM(user)
	waitFor(t, 30*time.Second, "the preview's thread", func() bool { return len(slack.Posted(dm)) >= len(parts) })
	posted := slack.Posted(dm)
	if len(posted) != len(parts) {
		t.Fatalf("%d messages in the DM, want %d", len(posted), len(parts))
	}
	parent := posted[0]
	if parent.InThread() || !strings.HasPrefix(parent.Text, "Preview — only you see it") {
		t.Errorf("parent %q: want a top-level message marked as a preview", parent.Text)
	}
	thread := slack.Thread(dm, parent.TS)
	if len(thread) != len(parts) {
		t.Fatalf("the parent's thread holds %d messages, want %d", len(thread), len(parts))
	}
	for i, m := range thread {
		first, _, _ := strings.Cut(parts[i].Text, "\n")
		if !strings.Contains(m.Text, first) || !strings.Contains(m.Shows(), "Preview — only you see it") {
			t.Errorf("thread message %d is %q, want part %d (%q), marked", i, m.Text, i, first)
		}
	}

	// Read the note, from the preview's highlights: the clicker alone sees it.
	// The button is a section's accessory, which slackfake's Click does not
	// look at: the click is written as Slack sends it.
	var highlights slackfake.Message
	noteID := ""
	for _, m := range thread {
		var blocks []struct {
			Accessory struct {
				ActionID string `json:"action_id"`
				Value    string `json:"value"`
			} `json:"accessory"`
		}
		if err := json.Unmarshal(m.Blocks, &blocks); err != nil {
			t.Fatal(err)
		}
		for _, b := range blocks {
			if b.Accessory.ActionID == digest.ActionOpenNote && noteID == "" {
				highlights, noteID = m, b.Accessory.Value
			}
		}
	}
	if noteID == "" {
		t.Fatal("no Read the note button in the preview")
	}
	responseURL := slack.ClickResponseURL(t, highlights.ID, user)
	payload := slackfake.BlockAction{UserID: user, ChannelID: dm, ActionID: digest.ActionOpenNote, Value: noteID,
		ResponseURL: responseURL, MessageTS: highlights.TS, InChannel: true}.JSON()
	interact := func(payload []byte) {
		t.Helper()
		if status, body := post(t, slackfake.SignedRequest(e2eSecret, time.Now(), base+"/slack/interactions",
			"application/x-www-form-urlencoded", slackfake.InteractionBody(payload))); status != http.StatusOK {
			t.Fatalf("interaction: HTTP %d %s", status, body)
		}
	}
	interact(payload)
	var shown string
	waitFor(t, 10*time.Second, "the note", func() bool {
		for _, r := range slack.Responses(responseURL) {
			shown += string(r)
		}
		return shown != ""
	})
	var noteBody string
	if err := st.DB().Get(&noteBody, `SELECT body FROM progress_notes WHERE id = $1`, noteID); err != nil {
		t.Fatal(err)
	}
	if first := []rune(noteBody); len(first) > 25 {
		noteBody = string(first[:25])
	}
	if !strings.Contains(shown, "Note from") || !strings.Contains(shown, noteBody) || strings.Contains(shown, `"replace_original":true`) ||
		strings.Contains(shown, `"in_channel"`) {
		t.Errorf("the note's answer: %s", shown)
	}
	if again := slack.Message(t, highlights.ID); again.Edits != 0 {
		t.Errorf("the clicked message was replaced")
	}

	// A coordinators-only note, named by a forged value: refused, audited.
	var confidential int64
	if err := st.DB().Get(&confidential, `SELECT id FROM progress_notes WHERE visibility = 'coordinators' ORDER BY id LIMIT 1`); err != nil {
		t.Fatal(err)
	}
	forgedURL := slack.ClickResponseURL(t, highlights.ID, user)
	interact(slackfake.BlockAction{UserID: user, ChannelID: dm, ActionID: digest.ActionOpenNote,
		Value: strconv.FormatInt(confidential, 10), ResponseURL: forgedURL, MessageTS: highlights.TS, InChannel: true}.JSON())
	refusal := string(slack.WaitResponses(t, forgedURL, 1)[0])
	if !strings.Contains(refusal, "You may not read this note") {
		t.Errorf("forged note: %s", refusal)
	}
	var audited int
	if err := st.DB().Get(&audited, `SELECT count(*) FROM audit_log WHERE action = 'refused' AND entity = 'progress_notes'
		AND entity_id = $1 AND actor = 'slack:'||$2`, strconv.FormatInt(confidential, 10), user); err != nil || audited != 1 {
		t.Errorf("%d refusals audited (%v), want 1", audited, err)
	}

	// Slack delivering the same command again posts nothing more.
	post(t, slackfake.SignedRequest(e2eSecret, time.Now(), base+"/slack/commands", "application/x-www-form-urlencoded", body))
	time.Sleep(2 * time.Second)
	if n := len(slack.Posted(dm)); n != len(parts) {
		t.Errorf("%d messages in the DM after the same command again, want %d", n, len(parts))
	}
}
