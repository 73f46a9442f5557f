package jobs

import (
	"context"
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/pic-montreal/relais/internal/blockkit"
	"github.com/pic-montreal/relais/internal/checkin"
	"github.com/pic-montreal/relais/internal/delivery"
	"github.com/pic-montreal/relais/internal/store"
)

// tableName is the Table deliveryEnv.table creates, as its messages show it.
var tableName = blockkit.Escape("Concertation <!channel> Verdun")

// promptRenderers is what relais serve registers.
var promptRenderers = map[string]Renderer{checkin.RenderPrompt: checkin.PromptRenderer}

// renderedPrompt is a prompt DM to user at tb, written when it is sent.
func renderedPrompt(tb table, user string) delivery.Message {
	return delivery.Message{Key: "prompt:render:" + user, Kind: "prompt", To: user, Fallback: "CTABLE",
		Render: checkin.RenderPrompt, RecipientID: tb.recipients[user]}
}

// sameJSON reports whether two JSON documents say the same thing.
func sameJSON(t *testing.T, a, b []byte) bool {
	t.Helper()
	var x, y any
	if err := json.Unmarshal(a, &x); err != nil {
		t.Fatalf("%s: %v", a, err)
	}
	if err := json.Unmarshal(b, &y); err != nil {
		t.Fatalf("%s: %v", b, err)
	}
	return reflect.DeepEqual(x, y)
}

// A Render message is queued empty and written by the worker when it sends
// it, from its recipient as they are then; its deliveries row then holds
// what was posted.
func TestDeliverRendersAtSendTime(t *testing.T) {
	t.Parallel()
	e := newDeliveryEnv(t)
	tb := e.table("CTABLE", "UALICE")
	if _, err := e.st.DB().Exec(`UPDATE checkin_rounds SET closes_at = '2027-01-19 17:00 America/Montreal'`); err != nil {
		t.Fatal(err)
	}
	m := renderedPrompt(tb, "UALICE")
	// Queued by a process that only queues (the console): nothing rendered.
	queuer, err := New(e.st, testConfig(nil))
	if err != nil {
		t.Fatal(err)
	}
	e.enqueue(queuer, m)
	if d := e.delivery(m.Key); d.Text != "" || d.Blocks != "" || d.Status != store.DeliveryPending {
		t.Fatalf("queued delivery %+v, want pending and empty", d)
	}
	// Alice chooses English before it goes out: she gets it in English.
	if _, err := e.st.DB().Exec(`UPDATE people SET language = 'en' WHERE slack_user_id = 'UALICE'`); err != nil {
		t.Fatal(err)
	}
	e.process(e.st, e.unpaced(), func(c *Config) { c.Renderers = promptRenderers })
	e.settled()

	posted := e.fake.Posted(e.fake.DM("UALICE"))
	if len(posted) != 1 {
		t.Fatalf("%d DMs to UALICE, want 1", len(posted))
	}
	p := posted[0]
	if !strings.Contains(p.Text, tableName) || !strings.Contains(p.Text, "January 19, 2027 at 5 p.m.") {
		t.Errorf("DM text %q: want the Table's name and the deadline, in English", p.Text)
	}
	if !strings.Contains(string(p.Blocks), "January 19, 2027 at 5 p.m.") ||
		!strings.Contains(string(p.Blocks), `"checkin_prompt:`) {
		t.Errorf("DM blocks %s: want the deadline and the prompt's buttons", p.Blocks)
	}
	d := e.delivery(m.Key)
	if d.Status != store.DeliverySent || d.MessageTS != p.TS || d.Text != p.Text || !sameJSON(t, []byte(d.Blocks), p.Blocks) {
		t.Errorf("delivery %+v: want sent, holding the text and blocks posted", d)
	}
	if r := e.recipient(m.RecipientID); r.State != "sent" || r.MessageTS != p.TS {
		t.Errorf("recipient %+v, want sent with the DM's ts", r)
	}
}

// A Render message that can never be written fails at once, without a post,
// and coordinators hear it once.
func TestDeliverUnrenderableFails(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name, code string
		spoil      func(e *deliveryEnv, m *delivery.Message)
		recipient  string // the state of UALICE's row after ("" when gone)
	}{
		{"recipient deleted", "recipient_not_found", func(e *deliveryEnv, m *delivery.Message) {
			if _, err := e.st.DB().Exec(`DELETE FROM checkin_recipients WHERE id = $1`, m.RecipientID); err != nil {
				e.t.Fatal(err)
			}
		}, ""},
		{"recipient missing", "recipient_not_found", func(e *deliveryEnv, m *delivery.Message) { m.RecipientID = 1 << 40 }, "pending"},
		{"unknown renderer", "unknown_renderer", func(e *deliveryEnv, m *delivery.Message) { m.Render = "checkin.nope" }, "failed"},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			e := newDeliveryEnv(t)
			tb := e.table("CTABLE", "UALICE")
			m := renderedPrompt(tb, "UALICE")
			c.spoil(e, &m)
			j, reg := e.process(e.st, e.unpaced(), func(c *Config) { c.Renderers = promptRenderers })
			e.enqueue(j, m)
			e.settled()
			d := e.delivery(m.Key)
			if d.Status != store.DeliveryFailed || !strings.Contains(d.LastError, c.code) || d.Attempts != 0 {
				t.Errorf("delivery %+v, want failed with %s, never attempted", d, c.code)
			}
			var attempts []int
			if err := e.st.DB().Select(&attempts, `SELECT attempt FROM river_job WHERE kind = 'deliver' AND args->>'key' = $1`, m.Key); err != nil {
				t.Fatal(err)
			}
			if len(attempts) != 1 || attempts[0] != 1 {
				t.Errorf("job attempts %v, want one run, no retry", attempts)
			}
			if n := len(e.fake.Posted(e.fake.DM("UALICE"))) + len(e.fake.Posted("CTABLE")); n != 0 {
				t.Errorf("%d posts of a message that cannot be written", n)
			}
			if keys := e.alertKeys(); len(keys) != 1 || keys[0] != "undeliverable:"+m.Key {
				t.Errorf("alerts %q, want undeliverable:%s once", keys, m.Key)
			}
			en := e.fake.Posted(e.fake.DM("UCOORDEN"))
			if len(en) != 1 || !strings.Contains(en[0].Text, c.code) {
				t.Errorf("coordinator DMs %v, want one naming %s", en, c.code)
			}
			if v := newMetricsOf(t, reg).settledValue("relais_deliveries_total", "kind=prompt,outcome=failed", 1); v != 1 {
				t.Errorf("failed count %v, want 1", v)
			}
			if c.recipient != "" {
				if r := e.recipient(tb.recipients["UALICE"]); r.State != c.recipient {
					t.Errorf("UALICE's recipient row is %s, want %s", r.State, c.recipient)
				}
			}
		})
	}
}

// A renderer's passing error (the database) is retried, then the message
// goes out once.
func TestDeliverRenderErrorIsRetried(t *testing.T) {
	t.Parallel()
	e := newDeliveryEnv(t)
	tb := e.table("CTABLE", "UALICE")
	var calls atomic.Int32
	flaky := func(ctx context.Context, st *store.Store, id int64) (string, json.RawMessage, error) {
		if calls.Add(1) == 1 {
			return "", nil, errors.New("connection reset")
		}
		return checkin.PromptRenderer(ctx, st, id)
	}
	j, _ := e.process(e.st, e.unpaced(), func(c *Config) { c.Renderers = map[string]Renderer{checkin.RenderPrompt: flaky} })
	m := renderedPrompt(tb, "UALICE")
	e.enqueue(j, m)
	e.settled()
	if d := e.delivery(m.Key); d.Status != store.DeliverySent || !strings.Contains(d.Text, tableName) {
		t.Errorf("delivery %+v, want sent after a retry", d)
	}
	if n := calls.Load(); n != 2 {
		t.Errorf("rendered %d times, want 2", n)
	}
	if n := len(e.fake.Posted(e.fake.DM("UALICE"))); n != 1 {
		t.Errorf("%d DMs, want 1", n)
	}
	if keys := e.alertKeys(); len(keys) != 0 {
		t.Errorf("alerts %q for a passing error", keys)
	}
}
