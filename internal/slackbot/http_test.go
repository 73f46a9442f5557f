package slackbot

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/pic-montreal/relais/commands"
	"github.com/pic-montreal/relais/internal/domain"
	"github.com/pic-montreal/relais/internal/i18n"
	"github.com/pic-montreal/relais/internal/slackfake"
)

func TestCommandRepliesInline(t *testing.T) {
	h := &testHandler{command: func(_ context.Context, inv commands.Invocation) commands.Reply {
		return commands.Reply{Text: "Bonjour", Blocks: sectionBlocks("*Bonjour*"), InChannel: true}
	}}
	logger, _ := testLogger()
	rc := NewHTTPHandler(testConfig(nil, nil), h, logger)
	defer shutdown(t, rc)

	body := slackfake.SlashCommand{UserID: "U42", TeamID: "T42", ChannelID: "C42", Text: "projets  Ahuntsic", TriggerID: "T-42"}.Body()
	rec := serve(rc, signed(PathCommands, slackfake.FormContentType, body))
	if rec.Code != http.StatusOK {
		t.Fatalf("status %d: %s", rec.Code, rec.Body)
	}
	if ct := rec.Header().Get("Content-Type"); ct != "application/json" {
		t.Errorf("content type %q", ct)
	}
	m := decodeMessage(t, rec.Body.Bytes())
	if m["response_type"] != "in_channel" || m["text"] != "Bonjour" {
		t.Errorf("ack = %v", m)
	}
	if _, ok := m["replace_original"]; ok {
		t.Errorf("replace_original sent for a command: %v", m)
	}
	blocks, _ := m["blocks"].([]any)
	if len(blocks) != 1 || blocks[0].(map[string]any)["type"] != "section" {
		t.Errorf("blocks = %v", m["blocks"])
	}
	want := commands.Invocation{Caller: commands.Caller{SlackUserID: "U42", TeamID: "T42"}, ChannelID: "C42", Text: "projets  Ahuntsic",
		TriggerID: "T-42"}
	if invs := h.invocations(); len(invs) != 1 || invs[0] != want {
		t.Errorf("invocations = %+v, want %+v", invs, want)
	}
}

func TestCommandEphemeralByDefault(t *testing.T) {
	logger, _ := testLogger()
	rc := NewHTTPHandler(testConfig(nil, nil), &testHandler{}, logger)
	defer shutdown(t, rc)
	rec := serve(rc, signed(PathCommands, slackfake.FormContentType, slackfake.SlashCommand{Text: "aide"}.Body()))
	m := decodeMessage(t, rec.Body.Bytes())
	if m["response_type"] != "ephemeral" || m["text"] != "commande: aide" {
		t.Errorf("ack = %v", m)
	}
}

// A slow handler: the ack says "on its way" within the budget, the reply
// follows on response_url, and the handler's context survives the request.
func TestSlowCommandRepliesThroughResponseURL(t *testing.T) {
	fake := slackfake.New(t, slackfake.Options{})
	release := make(chan struct{})
	ctxErr := make(chan error, 1)
	h := &testHandler{command: func(ctx context.Context, inv commands.Invocation) commands.Reply {
		<-release
		ctxErr <- ctx.Err()
		if _, ok := ctx.Deadline(); !ok {
			t.Error("handler context has no deadline")
		}
		return commands.Reply{Text: "Voici les projets", Blocks: sectionBlocks("liste")}
	}}
	cfg := testConfig(fake, &sleeps{})
	cfg.AckBudget = 50 * time.Millisecond
	logger, _ := testLogger()
	rc := NewHTTPHandler(cfg, h, logger)
	// A real server, so that the request's context is cancelled once answered.
	srv := httptest.NewServer(rc)
	defer srv.Close()

	respURL := fake.NewResponseURL()
	body := slackfake.SlashCommand{Text: "projets", ResponseURL: respURL}.Body()
	start := time.Now()
	resp, err := http.DefaultClient.Do(slackfake.SignedRequest(testSecret, fixedNow, srv.URL+PathCommands, slackfake.FormContentType, body))
	if err != nil {
		t.Fatal(err)
	}
	var ack map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&ack); err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if elapsed := time.Since(start); elapsed > 2*time.Second {
		t.Errorf("ack took %v", elapsed)
	}
	if ack["text"] != bilingual("error.slow") || ack["response_type"] != "ephemeral" {
		t.Errorf("ack = %v", ack)
	}
	if got := fake.Responses(respURL); len(got) != 0 {
		t.Fatalf("reply posted before the handler finished: %s", got)
	}

	close(release)
	posted := fake.WaitResponses(t, respURL, 1)
	if err := <-ctxErr; err != nil {
		t.Errorf("handler context cancelled with the request: %v", err)
	}
	m := decodeMessage(t, posted[0])
	if m["text"] != "Voici les projets" || m["response_type"] != "ephemeral" || m["blocks"] == nil {
		t.Errorf("posted = %v", m)
	}
	shutdown(t, rc)
	if n := len(fake.Responses(respURL)); n != 1 {
		t.Errorf("%d replies posted, want 1", n)
	}
	if c := fake.Calls("response")[0]; !strings.HasPrefix(c.ContentType, "application/json") {
		t.Errorf("response_url content type %q", c.ContentType)
	}
}

func TestCommandLanguageOfTransportMessages(t *testing.T) {
	fake := slackfake.New(t, slackfake.Options{})
	release := make(chan struct{})
	h := &testHandler{command: func(context.Context, commands.Invocation) commands.Reply {
		<-release
		return commands.Reply{}
	}}
	cfg := testConfig(fake, nil)
	cfg.AckBudget = 10 * time.Millisecond
	cfg.Language = domain.English
	logger, _ := testLogger()
	rc := NewHTTPHandler(cfg, h, logger)
	rec := serve(rc, signed(PathCommands, slackfake.FormContentType, slackfake.SlashCommand{ResponseURL: fake.NewResponseURL()}.Body()))
	if m := decodeMessage(t, rec.Body.Bytes()); m["text"] != i18n.T(domain.English, "error.slow") {
		t.Errorf("ack = %v", m)
	}
	close(release)
	shutdown(t, rc)
}

func TestCommandPanicIsRecovered(t *testing.T) {
	h := &testHandler{command: func(context.Context, commands.Invocation) commands.Reply { panic("boom") }}
	logger, logs := testLogger()
	rc := NewHTTPHandler(testConfig(nil, nil), h, logger)
	defer shutdown(t, rc)
	rec := serve(rc, signed(PathCommands, slackfake.FormContentType, slackfake.SlashCommand{}.Body()))
	if rec.Code != http.StatusOK {
		t.Fatalf("status %d", rec.Code)
	}
	if m := decodeMessage(t, rec.Body.Bytes()); m["text"] != bilingual("error.internal") {
		t.Errorf("ack = %v", m)
	}
	if out := logs.String(); !strings.Contains(out, "handler panicked") || !strings.Contains(out, "boom") {
		t.Errorf("panic not logged: %s", out)
	}
}

func TestEmptyReplyGivesEmptyAck(t *testing.T) {
	h := &testHandler{command: func(context.Context, commands.Invocation) commands.Reply { return commands.Reply{} }}
	logger, _ := testLogger()
	rc := NewHTTPHandler(testConfig(nil, nil), h, logger)
	defer shutdown(t, rc)
	rec := serve(rc, signed(PathCommands, slackfake.FormContentType, slackfake.SlashCommand{}.Body()))
	if rec.Code != http.StatusOK || rec.Body.Len() != 0 {
		t.Errorf("status %d body %q", rec.Code, rec.Body)
	}
}

func TestInteractionRepliesThroughResponseURL(t *testing.T) {
	fake := slackfake.New(t, slackfake.Options{})
	h := &testHandler{action: func(_ context.Context, act commands.ActionInvocation) commands.Reply {
		switch act.ActionID {
		case "page_next":
			return commands.Reply{Text: "Page 2", Blocks: sectionBlocks("page 2"), ReplaceOriginal: true}
		case "share":
			return commands.Reply{Text: "Partagé", InChannel: true}
		case "boom":
			panic("boom")
		}
		return commands.Reply{Text: "?"}
	}}
	logger, _ := testLogger()
	rc := NewHTTPHandler(testConfig(fake, nil), h, logger)

	pageURL, shareURL, boomURL := fake.NewResponseURL(), fake.NewResponseURL(), fake.NewResponseURL()
	for _, a := range []slackfake.BlockAction{
		{UserID: "U7", ChannelID: "C7", ActionID: "page_next", Value: "2", ResponseURL: pageURL},
		{UserID: "U7", ChannelID: "C7", ActionID: "share", Value: "p-12", ResponseURL: shareURL},
		{UserID: "U7", ChannelID: "C7", ActionID: "boom", ResponseURL: boomURL},
	} {
		rec := serve(rc, signed(PathInteractions, slackfake.FormContentType, slackfake.InteractionBody(a.JSON())))
		if rec.Code != http.StatusOK || rec.Body.Len() != 0 {
			t.Fatalf("%s: status %d body %q", a.ActionID, rec.Code, rec.Body)
		}
	}
	page := decodeMessage(t, fake.WaitResponses(t, pageURL, 1)[0])
	if page["replace_original"] != true || page["text"] != "Page 2" || page["blocks"] == nil {
		t.Errorf("page reply = %v", page)
	}
	share := decodeMessage(t, fake.WaitResponses(t, shareURL, 1)[0])
	if share["response_type"] != "in_channel" || share["replace_original"] != false {
		t.Errorf("share reply = %v", share)
	}
	boom := decodeMessage(t, fake.WaitResponses(t, boomURL, 1)[0])
	if boom["text"] != bilingual("error.internal") || boom["replace_original"] != false {
		t.Errorf("reply after a panic = %v", boom)
	}
	shutdown(t, rc)
	acts := h.actions()
	if len(acts) != 3 {
		t.Fatalf("actions = %+v", acts)
	}
	want := commands.ActionInvocation{Caller: commands.Caller{SlackUserID: "U7", TeamID: slackfake.TeamID}, ChannelID: "C7", ActionID: "page_next", Value: "2",
		Surface: commands.SurfacePrivate, TriggerID: fakeTriggerID, MessageTS: "1700000000.000100"}
	if acts[0] != want && acts[1] != want {
		t.Errorf("actions = %+v, want one %+v", acts, want)
	}
}

func TestOtherInteractionsAreAcknowledged(t *testing.T) {
	h := &testHandler{}
	logger, _ := testLogger()
	rc := NewHTTPHandler(testConfig(nil, nil), h, logger)
	defer shutdown(t, rc)
	for _, p := range []string{
		`{"type":"view_submission","user":{"id":"U1"},"team":{"id":"T1"},"view":{"id":"V1","state":{"values":{}}}}`,
		`{"type":"shortcut","callback_id":"x","user":{"id":"U1"},"team":{"id":"T1"}}`,
		`{"type":"something_new"}`,
	} {
		rec := serve(rc, signed(PathInteractions, slackfake.FormContentType, slackfake.InteractionBody([]byte(p))))
		if rec.Code != http.StatusOK || rec.Body.Len() != 0 {
			t.Errorf("%s: status %d body %q", p, rec.Code, rec.Body)
		}
	}
	if len(h.actions()) != 0 {
		t.Error("handler called for a non-button interaction")
	}
}

func TestMalformedPayloads(t *testing.T) {
	logger, _ := testLogger()
	rc := NewHTTPHandler(testConfig(nil, nil), &testHandler{}, logger)
	defer shutdown(t, rc)
	for _, tc := range []struct {
		path, ct, body string
	}{
		{PathCommands, slackfake.FormContentType, "team_id=T1&text=x"},               // no user
		{PathCommands, slackfake.JSONContentType, `{"user_id":"U1","team_id":"T1"}`}, // not a form
		{PathCommands, slackfake.FormContentType, "%zz=1"},
		{PathInteractions, slackfake.FormContentType, ""},
		{PathInteractions, slackfake.FormContentType, "payload=%7Bnot+json"},
		{PathInteractions, slackfake.FormContentType, "payload=" + `{"type":"block_actions","user":{}}`},
		{PathInteractions, slackfake.FormContentType, "payload=" + `{"type":"block_actions","user":{"id":"U1"},"actions":{}}`},
		{PathEvents, slackfake.JSONContentType, ""},
		{PathEvents, slackfake.JSONContentType, "{"},
		{PathEvents, slackfake.JSONContentType, `{"type":"event_callback","event":{"type":"app_home_opened"}}`}, // no event_id
		{PathEvents, slackfake.JSONContentType, `{"type":"event_callback","event_id":"Ev1","event":"x"}`},
		{PathEvents, slackfake.JSONContentType, `{"type":"event_callback","event_id":"Ev1","event":{"type":"app_home_opened","user":7}}`},
		{PathEvents, slackfake.JSONContentType, `[]`},
	} {
		rec := serve(rc, signed(tc.path, tc.ct, []byte(tc.body)))
		if rec.Code != http.StatusBadRequest {
			t.Errorf("%s %q: status %d, want 400", tc.path, tc.body, rec.Code)
		}
	}
}

func TestURLVerification(t *testing.T) {
	logger, _ := testLogger()
	rc := NewHTTPHandler(testConfig(nil, nil), &testHandler{}, logger)
	rec := serve(rc, signed(PathEvents, slackfake.JSONContentType, slackfake.URLVerification("3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P")))
	if rec.Code != http.StatusOK {
		t.Fatalf("status %d", rec.Code)
	}
	if m := decodeMessage(t, rec.Body.Bytes()); m["challenge"] != "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P" {
		t.Errorf("body = %v", m)
	}
}

// An event type Relais does not know is acknowledged (refusing it would only
// make Slack retry): the handler gets it and ignores it. Outer types other
// than event_callback never reach it.
func TestUnknownEventTypeIsAcknowledged(t *testing.T) {
	events := newRecordingEvents(nil)
	logger, _ := testLogger()
	rc := NewHTTPHandler(testConfig(nil, nil), &testHandler{events: events}, logger)
	body := slackfake.EventCallback("Ev0NEW", map[string]any{"type": "some_future_event", "x": 1})
	if rec := serve(rc, signed(PathEvents, slackfake.JSONContentType, body)); rec.Code != http.StatusOK {
		t.Fatalf("status %d", rec.Code)
	}
	body = []byte(`{"type":"app_rate_limited","team_id":"T1","minute_rate_limited":1518467820,"api_app_id":"A1"}`)
	if rec := serve(rc, signed(PathEvents, slackfake.JSONContentType, body)); rec.Code != http.StatusOK {
		t.Fatalf("app_rate_limited: status %d", rec.Code)
	}
	shutdown(t, rc)
	if ev := events.next(t); ev.Type != "some_future_event" || events.count() != 1 {
		t.Errorf("handed over: %+v, %d events", ev, events.count())
	}
}

// An event its handler could not process (its database down) is not
// acknowledged, so Slack delivers it again.
func TestEventStoreDownAsksForRetry(t *testing.T) {
	events := newRecordingEvents(nil)
	events.err = fmt.Errorf("begin: %w", syscall.ECONNREFUSED)
	logger, logs := testLogger()
	rc := NewHTTPHandler(testConfig(nil, nil), &testHandler{events: events}, logger)
	body := slackfake.EventCallback("Ev0DOWN", slackfake.AppHomeOpened("U1"))
	if rec := serve(rc, signed(PathEvents, slackfake.JSONContentType, body)); rec.Code != http.StatusServiceUnavailable {
		t.Fatalf("status %d, want 503", rec.Code)
	}
	shutdown(t, rc)
	if !strings.Contains(logs.String(), "Slack will retry") {
		t.Errorf("not logged: %s", logs)
	}
}

// Slack checks the slash command URL's certificate with an unsigned
// "ssl_check=1" request and expects a 200; nothing runs.
func TestSSLCheckIsAnswered(t *testing.T) {
	h := &testHandler{}
	logger, _ := testLogger()
	rc := NewHTTPHandler(testConfig(nil, nil), h, logger)
	defer shutdown(t, rc)
	body := []byte("ssl_check=1&token=gIkuvaNzQIHg97ATvDxqgjtO")

	unsigned := httptest.NewRequest(http.MethodPost, PathCommands, strings.NewReader(string(body)))
	unsigned.Header.Set("Content-Type", slackfake.FormContentType)
	for name, req := range map[string]*http.Request{
		"unsigned": unsigned,
		"signed":   signed(PathCommands, slackfake.FormContentType, body),
	} {
		if rec := serve(rc, req); rec.Code != http.StatusOK || rec.Body.Len() != 0 {
			t.Errorf("%s: status %d body %q", name, rec.Code, rec.Body)
		}
	}
	if invs := h.invocations(); len(invs) != 0 {
		t.Errorf("handler called: %+v", invs)
	}

	// Anywhere else, an unsigned request is still refused.
	other := httptest.NewRequest(http.MethodPost, PathInteractions, strings.NewReader(string(body)))
	other.Header.Set("Content-Type", slackfake.FormContentType)
	if rec := serve(rc, other); rec.Code != http.StatusUnauthorized {
		t.Errorf("ssl_check on %s: status %d, want 401", PathInteractions, rec.Code)
	}
}
