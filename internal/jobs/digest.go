package jobs

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverdatabasesql"
	"github.com/riverqueue/river/rivertype"

	"github.com/pic-montreal/relais/internal/blockkit"
	"github.com/pic-montreal/relais/internal/delivery"
	"github.com/pic-montreal/relais/internal/digest"
	"github.com/pic-montreal/relais/internal/domain"
	"github.com/pic-montreal/relais/internal/i18n"
	"github.com/pic-montreal/relais/internal/slackbot"
	"github.com/pic-montreal/relais/internal/store"
)

// Publishing the monthly digest: a tick claims each (month, channel) due, a
// publish job posts it once (parent, thread replies, chart) and records each
// message, so retries, replicas and re-sends never post twice.

// Digest publishing timings.
const (
	// DigestTickEvery is how often the due digests are looked for.
	DigestTickEvery = 5 * time.Minute
	// DigestNoAccessRetry is how often a digest Relais may not post (it is
	// not in the channel) is tried again, for DigestNoAccessFor.
	DigestNoAccessRetry = time.Hour
	DigestNoAccessFor   = 7 * 24 * time.Hour
	// digestLookBack is how many months before the current one the tick
	// considers, and DigestLateBy how late it still claims a digest: one due
	// during a downtime goes out late, but a first deployment does not post
	// last season's digests (a coordinator can still send one).
	digestLookBack = 2
	DigestLateBy   = 28 * 24 * time.Hour
	// DigestMaxAttempts bounds the retries of errors (not of snoozes).
	DigestMaxAttempts = 12
)

// DigestChannel is one channel that receives the monthly digest
// (RELAIS_DIGEST_CHANNELS).
type DigestChannel struct {
	Channel  string
	Language domain.Language
	Audience digest.Audience
}

// DigestSender is what publishing needs of Slack (*slackbot.Sender).
type DigestSender interface {
	PostMessage(ctx context.Context, channel, text string, blocks json.RawMessage, threadTS, key string) (string, string, error)
	UpdateMessage(ctx context.Context, channel, ts, text string, blocks json.RawMessage) error
	DeleteMessage(ctx context.Context, channel, ts string) error
	FindPosted(ctx context.Context, channel, key string, since time.Time) (string, bool, error)
	FindPostedInThread(ctx context.Context, channel, threadTS, key string, since time.Time) (string, bool, error)
	UploadFile(ctx context.Context, channel, threadTS, filename, title string, data []byte) (string, error)
	FindFileInThread(ctx context.Context, channel, threadTS, filename string, since time.Time) (string, string, bool, error)
	ConversationInfo(ctx context.Context, channel string) (slackbot.ConversationInfo, error)
	ConversationMembers(ctx context.Context, channel string) ([]string, error)
	UserIsBot(ctx context.Context, user string) (bool, error)
	Permalink(ctx context.Context, channel, ts string) (string, error)
}

// ErrDigestChannel is a channel RELAIS_DIGEST_CHANNELS does not list.
var ErrDigestChannel = fmt.Errorf("not a digest channel (RELAIS_DIGEST_CHANNELS): %w", domain.ErrInvalid)

// DigestTickArgs asks to claim the digests now due. It carries no time: what
// is due is read from the database and the clock.
type DigestTickArgs struct{}

// Kind names the job in river_job.
func (DigestTickArgs) Kind() string { return "digest_tick" }

// InsertOpts: not retried (the next tick is the retry), never piled up.
func (DigestTickArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{MaxAttempts: 1, UniqueOpts: river.UniqueOpts{ByPeriod: DigestTickEvery}}
}

// DigestPublishArgs publishes one digests row (one month, one channel) as
// its generation says.
type DigestPublishArgs struct {
	DigestID int64 `json:"digest_id" river:"unique"`
}

// Kind names the job in river_job.
func (DigestPublishArgs) Kind() string { return "digest_publish" }

// InsertOpts: in the delivery queue (it needs the Sender); one job at a
// time per digest, a later one allowed once it completed (a re-send).
func (DigestPublishArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: DeliveryQueue, MaxAttempts: DigestMaxAttempts, UniqueOpts: river.UniqueOpts{
		ByArgs: true,
		ByState: []rivertype.JobState{rivertype.JobStateAvailable, rivertype.JobStatePending,
			rivertype.JobStateRetryable, rivertype.JobStateRunning, rivertype.JobStateScheduled},
	}}
}

// DigestChannels are the configured digest channels.
func (j *Jobs) DigestChannels() []DigestChannel { return slices.Clone(j.digestChannels) }

func (j *Jobs) digestChannel(channel string) (DigestChannel, bool) {
	for _, c := range j.digestChannels {
		if c.Channel == channel {
			return c, true
		}
	}
	return DigestChannel{}, false
}

// EnqueueDigestTx queues the publishing of month's digest to channel (a
// configured digest channel) in tx: it runs only if tx commits. Without
// resend, a digest that exists already (posted, refused or on its way) is
// left alone and queued is false. With resend (a coordinator's explicit
// action), the digest is brought to a new generation: its messages are
// updated in place, thread replies posted or deleted as the number of parts
// changed, the chart replaced; never posted twice.
func (j *Jobs) EnqueueDigestTx(ctx context.Context, tx *store.Tx, month digest.Month, channel string, resend bool) (queued bool, err error) {
	c, ok := j.digestChannel(channel)
	if !ok {
		return false, fmt.Errorf("digest %s to %s: %w", month, channel, ErrDigestChannel)
	}
	claim := store.DigestClaim{Period: month.First(), Channel: c.Channel, Audience: string(c.Audience),
		Language: c.Language, DueAt: j.now()}
	var id int64
	if resend {
		if id, err = tx.RequestDigestResend(ctx, claim); err != nil {
			return false, err
		}
	} else {
		var fresh bool
		if id, fresh, err = tx.ClaimDigest(ctx, claim); err != nil || !fresh {
			return false, err
		}
	}
	// A job already waiting (unique) reads the new generation when it runs.
	if _, err := j.InsertTx(ctx, tx.SQL(), DigestPublishArgs{DigestID: id}, nil); err != nil {
		return false, err
	}
	return true, nil
}

// DigestChannelJoined runs the digests waiting for Relais to join channel
// now, instead of at their next hourly try (member_joined_channel).
func (j *Jobs) DigestChannelJoined(ctx context.Context, channel string) error {
	ids, err := j.store.WaitingDigests(ctx, channel)
	if err != nil || len(ids) == 0 {
		return err
	}
	var jobIDs []int64
	err = j.store.DB().SelectContext(ctx, &jobIDs, `
		SELECT id FROM river_job WHERE kind = $1 AND state IN ('scheduled', 'retryable')
		AND (args->>'digest_id')::bigint = ANY($2)`, DigestPublishArgs{}.Kind(), int64Array(ids))
	if err != nil {
		return fmt.Errorf("digest jobs of %s: %w", channel, err)
	}
	for _, id := range jobIDs {
		if _, err := j.client.JobRetry(ctx, id); err != nil {
			return fmt.Errorf("run digest job %d now: %w", id, err)
		}
	}
	return nil
}

// int64Array is ids as a PostgreSQL array literal, for ANY($n).
func int64Array(ids []int64) string {
	parts := make([]string, len(ids))
	for i, id := range ids {
		parts[i] = fmt.Sprint(id)
	}
	return "{" + strings.Join(parts, ",") + "}"
}

// digestTickWorker claims, for each configured channel, the digests due and
// not yet claimed, each with its publish job in the same transaction.
type digestTickWorker struct {
	river.WorkerDefaults[DigestTickArgs]
	jobs *Jobs
}

func (w *digestTickWorker) Work(ctx context.Context, _ *river.Job[DigestTickArgs]) error {
	j := w.jobs
	now := j.now().In(j.timezone)
	month := digest.MonthOf(now)
	var errs []error
	for range digestLookBack {
		month = month.Prev()
		closes, found, err := j.store.RoundClosing(ctx, month.First())
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if !found {
			closes = time.Time{}
		}
		due := digest.DueAt(month, closes, j.timezone)
		if due.After(now) || now.Sub(due) > DigestLateBy {
			continue
		}
		for _, c := range j.digestChannels {
			err := j.store.InTx(ctx, store.DigestActor, func(tx *store.Tx) error {
				id, fresh, err := tx.ClaimDigest(ctx, store.DigestClaim{Period: month.First(), Channel: c.Channel,
					Audience: string(c.Audience), Language: c.Language, DueAt: due})
				if err != nil || !fresh {
					return err
				}
				_, err = j.InsertTx(ctx, tx.SQL(), DigestPublishArgs{DigestID: id}, nil)
				return err
			})
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// digestWorker publishes one digest.
type digestWorker struct {
	river.WorkerDefaults[DigestPublishArgs]
	store  *store.Store
	sender DigestSender
	alerts delivery.Alerter
	now    func() time.Time
	logger *slog.Logger
	// build is the digest's content and chart (digest.Build and
	// digest.Chart); tests may replace it.
	build func(ctx context.Context, st *store.Store, m digest.Month, a digest.Audience, lang domain.Language) ([]digest.Part, []byte, error)
	// retryBase is the first backoff.
	retryBase time.Duration
	// building lets one digest be built at a time in a process: on 1,000
	// quartiers a build holds tens of MB, and one per channel at once would
	// add them up (relais serve stays under 80 MB).
	building sync.Mutex
}

// buildDigest renders month m's digest for a in lang, and its chart.
func buildDigest(ctx context.Context, st *store.Store, m digest.Month, a digest.Audience, lang domain.Language, previous string) ([]digest.Part, []byte, error) {
	d, err := digest.Build(ctx, st, m, a)
	if err != nil {
		return nil, nil, err
	}
	d.PreviousPermalink = previous
	rows, err := st.FundingPerResident(ctx, m.First(), m.Last())
	if err != nil {
		return nil, nil, err
	}
	png, _, _, err := digest.Chart(m, rows, lang)
	if err != nil {
		return nil, nil, err
	}
	return digest.Messages(d, lang), png, nil
}

// Timeout returns 0: the client's job timeout applies; a digest is a few
// posts, paced at one a second in its channel.
func (w *digestWorker) Timeout(*river.Job[DigestPublishArgs]) time.Duration { return 0 }

// NextRetry backs off as the deliver worker does (attempt⁴ × retryBase).
func (w *digestWorker) NextRetry(job *river.Job[DigestPublishArgs]) time.Time {
	a := float64(job.Attempt)
	return time.Now().Add(min(time.Duration(a*a*a*a*float64(w.retryBase)), maxRetryWait))
}

func (w *digestWorker) Work(ctx context.Context, job *river.Job[DigestPublishArgs]) error {
	if w.sender == nil {
		return errors.New("digest: the Sender cannot upload files or read channels")
	}
	// A re-send requested while this job ran found it unique and queued
	// nothing: publish until the generation read is the one recorded.
	for range 3 {
		d, err := w.store.PublishedDigestByID(ctx, job.Args.DigestID)
		if errors.Is(err, domain.ErrNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		if d.Status != store.DigestPending {
			return nil
		}
		done, err := w.publish(ctx, job, d)
		if err != nil || done {
			return err
		}
	}
	return errors.New("digest re-sent three times during one run: trying again")
}

// publish brings d to Slack as its generation says; done is true once the
// job is complete (posted, refused or given up).
func (w *digestWorker) publish(ctx context.Context, job *river.Job[DigestPublishArgs], d store.PublishedDigest) (bool, error) {
	month := digest.MonthOf(d.Period)
	audience := digest.Audience(d.Audience)
	if audience == digest.Coordinators {
		why, err := w.unfitReaders(ctx, d.Channel)
		if err != nil {
			return w.slackFailed(ctx, job, d, err)
		}
		if why != nil {
			alert := digestAlert(d, "refused:"+why.code, why.key, month, why.extra...)
			return w.settle(ctx, job, d, store.DigestRefused, "refused: "+why.code, &alert)
		}
	}
	previous := ""
	if ts, found, err := w.store.DigestParentTS(ctx, month.Prev().First(), d.Channel); err != nil {
		return false, err
	} else if found {
		// A permalink Slack will not give is no reason to hold the digest.
		if link, err := w.sender.Permalink(ctx, d.Channel, ts); err == nil {
			previous = link
		}
	}
	w.building.Lock()
	parts, png, err := w.render(ctx, month, audience, d.Language, previous)
	w.building.Unlock()
	if err != nil {
		return false, err
	}
	existing, err := w.store.DigestMessages(ctx, d.ID)
	if err != nil {
		return false, err
	}
	rows := map[string]*store.DigestMessage{}
	for i := range existing {
		rows[existing[i].Kind+":"+fmt.Sprint(existing[i].Part)] = &existing[i]
	}
	parentTS, err := w.put(ctx, d, store.DigestParent, 0, parts[0], "", rows["parent:0"])
	if err != nil {
		return w.slackFailed(ctx, job, d, err)
	}
	if old := rows["parent:0"]; old != nil && old.TS.Valid && old.TS.String != parentTS {
		// The parent was deleted in Slack and posted again: its replies and
		// chart stayed under the old one. Post them anew in the new thread.
		if err := w.store.InTx(ctx, store.DigestActor, func(tx *store.Tx) error {
			for _, r := range existing {
				if r.Kind != store.DigestParent {
					if err := tx.DeleteDigestMessage(ctx, d.ID, r.Kind, r.Part); err != nil {
						return err
					}
				}
			}
			return nil
		}); err != nil {
			return false, err
		}
		rows = map[string]*store.DigestMessage{}
	}
	for i := 1; i < len(parts); i++ {
		if outOfTime(ctx) {
			// A long digest (1,000 quartiers) at one post a second in its
			// channel outlasts a job's timeout: what is posted is recorded,
			// the next run goes on from there, without counting an attempt.
			return true, river.JobSnooze(time.Millisecond)
		}
		if _, err := w.put(ctx, d, store.DigestReply, i, parts[i], parentTS, rows[fmt.Sprintf("reply:%d", i)]); err != nil {
			return w.slackFailed(ctx, job, d, err)
		}
	}
	// Fewer parts than last time: the extra replies go.
	for _, m := range existing {
		if m.Kind != store.DigestReply || m.Part < len(parts) {
			continue
		}
		if m.TS.Valid {
			if err := w.sender.DeleteMessage(ctx, m.Channel, m.TS.String); err != nil {
				return w.slackFailed(ctx, job, d, err)
			}
		}
		if err := w.store.InTx(ctx, store.DigestActor, func(tx *store.Tx) error {
			return tx.DeleteDigestMessage(ctx, d.ID, m.Kind, m.Part)
		}); err != nil {
			return false, err
		}
	}
	if err := w.chart(ctx, d, month, parentTS, png, rows["chart:0"], job.Attempt); err != nil {
		return w.slackFailed(ctx, job, d, err)
	}
	return w.settlePosted(ctx, job, d)
}

func (w *digestWorker) render(ctx context.Context, m digest.Month, a digest.Audience, lang domain.Language, previous string) ([]digest.Part, []byte, error) {
	if w.build != nil {
		return w.build(ctx, w.store, m, a, lang)
	}
	return buildDigest(ctx, w.store, m, a, lang, previous)
}

// digestKey is the metadata key of one of a digest's messages: the same for
// every generation, since a re-send updates that very message.
func digestKey(d store.PublishedDigest, kind string, part int) string {
	return fmt.Sprintf("digest:%s:%s:%s:%d", digest.MonthOf(d.Period), d.Channel, kind, part)
}

// chartName is the chart's file name, what a retry looks for in the thread:
// one per generation, so a re-send's chart is told from the one it replaces.
func chartName(d store.PublishedDigest) string {
	return fmt.Sprintf("relais-digest-%s-%s-%d.png", digest.MonthOf(d.Period), d.Channel, d.Generation)
}

// put brings one message to d's generation: updated in place when posted
// before, looked for when an earlier attempt's outcome is unknown, posted
// (once) otherwise. It returns the message's ts.
func (w *digestWorker) put(ctx context.Context, d store.PublishedDigest, kind string, part int, p digest.Part, threadTS string, row *store.DigestMessage) (string, error) {
	key := digestKey(d, kind, part)
	blocks, err := json.Marshal(p.Blocks)
	if err != nil {
		return "", &slackbot.PermanentError{Code: "unencodable_blocks"}
	}
	rec := store.DigestMessage{DigestID: d.ID, Kind: kind, Part: part, Channel: d.Channel, Key: key, Generation: d.Generation}
	if row != nil && row.TS.Valid {
		if row.Generation == d.Generation {
			return row.TS.String, nil
		}
		err := w.sender.UpdateMessage(ctx, d.Channel, row.TS.String, p.Text, blocks)
		var permanent *slackbot.PermanentError
		switch {
		case err == nil:
			rec.TS = row.TS
			return row.TS.String, w.mark(ctx, rec)
		case errors.As(err, &permanent) && (permanent.Code == "message_not_found" || permanent.Code == "cant_update_message"):
			// Deleted in Slack meanwhile: post it again.
			if err := w.store.InTx(ctx, store.DigestActor, func(tx *store.Tx) error {
				return tx.DeleteDigestMessage(ctx, d.ID, kind, part)
			}); err != nil {
				return "", err
			}
		default:
			return "", err
		}
	} else if row != nil && row.Attempted {
		var ts string
		var found bool
		if threadTS == "" {
			ts, found, err = w.sender.FindPosted(ctx, d.Channel, key, time.Time{})
		} else {
			ts, found, err = w.sender.FindPostedInThread(ctx, d.Channel, threadTS, key, time.Time{})
		}
		if err != nil {
			return "", err
		}
		if found {
			// Posted by the attempt whose answer was lost; bring it up to date.
			rec.TS.String, rec.TS.Valid = ts, true
			if err := w.sender.UpdateMessage(ctx, d.Channel, ts, p.Text, blocks); err != nil {
				return "", err
			}
			return ts, w.mark(ctx, rec)
		}
	}
	var pending bool
	if err := w.store.InTx(ctx, store.DigestActor, func(tx *store.Tx) (err error) {
		pending, err = tx.RecordDigestAttempt(ctx, rec)
		return err
	}); err != nil {
		return "", err
	}
	if !pending {
		return "", errors.New("digest message recorded meanwhile by another run: trying again")
	}
	_, ts, err := w.sender.PostMessage(ctx, d.Channel, p.Text, blocks, threadTS, key)
	if err != nil {
		if surelyNotPosted(err) {
			w.forget(ctx, d.ID, kind, part, err)
		}
		return "", err
	}
	rec.TS.String, rec.TS.Valid = ts, true
	return ts, w.mark(ctx, rec)
}

// digestRunMargin is the time a publish run keeps before its deadline: a
// post and its record fit in it.
const digestRunMargin = 20 * time.Second

// outOfTime reports that the run's deadline is near: better to stop
// between two posts than to be cancelled in the middle of one.
func outOfTime(ctx context.Context) bool {
	deadline, ok := ctx.Deadline()
	return ok && time.Until(deadline) < digestRunMargin
}

// surelyNotPosted: Slack did not act on the call.
func surelyNotPosted(err error) bool {
	var limited *slackbot.RateLimitedError
	var notSent *slackbot.NotSentError
	var refused *slackbot.RefusedError
	var permanent *slackbot.PermanentError
	return errors.As(err, &limited) || errors.As(err, &notSent) || errors.As(err, &refused) || errors.As(err, &permanent)
}

func (w *digestWorker) mark(ctx context.Context, m store.DigestMessage) error {
	ctx, cancel := settleContext(ctx)
	defer cancel()
	now := w.now()
	return w.store.InTx(ctx, store.DigestActor, func(tx *store.Tx) error { return tx.MarkDigestMessage(ctx, m, now) })
}

func (w *digestWorker) forget(ctx context.Context, id int64, kind string, part int, cause error) {
	if err := w.store.InTx(ctx, store.DigestActor, func(tx *store.Tx) error {
		return tx.ForgetDigestAttempt(ctx, id, kind, part)
	}); err != nil {
		w.logger.Warn("digest: could not take back an attempt", "digest", id, "cause", cause, "error", err)
	}
}

// chart uploads the chart in the parent's thread once per generation: an
// older generation's file message is deleted first; an upload of unknown
// outcome is looked for in the thread before uploading again.
func (w *digestWorker) chart(ctx context.Context, d store.PublishedDigest, m digest.Month, parentTS string, png []byte, row *store.DigestMessage, attempt int) error {
	name := chartName(d)
	rec := store.DigestMessage{DigestID: d.ID, Kind: store.DigestChart, Part: 0, Channel: d.Channel, Key: name, Generation: d.Generation}
	if row != nil && row.Generation == d.Generation && (row.TS.Valid || row.FileID.Valid) {
		return nil
	}
	if row != nil && row.Generation != d.Generation {
		// An older generation's chart, posted or only attempted: found by
		// its own name and deleted before the new one goes up, so the thread
		// never shows two.
		ts := row.TS.String
		if ts == "" {
			found, err := false, error(nil)
			if ts, _, found, err = w.sender.FindFileInThread(ctx, d.Channel, parentTS, row.Key, time.Time{}); err != nil {
				return err
			} else if !found {
				ts = ""
			}
		}
		if ts != "" {
			if err := w.sender.DeleteMessage(ctx, d.Channel, ts); err != nil {
				return err
			}
		}
		if err := w.store.InTx(ctx, store.DigestActor, func(tx *store.Tx) error {
			return tx.DeleteDigestMessage(ctx, d.ID, store.DigestChart, 0)
		}); err != nil {
			return err
		}
		row = nil
	}
	if row != nil && row.Attempted {
		ts, fileID, found, err := w.sender.FindFileInThread(ctx, d.Channel, parentTS, name, time.Time{})
		if err != nil {
			return err
		}
		if found {
			rec.TS.String, rec.TS.Valid = ts, true
			rec.FileID.String, rec.FileID.Valid = fileID, true
			return w.mark(ctx, rec)
		}
		if attempt < chartSearches {
			// Slack shares an uploaded file in its thread asynchronously: a
			// search just after an uncertain upload may miss it. Look again
			// after the job's backoff before uploading a second one.
			return errChartNotSeenYet
		}
	}
	var pending bool
	if err := w.store.InTx(ctx, store.DigestActor, func(tx *store.Tx) (err error) {
		pending, err = tx.RecordDigestAttempt(ctx, rec)
		return err
	}); err != nil {
		return err
	}
	if !pending {
		return errors.New("digest chart recorded meanwhile by another run: trying again")
	}
	title := i18n.T(d.Language, "digest.publish.chart_title", i18n.Month(d.Language, m.Year, int(m.Month)))
	fileID, err := w.sender.UploadFile(ctx, d.Channel, parentTS, name, title, png)
	if err != nil {
		if surelyNotPosted(err) {
			w.forget(ctx, d.ID, store.DigestChart, 0, err)
		}
		return err
	}
	rec.FileID.String, rec.FileID.Valid = fileID, true
	// The file message's ts, for a re-send to delete it; Slack's answer does
	// not give it. Not found yet is fine: the re-send looks by name.
	if ts, _, found, err := w.sender.FindFileInThread(ctx, d.Channel, parentTS, name, time.Time{}); err == nil && found {
		rec.TS.String, rec.TS.Valid = ts, true
	}
	return w.mark(ctx, rec)
}

// chartSearches is how many runs look for an uncertain upload in the
// thread before uploading again: with the backoff between runs (attempt⁴
// seconds), Slack has had over 15 s to share it.
const chartSearches = 3

var errChartNotSeenYet = errors.New("digest chart: an uncertain upload is not in the thread yet; looking again")

// readersProblem is why a coordinators' digest may not go to a channel:
// a code for the record, the alert's catalog key and its own arguments.
type readersProblem struct {
	code, key string
	extra     []string
}

// unfitReaders checks, at posting time, that a coordinators' digest goes to
// a private channel whose members (bots aside) are all active coordinators.
func (w *digestWorker) unfitReaders(ctx context.Context, channel string) (*readersProblem, error) {
	info, err := w.sender.ConversationInfo(ctx, channel)
	if err != nil {
		return nil, err
	}
	if !info.IsPrivate {
		return &readersProblem{code: "public_channel", key: "digest.publish.alert.public"}, nil
	}
	members, err := w.sender.ConversationMembers(ctx, channel)
	if err != nil {
		return nil, err
	}
	coordinators, err := w.store.ActiveCoordinators(ctx)
	if err != nil {
		return nil, err
	}
	isCoordinator := map[string]bool{}
	for _, c := range coordinators {
		isCoordinator[c.SlackUserID] = true
	}
	var others []string
	for _, m := range members {
		if isCoordinator[m] {
			continue
		}
		bot, err := w.sender.UserIsBot(ctx, m)
		var permanent *slackbot.PermanentError
		var refused *slackbot.RefusedError
		switch {
		case errors.As(err, &permanent), errors.As(err, &refused):
			bot = false // unknown to Slack's users.info: not known to be a bot
		case err != nil:
			return nil, err
		}
		if !bot {
			others = append(others, m)
		}
	}
	if len(others) == 0 {
		return nil, nil
	}
	mentions := make([]string, len(others))
	for i, u := range others {
		mentions[i] = "<@" + blockkit.Escape(u) + ">"
	}
	return &readersProblem{code: "members_not_coordinators", key: "digest.publish.alert.members",
		extra: []string{strings.Join(mentions, ", ")}}, nil
}

// settle records d's outcome and completes the job in one transaction, with
// the alert (once per digest, generation and outcome) when there is one.
// A re-send that raised the generation meanwhile wins: nothing is settled
// and done is false, so the run publishes again.
func (w *digestWorker) settle(ctx context.Context, job *river.Job[DigestPublishArgs], d store.PublishedDigest, status, why string, alert *delivery.Alert) (done bool, err error) {
	ctx, cancel := settleContext(ctx)
	defer cancel()
	now := w.now()
	err = w.store.InTx(ctx, store.DigestActor, func(tx *store.Tx) error {
		if current, err := tx.LockDigestGeneration(ctx, d.ID); err != nil || current != d.Generation {
			return err
		}
		done = true
		if err := tx.SetDigestStatus(ctx, d.ID, status, why, nil, now); err != nil {
			return err
		}
		if alert != nil {
			if err := w.alerts.RaiseTx(ctx, tx, *alert); err != nil {
				return err
			}
		}
		return completeDigestTx(ctx, tx, job)
	})
	if err == nil && done && status != store.DigestPosted {
		w.logger.Warn("digest not posted", "digest", d.ID, "channel", d.Channel, "status", status, "why", why)
	}
	return done, err
}

// settlePosted completes the job unless a re-send raised the generation
// meanwhile (then done is false: publish again).
func (w *digestWorker) settlePosted(ctx context.Context, job *river.Job[DigestPublishArgs], d store.PublishedDigest) (done bool, err error) {
	ctx, cancel := settleContext(ctx)
	defer cancel()
	now := w.now()
	err = w.store.InTx(ctx, store.DigestActor, func(tx *store.Tx) error {
		if gen, err := tx.LockDigestGeneration(ctx, d.ID); err != nil || gen != d.Generation {
			return err
		}
		done = true
		if err := tx.SetDigestStatus(ctx, d.ID, store.DigestPosted, "", nil, now); err != nil {
			return err
		}
		return completeDigestTx(ctx, tx, job)
	})
	return done, err
}

// slackFailed decides what a Slack error means for the digest: wait for a
// rate limit, wait (hourly, 7 days, coordinators told how to fix it) for
// access to the channel, give up on a message Slack will never take, or
// retry with backoff when the outcome is unknown.
func (w *digestWorker) slackFailed(ctx context.Context, job *river.Job[DigestPublishArgs], d store.PublishedDigest, err error) (bool, error) {
	month := digest.MonthOf(d.Period)
	var limited *slackbot.RateLimitedError
	var refused *slackbot.RefusedError
	var permanent *slackbot.PermanentError
	switch {
	case errors.As(err, &limited):
		return true, river.JobSnooze(limited.RetryAfter)
	case errors.As(err, &refused):
		now := w.now()
		if d.WaitingSince.Valid && now.Sub(d.WaitingSince.Time) >= DigestNoAccessFor {
			alert := digestAlert(d, "gave_up:"+refused.Code, "digest.publish.alert.gave_up", month, blockkit.Escape(refused.Code))
			return w.settle(ctx, job, d, store.DigestFailed, "gave up: "+refused.Code, &alert)
		}
		alert := digestAlert(d, "no_access", "digest.publish.alert.no_access", month, blockkit.Escape(refused.Code))
		if err := w.store.InTx(ctx, store.DigestActor, func(tx *store.Tx) error {
			if err := tx.SetDigestStatus(ctx, d.ID, store.DigestPending, refused.Code, &now, now); err != nil {
				return err
			}
			return w.alerts.RaiseTx(ctx, tx, alert)
		}); err != nil {
			return false, err
		}
		w.logger.Warn("digest: Relais may not post in the channel, trying again in an hour",
			"digest", d.ID, "channel", d.Channel, "code", refused.Code)
		return true, river.JobSnooze(DigestNoAccessRetry)
	case errors.As(err, &permanent):
		alert := digestAlert(d, "failed:"+permanent.Code, "digest.publish.alert.failed", month, blockkit.Escape(permanent.Code))
		return w.settle(ctx, job, d, store.DigestFailed, permanent.Code, &alert)
	}
	if job.Attempt >= job.MaxAttempts {
		alert := digestAlert(d, "failed:gave_up", "digest.publish.alert.failed", month, "gave_up")
		return w.settle(ctx, job, d, store.DigestFailed, err.Error(), &alert)
	}
	return false, err
}

// digestAlert tells coordinators about d, once per digest, generation and
// what. Its text names the month and the channel, then extra (escaped
// mrkdwn), then, but for no_access (which fixes itself), the month to send.
func digestAlert(d store.PublishedDigest, what, key string, month digest.Month, extra ...string) delivery.Alert {
	return delivery.Alert{
		Key:  fmt.Sprintf("digest:%d:%d:%s", d.ID, d.Generation, what),
		Kind: "digest",
		Render: func(lang domain.Language) (string, json.RawMessage) {
			args := []any{i18n.Month(lang, month.Year, int(month.Month)), blockkit.Escape(d.Channel)}
			for _, e := range extra {
				args = append(args, e)
			}
			if key != "digest.publish.alert.no_access" {
				args = append(args, month.String())
			}
			return delivery.CatalogAlert(key, args...)(lang)
		},
	}
}

func completeDigestTx(ctx context.Context, tx *store.Tx, job *river.Job[DigestPublishArgs]) error {
	if _, err := river.JobCompleteTx[*riverdatabasesql.Driver](ctx, tx.SQL().Tx, job); err != nil {
		return fmt.Errorf("complete job %d: %w", job.ID, err)
	}
	return nil
}

// configureDigests reads the digest part of cfg. Called by New before the
// workers are declared.
func (j *Jobs) configureDigests(cfg Config) error {
	j.timezone = cfg.Timezone
	if j.timezone == nil {
		loc, err := time.LoadLocation("America/Montreal")
		if err != nil {
			return fmt.Errorf("digest time zone: %w", err)
		}
		j.timezone = loc
	}
	for _, c := range cfg.DigestChannels {
		if !c.Audience.Valid() || (c.Language != domain.French && c.Language != domain.English) || c.Channel == "" {
			return fmt.Errorf("digest channel %+v: %w", c, domain.ErrInvalid)
		}
	}
	j.digestChannels = slices.Clone(cfg.DigestChannels)
	ds, _ := cfg.Sender.(DigestSender)
	j.digests = &digestWorker{store: j.store, sender: ds, now: j.now, logger: j.logger, build: cfg.digestBuild,
		retryBase: orDefault(cfg.retryBase, time.Second), alerts: delivery.NewAlerter(j.enqueuer, cfg.CoordinationChannel)}
	return nil
}

// DigestChannelIDs are the configured digest channels' ids
// (commands.DigestPublisher).
func (j *Jobs) DigestChannelIDs() []string {
	ids := make([]string, len(j.digestChannels))
	for i, c := range j.digestChannels {
		ids[i] = c.Channel
	}
	return ids
}

// PublishDigest is a coordinator's explicit send of month m's digest
// (commands.DigestPublisher): to every configured channel, in one
// transaction for actor, a re-send in place where it was posted. It returns
// the channels queued.
func (j *Jobs) PublishDigest(ctx context.Context, actor store.Actor, m digest.Month) ([]string, error) {
	if len(j.digestChannels) == 0 {
		return nil, nil
	}
	var queued []string
	err := j.store.InTx(ctx, actor, func(tx *store.Tx) error {
		queued = queued[:0]
		for _, c := range j.digestChannels {
			if _, err := j.EnqueueDigestTx(ctx, tx, m, c.Channel, true); err != nil {
				return err
			}
			queued = append(queued, c.Channel)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return queued, nil
}
