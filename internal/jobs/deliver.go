package jobs

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverdatabasesql"

	"github.com/pic-montreal/relais/internal/blockkit"
	"github.com/pic-montreal/relais/internal/delivery"
	"github.com/pic-montreal/relais/internal/domain"
	"github.com/pic-montreal/relais/internal/slackbot"
	"github.com/pic-montreal/relais/internal/store"
)

// DeliveryQueue is the River queue of deliveries. It is worked only when a
// Sender is configured: without a bot token, deliveries wait in it.
const DeliveryQueue = "delivery"

// Delivery limits.
const (
	// DeliverMaxAttempts bounds the attempts of one delivery (429s, which
	// snooze, do not count).
	DeliverMaxAttempts = 8
	// DefaultDeliveryWorkers is how many deliveries one replica works at
	// once: enough to keep the pacer's workspace rate busy.
	DefaultDeliveryWorkers = 20
	// historyMargin widens the history search before the time a delivery
	// was queued, for clocks that disagree.
	historyMargin = 5 * time.Minute
	// maxRetryWait caps the backoff between two attempts.
	maxRetryWait = 10 * time.Minute
)

// DeliverArgs is one message to deliver: where it goes. What it says is in
// its deliveries row, the record of what was sent (a Render message's is
// written when it is sent, and recorded there with the post); River indexes job
// arguments with GIN, so a thousand jobs carrying their blocks were the
// slowest part of opening a round. One job per key: the Enqueuer inserts it
// only beside a fresh deliveries row (keyed by the key) in the same
// transaction, so River's unique jobs, which marshal every job's arguments
// again to compute a key, would add nothing but cost.
type DeliverArgs struct {
	Key         string `json:"key"`
	MessageKind string `json:"kind"`
	To          string `json:"to"`
	Fallback    string `json:"fallback,omitempty"`
	ThreadTS    string `json:"thread_ts,omitempty"`
	UpdateTS    string `json:"update_ts,omitempty"`
	RecipientID int64  `json:"recipient_id,omitempty"`
	// Render names the Renderer that writes the message when it is sent
	// (delivery.Message.Render); its deliveries row is empty until then.
	Render string `json:"render,omitempty"`
	// QueuedAt bounds the history search: the message cannot be older.
	QueuedAt time.Time `json:"queued_at"`
}

// Kind names the job in river_job.
func (DeliverArgs) Kind() string { return "deliver" }

// InsertOpts: in the delivery queue, a bounded number of attempts.
func (DeliverArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: DeliveryQueue, MaxAttempts: DeliverMaxAttempts}
}

// Renderer writes a message when it is sent (delivery.Message.Render), from
// its checkin_recipients row: its plain text and Block Kit JSON array. A
// recipient that is gone is a domain.ErrNotFound, and the delivery fails
// (coordinators are alerted); any other error is retried.
type Renderer func(ctx context.Context, st *store.Store, recipientID int64) (text string, blocks json.RawMessage, err error)

// renderError is a message that cannot be written, ever: its delivery fails.
type renderError struct {
	code  string // unknown_renderer, recipient_not_found, invalid_message
	cause error
}

func (e *renderError) Error() string { return "render: " + e.code + ": " + e.cause.Error() }
func (e *renderError) Unwrap() error { return e.cause }

// Sender is what the deliver worker needs of Slack (*slackbot.Sender). Its
// errors are slackbot's: RateLimited, Refused, Uncertain, NotSent, Permanent.
type Sender interface {
	PostMessage(ctx context.Context, channel, text string, blocks json.RawMessage, threadTS, key string) (string, string, error)
	FindPosted(ctx context.Context, channel, key string, since time.Time) (string, bool, error)
	FindPostedInThread(ctx context.Context, channel, threadTS, key string, since time.Time) (string, bool, error)
	KnownDM(user string) (string, bool)
	DMChannel(ctx context.Context, user string) (string, error)
	UpdateMessage(ctx context.Context, channel, ts, text string, blocks json.RawMessage) error
}

// Enqueuer is the delivery.Enqueuer: a deliveries row and a deliver job,
// both in the caller's transaction.
type Enqueuer struct{ jobs *Jobs }

var _ delivery.Enqueuer = (*Enqueuer)(nil)

// NewEnqueuer returns j's Enqueuer, for the services that decide to send.
func NewEnqueuer(j *Jobs) *Enqueuer { return j.enqueuer }

// EnqueueTx records each message as a pending delivery and queues its job in
// tx. A key seen before (in this call or an earlier one) is skipped: it is
// already on its way, or delivered.
func (e *Enqueuer) EnqueueTx(ctx context.Context, tx *store.Tx, msgs ...delivery.Message) error {
	seen := make(map[string]bool, len(msgs))
	unique := make([]delivery.Message, 0, len(msgs))
	rows := make([]store.QueuedDelivery, 0, len(msgs))
	for _, m := range msgs {
		if err := m.Check(); err != nil {
			return fmt.Errorf("enqueue %q: %w", m.Key, err)
		}
		if seen[m.Key] {
			continue
		}
		seen[m.Key] = true
		unique = append(unique, m)
		// A Render message's row is written with its post (settleSent).
		thread, err := threadJSON(m.Thread)
		if err != nil {
			return fmt.Errorf("enqueue %q: %w", m.Key, err)
		}
		rows = append(rows, store.QueuedDelivery{Key: m.Key, Kind: m.Kind, Text: m.Text, Blocks: m.Blocks, Thread: thread})
	}
	if len(unique) == 0 {
		return nil
	}
	// One statement for the batch: a round's fan-out is a thousand rows.
	fresh, err := tx.QueueDeliveries(ctx, rows)
	if err != nil {
		return err
	}
	now := e.jobs.now()
	params := make([]river.InsertManyParams, 0, len(fresh))
	for _, m := range unique {
		if fresh[m.Key] {
			params = append(params, river.InsertManyParams{Args: DeliverArgs{Key: m.Key, MessageKind: m.Kind, To: m.To,
				Fallback: m.Fallback, ThreadTS: m.ThreadTS, UpdateTS: m.UpdateTS, RecipientID: m.RecipientID, Render: m.Render,
				QueuedAt: now}})
		}
	}
	if len(params) == 0 {
		return nil
	}
	// These jobs are not unique (see DeliverArgs): River's fast path, which
	// returns no rows, takes a round's thousand at once.
	if _, err := e.jobs.client.InsertManyFastTx(ctx, tx.SQL().Tx, params); err != nil {
		return fmt.Errorf("insert %d deliveries: %w", len(params), err)
	}
	return nil
}

// deliverWorker posts one message, once, whatever River re-runs.
type deliverWorker struct {
	river.WorkerDefaults[DeliverArgs]
	store  *store.Store
	sender Sender
	// renderers write the Render messages, by name.
	renderers map[string]Renderer
	// enqueuer queues the next message of a thread (delivery.Message.Thread)
	// in the transaction that records a post.
	enqueuer *Enqueuer
	alerts   delivery.Alerter
	metrics  *deliveryMetrics
	now      func() time.Time
	logger   *slog.Logger
	// retryBase is the first backoff (it grows as attempt⁴, with jitter).
	retryBase time.Duration
	// afterPost, a test hook, runs after Slack answered a post and before
	// its commit; an error stands for a crash there.
	afterPost func(key string) error
}

// NextRetry backs off as attempt⁴ × retryBase (1 s: 1 s, 16 s, 81 s…),
// capped, with ±25 % jitter so that a fan-out hit by one outage does not
// come back all at once.
func (w *deliverWorker) NextRetry(job *river.Job[DeliverArgs]) time.Time {
	a := float64(job.Attempt)
	wait := time.Duration(a * a * a * a * float64(w.retryBase))
	wait = min(wait, maxRetryWait)
	wait = time.Duration(float64(wait) * (0.75 + rand.Float64()/2)) //nolint:gosec // jitter, not a secret
	return time.Now().Add(wait)
}

// Timeout returns 0: the client's job timeout applies (half of
// RELAIS_JOB_RESCUE_AFTER, at most a minute: pacing waits and a few history
// pages fit). River's rescuer leaves a job alone until its worker's timeout
// has passed, so a longer one here would keep a dead process's deliveries
// stuck that much longer.
func (w *deliverWorker) Timeout(*river.Job[DeliverArgs]) time.Duration { return 0 }

// settleContext outlives the job's own: what Slack already did must be
// recorded even when the job's time ran out or the process is stopping,
// or the delivery would stay pending with its job gone.
func settleContext(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(ctx), settleTimeout)
}

// settleTimeout bounds recording an outcome: one short transaction.
const settleTimeout = 10 * time.Second

// destination is one place a message may go: its recipient, then the
// fallback for a DM Slack refuses.
type destination struct {
	to, threadTS string
	state        string // recipient state when posted there
}

func (w *deliverWorker) Work(ctx context.Context, job *river.Job[DeliverArgs]) error {
	a := job.Args
	d, err := w.store.Delivery(ctx, a.Key)
	if err != nil {
		return err
	}
	if d.Status != store.DeliveryPending {
		return nil // settled by an earlier run
	}
	msg := content{text: d.Text, blocks: json.RawMessage(d.Blocks), thread: d.Thread}
	if a.Render != "" {
		// Written now, once for every destination, and recorded with the
		// post. A re-run after an uncertain post writes it again, for the
		// record: the same message unless its recipient changed meanwhile.
		if msg, err = w.render(ctx, a); err != nil {
			var rerr *renderError
			switch {
			case errors.As(err, &rerr) && rerr.code == "recipient_not_found" && a.MessageKind == store.KindReminder:
				// Answered, skipped or closed since it was queued: the
				// reminder is no longer wanted, which is nothing to alert about.
				return w.settleQuietly(ctx, job, err, "dropped")
			case errors.As(err, &rerr):
				return w.settleFailed(ctx, job, err)
			}
			return w.retryOrFail(ctx, job, err)
		}
	}
	if a.UpdateTS != "" {
		return w.update(ctx, job, msg)
	}
	dests := []destination{{a.To, a.ThreadTS, store.RecipientSent}}
	if a.Fallback != "" && slackbot.IsUserID(a.To) {
		dests = append(dests, destination{a.Fallback, "", store.RecipientFallback})
	}
	// An earlier attempt may have reached Slack without our hearing back.
	maybePosted := d.Attempts > 0
	var refusal *slackbot.RefusedError
	for _, dest := range dests {
		if maybePosted {
			ch, ts, found, err := w.lookFor(ctx, a, dest)
			var limited *slackbot.RateLimitedError
			switch {
			case errors.As(err, &refusal):
				continue // this destination will not take it either
			case errors.As(err, &limited):
				// Slack's limit on the history is no failure: wait, as for a post.
				w.metrics.rateLimited.WithLabelValues(limited.Method).Inc()
				return river.JobSnooze(limited.RetryAfter)
			case err != nil:
				return w.retryOrFail(ctx, job, err)
			case found:
				return w.settleSent(ctx, job, dest, msg, ch, ts)
			}
		}
		_, pending, err := w.recordAttempt(ctx, a.Key)
		if err != nil || !pending {
			return err
		}
		ch, ts, err := w.sender.PostMessage(ctx, dest.to, msg.text, msg.blocks, dest.threadTS, a.Key)
		if w.afterPost != nil {
			if herr := w.afterPost(a.Key); herr != nil {
				return herr
			}
		}
		var limited *slackbot.RateLimitedError
		var notSent *slackbot.NotSentError
		var permanent *slackbot.PermanentError
		switch {
		case err == nil:
			return w.settleSent(ctx, job, dest, msg, ch, ts)
		case errors.As(err, &limited):
			w.metrics.rateLimited.WithLabelValues(limited.Method).Inc()
			w.forgetAttempt(ctx, a.Key, err)
			return river.JobSnooze(limited.RetryAfter)
		case errors.As(err, &notSent):
			w.forgetAttempt(ctx, a.Key, err)
			return w.retryOrFail(ctx, job, err)
		case errors.As(err, &refusal):
			w.forgetAttempt(ctx, a.Key, err)
			continue
		case errors.As(err, &permanent):
			return w.settleFailed(ctx, job, err)
		default: // uncertain: Slack may have it; the next run looks first
			return w.retryOrFail(ctx, job, err)
		}
	}
	if slackbot.IsUserID(a.To) && a.MessageKind == store.KindReminder {
		// The prompt reached them (or the Table's channel) days ago; that
		// a reminder no longer does changes nothing coordinators must do.
		w.logger.Warn("delivery: reminder recipient unreachable", "key", a.Key, "code", refusal.Code)
		return w.settleQuietly(ctx, job, refusal, "unreachable")
	}
	if slackbot.IsUserID(a.To) {
		return w.settleUnreachable(ctx, job, refusal)
	}
	return w.settleFailed(ctx, job, refusal)
}

// update applies an UpdateTS delivery. chat.update twice is chat.update
// once, so no history is searched: an uncertain attempt simply runs again.
// A message Slack will not update (deleted, too old) fails without an
// alert: the note it would have shown is stored either way.
func (w *deliverWorker) update(ctx context.Context, job *river.Job[DeliverArgs], msg content) error {
	a := job.Args
	if _, pending, err := w.recordAttempt(ctx, a.Key); err != nil || !pending {
		return err
	}
	err := w.sender.UpdateMessage(ctx, a.To, a.UpdateTS, msg.text, msg.blocks)
	var limited *slackbot.RateLimitedError
	var refusal *slackbot.RefusedError
	var permanent *slackbot.PermanentError
	switch {
	case err == nil:
		return w.settleSent(ctx, job, destination{a.To, "", ""}, msg, a.To, a.UpdateTS)
	case errors.As(err, &limited):
		w.metrics.rateLimited.WithLabelValues(limited.Method).Inc()
		w.forgetAttempt(ctx, a.Key, err)
		return river.JobSnooze(limited.RetryAfter)
	case errors.As(err, &refusal), errors.As(err, &permanent):
		w.logger.Warn("delivery: Slack will not update the message", "key", a.Key, "error", err)
		return w.settleQuietly(ctx, job, err, "failed")
	default:
		return w.retryOrFail(ctx, job, err)
	}
}

// settleQuietly gives up a delivery whose loss tells coordinators nothing
// they must act on; outcome labels it in the metrics.
func (w *deliverWorker) settleQuietly(ctx context.Context, job *river.Job[DeliverArgs], cause error, outcome string) error {
	ctx, cancel := settleContext(ctx)
	defer cancel()
	err := w.store.InTx(ctx, store.DeliveryActor, func(tx *store.Tx) error {
		first, err := tx.MarkDeliveryFailed(ctx, job.Args.Key, cause.Error())
		if err != nil {
			return err
		}
		if first {
			w.metrics.count(job.Args.MessageKind, outcome)
		}
		return completeTx(ctx, tx, job)
	})
	return err
}

// content is what a delivery says, and what follows it in its thread.
type content struct {
	text   string
	blocks json.RawMessage
	thread string
}

// threadMessage is one message of a delivery's thread as its row keeps it.
type threadMessage struct {
	Key    string          `json:"key"`
	Kind   string          `json:"kind"`
	Text   string          `json:"text"`
	Blocks json.RawMessage `json:"blocks,omitempty"`
}

func threadJSON(msgs []delivery.Message) (json.RawMessage, error) {
	if len(msgs) == 0 {
		return nil, nil
	}
	rows := make([]threadMessage, len(msgs))
	for i, m := range msgs {
		rows[i] = threadMessage{Key: m.Key, Kind: m.Kind, Text: m.Text, Blocks: m.Blocks}
	}
	return json.Marshal(rows)
}

// nextInThread is the message that follows a post in its thread, carrying
// the rest: in conversation ch, in the thread of threadTS (the parent's).
func nextInThread(thread, ch, threadTS string) (*delivery.Message, error) {
	if thread == "" {
		return nil, nil
	}
	var rows []threadMessage
	if err := json.Unmarshal([]byte(thread), &rows); err != nil {
		return nil, fmt.Errorf("delivery thread: %w", err)
	}
	if len(rows) == 0 {
		return nil, nil
	}
	next := &delivery.Message{Key: rows[0].Key, Kind: rows[0].Kind, To: ch, ThreadTS: threadTS,
		Text: rows[0].Text, Blocks: rows[0].Blocks}
	for _, r := range rows[1:] {
		next.Thread = append(next.Thread, delivery.Message{Key: r.Key, Kind: r.Kind, Text: r.Text, Blocks: r.Blocks})
	}
	return next, nil
}

// render writes a Render message. What can never be written (an unknown
// renderer, a recipient gone, an empty or malformed message) is a
// *renderError; anything else (the database) may pass.
func (w *deliverWorker) render(ctx context.Context, a DeliverArgs) (content, error) {
	r, ok := w.renderers[a.Render]
	if !ok {
		return content{}, &renderError{"unknown_renderer", fmt.Errorf("no renderer %q", a.Render)}
	}
	text, blocks, err := r(ctx, w.store, a.RecipientID)
	switch {
	case errors.Is(err, domain.ErrNotFound):
		return content{}, &renderError{"recipient_not_found", err}
	case err != nil:
		return content{}, fmt.Errorf("render %s for recipient %d: %w", a.Render, a.RecipientID, err)
	}
	m := delivery.Message{Key: a.Key, Kind: a.MessageKind, To: a.To, Text: text, Blocks: blocks}
	if err := m.Check(); err != nil {
		return content{}, &renderError{"invalid_message", err}
	}
	return content{text: text, blocks: blocks}, nil
}

// lookFor searches dest's conversation for the message; for a DM whose D…
// id no answer gave, conversations.open finds it.
func (w *deliverWorker) lookFor(ctx context.Context, a DeliverArgs, dest destination) (ch, ts string, found bool, err error) {
	ch = dest.to
	if slackbot.IsUserID(ch) {
		if ch, err = w.sender.DMChannel(ctx, dest.to); err != nil {
			return "", "", false, err
		}
	}
	since := a.QueuedAt.Add(-historyMargin)
	if dest.threadTS != "" {
		ts, found, err = w.sender.FindPostedInThread(ctx, ch, dest.threadTS, a.Key, since)
	} else {
		ts, found, err = w.sender.FindPosted(ctx, ch, a.Key, since)
	}
	return ch, ts, found, err
}

// recordAttempt counts the attempt in its own committed transaction, before
// posting: a crash after the post leaves the trace that says "look first".
func (w *deliverWorker) recordAttempt(ctx context.Context, key string) (before int, pending bool, err error) {
	err = w.store.InTx(ctx, store.DeliveryActor, func(tx *store.Tx) error {
		before, pending, err = tx.RecordDeliveryAttempt(ctx, key)
		return err
	})
	return before, pending, err
}

// forgetAttempt takes back an attempt Slack did not act on. Failing to is
// harmless: the next run looks in the history first, for nothing.
func (w *deliverWorker) forgetAttempt(ctx context.Context, key string, cause error) {
	err := w.store.InTx(ctx, store.DeliveryActor, func(tx *store.Tx) error {
		return tx.ForgetDeliveryAttempt(ctx, key, cause.Error())
	})
	if err != nil {
		w.logger.Warn("delivery: could not take back an attempt", "key", key, "error", err)
	}
}

// retryOrFail returns err for River to retry, or, on the last attempt,
// gives the delivery up.
func (w *deliverWorker) retryOrFail(ctx context.Context, job *river.Job[DeliverArgs], err error) error {
	if job.Attempt < job.MaxAttempts {
		nerr := w.store.InTx(ctx, store.DeliveryActor, func(tx *store.Tx) error {
			return tx.NoteDeliveryError(ctx, job.Args.Key, err.Error())
		})
		if nerr != nil {
			w.logger.Warn("delivery: could not note an error", "key", job.Args.Key, "error", nerr)
		}
		return err
	}
	return w.settleFailed(ctx, job, err)
}

// settleSent records the post, its recipient and the job's completion in one
// transaction: a crash before the commit leaves the job to run again and
// find the post; after, nothing runs again. A Render message's text and
// blocks are recorded with the post.
func (w *deliverWorker) settleSent(ctx context.Context, job *river.Job[DeliverArgs], dest destination, msg content, ch, ts string) error {
	ctx, cancel := settleContext(ctx)
	defer cancel()
	a := job.Args
	now := w.now()
	var first bool
	err := w.store.InTx(ctx, store.DeliveryActor, func(tx *store.Tx) error {
		var err error
		if a.Render != "" {
			first, err = tx.MarkRenderedDeliverySent(ctx, a.Key, ch, ts, now, msg.text, msg.blocks)
		} else {
			first, err = tx.MarkDeliverySent(ctx, a.Key, ch, ts, now)
		}
		if err != nil {
			return err
		}
		if first {
			// What follows in the thread: of this post, or of its parent.
			threadTS := a.ThreadTS
			if threadTS == "" {
				threadTS = ts
			}
			next, err := nextInThread(msg.thread, ch, threadTS)
			if err != nil {
				return err
			}
			if next != nil {
				if err := w.enqueuer.EnqueueTx(ctx, tx, *next); err != nil {
					return err
				}
			}
		}
		switch {
		case !first || a.RecipientID == 0 || a.UpdateTS != "":
		case a.MessageKind == store.KindReminder:
			// A DM of its own: the prompt's DM stays the recipient's.
			if _, err := tx.MarkReminderPosted(ctx, a.Key, ch, ts, now); err != nil {
				return err
			}
		default:
			if err := tx.MarkRecipientDelivered(ctx, a.RecipientID, dest.state, ch, ts, now); err != nil {
				return err
			}
		}
		return completeTx(ctx, tx, job)
	})
	if err != nil {
		return err
	}
	if first {
		outcome := "sent"
		if dest.state == store.RecipientFallback {
			outcome = "fallback"
		}
		w.metrics.count(a.MessageKind, outcome)
	}
	return nil
}

// settleFailed gives the delivery up and tells coordinators once.
func (w *deliverWorker) settleFailed(ctx context.Context, job *river.Job[DeliverArgs], cause error) error {
	ctx, cancel := settleContext(ctx)
	defer cancel()
	a := job.Args
	var first bool
	err := w.store.InTx(ctx, store.DeliveryActor, func(tx *store.Tx) error {
		var err error
		if first, err = tx.MarkDeliveryFailed(ctx, a.Key, cause.Error()); err != nil || !first {
			return err
		}
		if a.RecipientID != 0 && a.MessageKind != store.KindReminder { // a reminder's prompt was delivered
			if err := tx.MarkRecipientUndelivered(ctx, a.RecipientID, store.RecipientFailed); err != nil {
				return err
			}
		}
		if a.MessageKind != delivery.KindAlert { // an alert about an alert would loop
			if err := w.alerts.RaiseTx(ctx, tx, undeliverableAlert(a, cause)); err != nil {
				return err
			}
		}
		return completeTx(ctx, tx, job)
	})
	if err != nil {
		return err
	}
	if first {
		w.metrics.count(a.MessageKind, "failed")
		w.logger.Error("delivery failed", "key", a.Key, "kind", a.MessageKind, "error", cause)
	}
	return nil
}

// settleUnreachable records a recipient Slack refuses (and no fallback took),
// and alerts once when nobody at the Table can be reached for the prompt.
func (w *deliverWorker) settleUnreachable(ctx context.Context, job *river.Job[DeliverArgs], refusal *slackbot.RefusedError) error {
	ctx, cancel := settleContext(ctx)
	defer cancel()
	a := job.Args
	var first bool
	err := w.store.InTx(ctx, store.DeliveryActor, func(tx *store.Tx) error {
		var err error
		if first, err = tx.MarkDeliveryFailed(ctx, a.Key, "unreachable: "+refusal.Error()); err != nil || !first {
			return err
		}
		alert := unreachableAlert(a, refusal)
		if a.RecipientID != 0 {
			reach, err := tx.LockPromptReach(ctx, a.RecipientID)
			if err != nil {
				return err
			}
			if err := tx.MarkRecipientUndelivered(ctx, a.RecipientID, store.RecipientUnreachable); err != nil {
				return err
			}
			alert = nil
			if reach.Reachable <= 1 { // this recipient was the last one reachable
				alert = nobodyAtTableAlert(reach)
			}
		}
		if alert != nil && a.MessageKind != delivery.KindAlert {
			if err := w.alerts.RaiseTx(ctx, tx, *alert); err != nil {
				return err
			}
		}
		return completeTx(ctx, tx, job)
	})
	if err != nil {
		return err
	}
	if first {
		w.metrics.count(a.MessageKind, "unreachable")
		w.logger.Warn("delivery: recipient unreachable", "key", a.Key, "kind", a.MessageKind, "code", refusal.Code)
	}
	return nil
}

// completeTx completes the job in tx, with the state it records.
func completeTx(ctx context.Context, tx *store.Tx, job *river.Job[DeliverArgs]) error {
	if _, err := river.JobCompleteTx[*riverdatabasesql.Driver](ctx, tx.SQL().Tx, job); err != nil {
		return fmt.Errorf("complete job %d: %w", job.ID, err)
	}
	return nil
}

func undeliverableAlert(a DeliverArgs, cause error) delivery.Alert {
	var refused *slackbot.RefusedError
	var permanent *slackbot.PermanentError
	var unrendered *renderError
	to, kind := blockkit.Escape(a.To), blockkit.Escape(a.MessageKind)
	render := delivery.CatalogAlert("delivery.alert.gave_up", kind, to, DeliverMaxAttempts)
	switch {
	case errors.As(cause, &refused):
		render = delivery.CatalogAlert("delivery.alert.undeliverable", kind, to, blockkit.Escape(refused.Code))
	case errors.As(cause, &permanent):
		render = delivery.CatalogAlert("delivery.alert.undeliverable", kind, to, blockkit.Escape(permanent.Code))
	case errors.As(cause, &unrendered):
		render = delivery.CatalogAlert("delivery.alert.undeliverable", kind, to, blockkit.Escape(unrendered.code))
	}
	return delivery.Alert{Key: "undeliverable:" + a.Key, Kind: "undeliverable", Render: render}
}

func unreachableAlert(a DeliverArgs, refusal *slackbot.RefusedError) *delivery.Alert {
	return &delivery.Alert{Key: "unreachable:" + a.Key, Kind: "unreachable",
		Render: delivery.CatalogAlert("delivery.alert.unreachable", blockkit.Escape(a.To), blockkit.Escape(refusal.Code))}
}

func nobodyAtTableAlert(r store.PromptReach) *delivery.Alert {
	return &delivery.Alert{Key: fmt.Sprintf("unreachable:prompt:%d", r.PromptID), Kind: "unreachable",
		Render: delivery.CatalogAlert("delivery.alert.nobody_at_table", blockkit.Escape(r.TableName))}
}
