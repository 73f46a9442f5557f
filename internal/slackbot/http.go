package slackbot

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/url"

	"github.com/slack-go/slack"

	"github.com/pic-montreal/relais/commands"
)

// Paths the Receiver answers; configure the same ones in the Slack app
// (Slash Commands, Interactivity, Event Subscriptions).
const (
	PathCommands     = "/slack/commands"
	PathInteractions = "/slack/interactions"
	PathEvents       = "/slack/events"
)

// maxBodyBytes caps a request body; Slack's are a few kilobytes.
const maxBodyBytes = 1 << 20

// Receiver receives Slack's signed HTTP requests. Mount it on the server's
// mux for the three Path* paths (or for "/slack/").
type Receiver struct {
	core *core
}

// NewHTTPHandler returns the HTTP receiver. An empty cfg.SigningSecret
// rejects every request.
func NewHTTPHandler(cfg Config, h commands.Handler, logger *slog.Logger) *Receiver {
	c := newCore(cfg, h, logger)
	if c.cfg.SigningSecret == "" {
		c.logger.Error("slack: no signing secret configured; every Slack request will be refused")
	}
	return &Receiver{core: c}
}

// Shutdown waits for replies still being computed or delivered, or for ctx.
// Call it after the HTTP server has stopped accepting requests.
func (rc *Receiver) Shutdown(ctx context.Context) error { return rc.core.wait(ctx) }

// ServeHTTP checks method and signature, then routes by path. The signature is
// verified on the raw body before anything parses it.
func (rc *Receiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var route func(http.ResponseWriter, *http.Request, []byte)
	switch r.URL.Path {
	case PathCommands:
		route = rc.serveCommand
	case PathInteractions:
		route = rc.serveInteraction
	case PathEvents:
		route = rc.serveEvent
	default:
		http.NotFound(w, r)
		return
	}
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBodyBytes))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			http.Error(w, "request body too large", http.StatusRequestEntityTooLarge)
			return
		}
		http.Error(w, "cannot read request body", http.StatusBadRequest)
		return
	}
	if r.URL.Path == PathCommands && isSSLCheck(body) {
		// Slack checks the certificate with an unsigned request and only
		// wants a 200; answering it reveals nothing and runs nothing.
		w.WriteHeader(http.StatusOK)
		return
	}
	if err := verifySignature(r.Header, body, rc.core.cfg.SigningSecret, rc.core.cfg.Now()); err != nil {
		rc.core.logger.Warn("slack: request refused", "method", r.Method, "path", r.URL.Path, "reason", err.Error())
		http.Error(w, "invalid request signature", http.StatusUnauthorized)
		return
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	route(w, r, body)
}

// isSSLCheck reports whether body is Slack's certificate check of the slash
// command URL ("ssl_check=1&token=…").
func isSSLCheck(body []byte) bool {
	form, _ := url.ParseQuery(string(body))
	return form.Get("ssl_check") == "1"
}

func (rc *Receiver) badRequest(w http.ResponseWriter, r *http.Request, err error) {
	rc.core.logger.Warn("slack: malformed request", "path", r.URL.Path, "reason", err.Error())
	http.Error(w, "malformed payload", http.StatusBadRequest)
}

func (rc *Receiver) serveCommand(w http.ResponseWriter, r *http.Request, _ []byte) {
	sc, err := safeParse(func() (slack.SlashCommand, error) { return slack.SlashCommandParse(r) })
	if err != nil {
		rc.badRequest(w, r, err)
		return
	}
	inv, err := invocationFromSlash(sc)
	if err != nil {
		rc.badRequest(w, r, err)
		return
	}
	m := rc.core.command(r.Context(), inv, sc.ResponseURL, true)
	rc.writeMessage(w, m)
}

func (rc *Receiver) serveInteraction(w http.ResponseWriter, r *http.Request, _ []byte) {
	ic, err := safeParse(func() (slack.InteractionCallback, error) { return slack.InteractionCallbackParse(r) })
	if err != nil {
		rc.badRequest(w, r, err)
		return
	}
	ack, err := rc.core.interaction(r.Context(), ic)
	if err != nil {
		rc.badRequest(w, r, err)
		return
	}
	rc.writeJSON(w, ack)
}

func (rc *Receiver) serveEvent(w http.ResponseWriter, r *http.Request, body []byte) {
	if n := r.Header.Get("X-Slack-Retry-Num"); n != "" {
		rc.core.logger.Debug("slack: event delivery retried", "retry_num", n, "retry_reason", r.Header.Get("X-Slack-Retry-Reason"))
	}
	challenge, err := rc.core.event(r.Context(), body)
	switch {
	case errors.Is(err, errUnavailable):
		http.Error(w, "try again later", http.StatusServiceUnavailable)
	case err != nil:
		// Sending the same bytes again cannot help.
		w.Header().Set("X-Slack-No-Retry", "1")
		rc.badRequest(w, r, err)
	case challenge != "":
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]string{"challenge": challenge})
	default:
		w.WriteHeader(http.StatusOK)
	}
}

// writeMessage writes an acknowledgement: empty when m is nil, else m as JSON.
func (rc *Receiver) writeMessage(w http.ResponseWriter, m *message) {
	if m == nil {
		rc.writeJSON(w, nil)
		return
	}
	rc.writeJSON(w, m)
}

// writeJSON writes an acknowledgement body: empty for nil, else v as JSON.
func (rc *Receiver) writeJSON(w http.ResponseWriter, v any) {
	if v == nil {
		w.WriteHeader(http.StatusOK)
		return
	}
	b, err := json.Marshal(v)
	if err != nil {
		rc.core.logger.Error("slack: cannot encode acknowledgement", "error", err)
		b, _ = json.Marshal(rc.core.internalError())
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(b)
}
