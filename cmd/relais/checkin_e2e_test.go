package main

import (
	"context"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pic-montreal/relais/internal/slackfake"
	"github.com/pic-montreal/relais/internal/store"
)

// TestCheckinRoundSurvivesAKilledServer runs the real binaries: two `relais
// checkin run` at once open one round; `relais serve` starts delivering its
// DMs and is killed (SIGKILL) in the middle of the fan-out; two new serve
// processes on the same database finish it. Every respondent of the demo
// Tables gets their prompt exactly once: nothing lost, nothing repeated.
func TestCheckinRoundSurvivesAKilledServer(t *testing.T) {
	slack := slackfake.New(t, slackfake.Options{})
	db := seededDatabase(t)
	env := []string{
		"DATABASE_URL=" + db,
		"RELAIS_ALLOW_SAMPLE_DATA=1",
		"SLACK_SIGNING_SECRET=" + e2eSecret,
		"SLACK_BOT_TOKEN=" + slack.BotToken(),
		"SLACK_API_URL=" + slack.APIURL(),
		// Slow enough that the kill lands in the middle of the fan-out, and
		// a dead process's jobs are taken over in seconds.
		"RELAIS_SLACK_POST_RATE=4",
		"RELAIS_JOB_RESCUE_AFTER=10s",
	}

	// Two coordinators' "run now" at once: one round, the other told so.
	var wg sync.WaitGroup
	outs := make([]string, 2)
	codes := make([]int, 2)
	for i := range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			cmd := exec.Command(binary, "checkin", "run", "suivi-mensuel")
			cmd.Env = env
			out, err := cmd.CombinedOutput()
			outs[i] = string(out)
			if ee, ok := err.(*exec.ExitError); ok {
				codes[i] = ee.ExitCode()
			} else if err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if (codes[0] == 0) == (codes[1] == 0) || !strings.Contains(outs[0]+outs[1], "already open") {
		t.Fatalf("two concurrent runs: exit %v\n%s\n%s", codes, outs[0], outs[1])
	}
	st, err := store.Open(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	var rounds, respondents int
	if err := st.DB().Get(&rounds, `SELECT count(*) FROM checkin_rounds`); err != nil || rounds != 1 {
		t.Fatalf("%d rounds (%v), want 1", rounds, err)
	}
	if err := st.DB().Get(&respondents, `SELECT count(*) FROM checkin_recipients`); err != nil || respondents < 10 {
		t.Fatalf("%d recipients (%v)", respondents, err)
	}

	// relais serve delivers a few, then dies without a chance to clean up.
	first := startServe(t, env)
	prompts := func() map[string]int {
		counts := map[string]int{}
		for k, n := range slack.CountByMetadataKey("", "key") {
			if strings.HasPrefix(k, "prompt:") {
				counts[k] = n
			}
		}
		return counts
	}
	waitFor(t, 30*time.Second, "a few prompts delivered", func() bool { return len(prompts()) >= 3 })
	if err := first.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = first.cmd.Wait()
	if n := len(prompts()); n >= respondents {
		t.Fatalf("all %d prompts went out before the kill: slow the fan-out down", n)
	}

	// Two replicas take over.
	var second, third *served
	second, third = startServe(t, env), startServe(t, env)
	t.Cleanup(func() {
		if t.Failed() {
			var states []string
			_ = st.DB().Select(&states, `SELECT state::text || ' ' || attempt::text || ' ' || scheduled_at::text || ' ' || coalesce(attempted_by::text, '') || ' ' || coalesce(errors::text, '') FROM river_job WHERE kind = 'deliver'`)
			t.Logf("%d of %d prompts; deliver jobs: %v\n--- second:\n%s", len(prompts()), respondents, states, second.logs.String())
		}
	})
	waitFor(t, 90*time.Second, "every prompt delivered", func() bool { return len(prompts()) == respondents })
	for key, n := range prompts() {
		if n != 1 {
			t.Errorf("%s posted %d times", key, n)
		}
	}
	// The last post's commit may still be on its way when Slack shows it.
	waitFor(t, 30*time.Second, "every recipient recorded as sent", func() bool {
		var sent int
		err := st.DB().Get(&sent, `SELECT count(*) FROM checkin_recipients WHERE state IN ('sent', 'fallback')
			AND message_ts IS NOT NULL`)
		return err == nil && sent == respondents
	})
	second.stop(t)
	third.stop(t)
}

// waitFor polls cond until it holds or within passes: a safety net for a
// process the test cannot wake, never a schedule.
func waitFor(t *testing.T, within time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", within, what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
