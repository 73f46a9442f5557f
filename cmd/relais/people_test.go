package main

import (
	"strings"
	"testing"
)

// The first coordinator of a new install is registered from the shell;
// mistakes are refused before anything is written.
func TestPeopleAdd(t *testing.T) {
	db := seededDatabase(t)
	vars := map[string]string{"DATABASE_URL": db}
	code, out, stderr := runRelais(t, vars, "people", "add", "UNEWCOORD", "pic-coordination", "coordinator", "--name", "Noor Coordination")
	if code != 0 || !strings.Contains(out, "Noor Coordination (UNEWCOORD) is coordinator") {
		t.Fatalf("add: %d %q %q", code, out, stderr)
	}
	for _, c := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"people", "add", "not-an-id", "pic-coordination", "coordinator"}, 2, "not a Slack user id"},
		{[]string{"people", "add", "UX1", "pic-coordination", "boss"}, 2, "coordinator, partner or table_member"},
		{[]string{"people", "add", "UX1", "nowhere", "partner"}, 1, "no organisation with the slug"},
		{[]string{"people", "add", "UX1"}, 2, "usage"},
		// The last coordinators are never moved away: demote the two demo
		// ones and the new one, and the third refusal keeps one.
		{[]string{"people", "add", "UDEMOCOORD", "fondation-exemple", "partner"}, 0, "is partner"},
		{[]string{"people", "add", "UDEMOCOORD2", "fondation-exemple", "partner"}, 0, "is partner"},
		{[]string{"people", "add", "UNEWCOORD", "fondation-exemple", "partner"}, 1, "nothing changed"},
	} {
		code, out, stderr := runRelais(t, vars, c.args...)
		if code != c.code || !strings.Contains(out+stderr, c.want) {
			t.Errorf("%v: %d %q %q, want %d and %q", c.args, code, out, stderr, c.code, c.want)
		}
	}
}
