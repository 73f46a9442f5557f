package slackbot

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"sync"
	"time"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/slackevents"

	"github.com/pic-montreal/relais/commands"
	"github.com/pic-montreal/relais/internal/domain"
	"github.com/pic-montreal/relais/internal/i18n"
)

// errUnavailable means an event could not be processed for now (its
// handler's database is down): it is not acknowledged, so Slack retries.
var errUnavailable = errors.New("event not processed; Slack will retry")

// core is what both transports share: running handlers within the ack budget,
// delivering late replies, and processing events once.
type core struct {
	cfg     Config
	handler commands.Handler
	logger  *slog.Logger
	client  *retryClient
	// api calls the Web API for what a reply asks besides a message: open a
	// modal, publish an App Home, post in a conversation. Nil without a bot
	// token; those parts of replies are then logged and dropped.
	api *slack.Client
	// post delivers a reply to a response_url; tests replace it.
	post func(responseURL string, m message)
	// wg counts detached work, so shutdown can wait for replies in flight.
	wg sync.WaitGroup
}

func newCore(cfg Config, h commands.Handler, logger *slog.Logger) *core {
	if h == nil {
		panic("slackbot: nil commands.Handler")
	}
	cfg = cfg.withDefaults()
	logger = orDefault(logger)
	c := &core{cfg: cfg, handler: h, logger: logger, client: newHTTPClient(cfg, logger)}
	if cfg.BotToken != "" {
		c.api = NewClient(cfg, logger)
	}
	c.post = c.client.postResponse
	return c
}

// detached runs fn in a goroutine with a context that outlives the request
// that caused it (Slack closes that one right after our ack) but keeps its
// values, and is bounded by HandlerTimeout.
func (c *core) detached(parent context.Context, fn func(ctx context.Context)) {
	c.wg.Add(1)
	go func() {
		defer c.wg.Done()
		ctx, cancel := context.WithTimeout(context.WithoutCancel(parent), c.cfg.HandlerTimeout)
		defer cancel()
		fn(ctx)
	}()
}

// wait blocks until detached work is done or ctx ends.
func (c *core) wait(ctx context.Context) error {
	done := make(chan struct{})
	go func() { c.wg.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// say is one of the transport's own messages, in the configured language or,
// by default, in French then English.
func (c *core) say(key string) string {
	if c.cfg.Language != "" {
		return i18n.T(c.cfg.Language, key)
	}
	return bilingual(key)
}

func bilingual(key string) string {
	return i18n.T(domain.French, key) + "\n" + i18n.T(domain.English, key)
}

func (c *core) internalError() *message {
	m := textMessage(c.say("error.internal"))
	return &m
}

// recovered turns a handler panic into a logged error and the "internal
// error" message, so one bad command cannot take the process down.
func (c *core) recovered(what string, out **message) {
	if p := recover(); p != nil {
		c.logger.Error("slack: handler panicked", "kind", what, "panic", fmt.Sprint(p), "stack", string(debug.Stack()))
		*out = c.internalError()
	}
}

func (c *core) runCommand(ctx context.Context, inv commands.Invocation) (out *message) {
	defer c.recovered("command", &out)
	r := c.handler.Command(ctx, inv)
	if r.OpenModal != nil && !c.openModal(ctx, inv.TriggerID, r.OpenModal) {
		return c.modalFailed()
	}
	if emptyReply(r) {
		return nil
	}
	m := commandMessage(r)
	return &m
}

// openModal opens view on triggerID and reports whether Slack took it. The
// trigger works once and within 3 seconds, so a failure is not retried: the
// user is asked to try again.
func (c *core) openModal(ctx context.Context, triggerID string, view *slack.ModalViewRequest) bool {
	if c.api == nil || triggerID == "" {
		c.logger.Error("slack: cannot open a modal", "reason", "no bot token or no trigger_id")
		return false
	}
	if _, err := c.api.OpenViewContext(ctx, triggerID, *view); err != nil {
		c.logger.Error("slack: views.open failed", "callback_id", view.CallbackID, "error", redactErr(err))
		return false
	}
	return true
}

func (c *core) modalFailed() *message {
	m := textMessage(c.say("error.modal"))
	return &m
}

func (c *core) runAction(ctx context.Context, act commands.ActionInvocation) (out *message) {
	defer func() {
		// The error text after a panic is a new message: never let it
		// replace the one the user clicked in.
		if out != nil && out.ReplaceOriginal == nil {
			keep := false
			out.ReplaceOriginal = &keep
		}
	}()
	defer c.recovered("action", &out)
	r := c.handler.Action(ctx, act)
	if r.OpenModal != nil && !c.openModal(ctx, act.TriggerID, r.OpenModal) {
		return c.modalFailed()
	}
	if emptyReply(r) {
		return nil
	}
	m := actionMessage(r)
	return &m
}

// command runs inv and returns what the acknowledgement carries: the reply if
// it is ready within the budget, else the short "slow" text, and the reply
// then goes to responseURL. nil means an empty acknowledgement.
// With inline false (a Socket Mode envelope that takes no payload) the reply
// always goes to responseURL.
func (c *core) command(parent context.Context, inv commands.Invocation, responseURL string, inline bool) *message {
	ready := make(chan *message)
	late := make(chan struct{})
	c.detached(parent, func(ctx context.Context) {
		m := c.runCommand(ctx, inv)
		if inline {
			// Exactly one side wins: the waiter takes the reply, or it has
			// closed late and the reply goes to response_url.
			select {
			case ready <- m:
				return
			case <-late:
			}
		}
		if m != nil {
			c.post(responseURL, *m)
		}
	})
	if !inline {
		return nil
	}
	t := time.NewTimer(c.cfg.AckBudget)
	defer t.Stop()
	select {
	case m := <-ready:
		return m
	case <-t.C:
		close(late)
		m := textMessage(c.say("error.slow"))
		return &m
	}
}

// actions runs button clicks after the acknowledgement and posts each reply
// to responseURL.
func (c *core) actions(parent context.Context, acts []commands.ActionInvocation, responseURL string) {
	if len(acts) == 0 {
		return
	}
	c.detached(parent, func(ctx context.Context) {
		for _, a := range acts {
			if m := c.runAction(ctx, a); m != nil {
				c.post(responseURL, *m)
			}
		}
	})
}

// interaction handles a parsed interaction payload and returns what the
// acknowledgement carries (nil: an empty one). Clicks are answered after the
// ack, through response_url; a view submission is answered in the ack.
// Only a malformed payload is an error.
func (c *core) interaction(ctx context.Context, ic slack.InteractionCallback) (any, error) {
	if ic.Type == slack.InteractionTypeViewSubmission {
		sub, err := submissionFromCallback(ic)
		if err != nil {
			return nil, err
		}
		return c.submit(ctx, sub, firstInputBlock(ic.View)), nil
	}
	acts, ok, err := actionsFromCallback(ic)
	if err != nil {
		return nil, err
	}
	if !ok {
		c.logger.Debug("slack: interaction ignored", "type", string(ic.Type))
		return nil, nil
	}
	c.actions(ctx, acts, ic.ResponseURL)
	return nil, nil
}

// submit runs a view submission within the ack budget. When it is too slow
// or fails, the modal stays open with what was typed and a message under
// its first input: nothing typed is lost, and since the handler's context
// ends with the budget, nothing was saved and sending again is safe.
func (c *core) submit(parent context.Context, sub commands.ViewSubmission, firstBlock string) any {
	done := make(chan *submissionAck, 1)
	c.detached(parent, func(ctx context.Context) {
		var ack *submissionAck
		func() {
			defer func() {
				if p := recover(); p != nil {
					c.logger.Error("slack: view submission panicked", "callback_id", sub.CallbackID,
						"panic", fmt.Sprint(p), "stack", string(debug.Stack()))
					ack = errorsAck(firstBlock, c.say("error.internal"))
				}
			}()
			// The handler's time is the ack's: past it, its transaction rolls
			// back, so the "too slow, send again" the modal shows is true.
			sctx, cancel := context.WithTimeout(ctx, c.cfg.AckBudget)
			defer cancel()
			ack = submissionAckOf(c.handler.Submit(sctx, sub))
		}()
		done <- ack
	})
	t := time.NewTimer(c.cfg.AckBudget)
	defer t.Stop()
	select {
	case ack := <-done:
		if ack == nil {
			return nil
		}
		return ack
	case <-t.C:
		c.logger.Warn("slack: view submission slower than the ack budget", "callback_id", sub.CallbackID)
		return errorsAck(firstBlock, c.say("error.slow_submit"))
	}
}

// outerEvent is the part of an Events API body read before slack-go's parser,
// which refuses event types it does not know and would turn them into 400s.
type outerEvent struct {
	Type      string          `json:"type"`
	Challenge string          `json:"challenge"`
	TeamID    string          `json:"team_id"`
	EventID   string          `json:"event_id"`
	Event     json.RawMessage `json:"event"`
}

// event processes an Events API body (an HTTP request body or a Socket Mode
// events_api payload). It returns the url_verification challenge, if any.
// Errors: errMalformed (answer 400), errUnavailable (do not acknowledge, so
// Slack retries). A first delivery is handed to the EventHandler after return.
func (c *core) event(ctx context.Context, raw []byte) (challenge string, err error) {
	var o outerEvent
	if err := json.Unmarshal(raw, &o); err != nil {
		return "", fmt.Errorf("%w: %v", errMalformed, err)
	}
	switch o.Type {
	case slackevents.URLVerification:
		return o.Challenge, nil
	case slackevents.AppRateLimited:
		c.logger.Warn("slack: app's event subscriptions rate limited", "team", o.TeamID)
		return "", nil
	case slackevents.CallbackEvent:
	case "":
		return "", fmt.Errorf("%w: no type", errMalformed)
	default:
		c.logger.Debug("slack: outer event type ignored", "type", o.Type)
		return "", nil
	}

	if o.EventID == "" || len(o.Event) == 0 {
		return "", fmt.Errorf("%w: event_callback without event_id or event", errMalformed)
	}
	// Checked before storing: a value PostgreSQL refuses would otherwise
	// read as "database down", and Slack would retry it in vain.
	if !isSlackID(o.EventID) || (o.TeamID != "" && !isSlackID(o.TeamID)) {
		return "", fmt.Errorf("%w: event_id or team_id is not a Slack id", errMalformed)
	}
	ev, err := eventFromCallback(o)
	if err != nil {
		return "", err
	}
	return "", c.handleEvent(ctx, ev)
}

// handleEvent runs the event's handler before the acknowledgement, so that
// an event is acknowledged only once its effect (and the record that it was
// processed, in the same transaction) is committed; a failure leaves it
// unacknowledged for Slack to deliver again. A handler slower than the ack
// budget finishes after the ack: Slack would otherwise retry an event
// already on its way. What the handler asks to show is sent after the ack.
func (c *core) handleEvent(parent context.Context, ev commands.Event) error {
	type outcome struct {
		reply commands.EventReply
		err   error
	}
	done := make(chan outcome, 1)
	c.detached(parent, func(ctx context.Context) {
		var o outcome
		func() {
			defer func() {
				if p := recover(); p != nil {
					c.logger.Error("slack: event handler panicked", "event_id", ev.ID,
						"panic", fmt.Sprint(p), "stack", string(debug.Stack()))
					o.err = fmt.Errorf("event handler panicked: %v", p)
				}
			}()
			o.reply, o.err = c.handler.Event(ctx, ev)
		}()
		done <- o // the ack waits for the handler, never for what it shows
		if o.err == nil {
			c.show(ctx, ev, o.reply)
		}
	})
	t := time.NewTimer(c.cfg.AckBudget)
	defer t.Stop()
	select {
	case o := <-done:
		switch {
		case o.err == nil:
			return nil
		case storeRefusedValue(o.err):
			return fmt.Errorf("%w: event refused by the store: %v", errMalformed, o.err)
		}
		c.logger.Error("slack: event not processed; Slack will retry", "event_id", ev.ID, "event_type", ev.Type, "error", o.err)
		return errUnavailable
	case <-t.C:
		c.logger.Warn("slack: event handler slower than the ack budget; acknowledged", "event_id", ev.ID, "event_type", ev.Type)
		return nil
	}
}

// show publishes the App Home handling an event asked for. Messages Relais
// sends on its own go through delivery (queued, idempotent), not here.
func (c *core) show(ctx context.Context, ev commands.Event, r commands.EventReply) {
	if r.Home == nil {
		return
	}
	if c.api == nil {
		c.logger.Error("slack: cannot answer an event without a bot token", "event_type", ev.Type)
		return
	}
	if _, err := c.api.PublishViewContext(ctx, slack.PublishViewContextRequest{UserID: ev.User, View: *r.Home}); err != nil {
		c.logger.Error("slack: views.publish failed", "error", redactErr(err))
	}
}

// maxSlackIDLen is generous: Slack's ids (Ev…, T…, E…) are about a dozen characters.
const maxSlackIDLen = 64

// isSlackID reports whether s has the shape of a Slack id: short, and only
// ASCII letters, digits, '.', '_' or '-'.
func isSlackID(s string) bool {
	if s == "" || len(s) > maxSlackIDLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		b := s[i]
		if !('a' <= b && b <= 'z' || 'A' <= b && b <= 'Z' || '0' <= b && b <= '9' || b == '.' || b == '_' || b == '-') {
			return false
		}
	}
	return true
}

// storeRefusedValue reports whether err says the values themselves were
// refused (a constraint, a byte or a length PostgreSQL cannot store), so that
// sending the same event again cannot succeed: the store translates those,
// data exceptions included, to domain.ErrInvalid.
func storeRefusedValue(err error) bool { return errors.Is(err, domain.ErrInvalid) }

// safeParse runs a third-party decoder, turning a panic on hostile input into
// an error: a malformed payload must get a 400, never a crash or a 500.
func safeParse[T any](fn func() (T, error)) (v T, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("decoder panicked: %v", p)
		}
	}()
	return fn()
}
