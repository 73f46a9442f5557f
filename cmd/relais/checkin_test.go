package main

import (
	"regexp"
	"strings"
	"testing"

	"github.com/jmoiron/sqlx"

	"github.com/pic-montreal/relais/internal/testdb"
)

func TestCheckinCommand(t *testing.T) {
	url := testdb.NewURL(t)
	db, err := sqlx.Open("postgres", url)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(testdb.Fixture); err != nil {
		t.Fatal(err)
	}
	vars := map[string]string{"DATABASE_URL": url, "RELAIS_LOG_LEVEL": "error"}
	relais := func(args ...string) (int, string, string) {
		t.Helper()
		return runRelais(t, vars, append([]string{"checkin"}, args...)...)
	}

	// Bad input: one line, exit 2, before or after reaching the database.
	for _, c := range []struct {
		args []string
		want string
	}{
		{nil, "say what to do"},
		{[]string{"frobnicate"}, `unknown action "frobnicate"`},
		{[]string{"create", "--cron", "0 9 * * *"}, "--name is required"},
		{[]string{"create", "--name", "x", "--cron", "0 9 * * *", "--weekday", "2"}, "go together"},
		{[]string{"create", "--name", "x", "--cron", "0 25 * * *"}, `I do not understand “25” in the schedule rule; run`},
		{[]string{"create", "--name", "x", "--cron", "0 9 * * *", "--zone", "Mars/Olympus"}, "not a known time zone"},
		{[]string{"run"}, "one schedule slug"},
		{[]string{"status", "abc"}, "not a positive number"},
	} {
		code, out, errOut := relais(c.args...)
		if code != 2 || out != "" || len(lines(errOut)) != 1 || !strings.Contains(errOut, c.want) {
			t.Errorf("checkin %q: exit %d, stdout %q, stderr %q; want exit 2 and one line with %q",
				c.args, code, out, errOut, c.want)
		}
	}

	code, out, errOut := relais("create", "--name", "Suivi mensuel", "--slug", "mensuel", "--cron", "0 9 * * *",
		"--nth-weekday", "1", "--weekday", "2")
	if code != 0 || !strings.Contains(out, "created mensuel") {
		t.Fatalf("create: exit %d, %q %q", code, out, errOut)
	}
	if code, _, errOut := relais("create", "--name", "Autre", "--slug", "mensuel", "--cron", "0 9 * * *"); code != 1 ||
		!strings.Contains(errOut, "already exists") {
		t.Errorf("same slug: exit %d, %q", code, errOut)
	}
	code, out, _ = relais("list")
	if code != 0 || !regexp.MustCompile(`(?m)^mensuel +Suivi mensuel +0 9 \* \* \* \(weekday 2 #1\) +America/Montreal +active +all Tables +-$`).MatchString(out) {
		t.Errorf("list: exit %d:\n%s", code, out)
	}
	code, out, errOut = relais("run", "mensuel")
	if code != 0 || !strings.Contains(out, "early") || !strings.Contains(out, "3 Tables, 2 DMs queued, 1 Tables without respondent") {
		t.Fatalf("run: exit %d, %q %q", code, out, errOut)
	}
	if code, _, errOut := relais("run", "mensuel"); code != 1 || !strings.Contains(errOut, "already open") || len(lines(errOut)) != 1 {
		t.Errorf("second run: exit %d, %q", code, errOut)
	}
	if code, _, errOut := relais("run", "nope"); code != 1 || !strings.Contains(errOut, `schedule "nope" not found`) {
		t.Errorf("unknown slug: exit %d, %q", code, errOut)
	}
	code, out, _ = relais("status")
	if code != 0 || !strings.Contains(out, "answered 0  nothing to report 0  skipped 0  expired 0  pending 3  (of 3)") ||
		!regexp.MustCompile(`(?m)^Table de Saint-Michel +pending +1$`).MatchString(out) ||
		!regexp.MustCompile(`(?m)^Table de Verdun +pending +0$`).MatchString(out) {
		t.Errorf("status: exit %d:\n%s", code, out)
	}
	var n int
	if err := db.Get(&n, `SELECT count(*) FROM deliveries WHERE kind = 'prompt'`); err != nil || n != 2 {
		t.Errorf("%d prompt deliveries queued (%v), want 2", n, err)
	}
	if code, out, _ := relais("create", "-h"); code != 0 || !strings.Contains(out, "--nth-weekday") {
		t.Errorf("create -h: exit %d:\n%s", code, out)
	}
}
