package main

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/pic-montreal/relais/internal/slackfake"
	"github.com/pic-montreal/relais/internal/testdb"
)

// These tests run the real binary against a real database and a fake Slack:
// the wiring of serve, not only its parts.

const e2eSecret = "e2e-signing-secret"

// seededDatabase is a fresh database holding the demo data; serve it with
// RELAIS_ALLOW_SAMPLE_DATA=1.
func seededDatabase(t *testing.T) string {
	t.Helper()
	u := testdb.NewURL(t)
	if code, _, stderr := runRelais(t, map[string]string{"DATABASE_URL": u}, "seed", "--demo"); code != 0 {
		t.Fatalf("seed --demo: %d %s", code, stderr)
	}
	return u
}

// post sends a request signed at ts and returns the status and body.
func post(t *testing.T, req *http.Request) (int, string) {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestSlashCommandsOverSignedHTTP(t *testing.T) {
	slack := slackfake.New(t, slackfake.Options{})
	slack.SetLocale("UDEMOPARTNER", "en-US")
	p := startServe(t, []string{
		"DATABASE_URL=" + seededDatabase(t),
		"RELAIS_ALLOW_SAMPLE_DATA=1",
		"SLACK_SIGNING_SECRET=" + e2eSecret,
		"SLACK_BOT_TOKEN=" + slack.BotToken(),
		"SLACK_API_URL=" + slack.APIURL(),
	})
	base := "http://" + p.addr
	command := func(user, text string, ts time.Time, secret string) (int, string) {
		body := slackfake.SlashCommand{UserID: user, Text: text, ResponseURL: slack.NewResponseURL()}.Body()
		return post(t, slackfake.SignedRequest(secret, ts, base+"/slack/commands", "application/x-www-form-urlencoded", body))
	}

	// A coordinator, in French: the reply comes in the acknowledgement.
	status, body := command("UDEMOCOORD", "quartier Verdun", time.Now(), e2eSecret)
	if status != http.StatusOK || !strings.Contains(body, "Table de quartier de Verdun") ||
		!strings.Contains(body, `"response_type":"ephemeral"`) || !strings.Contains(body, `"blocks"`) {
		t.Fatalf("quartier: %d %s", status, body)
	}
	// A partner with no language of their own: Slack's locale, from users.info.
	status, body = command("UDEMOPARTNER", "quartier Verdun", time.Now(), e2eSecret)
	if status != http.StatusOK || !strings.Contains(body, "Neighbourhood roundtable") {
		t.Fatalf("locale: %d %s", status, body)
	}
	if calls := slack.Calls("users.info"); len(calls) == 0 || calls[0].Param("user") != "UDEMOPARTNER" {
		t.Errorf("users.info calls: %+v", calls)
	}

	// Replayed, forged and unsigned requests never reach a command.
	for name, send := range map[string]func() (int, string){
		"replayed":  func() (int, string) { return command("UDEMOCOORD", "aide", time.Now().Add(-10*time.Minute), e2eSecret) },
		"wrong key": func() (int, string) { return command("UDEMOCOORD", "aide", time.Now(), "not-the-secret") },
		"unsigned": func() (int, string) {
			req, _ := http.NewRequest("POST", base+"/slack/commands", strings.NewReader("text=aide&user_id=U1"))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			return post(t, req)
		},
	} {
		if status, body := send(); status != http.StatusUnauthorized || strings.Contains(body, "Relais") {
			t.Errorf("%s: %d %s", name, status, body)
		}
	}

	// "Share in the channel": the click is acknowledged at once and the
	// shared reply goes to response_url, visible to the channel.
	responseURL := slack.NewResponseURL()
	click := slackfake.BlockAction{UserID: "UDEMOCOORD", ActionID: "pic:share", Value: "0|quartier Verdun",
		ResponseURL: responseURL}.JSON()
	status, _ = post(t, slackfake.SignedRequest(e2eSecret, time.Now(), base+"/slack/interactions",
		"application/x-www-form-urlencoded", slackfake.InteractionBody(click)))
	if status != http.StatusOK {
		t.Fatalf("interaction: %d", status)
	}
	shared := slack.WaitResponses(t, responseURL, 1)
	if s := string(shared[0]); !strings.Contains(s, `"response_type":"in_channel"`) || !strings.Contains(s, "UDEMOCOORD") {
		t.Errorf("shared reply: %s", s)
	}

	// Slack's URL check.
	status, body = post(t, slackfake.SignedRequest(e2eSecret, time.Now(), base+"/slack/events", "application/json",
		slackfake.URLVerification("le-defi")))
	if status != http.StatusOK || !strings.Contains(body, "le-defi") {
		t.Errorf("url_verification: %d %s", status, body)
	}

	// The commands are counted in the metrics: two commands and the shared one.
	resp, err := http.Get(base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	metrics, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !bytes.Contains(metrics, []byte(`relais_commands_total{command="quartier",outcome="ok"} 3`)) {
		t.Errorf("metrics lack the command count:\n%s", grepLines(string(metrics), "relais_command"))
	}
	if logs := p.stop(t); strings.Contains(logs, e2eSecret) || strings.Contains(logs, slack.BotToken()) {
		t.Errorf("logs show a secret")
	}
}

func TestSlashCommandsOverSocketMode(t *testing.T) {
	slack := slackfake.New(t, slackfake.Options{})
	p := startServe(t, []string{
		"DATABASE_URL=" + seededDatabase(t),
		"RELAIS_ALLOW_SAMPLE_DATA=1",
		"SLACK_BOT_TOKEN=" + slack.BotToken(),
		"SLACK_APP_TOKEN=" + slack.AppToken(),
		"SLACK_API_URL=" + slack.APIURL(),
	})
	slack.WaitUsableConnections(t, 1)
	slack.Push(t, slackfake.SlashCommandEnvelope("env-1", slackfake.SlashCommand{UserID: "UDEMOCOORD2",
		Text: "funding Verdun", ResponseURL: slack.NewResponseURL()}))
	ack := slack.WaitAck(t, "env-1")
	var reply struct {
		Text string `json:"text"`
	}
	if err := json.Unmarshal(ack.Payload, &reply); err != nil || !strings.Contains(reply.Text, "Funding — Verdun") {
		t.Fatalf("ack payload: %s (%v)", ack.Payload, err)
	}
	// After every connection drops, Relais reconnects and keeps answering.
	slack.WaitUsableConnections(t, 2)
	slack.DropConnections(t)
	slack.WaitConnection(t, 4)
	slack.WaitUsableConnections(t, 2)
	slack.Push(t, slackfake.SlashCommandEnvelope("env-2", slackfake.SlashCommand{UserID: "UDEMOCOORD", Text: "aide",
		ResponseURL: slack.NewResponseURL()}))
	if ack := slack.WaitAck(t, "env-2"); !bytes.Contains(ack.Payload, []byte("Relais : les commandes")) {
		t.Errorf("after reconnect: %s", ack.Payload)
	}
	p.stop(t)
}

func grepLines(s, substr string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, substr) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}
