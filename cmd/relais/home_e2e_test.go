package main

import (
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pic-montreal/relais/internal/slackfake"
)

// openHome sends user's app_home_opened as Slack does (signed HTTP) and
// waits for the Home Relais publishes; it returns what the Home shows.
func (r *checkinRound) openHome(user string, want ...string) string {
	r.t.Helper()
	status, body := post(r.t, slackfake.SignedRequest(e2eSecret, time.Now(), r.base+"/slack/events", "application/json",
		slackfake.EventCallback("EvHome"+user+strconv.FormatInt(time.Now().UnixNano(), 10), slackfake.AppHomeOpened(user))))
	if status != http.StatusOK {
		r.t.Fatalf("app_home_opened: HTTP %d %s", status, body)
	}
	return r.waitHome(user, want...)
}

// waitHome waits until user's published Home shows every one of want.
func (r *checkinRound) waitHome(user string, want ...string) string {
	r.t.Helper()
	var shows string
	waitFor(r.t, 20*time.Second, user+"'s Home to show "+strings.Join(want, ", "), func() bool {
		v, ok := r.slack.HomeOf(user)
		if !ok {
			return false
		}
		shows = v.Shows()
		for _, w := range want {
			if !strings.Contains(shows, w) {
				return false
			}
		}
		return true
	})
	return shows
}

// A Table's note, answered by modal, reaches the App Home of its people
// and of the coordinators without their opening it again: the refresh is
// a job queued with the note, published by relais serve with views.publish.
func TestAppHomeRefreshedWhenANoteArrives(t *testing.T) {
	r := openDemoRound(t)
	const verdun, stMichel, coord = "UDEMOVERDUN", "UDEMOSTMICHEL", "UDEMOCOORD"
	prompt := strconv.FormatInt(r.promptOf(verdun), 10)

	// Before: Verdun's Home offers the prompt's buttons; the coordinator's counts nobody.
	home := r.openHome(verdun, "Le suivi de votre Table", "Répondre", "Rien à signaler", "Pas ce mois-ci")
	for _, a := range []string{`"action_id":"checkin:answer","value":"` + prompt + `"`, `"action_id":"checkin:skip","value":"` + prompt + `"`} {
		if !strings.Contains(home, a) {
			t.Errorf("Verdun's Home lacks %s: %s", a, home)
		}
	}
	r.openHome(coord, "Les suivis en cours", "0 répondu")
	publishedBefore := len(r.slack.Calls("views.publish"))

	// Verdun answers by modal, for the coordination only.
	r.openModal(r.promptDM(verdun).ID, verdun, "checkin:answer")
	fill := map[string][]string{"q1": {"La halte-garderie <b>ouvre</b> & recrute."}, "visibility": {"coordinators"}}
	if errs := r.submit(verdun, fill, nil); errs != nil {
		t.Fatalf("submission refused: %v", errs)
	}
	// Both Homes are republished without being opened again.
	home = r.waitHome(verdun, "Merci, reçu", "La halte-garderie &lt;b&gt;ouvre&lt;/b&gt; &amp; recrute.",
		"Les dernières notes de", "lue par la coordination et votre Table seulement")
	if !strings.Contains(home, `"action_id":"checkin:edit","value":"`+prompt+`"`) || strings.Contains(home, "checkin:skip") {
		t.Errorf("Verdun's refreshed Home buttons: %s", home)
	}
	r.waitHome(coord, "1 répondu")
	if len(r.slack.Calls("views.publish")) <= publishedBefore {
		t.Error("no Home was published after the note")
	}
	// Another Table's member never sees a coordinators-only note of Verdun.
	if other := r.openHome(stMichel, "Le suivi de votre Table"); strings.Contains(other, "halte-garderie") {
		t.Errorf("Saint-Michel's Home shows Verdun's coordinators-only note: %s", other)
	}
	r.serve.stop(t)
}
