package slackbot

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"strings"
	"sync"
	"time"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/slackevents"

	"github.com/pic-montreal/relais/commands"
	"github.com/pic-montreal/relais/internal/domain"
	"github.com/pic-montreal/relais/internal/i18n"
)

// EventDeduper remembers which Events API deliveries were already processed.
// *store.Store implements it with a unique row per event_id.
type EventDeduper interface {
	// MarkEventProcessed reports whether eventID is seen for the first time.
	MarkEventProcessed(ctx context.Context, eventID, teamID, eventType string) (bool, error)
}

// EventHandler processes one Events API event, after the delivery was
// acknowledged; its error is logged.
type EventHandler interface {
	HandleEvent(ctx context.Context, ev slackevents.EventsAPIEvent) error
}

// NopEvents is the default EventHandler: Relais subscribes to no event yet.
type NopEvents struct{}

// HandleEvent does nothing.
func (NopEvents) HandleEvent(context.Context, slackevents.EventsAPIEvent) error { return nil }

// dedupeTimeout keeps the de-duplication query well inside Slack's 3 s.
const dedupeTimeout = 2 * time.Second

var errUnavailable = errors.New("event store unavailable")

// core is what both transports share: running handlers within the ack budget,
// delivering late replies, and processing events once.
type core struct {
	cfg     Config
	handler commands.Handler
	dedup   EventDeduper
	events  EventHandler
	logger  *slog.Logger
	client  *retryClient
	// post delivers a reply to a response_url; tests replace it.
	post func(responseURL string, m message)
	// wg counts detached work, so shutdown can wait for replies in flight.
	wg sync.WaitGroup
}

func newCore(cfg Config, h commands.Handler, dedup EventDeduper, events EventHandler, logger *slog.Logger) *core {
	if h == nil {
		panic("slackbot: nil commands.Handler")
	}
	cfg = cfg.withDefaults()
	logger = orDefault(logger)
	if events == nil {
		events = NopEvents{}
	}
	c := &core{cfg: cfg, handler: h, dedup: dedup, events: events, logger: logger, client: newHTTPClient(cfg, logger)}
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
	if emptyReply(r) {
		return nil
	}
	m := commandMessage(r)
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

// interaction handles a parsed interaction payload; only a malformed
// block_actions payload is an error.
func (c *core) interaction(ctx context.Context, ic slack.InteractionCallback) error {
	acts, ok, err := actionsFromCallback(ic)
	if err != nil {
		return err
	}
	if !ok {
		c.logger.Debug("slack: interaction ignored", "type", string(ic.Type))
		return nil
	}
	c.actions(ctx, acts, ic.ResponseURL)
	return nil
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

	var inner struct {
		Type string `json:"type"`
	}
	if o.EventID == "" || len(o.Event) == 0 {
		return "", fmt.Errorf("%w: event_callback without event_id or event", errMalformed)
	}
	// Checked before storing: a value PostgreSQL refuses would otherwise
	// read as "database down", and Slack would retry it in vain.
	if !isSlackID(o.EventID) || (o.TeamID != "" && !isSlackID(o.TeamID)) {
		return "", fmt.Errorf("%w: event_id or team_id is not a Slack id", errMalformed)
	}
	if err := json.Unmarshal(o.Event, &inner); err != nil || inner.Type == "" {
		return "", fmt.Errorf("%w: event without type", errMalformed)
	}
	if !knownEventType(inner.Type) {
		// A type slack-go cannot decode cannot be handled either; refusing it
		// would only make Slack retry and count failures against the app.
		c.logger.Debug("slack: event type ignored", "event_type", inner.Type)
		return "", nil
	}
	ev, err := safeParse(func() (slackevents.EventsAPIEvent, error) {
		return slackevents.ParseEvent(raw, slackevents.OptionNoVerifyToken())
	})
	if err != nil {
		return "", fmt.Errorf("%w: %v", errMalformed, err)
	}

	if c.dedup != nil {
		dctx, cancel := context.WithTimeout(ctx, dedupeTimeout)
		first, err := c.dedup.MarkEventProcessed(dctx, o.EventID, o.TeamID, inner.Type)
		cancel()
		if storeRefusedValue(err) {
			return "", fmt.Errorf("%w: event ids refused by the store: %v", errMalformed, err)
		}
		if err != nil {
			c.logger.Error("slack: cannot record event; Slack will retry", "event_id", o.EventID, "error", err)
			return "", errUnavailable
		}
		if !first {
			c.logger.Debug("slack: duplicate event ignored", "event_id", o.EventID)
			return "", nil
		}
	}
	c.detached(ctx, func(ctx context.Context) {
		defer func() {
			if p := recover(); p != nil {
				c.logger.Error("slack: event handler panicked", "event_id", o.EventID,
					"panic", fmt.Sprint(p), "stack", string(debug.Stack()))
			}
		}()
		if err := c.events.HandleEvent(ctx, ev); err != nil {
			c.logger.Error("slack: event not handled", "event_id", o.EventID, "event_type", inner.Type, "error", err)
		}
	})
	return "", nil
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
// sending the same delivery again cannot succeed. The store translates
// constraint errors to domain.ErrInvalid; data errors it leaves alone are
// recognised by their SQLSTATE, without tying this package to a driver.
func storeRefusedValue(err error) bool {
	if err == nil {
		return false
	}
	if errors.Is(err, domain.ErrInvalid) {
		return true
	}
	var coded interface{ SQLState() string }
	if !errors.As(err, &coded) {
		return false
	}
	code := coded.SQLState()
	// Class 22: data exception (invalid byte sequence, string too long…);
	// 23502/23514: not null, check; 54000: e.g. an index row too large.
	return strings.HasPrefix(code, "22") || code == "23502" || code == "23514" || code == "54000"
}

// knownEventType reports whether slackevents.ParseEvent can decode an inner
// event of type t (it looks in the same two tables).
func knownEventType(t string) bool {
	if _, ok := slackevents.EventsAPIInnerEventMapping[slackevents.EventsAPIType(t)]; ok {
		return true
	}
	_, ok := slack.EventMapping[t]
	return ok
}

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
