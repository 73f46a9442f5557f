package main

import (
	"context"
	"net/http"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pic-montreal/relais/internal/digest"
	"github.com/pic-montreal/relais/internal/slackfake"
	"github.com/pic-montreal/relais/internal/store"
)

// peakRSS is a process's peak resident set (VmHWM), in kB; 0 when unknown.
func peakRSS(pid int) int {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			n, _ := strconv.Atoi(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")))
			return n
		}
	}
	return 0
}

// relais serve posts last month's digest of the demo data to its channel
// on its own, at its time: refused at first (Relais not in the channel),
// coordinators are told to invite it; the signed member_joined_channel
// that follows the invitation posts it at once, parent, thread and chart,
// once.
func TestServePostsTheDigestOnceRelaisJoins(t *testing.T) {
	const channel, coordination = "C0DIGEST", "C0COORD"
	slack := slackfake.New(t, slackfake.Options{})
	db := seededDatabase(t)
	st, err := store.Open(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	// Last month's round closed ten days ago: its digest is due, whatever
	// today is. No schedule opens another round meanwhile.
	loc, _ := time.LoadLocation("America/Montreal")
	month := digest.MonthOf(time.Now().In(loc)).Prev()
	for _, q := range []string{`UPDATE checkin_schedules SET active = false`,
		`INSERT INTO checkin_rounds (schedule_id, scheduled_for, period, status, opened_at, closes_at, closed_at, occurrence_key)
		 SELECT id, now() - interval '20 days', $1, 'closed', now() - interval '20 days', now() - interval '10 days',
		        now() - interval '10 days', 'e2e-digest' FROM checkin_schedules ORDER BY id LIMIT 1`} {
		var args []any
		if strings.Contains(q, "$1") {
			args = append(args, month.First())
		}
		if _, err := st.DB().Exec(q, args...); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	slack.RefuseChannel(channel, "not_in_channel")
	env := []string{"DATABASE_URL=" + db, "RELAIS_ALLOW_SAMPLE_DATA=1", "SLACK_SIGNING_SECRET=" + e2eSecret,
		"SLACK_BOT_TOKEN=" + slack.BotToken(), "SLACK_API_URL=" + slack.APIURL(), "RELAIS_SLACK_POST_RATE=200",
		"RELAIS_COORDINATION_CHANNEL=" + coordination, "RELAIS_DIGEST_CHANNELS=" + channel + ":fr:partnership"}
	p := startServe(t, env)

	waitFor(t, 30*time.Second, "coordinators told to invite Relais", func() bool {
		for _, m := range slack.Posted(coordination) {
			if strings.Contains(m.Text, "/invite @Relais") && strings.Contains(m.Text, "<#"+channel+">") {
				return true
			}
		}
		return false
	})
	waitFor(t, 30*time.Second, "the digest waiting for its next try", func() bool {
		var n int
		err := st.DB().Get(&n, `SELECT count(*) FROM river_job WHERE kind = 'digest_publish' AND state = 'scheduled'`)
		return err == nil && n == 1
	})
	if n := len(slack.Posted(channel)); n != 0 {
		t.Fatalf("%d messages in a channel Relais is not in", n)
	}

	slack.Join(channel, slackfake.BotUserID)
	ev := map[string]any{"type": "member_joined_channel", "user": slackfake.BotUserID, "channel": channel,
		"channel_type": "C", "team": slackfake.TeamID, "event_ts": "1700000000.000400"}
	req := slackfake.SignedRequest(e2eSecret, time.Now(), "http://"+p.addr+"/slack/events", "application/json",
		slackfake.EventCallback("EvJoin"+strconv.FormatInt(time.Now().UnixNano(), 10), ev))
	if status, body := post(t, req); status != http.StatusOK {
		t.Fatalf("member_joined_channel: HTTP %d %s", status, body)
	}
	var parent slackfake.Message
	waitFor(t, 30*time.Second, "the digest posted with its chart", func() bool {
		var status string
		err := st.DB().Get(&status, `SELECT status FROM digests WHERE channel = $1 AND period = $2`, channel, month.First())
		return err == nil && status == store.DigestPosted
	})
	counts := map[string]int{}
	for _, m := range slack.Posted(channel) {
		k := m.Metadata.Value("key")
		if k == "" {
			continue // the chart's file message
		}
		counts[k]++
		if strings.HasSuffix(k, ":parent:0") {
			parent = m
		}
	}
	for k, n := range counts {
		if n != 1 {
			t.Errorf("%q posted %d times", k, n)
		}
	}
	thread := slack.Thread(channel, parent.TS)
	files := 0
	for _, m := range thread {
		files += len(m.Files)
	}
	if len(thread) < 3 || files != 1 || len(counts) != len(thread)-1 {
		t.Errorf("thread of %d messages with %d files, %d keyed posts: want the parent, its replies and one chart",
			len(thread), files, len(counts))
	}
	if !strings.Contains(parent.Text, i18nMonthFr(month)) {
		t.Errorf("parent %q does not name the month", parent.Text)
	}
	// relais serve's memory while posting (issue 9: ≤ 80 MB).
	rss := peakRSS(p.cmd.Process.Pid)
	t.Logf("relais serve peak RSS after posting the digest: %d kB", rss)
	if rss > 80*1024 {
		t.Errorf("relais serve peaked at %d kB while posting, over 80 MB", rss)
	}
}

var frMonths = []string{"janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre",
	"octobre", "novembre", "décembre"}

func i18nMonthFr(m digest.Month) string { return frMonths[m.Month-1] }
