package main

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/pic-montreal/relais/internal/slackfake"
)

// Coordinators manage the directory and see who answered, and a person says
// they are away, through signed slash commands and a button click against
// relais serve.
func TestCoordinatorsCommandsOverSignedHTTP(t *testing.T) {
	slack := slackfake.New(t, slackfake.Options{})
	p := startServe(t, []string{
		"DATABASE_URL=" + seededDatabase(t),
		"RELAIS_ALLOW_SAMPLE_DATA=1",
		"SLACK_SIGNING_SECRET=" + e2eSecret,
		"SLACK_BOT_TOKEN=" + slack.BotToken(),
		"SLACK_API_URL=" + slack.APIURL(),
	})
	base := "http://" + p.addr
	command := func(user, text string) string {
		t.Helper()
		body := slackfake.SlashCommand{UserID: user, Text: text, ResponseURL: slack.NewResponseURL()}.Body()
		status, reply := post(t, slackfake.SignedRequest(e2eSecret, time.Now(), base+"/slack/commands",
			"application/x-www-form-urlencoded", body))
		if status != http.StatusOK {
			t.Fatalf("%q: %d %s", text, status, reply)
		}
		return reply
	}

	// The mention arrives escaped, as Slack sends it with should_escape.
	if r := command("UDEMOCOORD", "membres ajouter <@UE2ENADIA|Nadia> Verdun"); !strings.Contains(r, "*Nadia* (`UE2ENADIA`) est inscrit") {
		t.Fatalf("add: %s", r)
	}
	// Registered, Nadia may now say she is away.
	if r := command("UE2ENADIA", "absent 2 semaines"); !strings.Contains(r, "jusqu'au") || !strings.Contains(r, "inclus") {
		t.Errorf("away: %s", r)
	}
	if r := command("UGUEST", "away 2 weeks"); !strings.Contains(r, "membres inscrits") {
		t.Errorf("guest away: %s", r)
	}
	// A partner may not change the directory.
	if r := command("UDEMOPARTEN", "members remove <@UE2ENADIA>"); !strings.Contains(r, "coordination team") {
		t.Errorf("partner remove: %s", r)
	}

	// "saint" names several Tables: buttons, and a click answers it.
	r := command("UDEMOCOORD", "membres ajouter <@UE2EZOE|Zoé> saint")
	var reply struct {
		Blocks []struct {
			Elements []struct {
				ActionID string `json:"action_id"`
				Value    string `json:"value"`
			} `json:"elements"`
		} `json:"blocks"`
	}
	if err := json.Unmarshal([]byte(r), &reply); err != nil {
		t.Fatalf("%v: %s", err, r)
	}
	var actionID, value string
	for _, b := range reply.Blocks {
		for _, e := range b.Elements {
			if strings.HasPrefix(e.ActionID, "pic:choose:") && actionID == "" {
				actionID, value = e.ActionID, e.Value
			}
		}
	}
	if actionID == "" {
		t.Fatalf("no choice buttons: %s", r)
	}
	responseURL := slack.NewResponseURL()
	click := slackfake.BlockAction{UserID: "UDEMOCOORD", ActionID: actionID, Value: value, ResponseURL: responseURL}.JSON()
	status, _ := post(t, slackfake.SignedRequest(e2eSecret, time.Now(), base+"/slack/interactions",
		"application/x-www-form-urlencoded", slackfake.InteractionBody(click)))
	if status != http.StatusOK {
		t.Fatalf("click: %d", status)
	}
	answers := slack.WaitResponses(t, responseURL, 1)
	if s := string(answers[0]); !strings.Contains(s, "*Zoé* (`UE2EZOE`) est inscrit") {
		t.Errorf("clicked choice: %s", s)
	}

	// Who answered: the demo's schedule has no round yet.
	if r := command("UDEMOCOORD", "suivi statut"); !strings.Contains(r, "Aucun tour de suivi") {
		t.Errorf("status: %s", r)
	}
	p.stop(t)
}
