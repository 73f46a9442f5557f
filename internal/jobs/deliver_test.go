package jobs

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/riverqueue/river"

	"github.com/pic-montreal/relais/internal/delivery"
	"github.com/pic-montreal/relais/internal/slackfake"
	"github.com/pic-montreal/relais/internal/store"
	"github.com/pic-montreal/relais/internal/testdb"
)

func TestDeliverEachDMOnce(t *testing.T) {
	t.Parallel()
	e := newDeliveryEnv(t)
	j, reg := e.process(e.st, e.unpaced(), nil)
	msgs := dms("1", 40)
	// The same key twice in one call, and again later: queued once.
	e.enqueue(j, append(msgs, msgs[0])...)
	e.enqueue(j, msgs[:5]...)
	e.settled()
	e.exactlyOnce(msgs)
	for _, m := range msgs[:3] {
		d := e.delivery(m.Key)
		if d.Status != store.DeliverySent || d.ChannelID != e.fake.DM(m.To) || d.MessageTS == "" || d.SentAt == nil {
			t.Errorf("%s recorded as %+v, want sent in %s with its ts", m.Key, d, e.fake.DM(m.To))
		}
	}
	m := newMetricsOf(t, reg)
	if v := m.settledValue("relais_deliveries_total", "kind=prompt,outcome=sent", 40); v != 40 {
		t.Errorf("relais_deliveries_total{prompt,sent} = %v, want 40", v)
	}
	if v := m.settledValue("relais_prompts_sent_total", "", 40); v != 40 {
		t.Errorf("relais_prompts_sent_total = %v, want 40", v)
	}
	if n := len(e.fake.Calls("conversations.history")); n != 0 {
		t.Errorf("%d history searches on a clean run, want 0", n)
	}
}

func TestDeliverRecordsTheRecipient(t *testing.T) {
	t.Parallel()
	e := newDeliveryEnv(t)
	tb := e.table("CTABLE", "UALICE")
	j, _ := e.process(e.st, e.unpaced(), nil)
	e.enqueue(j, delivery.Message{Key: "prompt:7:UALICE", Kind: "prompt", To: "UALICE", Fallback: "CTABLE",
		Text: "Bonjour", RecipientID: tb.recipients["UALICE"]})
	e.settled()
	r := e.recipient(tb.recipients["UALICE"])
	posted := e.fake.Posted(e.fake.DM("UALICE"))
	if len(posted) != 1 || r.State != "sent" || r.ChannelID != e.fake.DM("UALICE") || r.MessageTS != posted[0].TS || !r.Sent {
		t.Errorf("recipient %+v, posted %d, want sent in the DM with its ts", r, len(posted))
	}
}

// Over Slack's rate limit, with 429s on demand and posts that Slack stored
// but answered with a 500 or a dropped connection, every message still
// arrives exactly once.
func TestDeliverOnceThroughRateLimitsAndLostAnswers(t *testing.T) {
	t.Parallel()
	for _, mode := range []string{slackfake.FailWith500, slackfake.FailDrop} {
		t.Run(mode, func(t *testing.T) {
			t.Parallel()
			e := newDeliveryEnv(t)
			e.fake.LimitRate("chat.postMessage", 10)
			e.fake.FailNext("chat.postMessage", 3, http.StatusTooManyRequests)
			e.fake.FailAfterStoring("chat.postMessage", 5, mode)
			// Paced above the limit, so the fake's 429s happen too.
			j, reg := e.process(e.st, e.sender(40, -1), nil)
			msgs := dms(mode, 30)
			e.enqueue(j, msgs...)
			e.settled()
			e.exactlyOnce(msgs)
			if n := len(e.fake.Calls("conversations.history")); n < 5 {
				t.Errorf("%d history searches, want one at least per lost answer (5)", n)
			}
			// A lost answer hides the D… id: conversations.open finds it.
			if n := len(e.fake.Calls("conversations.open")); n < 5 {
				t.Errorf("%d conversations.open, want one at least per lost answer (5)", n)
			}
			if v := newMetricsOf(t, reg).value("relais_slack_429_total", "method=chat.postMessage"); v < 3 {
				t.Errorf("relais_slack_429_total = %v, want ≥ 3", v)
			}
			for _, m := range msgs {
				if d := e.delivery(m.Key); d.Status != store.DeliverySent {
					t.Errorf("%s is %s", m.Key, d.Status)
				}
			}
		})
	}
}

// A crash between Slack's answer and our commit: the job runs again, finds
// its post in the history, records it and posts nothing more.
func TestDeliverCrashAfterPostSendsNothingTwice(t *testing.T) {
	t.Parallel()
	e := newDeliveryEnv(t)
	crash := &crashOnceEach{}
	j, _ := e.process(e.st, e.unpaced(), func(c *Config) { c.afterPost = crash.afterPost })
	msgs := dms("crash", 10)
	msgs[9].Fallback, msgs[9].To = "", "CANNOUNCE" // a channel too
	e.enqueue(j, msgs...)
	e.settled()
	e.exactlyOnce(msgs)
	if n := crash.count(); n != 10 {
		t.Errorf("%d posts crashed, want all 10", n)
	}
	d := e.delivery(msgs[9].Key)
	if posted := e.fake.Posted("CANNOUNCE"); len(posted) != 1 || d.MessageTS != posted[0].TS || d.ChannelID != "CANNOUNCE" {
		t.Errorf("channel delivery recorded as %+v, want the one post's ts", d)
	}
	// Slack's answers gave the D… ids: each re-run searched its conversation
	// without asking conversations.open.
	if n := len(e.fake.Calls("conversations.history")); n != 10 {
		t.Errorf("%d history searches, want one per re-run (10)", n)
	}
	if n := len(e.fake.Calls("conversations.open")); n != 0 {
		t.Errorf("%d conversations.open, want none", n)
	}
}

// Two processes on one database deliver each message once.
func TestDeliverTwoProcessesOnce(t *testing.T) {
	t.Parallel()
	e := newDeliveryEnv(t)
	url := testdb.NewURL(t)
	var regs []*prometheus.Registry
	var first *Jobs
	for range 2 {
		st, err := store.Open(context.Background(), url)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		j, reg := e.process(st, e.unpaced(), nil)
		regs = append(regs, reg)
		if first == nil {
			first, e.st = j, st
		}
	}
	msgs := dms("two", 200)
	e.enqueue(first, msgs...)
	e.settled()
	e.exactlyOnce(msgs)
	// Each outcome is counted just after the commit settled() sees.
	var counts []float64
	deadline := time.Now().Add(waitFor)
	for {
		counts = counts[:0]
		for _, reg := range regs {
			counts = append(counts, newMetricsOf(t, reg).value("relais_deliveries_total", "kind=prompt,outcome=sent"))
		}
		if counts[0]+counts[1] == 200 || time.Now().After(deadline) {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	if counts[0]+counts[1] != 200 || counts[0] == 0 || counts[1] == 0 {
		t.Errorf("processes delivered %v, want both a share of 200", counts)
	}
}

func TestDeliverRefusedDMFallsBackToTheTable(t *testing.T) {
	t.Parallel()
	e := newDeliveryEnv(t)
	tb := e.table("CTABLE", "UGONE")
	e.fake.RefuseDM("UGONE", "account_inactive")
	j, reg := e.process(e.st, e.unpaced(), nil)
	msg := delivery.Message{Key: "prompt:8:UGONE", Kind: "prompt", To: "UGONE", Fallback: "CTABLE",
		Text: "Bonjour", RecipientID: tb.recipients["UGONE"]}
	e.enqueue(j, msg)
	e.settled()
	posted := e.fake.Posted("CTABLE")
	if len(posted) != 1 || posted[0].Metadata.Value("key") != msg.Key {
		t.Fatalf("%d posts in the Table's channel, want the prompt once", len(posted))
	}
	r := e.recipient(tb.recipients["UGONE"])
	if r.State != "fallback" || r.ChannelID != "CTABLE" || r.MessageTS != posted[0].TS {
		t.Errorf("recipient %+v, want fallback in CTABLE", r)
	}
	if v := newMetricsOf(t, reg).settledValue("relais_deliveries_total", "kind=prompt,outcome=fallback", 1); v != 1 {
		t.Errorf("fallback count %v, want 1", v)
	}
	if keys := e.alertKeys(); len(keys) != 0 {
		t.Errorf("alerts %q for a prompt the Table's channel received", keys)
	}
}

// Nobody at the Table can be reached: the recipients are unreachable and the
// coordination channel hears it once, not once per recipient or retry.
func TestDeliverUnreachableAlertsOnce(t *testing.T) {
	t.Parallel()
	e := newDeliveryEnv(t)
	tb := e.table("CTABLE", "UGONE", "UBOT")
	e.fake.RefuseDM("UGONE", "user_not_found")
	e.fake.RefuseDM("UBOT", "cannot_dm_bot")
	j, reg := e.process(e.st, e.unpaced(), func(c *Config) { c.CoordinationChannel = "CCOORD" })
	var msgs []delivery.Message
	for _, u := range []string{"UGONE", "UBOT"} {
		msgs = append(msgs, delivery.Message{Key: "prompt:9:" + u, Kind: "prompt", To: u, Text: "Bonjour",
			RecipientID: tb.recipients[u]})
	}
	e.enqueue(j, msgs...)
	e.settled()
	for _, u := range []string{"UGONE", "UBOT"} {
		if r := e.recipient(tb.recipients[u]); r.State != "unreachable" {
			t.Errorf("%s is %s, want unreachable", u, r.State)
		}
	}
	want := fmt.Sprintf("unreachable:prompt:%d", tb.promptID)
	if keys := e.alertKeys(); len(keys) != 1 || keys[0] != want {
		t.Fatalf("alerts %q, want only %s", keys, want)
	}
	posted := e.fake.Posted("CCOORD")
	if len(posted) != 1 {
		t.Fatalf("%d alerts in the coordination channel, want 1", len(posted))
	}
	text := posted[0].Text
	fr, en := strings.Index(text, "Personne à"), strings.Index(text, "Nobody at")
	if fr < 0 || en < fr || !strings.Contains(text, "&lt;!channel&gt;") {
		t.Errorf("alert text %q: want French then English, the Table's name escaped", text)
	}
	m := newMetricsOf(t, reg)
	if v := m.settledValue("relais_deliveries_total", "kind=prompt,outcome=unreachable", 2); v != 2 {
		t.Errorf("unreachable count %v, want 2", v)
	}
	if v := m.settledValue("relais_prompts_failed_total", "", 2); v != 2 {
		t.Errorf("relais_prompts_failed_total = %v, want 2", v)
	}
}

// Slack refuses the message itself: no retry, the delivery fails, each
// active coordinator is told once in their language, and it is counted.
func TestDeliverPermanentFailure(t *testing.T) {
	t.Parallel()
	e := newDeliveryEnv(t)
	e.table("CTABLE")
	j, reg := e.process(e.st, e.unpaced(), nil)
	bad := delivery.Message{Key: "digest:2026-11", Kind: "digest", To: "CPARTNERS", Text: "Condensé",
		Blocks: json.RawMessage(`[{"text":"a block without a type"}]`)}
	e.enqueue(j, bad)
	e.settled()
	d := e.delivery(bad.Key)
	if d.Status != store.DeliveryFailed || !strings.Contains(d.LastError, "invalid_blocks") {
		t.Errorf("delivery %+v, want failed with invalid_blocks", d)
	}
	var tries int
	for _, c := range e.fake.Calls("chat.postMessage") {
		if c.Param("channel") == "CPARTNERS" {
			tries++
		}
	}
	if tries != 1 {
		t.Errorf("%d posts of a message Slack refuses, want 1", tries)
	}
	if keys := e.alertKeys(); len(keys) != 1 || keys[0] != "undeliverable:"+bad.Key {
		t.Errorf("alerts %q", keys)
	}
	en, fr := e.fake.Posted(e.fake.DM("UCOORDEN")), e.fake.Posted(e.fake.DM("UCOORDFR"))
	if len(en) != 1 || !strings.HasPrefix(en[0].Text, "Relais could not") || len(fr) != 1 || !strings.HasPrefix(fr[0].Text, "Relais n'a pas pu") {
		t.Errorf("coordinator DMs: en %v, fr %v; want one each in their language", en, fr)
	}
	if n := len(e.fake.Posted(e.fake.DM("UCOORDOLD"))); n != 0 {
		t.Errorf("an inactive coordinator got %d alerts", n)
	}
	if v := newMetricsOf(t, reg).settledValue("relais_deliveries_total", "kind=digest,outcome=failed", 1); v != 1 {
		t.Errorf("failed count %v, want 1", v)
	}
}

// The Sender's own pacing keeps posts under the fake's limit: no 429 at all,
// and posts in one conversation about a second apart.
func TestDeliverPacingAvoids429(t *testing.T) {
	t.Parallel()
	e := newDeliveryEnv(t)
	const limit = 10
	e.fake.LimitRate("chat.postMessage", limit)
	j, _ := e.process(e.st, e.sender(limit-1, time.Second), nil)
	msgs := dms("paced", 24)
	for i := range 3 {
		msgs = append(msgs, delivery.Message{Key: fmt.Sprintf("reminder:%d", i), Kind: "reminder", To: "CSAME", Text: "Rappel"})
	}
	e.enqueue(j, msgs...)
	e.settled()
	e.exactlyOnce(msgs)
	for _, c := range e.fake.Calls("chat.postMessage") {
		if c.Status == http.StatusTooManyRequests {
			t.Fatalf("a post was answered 429 at %s", c.Time)
		}
	}
	if n := e.fake.MaxInAnyWindow("chat.postMessage", time.Second); n > limit {
		t.Errorf("%d posts in one second, limit %d", n, limit)
	}
	var same []time.Time
	for _, c := range e.fake.Calls("chat.postMessage") {
		if c.Param("channel") == "CSAME" {
			same = append(same, c.Time)
		}
	}
	for i := 1; i < len(same); i++ {
		if gap := same[i].Sub(same[i-1]); gap < 900*time.Millisecond {
			t.Errorf("two posts in one conversation %s apart", gap)
		}
	}
}

// Without a Sender (no bot token) deliveries wait, they do not fail.
func TestDeliveriesWaitWithoutSender(t *testing.T) {
	t.Parallel()
	e := newDeliveryEnv(t)
	ran := make(chan string, 1)
	cfg := testConfig(func(w *river.Workers) { river.AddWorker(w, &recordWorker{ran: ran}) })
	j := started(t, e.st, cfg)
	e.enqueue(j, dms("wait", 2)...)
	// A job of the default queue queued after them runs: the client works,
	// and has had its chance at the deliveries.
	if _, err := j.Client().Insert(context.Background(), recordArgs{Name: "after"}, nil); err != nil {
		t.Fatal(err)
	}
	select {
	case <-ran:
	case <-time.After(waitFor):
		t.Fatal("the default queue did not run")
	}
	var states []string
	if err := e.st.DB().Select(&states, `SELECT state::text FROM river_job WHERE kind = 'deliver'`); err != nil {
		t.Fatal(err)
	}
	if len(states) != 2 || states[0] != "available" || states[1] != "available" {
		t.Errorf("deliver jobs %v, want 2 waiting", states)
	}
	if d := e.delivery("prompt:wait:U0001"); d.Status != store.DeliveryPending || d.Attempts != 0 {
		t.Errorf("delivery %+v, want pending and untried", d)
	}
}

// Slack answers 500 to every attempt: after the last one the delivery fails
// and coordinators hear it once.
func TestDeliverGivesUpAfterMaxAttempts(t *testing.T) {
	t.Parallel()
	e := newDeliveryEnv(t)
	e.fake.FailNext("chat.postMessage", DeliverMaxAttempts, http.StatusInternalServerError)
	j, reg := e.process(e.st, e.unpaced(), func(c *Config) { c.CoordinationChannel = "CCOORD" })
	msg := delivery.Message{Key: "digest:2026-12", Kind: "digest", To: "CPARTNERS", Text: "Condensé"}
	e.enqueue(j, msg)
	e.settled()
	d := e.delivery(msg.Key)
	if d.Status != store.DeliveryFailed || d.Attempts != DeliverMaxAttempts {
		t.Errorf("delivery %+v, want failed after %d attempts", d, DeliverMaxAttempts)
	}
	// Each re-run looked for the post first (it might have been stored).
	if n := len(e.fake.Calls("conversations.history")); n != DeliverMaxAttempts-1 {
		t.Errorf("%d history searches, want %d", n, DeliverMaxAttempts-1)
	}
	if keys := e.alertKeys(); len(keys) != 1 || keys[0] != "undeliverable:"+msg.Key {
		t.Errorf("alerts %q", keys)
	}
	if n := len(e.fake.Posted("CCOORD")); n != 1 {
		t.Errorf("%d alerts posted, want 1", n)
	}
	if v := newMetricsOf(t, reg).settledValue("relais_deliveries_total", "kind=digest,outcome=failed", 1); v != 1 {
		t.Errorf("failed count %v, want 1", v)
	}
}

// An UpdateTS delivery replaces the message everyone in the conversation
// sees, once; a message Slack will not update fails without an alert.
func TestDeliverUpdatesAMessage(t *testing.T) {
	t.Parallel()
	e := newDeliveryEnv(t)
	j, _ := e.process(e.st, e.unpaced(), nil)
	e.enqueue(j, delivery.Message{Key: "prompt:9:UBOB", Kind: "prompt", To: "UBOB", Text: "Avant",
		Blocks: json.RawMessage(`[{"type":"section","text":{"type":"mrkdwn","text":"Avant"}}]`)})
	e.settled()
	dm := e.fake.DM("UBOB")
	posted := e.fake.Posted(dm)
	if len(posted) != 1 {
		t.Fatalf("%d messages in the DM, want 1", len(posted))
	}
	after := json.RawMessage(`[{"type":"section","text":{"type":"mrkdwn","text":"Après"}}]`)
	update := delivery.Message{Key: "prompt-state:9:1", Kind: "prompt_update", To: dm, UpdateTS: posted[0].TS,
		Text: "Après", Blocks: after}
	gone := delivery.Message{Key: "prompt-state:9:2", Kind: "prompt_update", To: dm, UpdateTS: "1.000001",
		Text: "Nulle part"}
	e.enqueue(j, update, gone)
	e.settled()
	now := e.fake.Posted(dm)
	if len(now) != 1 || now[0].Text != "Après" || !strings.Contains(string(now[0].Blocks), "Après") || now[0].Edits != 1 {
		t.Errorf("DM after the update: %+v, want the one message, edited once, saying Après", now)
	}
	if d := e.delivery(update.Key); d.Status != store.DeliverySent {
		t.Errorf("update recorded as %+v", d)
	}
	if d := e.delivery(gone.Key); d.Status != store.DeliveryFailed {
		t.Errorf("update of a missing message recorded as %+v, want failed", d)
	}
	var alerts int
	if err := e.st.DB().Get(&alerts, `SELECT count(*) FROM coordinator_alerts`); err != nil {
		t.Fatal(err)
	}
	if alerts != 0 {
		t.Errorf("%d alerts for a DM update Slack refused, want 0", alerts)
	}
}

// A message with a thread is posted, then each reply in its thread, in
// order, each once, even when every post "crashes" before its commit.
func TestDeliverAThreadInOrderThroughCrashes(t *testing.T) {
	t.Parallel()
	e := newDeliveryEnv(t)
	crash := &crashOnceEach{}
	j, _ := e.process(e.st, e.unpaced(), func(c *Config) { c.afterPost = crash.afterPost })
	parent := delivery.Message{Key: "preview:U1:0", Kind: "digest_preview", To: "UPREVIEW", Text: "Parent"}
	for i := 1; i <= 3; i++ {
		parent.Thread = append(parent.Thread, delivery.Message{Key: fmt.Sprintf("preview:U1:%d", i),
			Kind: "digest_preview", Text: fmt.Sprintf("Partie %d", i)})
	}
	e.enqueue(j, parent)
	dm := e.fake.DM("UPREVIEW")
	threadOf := func() []slackfake.Message {
		for _, m := range e.fake.Posted(dm) {
			if !m.InThread() {
				return e.fake.Thread(dm, m.TS)
			}
		}
		return nil
	}
	eventually(t, "the parent and its three replies", func() bool { return len(threadOf()) == 4 })
	e.settled()
	thread := threadOf()
	for i, want := range []string{"Parent", "Partie 1", "Partie 2", "Partie 3"} {
		if i >= len(thread) || thread[i].Text != want {
			t.Errorf("thread[%d] = %+v, want %q", i, thread, want)
		}
	}
	if n := len(e.fake.Posted(dm)); n != 4 {
		t.Errorf("%d messages in the DM, want the parent and 3 replies", n)
	}
	if n := crash.count(); n != 4 {
		t.Errorf("%d posts crashed, want all 4", n)
	}
}

// crashOnceEach is an afterPost hook that "crashes" each key's first post
// between Slack's answer and the commit.
type crashOnceEach struct {
	mu      sync.Mutex
	crashed map[string]bool
}

func (c *crashOnceEach) afterPost(key string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.crashed[key] {
		return nil
	}
	if c.crashed == nil {
		c.crashed = map[string]bool{}
	}
	c.crashed[key] = true
	return errors.New("crash before the commit")
}

func (c *crashOnceEach) count() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.crashed)
}
