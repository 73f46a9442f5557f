package jobs

import (
	"bytes"
	"context"
	"fmt"
	"image/png"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"github.com/pic-montreal/relais/internal/digest"
	"github.com/pic-montreal/relais/internal/domain"
	"github.com/pic-montreal/relais/internal/slackfake"
	"github.com/pic-montreal/relais/internal/store"
)

const (
	digestChan = "C0DIGEST"
	coordChan  = "C0COORD"
)

// testClock is a clock a test sets.
type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *testClock) now() time.Time  { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *testClock) set(t time.Time) { c.mu.Lock(); defer c.mu.Unlock(); c.t = t }

type digestEnv struct {
	*deliveryEnv
	clock    *testClock
	channels []DigestChannel
	// parts, when set, replaces the digest's content (re-send tests).
	mu    sync.Mutex
	parts []digest.Part
}

func montreal(t *testing.T) *time.Location {
	loc, err := time.LoadLocation("America/Montreal")
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

func newDigestEnv(t *testing.T, channels ...DigestChannel) *digestEnv {
	t.Parallel()
	if len(channels) == 0 {
		channels = []DigestChannel{{Channel: digestChan, Language: domain.French, Audience: digest.Partnership}}
	}
	// Past the posting time of October 2026's digest (no round: Monday
	// 2 November, 9:00).
	clock := &testClock{t: time.Date(2026, 11, 2, 10, 0, 0, 0, montreal(t))}
	return &digestEnv{deliveryEnv: newDeliveryEnv(t), clock: clock, channels: channels}
}

func (e *digestEnv) setParts(n int) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.parts = make([]digest.Part, n)
	for i := range e.parts {
		text := fmt.Sprintf("Condensé, partie %d sur %d", i+1, n)
		e.parts[i] = digest.Part{Text: text, Blocks: []slack.Block{
			slack.NewSectionBlock(slack.NewTextBlockObject(slack.MarkdownType, text, false, false), nil, nil)}}
	}
}

// process is one replica: a jobs client with the digest channels, the
// test's clock and alerts to the coordination channel.
func (e *digestEnv) process() *Jobs {
	j, _ := e.deliveryEnv.process(e.st, e.unpaced(), func(c *Config) {
		c.DigestChannels, c.Now, c.CoordinationChannel = e.channels, e.clock.now, coordChan
		c.digestBuild = func(ctx context.Context, st *store.Store, m digest.Month, a digest.Audience, lang domain.Language) ([]digest.Part, []byte, error) {
			e.mu.Lock()
			parts := e.parts
			e.mu.Unlock()
			if parts == nil {
				return buildDigest(ctx, st, m, a, lang, "")
			}
			chart, _, _, err := digest.Chart(m, nil, lang)
			return parts, chart, err
		}
	})
	return j
}

// tick runs the digest tick of j now, as the periodic job would.
func (e *digestEnv) tick(j *Jobs) {
	e.t.Helper()
	if err := (&digestTickWorker{jobs: j}).Work(context.Background(), nil); err != nil {
		e.t.Fatal(err)
	}
}

func (e *digestEnv) digestOf(month string, channel string) (store.PublishedDigest, bool) {
	e.t.Helper()
	m, err := digest.Parse(month)
	if err != nil {
		e.t.Fatal(err)
	}
	d, err := e.st.PublishedDigestOf(context.Background(), m.First(), channel)
	if err != nil {
		return d, false
	}
	return d, true
}

// waitStatus waits until the digest of month in channel has status (and
// generation gen when > 0) and no publish job is left to run.
func (e *digestEnv) waitStatus(month, channel, status string, gen int) store.PublishedDigest {
	e.t.Helper()
	var d store.PublishedDigest
	e.t.Cleanup(func() {
		if e.t.Failed() {
			var errs []string
			_ = e.st.DB().Select(&errs, `SELECT state::text || ' ' || coalesce(errors::text, '') FROM river_job WHERE kind = 'digest_publish'`)
			var calls []string
			for _, c := range e.fake.Calls("") {
				calls = append(calls, fmt.Sprintf("%s %s %d %s", c.Time.Format("05.000"), c.Method, c.Status, c.Error))
			}
			e.t.Logf("digest %+v; jobs: %v; Slack calls: %v", d, errs, calls)
		}
	})
	// A publish run is a dozen Slack calls and as many short transactions,
	// with retries in between: a loaded machine (-race, parallel tests)
	// needs more than waitFor.
	deadline := time.Now().Add(3 * waitFor)
	for !func() bool {
		var ok bool
		d, ok = e.digestOf(month, channel)
		if !ok || d.Status != status || (gen > 0 && d.Generation != gen) {
			return false
		}
		var n int
		err := e.st.DB().Get(&n, `SELECT count(*) FROM river_job WHERE kind = 'digest_publish'
			AND state NOT IN ('completed', 'cancelled', 'discarded')`)
		return err == nil && n == 0
	}() {
		if time.Now().After(deadline) {
			e.t.Fatalf("digest %s in %s not %s after %s", month, channel, status, 3*waitFor)
		}
		time.Sleep(10 * time.Millisecond)
	}
	return d
}

// digestMessages is what people see of the digest in channel: the parent
// (the one message with a digest parent key), its thread, and the count of
// each digest key across the channel (a count above 1 is a duplicate).
func (e *digestEnv) seen(channel, month string) (thread []slackfake.Message, counts map[string]int) {
	e.t.Helper()
	counts = map[string]int{}
	var parentTS string
	for _, m := range e.fake.Posted(channel) {
		k := m.Metadata.Value("key")
		if !strings.HasPrefix(k, "digest:"+month+":") {
			continue
		}
		counts[k]++
		if strings.HasSuffix(k, ":parent:0") {
			parentTS = m.TS
		}
	}
	if parentTS == "" {
		return nil, counts
	}
	return e.fake.Thread(channel, parentTS), counts
}

func (e *digestEnv) onceEach(counts map[string]int, want int) {
	e.t.Helper()
	if len(counts) != want {
		e.t.Errorf("%d digest messages, want %d: %v", len(counts), want, counts)
	}
	for k, n := range counts {
		if n != 1 {
			e.t.Errorf("%s posted %d times, want once", k, n)
		}
	}
}

// chartFiles are the charts of month's digest shared in channel.
func (e *digestEnv) chartFiles(channel, month string) []slackfake.File {
	var out []slackfake.File
	for _, f := range e.fake.FilesIn(channel) {
		if strings.HasPrefix(f.Name, "relais-digest-"+month+"-") {
			out = append(out, f)
		}
	}
	return out
}

func names(files []slackfake.File) []string {
	out := make([]string, len(files))
	for i, f := range files {
		out[i] = f.Name
	}
	return out
}

func (e *digestEnv) coordinator(ids ...string) {
	e.t.Helper()
	var org int64
	if err := e.st.DB().Get(&org, `INSERT INTO organisations (slug, name, kind) VALUES ('pic', 'PIC', 'regional_partner') RETURNING id`); err != nil {
		e.t.Fatal(err)
	}
	for _, id := range ids {
		if _, err := e.st.DB().Exec(`INSERT INTO people (slack_user_id, display_name, organisation_id, role)
			VALUES ($1, $1, $2, 'coordinator')`, id, org); err != nil {
			e.t.Fatal(err)
		}
	}
}

// alerts are the alert messages posted in the coordination channel.
func (e *digestEnv) alerts() []string {
	var out []string
	for _, m := range e.fake.Posted(coordChan) {
		out = append(out, m.Text)
	}
	return out
}

func TestDigestTwoReplicasPostOnce(t *testing.T) {
	e := newDigestEnv(t)
	a, b := e.process(), e.process()
	var wg sync.WaitGroup
	for _, j := range []*Jobs{a, b, a, b} {
		wg.Go(func() {
			if err := (&digestTickWorker{jobs: j}).Work(context.Background(), nil); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	e.waitStatus("2026-10", digestChan, store.DigestPosted, 1)
	thread, counts := e.seen(digestChan, "2026-10")
	parts := len(thread) - 1 // the chart's message is the other one
	if parts < 2 {
		t.Fatalf("thread of %d messages, want the parent, replies and the chart", len(thread))
	}
	e.onceEach(counts, parts)
	files := e.chartFiles(digestChan, "2026-10")
	if len(files) != 1 {
		t.Fatalf("charts in the channel: %v, want 1", names(files))
	}
	if thread[len(thread)-1].Files == nil || thread[len(thread)-1].ThreadTS != thread[0].TS {
		t.Errorf("the chart is not in the digest's thread: %+v", thread[len(thread)-1])
	}
	cfg, err := png.DecodeConfig(bytes.NewReader(files[0].Bytes))
	if err != nil || cfg.Width != digest.ChartWidth || cfg.Height != digest.ChartHeight {
		t.Errorf("chart: %v, %dx%d, want a %dx%d PNG", err, cfg.Width, cfg.Height, digest.ChartWidth, digest.ChartHeight)
	}
	// September's digest, due more than DigestLateBy ago, is not claimed.
	if _, ok := e.digestOf("2026-09", digestChan); ok {
		t.Error("September's digest claimed, due a month ago")
	}
	// A later tick claims nothing more.
	e.tick(a)
	_, again := e.seen(digestChan, "2026-10")
	e.onceEach(again, parts)
}

func TestDigestSlackFailingThenRecoveringPostsOnce(t *testing.T) {
	e := newDigestEnv(t)
	e.setParts(3)
	// The parent posted but its answer lost (500), a reply limited (429),
	// the chart shared but the connection dropped: each retried, once.
	e.fake.FailAfterStoring("chat.postMessage", 1, slackfake.FailWith500)
	e.fake.FailNext("chat.postMessage", 1, 429)
	e.fake.FailAfterStoring("files.completeUploadExternal", 1, slackfake.FailDrop)
	j := e.process()
	e.tick(j)
	e.waitStatus("2026-10", digestChan, store.DigestPosted, 1)
	thread, counts := e.seen(digestChan, "2026-10")
	e.onceEach(counts, 3)
	if len(thread) != 4 {
		t.Errorf("thread of %d messages, want parent, 2 replies and the chart", len(thread))
	}
	if files := e.chartFiles(digestChan, "2026-10"); len(files) != 1 {
		t.Errorf("charts %v, want 1", names(files))
	}
}

func TestDigestAfterDowntimePostsLateOnce(t *testing.T) {
	e := newDigestEnv(t)
	e.setParts(2)
	loc := montreal(t)
	// A round for October closing Friday 6 November 2026: the digest is due
	// Monday 9, 9:00 (the weekend is quiet).
	var sched int64
	if err := e.st.DB().Get(&sched, `INSERT INTO checkin_schedules (slug, name, cron_spec) VALUES ('m', 'M', '0 9 2 * *') RETURNING id`); err != nil {
		t.Fatal(err)
	}
	closes := time.Date(2026, 11, 6, 17, 0, 0, 0, loc)
	if _, err := e.st.DB().Exec(`INSERT INTO checkin_rounds (schedule_id, scheduled_for, period, opened_at, closes_at, occurrence_key)
		VALUES ($1, $2, '2026-10-01', $2, $3, 'k')`, sched, closes.AddDate(0, 0, -4), closes); err != nil {
		t.Fatal(err)
	}
	due := time.Date(2026, 11, 9, 9, 0, 0, 0, loc)
	if got := digest.DueAt(digest.Month{Year: 2026, Month: time.October}, closes, loc); !got.Equal(due) {
		t.Fatalf("DueAt = %v, want %v", got, due)
	}
	j := e.process()
	e.clock.set(due.Add(-time.Minute))
	e.tick(j)
	if _, ok := e.digestOf("2026-10", digestChan); ok {
		t.Fatal("October's digest claimed before its time")
	}
	// Down from 8:55 to the next day: the first tick after posts it, late.
	e.clock.set(due.Add(26 * time.Hour))
	e.tick(j)
	e.tick(j)
	e.waitStatus("2026-10", digestChan, store.DigestPosted, 1)
	e.tick(j)
	_, counts := e.seen(digestChan, "2026-10")
	e.onceEach(counts, 2)
}

func TestDigestResendWithFewerPartsDeletesTheExtraReply(t *testing.T) {
	e := newDigestEnv(t)
	e.setParts(4)
	j := e.process()
	e.tick(j)
	e.waitStatus("2026-10", digestChan, store.DigestPosted, 1)
	first, _ := e.seen(digestChan, "2026-10")
	if len(first) != 5 {
		t.Fatalf("thread of %d, want parent, 3 replies, chart", len(first))
	}
	e.setParts(2)
	if err := e.st.InTx(context.Background(), "system:test", func(tx *store.Tx) error {
		_, err := j.EnqueueDigestTx(context.Background(), tx, digest.Month{Year: 2026, Month: time.October}, digestChan, true)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	e.waitStatus("2026-10", digestChan, store.DigestPosted, 2)
	thread, counts := e.seen(digestChan, "2026-10")
	e.onceEach(counts, 2)
	if len(thread) != 3 {
		t.Fatalf("thread of %d after the re-send, want parent, 1 reply, chart", len(thread))
	}
	if thread[0].TS != first[0].TS || thread[0].Edits == 0 || !strings.Contains(thread[0].Text, "sur 2") {
		t.Errorf("parent not updated in place: %+v", thread[0])
	}
	if thread[1].TS != first[1].TS || !strings.Contains(thread[1].Text, "partie 2 sur 2") {
		t.Errorf("reply not updated in place: %+v", thread[1])
	}
	files := e.chartFiles(digestChan, "2026-10")
	if len(files) != 1 || !strings.HasSuffix(files[0].Name, "-2.png") || thread[2].Files == nil {
		t.Errorf("charts after the re-send: %v, want the new one only, in the thread", names(files))
	}
	// A send (not a re-send) of a posted digest does nothing.
	if err := e.st.InTx(context.Background(), "system:test", func(tx *store.Tx) error {
		queued, err := j.EnqueueDigestTx(context.Background(), tx, digest.Month{Year: 2026, Month: time.October}, digestChan, false)
		if queued {
			t.Error("a send of a posted digest was queued")
		}
		return err
	}); err != nil {
		t.Fatal(err)
	}
	// A channel that is not configured is refused.
	err := e.st.InTx(context.Background(), "system:test", func(tx *store.Tx) error {
		_, err := j.EnqueueDigestTx(context.Background(), tx, digest.Month{Year: 2026, Month: time.October}, "C0OTHER", true)
		return err
	})
	if err == nil {
		t.Error("a digest to an unconfigured channel was queued")
	}
}

func TestDigestWaitsForRelaisToJoinTheChannel(t *testing.T) {
	e := newDigestEnv(t)
	e.setParts(2)
	e.fake.RefuseChannel(digestChan, "not_in_channel")
	j := e.process()
	e.tick(j)
	eventually(t, "coordinators told how to fix it", func() bool { return len(e.alerts()) == 1 })
	if a := e.alerts()[0]; !strings.Contains(a, "/invite @Relais") || !strings.Contains(a, "not_in_channel") {
		t.Errorf("alert %q does not say how to fix it", a)
	}
	d, _ := e.digestOf("2026-10", digestChan)
	if d.Status != store.DigestPending || !d.WaitingSince.Valid {
		t.Fatalf("digest %+v, want pending, waiting", d)
	}
	eventually(t, "the digest waiting an hour", func() bool {
		var n int
		err := e.st.DB().Get(&n, `SELECT count(*) FROM river_job WHERE kind = 'digest_publish' AND state = 'scheduled'
			AND scheduled_at > now() + interval '50 minutes'`)
		return err == nil && n == 1
	})
	e.fake.Join(digestChan, slackfake.BotUserID)
	if err := j.DigestChannelJoined(context.Background(), digestChan); err != nil {
		t.Fatal(err)
	}
	e.waitStatus("2026-10", digestChan, store.DigestPosted, 1)
	_, counts := e.seen(digestChan, "2026-10")
	e.onceEach(counts, 2)
	if n := len(e.alerts()); n != 1 {
		t.Errorf("%d alerts, want 1", n)
	}
}

func TestCoordinatorsDigestOnlyToCoordinators(t *testing.T) {
	const public, mixed, fine = "C0PUBLIC", "G0MIXED", "G0FINE"
	e := newDigestEnv(t,
		DigestChannel{Channel: public, Language: domain.French, Audience: digest.Coordinators},
		DigestChannel{Channel: mixed, Language: domain.English, Audience: digest.Coordinators},
		DigestChannel{Channel: fine, Language: domain.English, Audience: digest.Coordinators})
	e.setParts(2)
	e.coordinator("UCOORD1", "UCOORD2")
	e.fake.SetMembers(mixed, "UCOORD1", "UPARTNER")
	e.fake.SetMembers(fine, "UCOORD1", "UCOORD2", "UBOT")
	e.fake.SetBot("UBOT")
	j := e.process()
	e.tick(j)
	e.waitStatus("2026-10", public, store.DigestRefused, 1)
	e.waitStatus("2026-10", mixed, store.DigestRefused, 1)
	e.waitStatus("2026-10", fine, store.DigestPosted, 1)
	e.tick(j)
	for _, ch := range []string{public, mixed} {
		if n := len(e.fake.Posted(ch)); n != 0 {
			t.Errorf("%d messages in %s, want none", n, ch)
		}
	}
	_, counts := e.seen(fine, "2026-10")
	e.onceEach(counts, 2)
	eventually(t, "two alerts", func() bool { return len(e.alerts()) >= 2 })
	time.Sleep(100 * time.Millisecond) // a third would be a duplicate
	alerts := e.alerts()
	if len(alerts) != 2 {
		t.Fatalf("alerts %q, want one per refused channel", alerts)
	}
	all := strings.Join(alerts, "\n")
	for _, want := range []string{"public", "<#C0PUBLIC>", "<@UPARTNER>", "<#G0MIXED>"} {
		if !strings.Contains(all, want) {
			t.Errorf("alerts do not say %q: %s", want, all)
		}
	}
	if strings.Contains(all, "UBOT") {
		t.Errorf("a bot was counted as a reader: %s", all)
	}
}

func TestPublishDigestSendsToEveryChannel(t *testing.T) {
	const other = "C0AUTRE"
	e := newDigestEnv(t,
		DigestChannel{Channel: digestChan, Language: domain.French, Audience: digest.Partnership},
		DigestChannel{Channel: other, Language: domain.English, Audience: digest.Partnership})
	e.setParts(2)
	j := e.process()
	if got := j.DigestChannelIDs(); len(got) != 2 || got[0] != digestChan || got[1] != other {
		t.Errorf("DigestChannelIDs = %v", got)
	}
	// Sent by hand before its time: each channel gets it once, and the tick
	// at the posting time claims nothing more.
	e.clock.set(time.Date(2026, 10, 20, 12, 0, 0, 0, montreal(t)))
	queued, err := j.PublishDigest(context.Background(), "slack:UCOORD", digest.Month{Year: 2026, Month: time.October})
	if err != nil || len(queued) != 2 {
		t.Fatalf("PublishDigest = %v, %v", queued, err)
	}
	for _, ch := range []string{digestChan, other} {
		e.waitStatus("2026-10", ch, store.DigestPosted, 1)
	}
	e.clock.set(time.Date(2026, 11, 2, 10, 0, 0, 0, montreal(t)))
	e.tick(j)
	for _, ch := range []string{digestChan, other} {
		_, counts := e.seen(ch, "2026-10")
		e.onceEach(counts, 2)
	}
}

// Seven days without Relais in the channel: the digest is given up, and
// coordinators are told how to send it once they fixed it; it is kept,
// and a send after the fix posts it.
func TestDigestGivenUpAfterSevenDaysIsKept(t *testing.T) {
	e := newDigestEnv(t)
	e.setParts(2)
	e.fake.RefuseChannel(digestChan, "is_archived")
	j := e.process()
	e.tick(j)
	eventually(t, "coordinators told", func() bool { return len(e.alerts()) == 1 })
	eventually(t, "the digest waiting", func() bool {
		d, _ := e.digestOf("2026-10", digestChan)
		var n int
		err := e.st.DB().Get(&n, `SELECT count(*) FROM river_job WHERE kind = 'digest_publish' AND state = 'scheduled'`)
		return d.WaitingSince.Valid && err == nil && n == 1
	})
	e.clock.set(e.clock.now().Add(DigestNoAccessFor + time.Hour))
	// The hourly try, brought forward.
	if err := j.DigestChannelJoined(context.Background(), digestChan); err != nil {
		t.Fatal(err)
	}
	e.waitStatus("2026-10", digestChan, store.DigestFailed, 1)
	eventually(t, "coordinators told it was given up", func() bool { return len(e.alerts()) == 2 })
	if a := e.alerts()[1]; !strings.Contains(a, "7 jours") || !strings.Contains(a, "/pic condensé envoyer 2026-10") {
		t.Errorf("give-up alert %q does not say how to send it again", a)
	}
	e.fake.RefuseChannel(digestChan, "")
	if _, err := j.PublishDigest(context.Background(), "slack:UCOORD", digest.Month{Year: 2026, Month: time.October}); err != nil {
		t.Fatal(err)
	}
	e.waitStatus("2026-10", digestChan, store.DigestPosted, 2)
	_, counts := e.seen(digestChan, "2026-10")
	e.onceEach(counts, 2)
}

// A parent deleted in Slack is posted again on a re-send, and its replies
// and chart with it, in the new thread: not updated in the orphaned one.
func TestDigestResendAfterTheParentWasDeleted(t *testing.T) {
	e := newDigestEnv(t)
	e.setParts(4)
	j := e.process()
	e.tick(j)
	e.waitStatus("2026-10", digestChan, store.DigestPosted, 1)
	first, _ := e.seen(digestChan, "2026-10")
	if len(first) != 5 {
		t.Fatalf("thread of %d, want parent, 3 replies, chart", len(first))
	}
	if err := e.unpaced().DeleteMessage(context.Background(), digestChan, first[0].TS); err != nil {
		t.Fatal(err)
	}
	if err := e.st.InTx(context.Background(), "system:test", func(tx *store.Tx) error {
		_, err := j.EnqueueDigestTx(context.Background(), tx, digest.Month{Year: 2026, Month: time.October}, digestChan, true)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	e.waitStatus("2026-10", digestChan, store.DigestPosted, 2)
	thread, _ := e.seen(digestChan, "2026-10")
	if len(thread) != 5 || thread[0].TS == first[0].TS {
		t.Fatalf("new thread of %d (parent %s, was %s), want a new parent with 3 replies and the chart",
			len(thread), thread[0].TS, first[0].TS)
	}
	if thread[4].Files == nil {
		t.Errorf("the chart is not in the new thread: %+v", thread[4])
	}
}
