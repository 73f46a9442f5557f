package slackbot

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/socketmode"

	"github.com/pic-montreal/relais/commands"
)

const (
	firstReconnectDelay = time.Second
	maxReconnectDelay   = time.Minute
)

// ackResendWindow is how far back, when a connection ends, Relais resends the
// acks it handed to that connection. slack-go reports an ack whose write
// failed only when the report does not race the connection's teardown, so an
// ack handed over just before the end may be lost without a word. Slack acts
// on the first ack of an envelope and ignores the others; one older than its
// 3-second deadline is useless, hence the window. The resend goes over
// another of the app's connections: an ack names its envelope, and slack-go
// itself resends a failed ack over whichever connection replaces the one
// that failed.
const ackResendWindow = 3 * time.Second

// socketConnections is how many Socket Mode connections Relais keeps open.
// Slack refreshes a connection every few hours by sending it "disconnect",
// after which it sends that connection no more envelopes; slack-go then
// closes it and opens a replacement. While that happens the other connection
// takes the envelopes, so none is lost (Slack allows 10 per app and spreads
// envelopes over them).
const socketConnections = 2

// RunSocketMode receives Slack's requests over Socket Mode until ctx is done,
// then waits (at most cfg.HandlerTimeout) for replies in flight and returns
// nil. It returns an error at once when a token is missing.
//
// It keeps socketConnections connections, each a slack-go client. slack-go
// reconnects by itself when Slack asks (disconnect) or the connection drops,
// and retries failed connection attempts with backoff; its RunContext only
// returns on a fatal error (revoked or invalid token) or when ctx is done.
// RunSocketMode keeps trying after such an error, with backoff, logging each
// failure: a token fixed in Slack's settings then needs no restart.
func RunSocketMode(ctx context.Context, cfg Config, h commands.Handler, logger *slog.Logger) error {
	if cfg.AppToken == "" || cfg.BotToken == "" {
		return errors.New("slackbot: Socket Mode needs an app-level token (xapp-…) and a bot token (xoxb-…)")
	}
	c := newCore(cfg, h, logger)
	api := NewClient(c.cfg, c.logger)
	s := &socketRunner{core: c, events: make(chan linkEvent)}
	for i := range socketConnections {
		s.links = append(s.links, &socketLink{core: c, smc: socketmode.New(api), number: i + 1})
	}

	consumed := make(chan struct{})
	go func() {
		defer close(consumed)
		s.consume(ctx)
	}()
	var running sync.WaitGroup
	for _, l := range s.links {
		running.Go(func() { s.forward(ctx, l) })
		running.Go(func() { l.keepConnected(ctx) })
	}
	running.Wait()
	<-consumed

	wctx, cancel := context.WithTimeout(context.Background(), c.cfg.HandlerTimeout)
	defer cancel()
	if err := c.wait(wctx); err != nil {
		c.logger.Warn("slack: stopped with replies still in flight")
	}
	return nil
}

// socketRunner gathers the events of every connection into one consume loop.
type socketRunner struct {
	core   *core
	links  []*socketLink
	events chan linkEvent
}

// socketLink is one Socket Mode connection, reopened whenever it ends.
type socketLink struct {
	core   *core
	smc    *socketmode.Client
	number int // for logs
	// connected is set when a connection opens, so the reconnect backoff
	// restarts from its minimum after a connection that worked.
	connected atomic.Bool
	// up is true from a connection's opening to its end.
	up atomic.Bool

	mu sync.Mutex
	// handed are the acks given to slack-go since the connection last ended,
	// oldest first: those it may have lost if the connection ends now.
	handed []handedAck
}

// handedAck is an ack given to slack-go, to resend if its connection ends.
type handedAck struct {
	res socketmode.Response
	at  time.Time
}

// linkEvent is an event with the connection it came from, which must carry
// its acknowledgement.
type linkEvent struct {
	link *socketLink
	evt  socketmode.Event
}

// keepConnected runs l's slack-go client until ctx is done, starting it again
// with backoff after a fatal error.
func (l *socketLink) keepConnected(ctx context.Context) {
	delay := firstReconnectDelay
	for {
		err := l.smc.RunContext(ctx)
		if ctx.Err() != nil {
			return
		}
		if l.connected.Swap(false) {
			delay = firstReconnectDelay
		}
		l.core.logger.Error("slack: Socket Mode stopped; reconnecting", "connection", l.number, "error", err, "in", delay)
		if l.core.cfg.Sleep(ctx, delay) != nil {
			return
		}
		delay = min(2*delay, maxReconnectDelay)
	}
}

// forward passes l's events to the consume loop until ctx is done.
func (s *socketRunner) forward(ctx context.Context, l *socketLink) {
	for {
		select {
		case <-ctx.Done():
			return
		case evt := <-l.smc.Events:
			select {
			case s.events <- linkEvent{link: l, evt: evt}:
			case <-ctx.Done():
				return
			}
		}
	}
}

// consume reads the connections' events until ctx is done. It never blocks
// on a handler: slack-go stalls its reader when the Events channel is full.
func (s *socketRunner) consume(ctx context.Context) {
	log := s.core.logger
	for {
		var le linkEvent
		select {
		case <-ctx.Done():
			return
		case le = <-s.events:
		}
		l, evt := le.link, le.evt
		switch evt.Type {
		case socketmode.EventTypeConnecting:
			// slack-go announces each attempt; after a connection that was
			// up, it means that connection has ended.
			l.up.Store(false)
			if acks := l.takeHanded(time.Now()); len(acks) > 0 {
				log.Info("slack: Socket Mode connection ended; sending its latest acks again", "connection", l.number, "acks", len(acks))
				to := s.usableLink(l)
				for _, res := range acks {
					s.core.detached(ctx, func(context.Context) { to.send(ctx, res) })
				}
			}
			log.Debug("slack: Socket Mode connecting", "connection", l.number)
		case socketmode.EventTypeConnected:
			l.connected.Store(true)
			l.up.Store(true)
			log.Info("slack: Socket Mode connected", "connection", l.number)
		case socketmode.EventTypeHello:
			log.Debug("slack: Socket Mode hello", "connection", l.number)
		case socketmode.EventTypeConnectionError:
			attrs := []any{"connection", l.number}
			if e, ok := evt.Data.(*slack.ConnectionErrorEvent); ok {
				attrs = append(attrs, "attempt", e.Attempt, "backoff", e.Backoff, "error", e.ErrorObj)
			}
			log.Warn("slack: Socket Mode connection failed", attrs...)
		case socketmode.EventTypeInvalidAuth:
			log.Error("slack: Socket Mode token refused")
		case socketmode.EventTypeErrorWriteFailed:
			// An ack written as its connection was being replaced: slack-go
			// sends it again on the connection that follows.
			if f, ok := evt.Data.(*socketmode.ErrorWriteFailed); ok && f.Response != nil && f.Response.EnvelopeID != "" {
				log.Warn("slack: Socket Mode ack not written; sending it again", "connection", l.number, "error", f.Cause)
				resend := socketmode.Response{EnvelopeID: f.Response.EnvelopeID, Payload: f.Response.Payload}
				s.core.detached(ctx, func(context.Context) { l.send(ctx, resend) })
				continue
			}
			log.Warn("slack: Socket Mode transport error", "connection", l.number, "type", string(evt.Type))
		case socketmode.EventTypeIncomingError:
			log.Warn("slack: Socket Mode transport error", "connection", l.number, "type", string(evt.Type))
		case socketmode.EventTypeSlashCommand, socketmode.EventTypeInteractive,
			socketmode.EventTypeEventsAPI, socketmode.EventTypeErrorBadMessage:
			// Acks and handlers run aside: an ack waits for the connection's
			// writer, and a handler for its budget. Acks use ctx, so they stop
			// at shutdown; handlers get a detached context from core.
			s.core.detached(ctx, func(context.Context) { l.envelope(ctx, evt) })
		default:
			log.Debug("slack: Socket Mode event ignored", "connection", l.number, "type", string(evt.Type))
		}
	}
}

// envelope handles one request from Slack, through the same functions as the
// HTTP receiver.
func (s *socketLink) envelope(ctx context.Context, evt socketmode.Event) {
	if evt.Type == socketmode.EventTypeErrorBadMessage {
		s.badMessage(ctx, evt)
		return
	}
	if evt.Request == nil {
		return
	}
	req := *evt.Request
	switch data := evt.Data.(type) {
	case slack.SlashCommand:
		s.slashCommand(ctx, req, data)
	case slack.InteractionCallback:
		// Clicks are acknowledged at once and answered after; a view
		// submission's answer is the ack's payload.
		if data.Type != slack.InteractionTypeViewSubmission {
			s.ack(ctx, req.EnvelopeID, nil)
		}
		ack, err := s.core.interaction(ctx, data)
		if err != nil {
			s.core.logger.Warn("slack: malformed interaction", "reason", err.Error())
		}
		if data.Type == slack.InteractionTypeViewSubmission {
			s.ack(ctx, req.EnvelopeID, ack)
		}
	default:
		if evt.Type == socketmode.EventTypeEventsAPI {
			s.eventsAPI(ctx, req.EnvelopeID, req.Payload)
		}
	}
}

// slashCommand answers within the ack when Slack accepts a payload, exactly
// as the HTTP receiver does.
func (s *socketLink) slashCommand(ctx context.Context, req socketmode.Request, sc slack.SlashCommand) {
	inv, err := invocationFromSlash(sc)
	if err != nil {
		s.core.logger.Warn("slack: malformed slash command", "reason", err.Error())
		s.ack(ctx, req.EnvelopeID, nil)
		return
	}
	m := s.core.command(ctx, inv, sc.ResponseURL, req.AcceptsResponsePayload)
	if m == nil {
		s.ack(ctx, req.EnvelopeID, nil)
		return
	}
	if err := s.trySend(ctx, socketmode.Response{EnvelopeID: req.EnvelopeID, Payload: m}); err != nil {
		if ctx.Err() != nil {
			s.core.logger.Error("slack: envelope not acknowledged", "error", err)
			return
		}
		// Slack drops Socket Mode acks of 20 KB or more: send the reply
		// through response_url instead.
		s.core.logger.Warn("slack: reply too large for the ack; using response_url", "error", err)
		s.ack(ctx, req.EnvelopeID, nil)
		s.core.post(sc.ResponseURL, *m)
	}
}

// eventsAPI runs the HTTP receiver's event path on the envelope's payload.
// An envelope is acknowledged unless the event could not be recorded: Slack
// then redelivers it, as it does after an HTTP 503.
func (s *socketLink) eventsAPI(ctx context.Context, envelopeID string, payload []byte) {
	if _, err := s.core.event(ctx, payload); err != nil {
		if errors.Is(err, errUnavailable) {
			return
		}
		s.core.logger.Warn("slack: malformed event", "reason", err.Error())
	}
	s.ack(ctx, envelopeID, nil)
}

// badMessage handles envelopes slack-go could not parse, notably events of a
// type it does not know: they must still be acknowledged, or Slack retries.
func (s *socketLink) badMessage(ctx context.Context, evt socketmode.Event) {
	bad, ok := evt.Data.(*socketmode.ErrorBadMessage)
	if !ok {
		return
	}
	var req socketmode.Request
	if json.Unmarshal(bad.Message, &req) != nil || req.EnvelopeID == "" {
		s.core.logger.Warn("slack: unreadable Socket Mode message")
		return
	}
	if req.Type == socketmode.RequestTypeEventsAPI {
		s.eventsAPI(ctx, req.EnvelopeID, req.Payload)
		return
	}
	s.core.logger.Warn("slack: malformed Socket Mode envelope acknowledged", "type", req.Type)
	s.ack(ctx, req.EnvelopeID, nil)
}

func (s *socketLink) ack(ctx context.Context, envelopeID string, payload any) {
	s.send(ctx, socketmode.Response{EnvelopeID: envelopeID, Payload: payload})
}

func (s *socketLink) send(ctx context.Context, res socketmode.Response) {
	if err := s.trySend(ctx, res); err != nil {
		s.core.logger.Error("slack: envelope not acknowledged", "error", err)
	}
}

// trySend hands res to slack-go. It is recorded first: the connection may end
// while SendCtx waits, and an ack recorded only after it might miss that end.
func (s *socketLink) trySend(ctx context.Context, res socketmode.Response) error {
	now := time.Now()
	s.mu.Lock()
	old := 0
	for old < len(s.handed) && now.Sub(s.handed[old].at) >= ackResendWindow {
		old++
	}
	s.handed = append(s.handed[old:], handedAck{res: res, at: now})
	s.mu.Unlock()
	err := s.smc.SendCtx(ctx, res)
	if err != nil {
		s.forget(res.EnvelopeID)
	}
	return err
}

// forget drops the latest record of an ack slack-go refused.
func (s *socketLink) forget(envelopeID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i := len(s.handed) - 1; i >= 0; i-- {
		if s.handed[i].res.EnvelopeID == envelopeID {
			s.handed = append(s.handed[:i], s.handed[i+1:]...)
			return
		}
	}
}

// takeHanded returns the acks handed over within ackResendWindow of now and
// forgets them all.
func (s *socketLink) takeHanded(now time.Time) []socketmode.Response {
	s.mu.Lock()
	handed := s.handed
	s.handed = nil
	s.mu.Unlock()
	var recent []socketmode.Response
	for _, h := range handed {
		if now.Sub(h.at) < ackResendWindow {
			recent = append(recent, h.res)
		}
	}
	return recent
}

// usableLink is a link other than ended whose connection is up, or ended
// itself (slack-go then sends once it has reconnected).
func (s *socketRunner) usableLink(ended *socketLink) *socketLink {
	for _, l := range s.links {
		if l != ended && l.up.Load() {
			return l
		}
	}
	return ended
}
