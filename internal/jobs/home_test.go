package jobs

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pic-montreal/relais/internal/store"
)

// homeRenders renders each user's Home with how many times it was
// rendered, so a test sees which render was published.
type homeRenders struct {
	mu sync.Mutex
	n  map[string]int
}

func (h *homeRenders) render(_ context.Context, user string) (json.RawMessage, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.n[user]++
	return json.RawMessage(fmt.Sprintf(`{"type":"home","blocks":[{"type":"section","text":{"type":"mrkdwn","text":"Home of %s, render %d"}}]}`,
		user, h.n[user])), nil
}

func (e *deliveryEnv) refreshHomes(j *Jobs, users ...string) {
	e.t.Helper()
	ctx := context.Background()
	if err := e.st.InTx(ctx, "system:test", func(tx *store.Tx) error { return j.RefreshHomesTx(ctx, tx, users) }); err != nil {
		e.t.Fatal(err)
	}
}

func (e *deliveryEnv) homesSettled() {
	e.t.Helper()
	eventually(e.t, "every home refresh finished", func() bool {
		var n int
		err := e.st.DB().Get(&n, `SELECT count(*) FROM river_job WHERE kind = 'refresh_home'
			AND state NOT IN ('completed', 'cancelled', 'discarded')`)
		return err == nil && n == 0
	})
}

func (e *deliveryEnv) publishes(user string, status int) int {
	n := 0
	for _, c := range e.fake.Calls("views.publish") {
		if c.Param("user_id") == user && c.Status == status {
			n++
		}
	}
	return n
}

// A refresh answered 429 waits Retry-After and publishes the Home then.
func TestRefreshHomeWaitsOutARateLimit(t *testing.T) {
	e := newDeliveryEnv(t)
	j, _ := e.process(e.st, e.unpaced(), nil)
	h := &homeRenders{n: map[string]int{}}
	j.RenderHomesWith(h.render)
	j.homes.window = time.Second
	e.fake.FailNext("views.publish", 1, http.StatusTooManyRequests)
	e.refreshHomes(j, "U0001")
	e.homesSettled()
	if got := e.publishes("U0001", http.StatusTooManyRequests); got != 1 {
		t.Errorf("%d publishes answered 429, want 1", got)
	}
	if got := e.publishes("U0001", http.StatusOK); got != 1 {
		t.Errorf("%d publishes went through, want 1", got)
	}
	calls := e.fake.Calls("views.publish")
	if len(calls) == 2 && calls[1].Time.Sub(calls[0].Time) < 900*time.Millisecond {
		t.Errorf("published again %s after the 429, before its Retry-After", calls[1].Time.Sub(calls[0].Time))
	}
	home, ok := e.fake.HomeOf("U0001")
	if !ok || !strings.Contains(home.Shows(), "Home of U0001, render 2") {
		t.Errorf("published home: %v %s", ok, home.Shows())
	}
}

// A burst of notes within a window publishes each Home once, showing what
// is true at the window's end; a note after it publishes again.
func TestRefreshHomeOncePerUserAndWindow(t *testing.T) {
	e := newDeliveryEnv(t)
	j, _ := e.process(e.st, e.unpaced(), nil)
	h := &homeRenders{n: map[string]int{}}
	j.RenderHomesWith(h.render)
	const window = 2 * time.Second
	j.homes.window = window
	// Start at the beginning of a window, so the burst cannot straddle two.
	now := j.now()
	time.Sleep(now.Truncate(window).Add(window + 50*time.Millisecond).Sub(now))
	for range 5 {
		e.refreshHomes(j, "U0001", "U0002")
	}
	e.refreshHomes(j, "U0001")
	var queued int
	if err := e.st.DB().Get(&queued, `SELECT count(*) FROM river_job WHERE kind = 'refresh_home'`); err != nil || queued != 2 {
		t.Errorf("%d refresh jobs queued for a burst, want one per user (%v)", queued, err)
	}
	e.homesSettled()
	for _, u := range []string{"U0001", "U0002"} {
		if got := e.publishes(u, http.StatusOK); got != 1 {
			t.Errorf("%s's Home published %d times for a burst, want once", u, got)
		}
	}
	// The next note, once the window is over, publishes again.
	e.refreshHomes(j, "U0001")
	e.homesSettled()
	if got := e.publishes("U0001", http.StatusOK); got != 2 {
		t.Errorf("U0001's Home published %d times after a second note, want 2", got)
	}
	if home, _ := e.fake.HomeOf("U0001"); !strings.Contains(home.Shows(), "render 2") {
		t.Errorf("the Home is not the latest render: %s", home.Shows())
	}
}
