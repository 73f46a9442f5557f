package slackbot

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
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

// RunSocketMode receives Slack's requests over Socket Mode until ctx is done,
// then waits (at most cfg.HandlerTimeout) for replies in flight and returns
// nil. It returns an error at once when a token is missing.
//
// slack-go reconnects by itself when Slack asks (disconnect) or the connection
// drops, and retries failed connection attempts with backoff; its RunContext
// only returns on a fatal error (revoked or invalid token) or when ctx is done.
// RunSocketMode keeps trying after such an error, with backoff, logging each
// failure: a token fixed in Slack's settings then needs no restart.
func RunSocketMode(ctx context.Context, cfg Config, h commands.Handler, dedup EventDeduper, events EventHandler, logger *slog.Logger) error {
	if cfg.AppToken == "" || cfg.BotToken == "" {
		return errors.New("slackbot: Socket Mode needs an app-level token (xapp-…) and a bot token (xoxb-…)")
	}
	c := newCore(cfg, h, dedup, events, logger)
	smc := socketmode.New(NewClient(c.cfg, c.logger))
	s := &socketRunner{core: c, smc: smc}

	consumed := make(chan struct{})
	go func() {
		defer close(consumed)
		s.consume(ctx)
	}()

	delay := firstReconnectDelay
	for {
		err := smc.RunContext(ctx)
		if ctx.Err() != nil {
			break
		}
		if s.connected.Swap(false) {
			delay = firstReconnectDelay
		}
		c.logger.Error("slack: Socket Mode stopped; reconnecting", "error", err, "in", delay)
		if c.cfg.Sleep(ctx, delay) != nil {
			break
		}
		delay = min(2*delay, maxReconnectDelay)
	}
	<-consumed

	wctx, cancel := context.WithTimeout(context.Background(), c.cfg.HandlerTimeout)
	defer cancel()
	if err := c.wait(wctx); err != nil {
		c.logger.Warn("slack: stopped with replies still in flight")
	}
	return nil
}

type socketRunner struct {
	core *core
	smc  *socketmode.Client
	// connected is set when a connection opens, so the reconnect backoff
	// restarts from its minimum after a connection that worked.
	connected atomic.Bool
}

// consume reads the client's events until ctx is done. It never blocks on a
// handler: slack-go stalls its reader when the Events channel is full.
func (s *socketRunner) consume(ctx context.Context) {
	log := s.core.logger
	for {
		var evt socketmode.Event
		select {
		case <-ctx.Done():
			return
		case evt = <-s.smc.Events:
		}
		switch evt.Type {
		case socketmode.EventTypeConnecting:
			log.Debug("slack: Socket Mode connecting")
		case socketmode.EventTypeConnected:
			s.connected.Store(true)
			log.Info("slack: Socket Mode connected")
		case socketmode.EventTypeHello:
			log.Debug("slack: Socket Mode hello")
		case socketmode.EventTypeConnectionError:
			attrs := []any{}
			if e, ok := evt.Data.(*slack.ConnectionErrorEvent); ok {
				attrs = append(attrs, "attempt", e.Attempt, "backoff", e.Backoff, "error", e.ErrorObj)
			}
			log.Warn("slack: Socket Mode connection failed", attrs...)
		case socketmode.EventTypeInvalidAuth:
			log.Error("slack: Socket Mode token refused")
		case socketmode.EventTypeIncomingError, socketmode.EventTypeErrorWriteFailed:
			log.Warn("slack: Socket Mode transport error", "type", string(evt.Type))
		case socketmode.EventTypeSlashCommand, socketmode.EventTypeInteractive,
			socketmode.EventTypeEventsAPI, socketmode.EventTypeErrorBadMessage:
			// Acks and handlers run aside: an ack waits for the connection's
			// writer, and a handler for its budget. Acks use ctx, so they stop
			// at shutdown; handlers get a detached context from core.
			s.core.detached(ctx, func(context.Context) { s.envelope(ctx, evt) })
		default:
			log.Debug("slack: Socket Mode event ignored", "type", string(evt.Type))
		}
	}
}

// envelope handles one request from Slack, through the same functions as the
// HTTP receiver.
func (s *socketRunner) envelope(ctx context.Context, evt socketmode.Event) {
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
		s.ack(ctx, req.EnvelopeID, nil)
		if err := s.core.interaction(ctx, data); err != nil {
			s.core.logger.Warn("slack: malformed interaction", "reason", err.Error())
		}
	default:
		if evt.Type == socketmode.EventTypeEventsAPI {
			s.eventsAPI(ctx, req.EnvelopeID, req.Payload)
		}
	}
}

// slashCommand answers within the ack when Slack accepts a payload, exactly
// as the HTTP receiver does.
func (s *socketRunner) slashCommand(ctx context.Context, req socketmode.Request, sc slack.SlashCommand) {
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
	if err := s.smc.AckCtx(ctx, req.EnvelopeID, m); err != nil {
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
func (s *socketRunner) eventsAPI(ctx context.Context, envelopeID string, payload []byte) {
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
func (s *socketRunner) badMessage(ctx context.Context, evt socketmode.Event) {
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

func (s *socketRunner) ack(ctx context.Context, envelopeID string, payload any) {
	if err := s.smc.AckCtx(ctx, envelopeID, payload); err != nil {
		s.core.logger.Error("slack: envelope not acknowledged", "error", err)
	}
}
