package slackbot

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pic-montreal/relais/commands"
	"github.com/pic-montreal/relais/internal/slackfake"
	"github.com/pic-montreal/relais/internal/store"
	"github.com/pic-montreal/relais/internal/testdb"
)

// startSocketMode runs RunSocketMode until the test ends.
func startSocketMode(t *testing.T, cfg Config, h commands.Handler) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	logger, logs := testLogger()
	start := time.Now()
	t.Cleanup(func() {
		if testing.Verbose() {
			t.Logf("after %v, logs:\n%s", time.Since(start), logs)
		}
	})
	done := make(chan error, 1)
	go func() { done <- RunSocketMode(ctx, cfg, h, logger) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("RunSocketMode: %v", err)
			}
		case <-time.After(slackfake.WaitTimeout):
			t.Error("RunSocketMode did not return after cancel")
		}
	})
}

func ackMessage(t *testing.T, a slackfake.Ack) map[string]any {
	t.Helper()
	if len(a.Payload) == 0 {
		t.Fatalf("ack of %s has no payload", a.EnvelopeID)
	}
	return decodeMessage(t, a.Payload)
}

func TestSocketMode(t *testing.T) {
	fake := slackfake.New(t, slackfake.Options{PingInterval: 50 * time.Millisecond})
	events := newRecordingEvents(testdb.New(t))
	h := &testHandler{events: events, action: func(_ context.Context, act commands.ActionInvocation) commands.Reply {
		return commands.Reply{Text: "Page " + act.Value, ReplaceOriginal: true}
	}}
	startSocketMode(t, testConfig(fake, &sleeps{}), h)

	fake.WaitUsableConnections(t, socketConnections)
	calls := fake.Calls("apps.connections.open")
	if len(calls) != socketConnections {
		t.Fatalf("%d apps.connections.open calls, want %d", len(calls), socketConnections)
	}
	for _, c := range calls {
		if c.Token != fake.AppToken() {
			t.Fatalf("apps.connections.open with token %q", c.Token)
		}
	}

	// A slash command is answered in its ack.
	fake.Push(t, slackfake.SlashCommandEnvelope("env-cmd-1", slackfake.SlashCommand{UserID: "U5", TeamID: "T5", ChannelID: "C5", Text: "aide"}))
	if m := ackMessage(t, fake.WaitAck(t, "env-cmd-1")); m["text"] != "commande: aide" || m["response_type"] != "ephemeral" {
		t.Errorf("ack = %v", m)
	}
	want := commands.Invocation{Caller: commands.Caller{SlackUserID: "U5", TeamID: "T5"}, ChannelID: "C5", Text: "aide",
		TriggerID: fakeTriggerID}
	if invs := h.invocations(); len(invs) != 1 || invs[0] != want {
		t.Errorf("invocations = %+v", invs)
	}

	// A click is acked empty and answered on response_url.
	respURL := fake.NewResponseURL()
	fake.Push(t, slackfake.InteractiveEnvelope("env-click-1", slackfake.BlockAction{ActionID: "page_next", Value: "3", ResponseURL: respURL}.JSON()))
	if a := fake.WaitAck(t, "env-click-1"); len(a.Payload) != 0 {
		t.Errorf("interaction ack has a payload: %s", a.Payload)
	}
	if m := decodeMessage(t, fake.WaitResponses(t, respURL, 1)[0]); m["text"] != "Page 3" || m["replace_original"] != true {
		t.Errorf("click reply = %v", m)
	}

	// Events are acked and handled once, retries included.
	body := slackfake.EventCallback("Ev0SOCKET1", slackfake.AppHomeOpened("U5"))
	fake.Push(t, slackfake.EventsAPIEnvelope("env-ev-1", body, 0))
	fake.WaitAck(t, "env-ev-1")
	if ev := events.next(t); ev.Type != "app_home_opened" {
		t.Errorf("event = %+v", ev)
	}
	fake.Push(t, slackfake.EventsAPIEnvelope("env-ev-1-retry", body, 1))
	fake.WaitAck(t, "env-ev-1-retry")

	// An event type slack-go does not know is still acknowledged.
	fake.Push(t, slackfake.EventsAPIEnvelope("env-ev-unknown", slackfake.EventCallback("Ev0SOCKET2", map[string]any{"type": "brand_new_event"}), 0))
	fake.WaitAck(t, "env-ev-unknown")

	// Every connection drops: the client reconnects and handles the next envelope.
	fake.DropConnections(t)
	fake.WaitUsableConnections(t, socketConnections)
	fake.Push(t, slackfake.SlashCommandEnvelope("env-cmd-2", slackfake.SlashCommand{Text: "encore"}))
	if m := ackMessage(t, fake.WaitAck(t, "env-cmd-2")); m["text"] != "commande: encore" {
		t.Errorf("ack after reconnect = %v", m)
	}

	// Slack's own "disconnect" (connection refresh) is followed by a new connection too.
	fake.RequestDisconnect(t)
	fake.WaitConnection(t, 2*socketConnections+1)
	fake.WaitUsableConnections(t, socketConnections)
	fake.Push(t, slackfake.SlashCommandEnvelope("env-cmd-3", slackfake.SlashCommand{Text: "3"}))
	fake.WaitAck(t, "env-cmd-3")

	// Ev0SOCKET1 once despite its retry, and the unknown type (ignored by
	// a real handler).
	if n := events.count(); n != 2 {
		t.Errorf("events handled %d times, want 2", n)
	}
}

func TestSocketModeSlowCommand(t *testing.T) {
	fake := slackfake.New(t, slackfake.Options{})
	release := make(chan struct{})
	h := &testHandler{command: func(ctx context.Context, inv commands.Invocation) commands.Reply {
		<-release
		return commands.Reply{Text: "enfin", InChannel: true}
	}}
	cfg := testConfig(fake, &sleeps{})
	cfg.AckBudget = 20 * time.Millisecond
	startSocketMode(t, cfg, h)
	fake.WaitConnection(t, 1)

	respURL := fake.NewResponseURL()
	fake.Push(t, slackfake.SlashCommandEnvelope("env-slow", slackfake.SlashCommand{Text: "lent", ResponseURL: respURL}))
	if m := ackMessage(t, fake.WaitAck(t, "env-slow")); m["text"] != bilingual("error.slow") {
		t.Errorf("ack = %v", m)
	}
	close(release)
	if m := decodeMessage(t, fake.WaitResponses(t, respURL, 1)[0]); m["text"] != "enfin" || m["response_type"] != "in_channel" {
		t.Errorf("reply = %v", m)
	}

	// An envelope that takes no payload gets an empty ack; the reply goes to response_url.
	respURL = fake.NewResponseURL()
	env := slackfake.SlashCommandEnvelope("env-nopayload", slackfake.SlashCommand{Text: "x", ResponseURL: respURL})
	env.AcceptsResponsePayload = false
	fake.Push(t, env)
	if a := fake.WaitAck(t, "env-nopayload"); len(a.Payload) != 0 {
		t.Errorf("ack payload %s", a.Payload)
	}
	fake.WaitResponses(t, respURL, 1)
}

// A reply too big for a Socket Mode ack (20 KB) goes through response_url.
func TestSocketModeLargeReply(t *testing.T) {
	fake := slackfake.New(t, slackfake.Options{})
	big := make([]byte, 25<<10)
	for i := range big {
		big[i] = 'a'
	}
	h := &testHandler{command: func(context.Context, commands.Invocation) commands.Reply {
		return commands.Reply{Text: string(big)}
	}}
	startSocketMode(t, testConfig(fake, &sleeps{}), h)
	fake.WaitConnection(t, 1)
	respURL := fake.NewResponseURL()
	fake.Push(t, slackfake.SlashCommandEnvelope("env-big", slackfake.SlashCommand{ResponseURL: respURL}))
	if a := fake.WaitAck(t, "env-big"); len(a.Payload) != 0 {
		t.Errorf("ack carries %d bytes", len(a.Payload))
	}
	var m message
	if err := json.Unmarshal(fake.WaitResponses(t, respURL, 1)[0], &m); err != nil || len(m.Text) != len(big) {
		t.Errorf("reply: %v, %d bytes", err, len(m.Text))
	}
}

func TestSocketModeNeedsTokens(t *testing.T) {
	if err := RunSocketMode(context.Background(), Config{BotToken: "xoxb-1"}, &testHandler{}, nil); err == nil {
		t.Error("no error without an app token")
	}
}

// Over Socket Mode, an event whose ids cannot be stored is acknowledged (so
// Slack does not redeliver it); one that found the database down is not.
func TestSocketModeUnstorableEvents(t *testing.T) {
	fake := slackfake.New(t, slackfake.Options{})
	st := testdb.New(t)
	refuseLongEventIDs(t, st)
	events := newRecordingEvents(st)
	startSocketMode(t, testConfig(fake, &sleeps{}), &testHandler{events: events})
	fake.WaitConnection(t, 1)

	bodies := unstorableEventBodies(t)
	bodies["refused by the store"] = slackfake.EventCallback("Ev0123456789ABCDEF", slackfake.AppHomeOpened("U1"))
	for name, body := range bodies {
		id := "env-" + strings.ReplaceAll(name, " ", "-")
		fake.Push(t, slackfake.EventsAPIEnvelope(id, body, 0))
		fake.WaitAck(t, id)
	}
	if n := events.count(); n != 0 {
		t.Errorf("handler called %d times", n)
	}
	if n := countStoredEvents(t, st); n != 0 {
		t.Errorf("%d events stored", n)
	}
}

func TestSocketModeEventStoreDown(t *testing.T) {
	fake := slackfake.New(t, slackfake.Options{})
	down, err := store.Open(context.Background(), testdb.NewURL(t))
	if err != nil {
		t.Fatal(err)
	}
	down.Close()
	events := newRecordingEvents(down)
	events.asked = make(chan string, 10)
	startSocketMode(t, testConfig(fake, &sleeps{}), &testHandler{events: events})
	fake.WaitConnection(t, 1)

	fake.Push(t, slackfake.EventsAPIEnvelope("env-down", slackfake.EventCallback("Ev0DOWN", slackfake.AppHomeOpened("U1")), 0))
	select {
	case id := <-events.asked:
		if id != "Ev0DOWN" {
			t.Fatalf("asked about %q", id)
		}
	case <-time.After(slackfake.WaitTimeout):
		t.Fatal("event never reached the store")
	}
	// An envelope pushed after the store answered is acknowledged; by then
	// the first one would have been, had it been acknowledged at all.
	fake.Push(t, slackfake.EventsAPIEnvelope("env-after", unstorableEventBodies(t)["NUL in event_id"], 0))
	fake.WaitAck(t, "env-after")
	if fake.Acked("env-down") {
		t.Error("event acknowledged although it could not be recorded")
	}
	if events.count() != 0 {
		t.Error("event handled although it could not be recorded")
	}
}

// While Slack refreshes a connection (disconnect, then no more envelopes on
// it), commands keep arriving on the other one: a burst with a refresh in the
// middle is answered in full, each command once.
func TestSocketModeRefreshLosesNoCommand(t *testing.T) {
	fake := slackfake.New(t, slackfake.Options{})
	fake.SetRefreshGrace(100 * time.Millisecond)
	h := &testHandler{}
	startSocketMode(t, testConfig(fake, &sleeps{}), h)
	fake.WaitUsableConnections(t, socketConnections)

	const burst = 50
	half, refreshed := make(chan struct{}), make(chan struct{})
	pushed := make(chan struct{})
	go func() {
		defer close(pushed)
		for i := range burst {
			if i == burst/2 {
				close(half)
				<-refreshed
			}
			fake.Push(t, slackfake.SlashCommandEnvelope(fmt.Sprintf("env-burst-%d", i), slackfake.SlashCommand{Text: strconv.Itoa(i)}))
		}
	}()
	<-half
	fake.RequestDisconnect(t)
	close(refreshed)
	<-pushed

	if lost := fake.DispatchFailures(); len(lost) != 0 {
		t.Fatalf("%d envelope(s) lost during the refresh: %v", len(lost), lost)
	}
	for i := range burst {
		id := fmt.Sprintf("env-burst-%d", i)
		if m := ackMessage(t, fake.WaitAck(t, id)); m["text"] != "commande: "+strconv.Itoa(i) {
			t.Errorf("%s: ack = %v", id, m)
		}
	}
	// The refreshed connection is replaced; by then every ack is in.
	fake.WaitConnection(t, socketConnections+1)
	fake.WaitUsableConnections(t, socketConnections)
	// An ack sent again (the connection ended just after it was handed
	// over) carries the same answer.
	for i := range burst {
		id := fmt.Sprintf("env-burst-%d", i)
		acks := fake.AcksOf(id)
		for _, a := range acks[1:] {
			if string(a.Payload) != string(acks[0].Payload) {
				t.Errorf("%s acknowledged with %s, then %s", id, acks[0].Payload, a.Payload)
			}
		}
	}
	if n := len(h.invocations()); n != burst {
		t.Errorf("handler called %d times, want %d", n, burst)
	}
}

// An ack written into a connection that dies with it is sent again, on the
// other connection, with the same answer.
func TestSocketModeAckLostWithItsConnection(t *testing.T) {
	fake := slackfake.New(t, slackfake.Options{})
	h := &testHandler{}
	startSocketMode(t, testConfig(fake, &sleeps{}), h)
	fake.WaitUsableConnections(t, socketConnections)

	fake.LoseNextAck()
	fake.Push(t, slackfake.SlashCommandEnvelope("env-lost", slackfake.SlashCommand{Text: "7"}))
	if m := ackMessage(t, fake.WaitAck(t, "env-lost")); m["text"] != "commande: 7" {
		t.Errorf("ack = %v", m)
	}
	if n := len(h.invocations()); n != 1 {
		t.Errorf("handler called %d times, want 1", n)
	}
}
