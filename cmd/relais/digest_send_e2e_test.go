package main

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/pic-montreal/relais/internal/slackfake"
	"github.com/pic-montreal/relais/internal/store"
)

// /pic condensé envoyer over signed HTTP: a coordinator confirms with the
// button, relais serve posts October's digest in its channel once; a second
// confirmation re-sends it in place; a partner's forged click posts nothing.
func TestDigestSendOverSignedHTTP(t *testing.T) {
	const channel, coordinator, user = "C0DIGEST", "UDEMOCOORD", "C0WHERE"
	slack := slackfake.New(t, slackfake.Options{})
	db := seededDatabase(t)
	st, err := store.Open(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	p := startServe(t, []string{"DATABASE_URL=" + db, "RELAIS_ALLOW_SAMPLE_DATA=1", "SLACK_SIGNING_SECRET=" + e2eSecret,
		"SLACK_BOT_TOKEN=" + slack.BotToken(), "SLACK_API_URL=" + slack.APIURL(), "RELAIS_SLACK_POST_RATE=200",
		"RELAIS_DIGEST_CHANNELS=" + channel + ":fr:partnership"})
	defer p.stop(t)
	base := "http://" + p.addr
	signed := func(path, contentType string, body []byte) string {
		t.Helper()
		status, answer := post(t, slackfake.SignedRequest(e2eSecret, time.Now(), base+path, contentType, body))
		if status != http.StatusOK {
			t.Fatalf("%s: HTTP %d %s", path, status, answer)
		}
		return answer
	}
	command := func(who, text string) string {
		return signed("/slack/commands", "application/x-www-form-urlencoded",
			slackfake.SlashCommand{UserID: who, ChannelID: user, Text: text, ResponseURL: slack.NewResponseURL()}.Body())
	}
	octoberParents := func() []slackfake.Message {
		var out []slackfake.Message
		for _, m := range slack.Posted(channel) {
			if m.Metadata.Value("key") == "digest:2026-10:"+channel+":parent:0" {
				out = append(out, m)
			}
		}
		return out
	}
	digestRow := func(period string) (status string, generation int) {
		var row struct {
			Status     string `db:"status"`
			Generation int    `db:"generation"`
		}
		if err := st.DB().Get(&row, `SELECT status, generation FROM digests WHERE channel = $1 AND period = $2`,
			channel, period); err == nil {
			return row.Status, row.Generation
		}
		return "", 0
	}

	if ack := command("UDEMOPARTNER", "condensé envoyer octobre 2026"); !strings.Contains(ack, "Seule l'équipe de coordination") {
		t.Errorf("a partner's send: %s", ack)
	}
	ask := func() string {
		t.Helper()
		question := slack.ShowAck(t, user, coordinator, []byte(command(coordinator, "condensé envoyer octobre 2026")))
		if shows := slack.Message(t, question).Shows(); !strings.Contains(shows, "Publier le condensé d'octobre 2026 dans <#"+channel+">") {
			t.Fatalf("confirmation: %s", shows)
		}
		return question
	}
	question := ask()
	if s, _ := digestRow("2026-10-01"); s != "" {
		t.Fatalf("a digest row (%s) before the confirmation", s)
	}

	confirm := func(question string) {
		t.Helper()
		payload, responseURL := slack.Click(t, question, coordinator, "digest:send")
		signed("/slack/interactions", "application/x-www-form-urlencoded", slackfake.InteractionBody(payload))
		answer := string(slack.WaitResponses(t, responseURL, 1)[0])
		if !strings.Contains(answer, "part vers") || !strings.Contains(answer, `"replace_original":true`) {
			t.Errorf("the confirmation's answer: %s", answer)
		}
	}
	confirm(question)
	waitFor(t, 30*time.Second, "October's digest posted", func() bool { s, _ := digestRow("2026-10-01"); return s == store.DigestPosted })
	parents := octoberParents()
	if len(parents) != 1 || !strings.Contains(parents[0].Text, "octobre 2026") || len(slack.Thread(channel, parents[0].TS)) < 3 {
		t.Fatalf("October's parent posted %d times: %+v", len(parents), parents)
	}

	// Asked and confirmed again: the same messages, updated in place.
	question = ask()
	confirm(question)
	waitFor(t, 30*time.Second, "the re-send", func() bool {
		s, g := digestRow("2026-10-01")
		return s == store.DigestPosted && g == 2 && slack.Message(t, parents[0].ID).Edits > 0
	})
	if n := len(octoberParents()); n != 1 {
		t.Errorf("after the re-send, October's parent shows %d times", n)
	}

	// A partner clicking a forged confirmation for September: refused.
	forgedURL := slack.ClickResponseURL(t, question, "UDEMOPARTNER")
	signed("/slack/interactions", "application/x-www-form-urlencoded", slackfake.InteractionBody(
		slackfake.BlockAction{UserID: "UDEMOPARTNER", ChannelID: user, ActionID: "digest:send", Value: "2026-09",
			ResponseURL: forgedURL}.JSON()))
	if answer := string(slack.WaitResponses(t, forgedURL, 1)[0]); !strings.Contains(answer, "Seule l'équipe de coordination") {
		t.Errorf("a partner's forged click: %s", answer)
	}
	if s, _ := digestRow("2026-09-01"); s != "" {
		t.Errorf("a partner's click made September's digest %s", s)
	}
}
