package jobs

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/pic-montreal/relais/internal/delivery"
	"github.com/pic-montreal/relais/internal/slackbot"
	"github.com/pic-montreal/relais/internal/slackfake"
	"github.com/pic-montreal/relais/internal/store"
	"github.com/pic-montreal/relais/internal/testdb"
)

// fakeEpoch is where the fake's clock starts. Its message ts come from that
// clock, as Slack's come from the time of posting, so a history search
// "since the delivery was queued" on the same clock finds them.
var fakeEpoch = time.Unix(1700000000, 0)

// epochClock runs at real speed from fakeEpoch: rate windows are real ones.
func epochClock() func() time.Time {
	start := time.Now()
	return func() time.Time { return fakeEpoch.Add(time.Since(start)) }
}

// deliveryEnv is a database, a fake Slack and the pieces of one process.
type deliveryEnv struct {
	t    *testing.T
	st   *store.Store
	fake *slackfake.Server
	now  func() time.Time
}

func newDeliveryEnv(t *testing.T) *deliveryEnv {
	now := epochClock()
	return &deliveryEnv{t: t, st: testdb.New(t), fake: slackfake.New(t, slackfake.Options{Now: now}), now: now}
}

// sender is a Sender on the fake, paced as told.
func (e *deliveryEnv) sender(postRate float64, perConversation time.Duration) *slackbot.Sender {
	return slackbot.NewSender(slackbot.SenderConfig{BotToken: e.fake.BotToken(), APIURL: e.fake.APIURL(),
		PostRate: postRate, PerConversation: perConversation, LookupRate: 1000, Logger: quietLogger()})
}

// unpaced is a Sender that does not pace itself: tests about answers, not
// rates, run fast.
func (e *deliveryEnv) unpaced() *slackbot.Sender { return e.sender(1e6, -1) }

// process starts a jobs client with a Sender on st, stopped when the test ends.
func (e *deliveryEnv) process(st *store.Store, s Sender, tweak func(*Config)) (*Jobs, *prometheus.Registry) {
	reg := prometheus.NewRegistry()
	cfg := testConfig(nil)
	cfg.Sender, cfg.Now, cfg.Registerer = s, e.now, reg
	cfg.retryBase = time.Millisecond
	if tweak != nil {
		tweak(&cfg)
	}
	return started(e.t, st, cfg), reg
}

func (e *deliveryEnv) enqueue(j *Jobs, msgs ...delivery.Message) {
	e.t.Helper()
	ctx := context.Background()
	if err := e.st.InTx(ctx, "system:test", func(tx *store.Tx) error {
		return NewEnqueuer(j).EnqueueTx(ctx, tx, msgs...)
	}); err != nil {
		e.t.Fatal(err)
	}
}

// settled waits until no delivery is pending and no deliver job is left to run.
func (e *deliveryEnv) settled() {
	e.t.Helper()
	eventually(e.t, "every delivery settled and its job finished", func() bool {
		var n int
		err := e.st.DB().Get(&n, `
			SELECT (SELECT count(*) FROM deliveries WHERE status = 'pending')
			     + (SELECT count(*) FROM river_job WHERE kind = 'deliver'
			        AND state NOT IN ('completed', 'cancelled', 'discarded'))`)
		return err == nil && n == 0
	})
}

// dms builds n prompts to users U0001…, keyed "prompt:<run>:<user>".
func dms(run string, n int) []delivery.Message {
	msgs := make([]delivery.Message, n)
	for i := range msgs {
		user := fmt.Sprintf("U%04d", i+1)
		msgs[i] = delivery.Message{Key: "prompt:" + run + ":" + user, Kind: "prompt", To: user,
			Text:   "Bonjour, où en est votre Table ?",
			Blocks: json.RawMessage(`[{"type":"section","text":{"type":"mrkdwn","text":"Bonjour"}}]`)}
	}
	return msgs
}

// exactlyOnce fails unless every message's key was posted exactly once.
func (e *deliveryEnv) exactlyOnce(msgs []delivery.Message) {
	e.t.Helper()
	counts := e.fake.CountByMetadataKey("", "key")
	for _, m := range msgs {
		if counts[m.Key] != 1 {
			e.t.Errorf("%s posted %d times, want once", m.Key, counts[m.Key])
		}
	}
}

func (e *deliveryEnv) delivery(key string) store.Delivery {
	e.t.Helper()
	d, err := e.st.Delivery(context.Background(), key)
	if err != nil {
		e.t.Fatal(err)
	}
	return d
}

// table is a Table de quartier with a channel, a prompt and its recipients
// (one per user), and coordinators.
type table struct {
	promptID   int64
	recipients map[string]int64 // user → checkin_recipients id
}

func (e *deliveryEnv) table(channel string, users ...string) table {
	e.t.Helper()
	db := e.st.DB()
	var q, org, sched, round, prompt int64
	must := func(err error) {
		e.t.Helper()
		if err != nil {
			e.t.Fatal(err)
		}
	}
	must(db.Get(&q, `INSERT INTO quartiers (slug, name, match_key) VALUES ('verdun', 'Verdun', 'verdun') RETURNING id`))
	must(db.Get(&org, `INSERT INTO organisations (slug, name, kind, quartier_id, slack_channel_id)
		VALUES ('table-verdun', 'Concertation <!channel> Verdun', 'table_de_quartier', $1, $2) RETURNING id`, q, channel))
	must(db.Get(&sched, `INSERT INTO checkin_schedules (slug, name, cron_spec) VALUES ('mensuel', 'Mensuel', '0 9 1 * *') RETURNING id`))
	must(db.Get(&round, `INSERT INTO checkin_rounds (schedule_id, scheduled_for, period, closes_at, occurrence_key)
		VALUES ($1, now(), '2026-11-01', now() + interval '10 days', '2026-11-01T09:00 America/Montreal') RETURNING id`, sched))
	must(db.Get(&prompt, `INSERT INTO checkin_prompts (round_id, organisation_id) VALUES ($1, $2) RETURNING id`, round, org))
	tb := table{promptID: prompt, recipients: map[string]int64{}}
	for _, u := range users {
		var person, rec int64
		must(db.Get(&person, `INSERT INTO people (slack_user_id, display_name, organisation_id, role)
			VALUES ($1, $1, $2, 'table_member') RETURNING id`, u, org))
		must(db.Get(&rec, `INSERT INTO checkin_recipients (prompt_id, person_id) VALUES ($1, $2) RETURNING id`, prompt, person))
		tb.recipients[u] = rec
	}
	// Coordinators, for alerts sent as DMs: one English, one with no
	// language (French), one inactive.
	for _, c := range []struct{ id, lang string }{{"UCOORDEN", "en"}, {"UCOORDFR", ""}, {"UCOORDOLD", "fr"}} {
		must(db.Get(&q, `INSERT INTO people (slack_user_id, display_name, organisation_id, role, language, active)
			VALUES ($1, $1, $2, 'coordinator', nullif($3, '')::language_code, $1 <> 'UCOORDOLD') RETURNING id`, c.id, org, c.lang))
	}
	return tb
}

type recipientRow struct {
	State     string `db:"state"`
	ChannelID string `db:"channel_id"`
	MessageTS string `db:"message_ts"`
	Sent      bool   `db:"sent"`
}

func (e *deliveryEnv) recipient(id int64) recipientRow {
	e.t.Helper()
	var r recipientRow
	if err := e.st.DB().Get(&r, `SELECT state::text AS state, coalesce(channel_id, '') AS channel_id,
		coalesce(message_ts, '') AS message_ts, sent_at IS NOT NULL AS sent FROM checkin_recipients WHERE id = $1`, id); err != nil {
		e.t.Fatal(err)
	}
	return r
}

func (e *deliveryEnv) alertKeys() []string {
	e.t.Helper()
	var keys []string
	if err := e.st.DB().Select(&keys, `SELECT key FROM coordinator_alerts ORDER BY key`); err != nil {
		e.t.Fatal(err)
	}
	return keys
}
