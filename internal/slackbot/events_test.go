package slackbot

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/pic-montreal/relais/internal/slackfake"
	"github.com/pic-montreal/relais/internal/store"
	"github.com/pic-montreal/relais/internal/testdb"
)

// The same event delivered twice (a retry after a timeout) is handled once
// by a handler that records its id with its effect in PostgreSQL; the
// transport hands every delivery over and acknowledges each.
func TestEventDedupeWithPostgres(t *testing.T) {
	st := testdb.New(t)
	events := newRecordingEvents(st)
	logger, _ := testLogger()
	rc := NewHTTPHandler(testConfig(nil, nil), &testHandler{events: events}, logger)

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
	if ev.ID != "Ev0DEDUPE1" || ev.Type != "app_home_opened" || ev.User != "U1" || ev.Tab != "home" {
		t.Errorf("event = %+v", ev)
	}

	// Another event id is new.
	body = slackfake.EventCallback("Ev0DEDUPE2", slackfake.AppHomeOpened("U2"))
	deliver("")
	shutdown(t, rc)
	if n := events.count(); n != 2 {
		t.Fatalf("handler called %d times, want 2", n)
	}
}

// withTeamID returns an Events API body with its team_id replaced.
func withTeamID(t *testing.T, body []byte, teamID string) []byte {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(body, &m); err != nil {
		t.Fatal(err)
	}
	m["team_id"] = teamID
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// unstorableEventBodies are deliveries whose ids PostgreSQL cannot or should
// not hold: Slack must not retry them.
func unstorableEventBodies(t *testing.T) map[string][]byte {
	long := strings.Repeat("Ev0LONG", 20000/7)
	return map[string][]byte{
		"NUL in event_id":   slackfake.EventCallback("Ev0\x00NUL", slackfake.AppHomeOpened("U1")),
		"long event_id":     slackfake.EventCallback(long, slackfake.AppHomeOpened("U1")),
		"NUL in team_id":    withTeamID(t, slackfake.EventCallback("Ev0TEAMNUL", slackfake.AppHomeOpened("U1")), "T0\x00"),
		"long team_id":      withTeamID(t, slackfake.EventCallback("Ev0TEAMLONG", slackfake.AppHomeOpened("U1")), long),
		"non-ASCII team_id": withTeamID(t, slackfake.EventCallback("Ev0TEAMUTF8", slackfake.AppHomeOpened("U1")), "Té"),
	}
}

func countStoredEvents(t *testing.T, st *store.Store) int {
	t.Helper()
	var n int
	if err := st.DB().Get(&n, `SELECT count(*) FROM slack_events`); err != nil {
		t.Fatal(err)
	}
	return n
}

// An event whose ids cannot be stored is malformed (400, no retry), not a
// sign that the database is down (503, retried).
func TestUnstorableEventIDsAreNotRetried(t *testing.T) {
	st := testdb.New(t)
	events := newRecordingEvents(st)
	logger, _ := testLogger()
	rc := NewHTTPHandler(testConfig(nil, nil), &testHandler{events: events}, logger)
	for name, body := range unstorableEventBodies(t) {
		rec := serve(rc, signed(PathEvents, slackfake.JSONContentType, body))
		if rec.Code != http.StatusBadRequest || rec.Header().Get("X-Slack-No-Retry") != "1" {
			t.Errorf("%s: status %d, X-Slack-No-Retry %q; want 400 and 1", name, rec.Code, rec.Header().Get("X-Slack-No-Retry"))
		}
	}
	shutdown(t, rc)
	if n := events.count(); n != 0 {
		t.Errorf("handler called %d times", n)
	}
	if n := countStoredEvents(t, st); n != 0 {
		t.Errorf("%d events stored", n)
	}
}

// refuseLongEventIDs adds a constraint that well-shaped ids can break, so the
// store itself refuses the value (as a stricter schema would).
func refuseLongEventIDs(t *testing.T, st *store.Store) {
	t.Helper()
	if _, err := st.DB().Exec(`ALTER TABLE slack_events ADD CONSTRAINT slack_events_short_id CHECK (length(event_id) <= 12)`); err != nil {
		t.Fatal(err)
	}
}

// An id the store refuses (constraint or data error) is malformed too.
func TestEventIDRefusedByStoreIsNotRetried(t *testing.T) {
	st := testdb.New(t)
	refuseLongEventIDs(t, st)
	events := newRecordingEvents(st)
	logger, logs := testLogger()
	rc := NewHTTPHandler(testConfig(nil, nil), &testHandler{events: events}, logger)
	body := slackfake.EventCallback("Ev0123456789ABCDEF", slackfake.AppHomeOpened("U1"))
	rec := serve(rc, signed(PathEvents, slackfake.JSONContentType, body))
	if rec.Code != http.StatusBadRequest || rec.Header().Get("X-Slack-No-Retry") != "1" {
		t.Errorf("status %d, X-Slack-No-Retry %q; want 400 and 1", rec.Code, rec.Header().Get("X-Slack-No-Retry"))
	}
	shutdown(t, rc)
	if events.count() != 0 {
		t.Error("handler called")
	}
	if strings.Contains(logs.String(), "Slack will retry") {
		t.Errorf("logged as unavailable: %s", logs)
	}

	// A data error PostgreSQL raises (NUL byte), which the store passes on
	// untranslated, is recognised as well.
	_, err := st.MarkEventProcessed(context.Background(), "Ev\x00", "T1", "app_home_opened")
	if err == nil || !storeRefusedValue(err) {
		t.Errorf("NUL byte: err %v, storeRefusedValue false", err)
	}
	if _, err := st.MarkEventProcessed(context.Background(), "Ev0123456789ABCDEF", "T1", "app_home_opened"); !storeRefusedValue(err) {
		t.Errorf("check violation: err %v, storeRefusedValue false", err)
	}
	if storeRefusedValue(context.DeadlineExceeded) {
		t.Error("a timeout counted as a refused value")
	}
}
