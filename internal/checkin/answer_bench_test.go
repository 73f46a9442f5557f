package checkin_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"
	"time"

	"github.com/pic-montreal/relais/commands"
	"github.com/pic-montreal/relais/internal/checkin"
	"github.com/pic-montreal/relais/internal/jobs"
	"github.com/pic-montreal/relais/internal/seed"
	"github.com/pic-montreal/relais/internal/slackbot"
	"github.com/pic-montreal/relais/internal/slackfake"
	"github.com/pic-montreal/relais/internal/store"
	"github.com/pic-montreal/relais/internal/testdb"
)

// BenchmarkAnswerSubmission times what a respondent waits for after pressing
// Send in the answer modal: a signed view_submission through the HTTP
// receiver, the router, the note written, its DM update and the Homes'
// refreshes queued (the real River Enqueuer), to the ack. The database holds the synthetic partnership
// (1,000 Tables, 100,000 notes) and an open round of 1,000 posted prompts;
// each iteration answers for the next Table, a first answer the first
// thousand times, an edit after. It reports the median and the 99th
// percentile (the goal, issue 8: p99 ≤ 50 ms).
//
//	go test -run '^$' -bench AnswerSubmission -benchtime 2000x ./internal/checkin/
func BenchmarkAnswerSubmission(b *testing.B) {
	st := testdb.New(b)
	if _, err := seed.Synthetic(ctx, st, seed.SyntheticOptions{Quartiers: 1000, Initiatives: 1000, Funding: 1, Notes: 100000}); err != nil {
		b.Fatal(err)
	}
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	j, err := jobs.New(st, jobs.Config{Logger: quiet})
	if err != nil {
		b.Fatal(err)
	}
	now := local(2027, time.January, 5, 10, 0)
	svc := &checkin.Service{Store: st, Enqueuer: jobs.NewEnqueuer(j), Alerter: &recorder{}, Now: func() time.Time { return now },
		Location: montreal, Logger: quiet}
	// As relais serve wires it: the Homes that show the Table are refreshed.
	svc.OnNote = func(ctx context.Context, tx *store.Tx, orgID int64) error {
		users, err := tx.HomeAudience(ctx, orgID)
		if err != nil {
			return err
		}
		return j.RefreshHomesTx(ctx, tx, users)
	}
	if _, err := svc.CreateSchedule(ctx, "cli", checkin.ScheduleSpec{Slug: "bench", Name: "Bench", Cron: "0 9 * * *",
		NthWeekday: 1, Weekday: time.Tuesday}); err != nil {
		b.Fatal(err)
	}
	if _, err := svc.RunNow(ctx, "cli", "bench"); err != nil {
		b.Fatal(err)
	}
	// Every prompt posted: each answer queues its DM's update, as in Slack.
	if _, err := st.DB().Exec(`UPDATE checkin_recipients SET state = 'sent', channel_id = 'D' || id,
		message_ts = '1767600000.' || lpad(id::text, 6, '0'), sent_at = now()`); err != nil {
		b.Fatal(err)
	}
	var respondents []struct {
		User   string `db:"slack_user_id"`
		Prompt int64  `db:"prompt_id"`
	}
	if err := st.DB().Select(&respondents, `SELECT p.slack_user_id, rc.prompt_id FROM checkin_recipients rc
		JOIN people p ON p.id = rc.person_id ORDER BY rc.id`); err != nil || len(respondents) != 1000 {
		b.Fatalf("%d respondents (%v)", len(respondents), err)
	}
	const secret = "bench-secret"
	rt := commands.New(st, commands.Options{Now: func() time.Time { return now }, Logger: quiet, Checkins: svc})
	h := slackbot.NewHTTPHandler(slackbot.Config{SigningSecret: secret}, rt, quiet)

	var took []time.Duration
	i := 0
	for b.Loop() {
		r := respondents[i%len(respondents)]
		i++
		payload := answerPayload(r.User, r.Prompt, fmt.Sprintf("Note %d : la cuisine collective avance, le comité logement aussi.", i))
		req := slackfake.SignedRequest(secret, time.Now(), "http://relais/slack/interactions",
			"application/x-www-form-urlencoded", slackfake.InteractionBody(payload))
		w := httptest.NewRecorder()
		start := time.Now()
		h.ServeHTTP(w, req)
		took = append(took, time.Since(start))
		if w.Code != http.StatusOK || w.Body.Len() != 0 {
			b.Fatalf("submission %d: HTTP %d %s", i, w.Code, w.Body)
		}
	}
	slices.Sort(took)
	at := func(q float64) float64 { return float64(took[int(q*float64(len(took)-1))].Microseconds()) / 1000 }
	b.ReportMetric(at(0.50), "p50-ms")
	b.ReportMetric(at(0.99), "p99-ms")
}

// answerPayload is the view_submission of the answer modal, as Slack sends it.
func answerPayload(user string, prompt int64, text string) []byte {
	p, _ := json.Marshal(map[string]any{
		"type": "view_submission", "team": map[string]any{"id": slackfake.TeamID},
		"user": map[string]any{"id": user, "team_id": slackfake.TeamID},
		"view": map[string]any{"id": "V1", "type": "modal", "callback_id": commands.ViewAnswer,
			"private_metadata": fmt.Sprint(prompt),
			"state": map[string]any{"values": map[string]any{
				"q1":         map[string]any{"v": map[string]any{"type": "plain_text_input", "value": text}},
				"conditions": map[string]any{"v": map[string]any{"type": "multi_static_select", "selected_options": []any{map[string]any{"value": "relationships"}}}},
				"visibility": map[string]any{"v": map[string]any{"type": "radio_buttons", "selected_option": map[string]any{"value": "partnership"}}},
			}}},
	})
	return p
}
