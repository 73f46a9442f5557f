package slackbot

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/pic-montreal/relais/commands"
	"github.com/pic-montreal/relais/internal/seed"
	"github.com/pic-montreal/relais/internal/slackfake"
	"github.com/pic-montreal/relais/internal/store"
	"github.com/pic-montreal/relais/internal/testdb"
)

// secretMark is in every excerpt of the coordinators-only notes this test
// adds: wherever a reply quotes one of them, the mark shows.
const secretMark = "SECRETCOORD"

// demoWithSecrets is the demo data plus coordinators-only notes, for the
// Verdun and Saint-Michel Tables, that every command showing notes finds.
func demoWithSecrets(t *testing.T) *store.Store {
	t.Helper()
	st := testdb.New(t)
	if _, err := seed.Demo(context.Background(), st); err != nil {
		t.Fatal(err)
	}
	err := st.ExecAsForTest(context.Background(), "test", `
		INSERT INTO progress_notes (organisation_id, quartier_id, period, body, language, visibility)
		SELECT o.id, o.quartier_id, '2026-11-01', repeat('`+secretMark+` logement financement. ', 20), 'fr', 'coordinators'
		FROM organisations o JOIN quartiers q ON q.id = o.quartier_id
		WHERE o.kind = 'table_de_quartier' AND q.slug IN ('verdun', 'saint-michel')`)
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// The demo's people, one per role.
var demoRoles = map[string]string{
	"coordinator":  "UDEMOCOORD",
	"table member": "UDEMOVERDUN",
	"partner":      "UDEMOPARTNER",
	"guest":        "UGUEST",
}

// TestWhatTheChannelSees runs every command that has buttons as each role,
// then clicks every button as every role, on the private copy and on the
// shared one, through signed requests and a fake Slack that shows what
// people see. Whatever is clicked by whom, the channel never shows a
// coordinators-only note, and a failed click never changes it.
func TestWhatTheChannelSees(t *testing.T) {
	fake := slackfake.New(t, slackfake.Options{})
	logger, _ := testLogger()
	router := commands.New(demoWithSecrets(t), commands.Options{Logger: logger})
	rc := NewHTTPHandler(testConfig(fake, nil), router, logger)
	defer shutdown(t, rc)

	const channel = "C0PIC"
	channelShows := func() string {
		var b strings.Builder
		for _, m := range fake.ChannelMessages(channel) {
			b.WriteString(m.Shows())
		}
		return b.String()
	}
	// click sends user's click on a button of message id and waits for
	// Relais' answer to reach the fake.
	click := func(id, user, actionID string) {
		t.Helper()
		payload, responseURL := fake.Click(t, id, user, actionID)
		rec := serve(rc, signed(PathInteractions, slackfake.FormContentType, slackfake.InteractionBody(payload)))
		if rec.Code != http.StatusOK {
			t.Fatalf("click %s on %s by %s: status %d", actionID, id, user, rec.Code)
		}
		fake.WaitResponses(t, responseURL, 1)
	}
	leaked := false
	checkChannel := func(step string) {
		t.Helper()
		if s := channelShows(); strings.Contains(s, secretMark) && !leaked {
			leaked = true
			t.Errorf("after %s the channel shows a coordinators-only note", step)
		}
	}

	// The private copies do show the notes to those who may read them: the
	// mark is there to be found.
	sawSecretPrivately := false
	for _, text := range []string{"chercher logement", "quartier Verdun", "initiatives", "financement", "aide", "membres"} {
		for role, owner := range demoRoles {
			step := role + " runs " + text
			ack := serve(rc, signed(PathCommands, slackfake.FormContentType, slackfake.SlashCommand{
				UserID: owner, ChannelID: channel, Text: text,
				ResponseURL: fake.CommandResponseURL(channel, owner)}.Body()))
			if ack.Code != http.StatusOK {
				t.Fatalf("%s: status %d", step, ack.Code)
			}
			mine := fake.ShowAck(t, channel, owner, ack.Body.Bytes())
			msg := fake.Message(t, mine)
			if !msg.Ephemeral() {
				t.Fatalf("%s: the reply is not private", step)
			}
			sawSecretPrivately = sawSecretPrivately || strings.Contains(msg.Shows(), secretMark)
			if text == "membres" {
				for _, b := range msg.Buttons() {
					if b.ActionID == commands.ActionShare {
						t.Errorf("%s: a coordinators-only reply offers to share it", step)
					}
				}
			}

			// Its owner pages through the private copy: it changes for them
			// alone.
			before := channelShows()
			for _, b := range msg.Buttons() {
				if strings.HasPrefix(b.ActionID, commands.ActionPage) {
					click(mine, owner, b.ActionID)
					if channelShows() != before {
						t.Errorf("%s: paging the private copy changed the channel", step)
					}
				}
			}

			// Shared, then clicked by everyone.
			var share *slackfake.Button
			for _, b := range fake.Message(t, mine).Buttons() {
				if b.ActionID == commands.ActionShare {
					share = &b
				}
			}
			if share == nil {
				continue
			}
			n := len(fake.ChannelMessages(channel))
			click(mine, owner, commands.ActionShare)
			posted := fake.ChannelMessages(channel)
			if len(posted) != n+1 {
				t.Fatalf("%s: sharing posted %d channel messages", step, len(posted)-n)
			}
			sharedID := posted[len(posted)-1].ID
			checkChannel(step + ", shared")
			for clickerRole, clicker := range demoRoles {
				for _, b := range fake.Message(t, sharedID).Buttons() {
					if !hasButton(fake.Message(t, sharedID), b.ActionID) {
						continue // an earlier click took it away (the last page has no "next")
					}
					click(sharedID, clicker, b.ActionID)
					checkChannel(step + ", shared, then " + b.ActionID + " by " + clickerRole)
					if got := fake.Message(t, sharedID); b.ActionID != commands.ActionShare &&
						!strings.Contains(got.Shows(), "<@"+owner+">") {
						t.Errorf("%s: after %s by %s the shared message lost who shared it", step, b.ActionID, clickerRole)
					}
				}
			}
		}
	}
	if !sawSecretPrivately {
		t.Error("no private reply showed the coordinators-only notes: the test cannot fail")
	}

	// A forged share of membres, and a forged page click on the channel's
	// copy, answer the clicker alone and leave the channel as it was.
	before := channelShows()
	shared := fake.ChannelMessages(channel)[0]
	for _, forged := range []slackfake.BlockAction{
		{UserID: "UDEMOCOORD", ChannelID: channel, ActionID: commands.ActionShare, Value: "0|membres"},
		{UserID: "UDEMOCOORD", ChannelID: channel, ActionID: commands.ActionPage + ":next", Value: "1|membres", InChannel: true},
		{UserID: "UDEMOPARTNER", ChannelID: channel, ActionID: commands.ActionPage + ":next", Value: "garbage", InChannel: true},
	} {
		responseURL := fake.ClickResponseURL(t, shared.ID, forged.UserID)
		forged.ResponseURL, forged.MessageTS = responseURL, shared.TS
		rec := serve(rc, signed(PathInteractions, slackfake.FormContentType, slackfake.InteractionBody(forged.JSON())))
		if rec.Code != http.StatusOK {
			t.Fatalf("forged %s: status %d", forged.Value, rec.Code)
		}
		answer := decodeMessage(t, fake.WaitResponses(t, responseURL, 1)[0])
		if answer["replace_original"] != false || answer["response_type"] != "ephemeral" {
			t.Errorf("forged %s: answered %v; want a new private message", forged.Value, answer)
		}
		if channelShows() != before {
			t.Errorf("forged %s changed the channel", forged.Value)
		}
	}
}

func hasButton(m slackfake.Message, actionID string) bool {
	for _, b := range m.Buttons() {
		if b.ActionID == actionID {
			return true
		}
	}
	return false
}
