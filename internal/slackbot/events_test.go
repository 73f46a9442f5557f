package slackbot

import (
	"net/http"
	"testing"

	"github.com/slack-go/slack/slackevents"

	"github.com/pic-montreal/relais/internal/slackfake"
	"github.com/pic-montreal/relais/internal/testdb"
)

// The same event delivered twice (a retry after a timeout) is handled once;
// de-duplication is the PostgreSQL store's.
func TestEventDedupeWithPostgres(t *testing.T) {
	st := testdb.New(t)
	events := newRecordingEvents()
	logger, _ := testLogger()
	rc := NewHTTPHandler(testConfig(nil, nil), &testHandler{}, st, events, logger)

	body := slackfake.EventCallback("Ev0DEDUPE1", slackfake.AppHomeOpened("U1"))
	deliver := func(retry string) {
		t.Helper()
		req := signed(PathEvents, slackfake.JSONContentType, body)
		if retry != "" {
			req.Header.Set("X-Slack-Retry-Num", retry)
			req.Header.Set("X-Slack-Retry-Reason", "http_timeout")
		}
		rec := serve(rc, req)
		if rec.Code != http.StatusOK || rec.Body.Len() != 0 {
			t.Fatalf("retry %q: status %d body %q", retry, rec.Code, rec.Body)
		}
	}
	deliver("")
	ev := events.next(t)
	deliver("1")
	deliver("2")
	shutdown(t, rc)
	if n := events.count(); n != 1 {
		t.Fatalf("handler called %d times, want 1", n)
	}
	if ev.Type != slackevents.CallbackEvent || ev.InnerEvent.Type != "app_home_opened" {
		t.Errorf("event = %+v", ev)
	}
	inner, ok := ev.InnerEvent.Data.(*slackevents.AppHomeOpenedEvent)
	if !ok || inner.User != "U1" {
		t.Errorf("inner event = %#v", ev.InnerEvent.Data)
	}

	// Another event id is new.
	body = slackfake.EventCallback("Ev0DEDUPE2", slackfake.AppHomeOpened("U2"))
	deliver("")
	shutdown(t, rc)
	if n := events.count(); n != 2 {
		t.Fatalf("handler called %d times, want 2", n)
	}
}
