// Package delivery names what Relais sends on its own initiative (prompts,
// reminders, alerts, digests): a Message, queued in the same transaction as
// the change that causes it, and delivered once by a worker (internal/jobs)
// under Slack's rate limits. Domain packages (checkin, digest) build Messages
// and hand them to an Enqueuer; they never talk to Slack or to River.
package delivery

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/pic-montreal/relais/internal/domain"
	"github.com/pic-montreal/relais/internal/store"
)

// Message is one message to deliver.
type Message struct {
	// Key is unique per message ever sent ("prompt:42:U123",
	// "reminder:42:U123:1"): enqueuing a key twice sends once, and the key
	// travels in the message's metadata so a delivery interrupted between
	// Slack's answer and our commit finds its post instead of posting again.
	Key string
	// Kind groups messages for metrics and alerts: "prompt", "reminder",
	// "alert", "digest".
	Kind string
	// To is a user id (the DM with them, as chat.postMessage does with a
	// user id) or a conversation id.
	To string
	// Fallback, when set, is the conversation used when Slack refuses the
	// DM (user_not_found, account_inactive, cannot_dm_bot…): the Table's
	// channel. Without one, coordinators are alerted.
	Fallback string
	// ThreadTS posts in a thread.
	ThreadTS string
	// UpdateTS, instead of a new post, updates the message of that ts in
	// conversation To (a D… or C… id) with chat.update: a prompt DM that
	// now says "answered by …". Updating twice changes nothing more, so an
	// update is never looked for in the history; a Render update says what
	// is true when it is sent, so updates applied out of order still end on
	// the latest state.
	UpdateTS string
	// Text is the plain-text fallback (set unless Render is); Blocks the
	// Block Kit JSON array, already within Slack's limits.
	Text   string
	Blocks json.RawMessage
	// Render, instead of Text and Blocks, names the renderer that writes
	// the message when the worker sends it, from RecipientID (required
	// then): checkin.RenderPrompt for a prompt DM. Queuing a round's
	// thousand prompts then renders and stores nothing; the message says
	// what is true when it is sent (the person's language then), and the
	// worker records what it posted in the delivery's row. Renderers are
	// registered with the worker (jobs.Config.Renderers): an unknown one
	// fails the delivery.
	Render string
	// RecipientID, when set, is the checkin_recipients row that records
	// where and when the message was posted.
	RecipientID int64
	// Thread are messages to post in this one's thread once it is posted,
	// in order, each after the one before (their To and ThreadTS are set
	// then): the parts of a digest preview. Each has its own Key, Kind,
	// Text and Blocks.
	Thread []Message
}

// ErrInvalid is a Message that cannot be sent as it is.
var ErrInvalid = errors.New("delivery: invalid message")

// Check reports what makes m unsendable.
func (m Message) Check() error {
	switch {
	case strings.TrimSpace(m.Key) == "" || len(m.Key) > 200:
		return errors.Join(ErrInvalid, errors.New("key must be 1 to 200 characters"))
	case m.Kind == "":
		return errors.Join(ErrInvalid, errors.New("no kind"))
	case m.To == "":
		return errors.Join(ErrInvalid, errors.New("no recipient"))
	case m.Render != "" && (m.Text != "" || len(m.Blocks) > 0):
		return errors.Join(ErrInvalid, errors.New("a rendered message has no text or blocks of its own"))
	case m.Render != "" && m.RecipientID == 0:
		return errors.Join(ErrInvalid, errors.New("a rendered message needs its recipient"))
	case m.UpdateTS != "" && (m.ThreadTS != "" || m.Fallback != ""):
		return errors.Join(ErrInvalid, errors.New("an update has no thread and no fallback"))
	case m.UpdateTS != "" && (len(m.To) < 2 || (m.To[0] != 'D' && m.To[0] != 'C' && m.To[0] != 'G')):
		return errors.Join(ErrInvalid, errors.New("an update names its conversation (D…, C…, G…)"))
	case len(m.Thread) > 0 && (m.Render != "" || m.UpdateTS != ""):
		return errors.Join(ErrInvalid, errors.New("only a message written in advance carries a thread"))
	case m.Render == "" && strings.TrimSpace(m.Text) == "":
		return errors.Join(ErrInvalid, errors.New("no plain text"))
	case len(m.Blocks) > 0 && !json.Valid(m.Blocks):
		return errors.Join(ErrInvalid, errors.New("blocks are not JSON"))
	}
	for _, r := range m.Thread {
		r.To = m.To // set when posted; checked as if known
		if err := r.Check(); err != nil {
			return fmt.Errorf("thread of %q: %w", m.Key, err)
		}
	}
	return nil
}

// Enqueuer queues messages inside the caller's transaction: they are sent
// if and only if it commits. internal/jobs implements it.
type Enqueuer interface {
	EnqueueTx(ctx context.Context, tx *store.Tx, msgs ...Message) error
}

// Alert is a problem coordinators must hear about once, however often it
// recurs (a retry, a second replica): its Key decides what "once" means
// ("no-respondent:round:7:org:12", "undeliverable:prompt:42").
type Alert struct {
	Key  string
	Kind string
	// Render writes the alert in a coordinator's language; in the
	// coordination channel it is French then English.
	Render func(lang domain.Language) (text string, blocks json.RawMessage)
}

// Alerter tells coordinators, through the one path every alert takes: the
// coordination channel when one is configured, otherwise a DM to each
// active coordinator. RaiseTx queues nothing for a Key already raised.
type Alerter interface {
	RaiseTx(ctx context.Context, tx *store.Tx, a Alert) error
}
