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
		{[]string{"people", "add", "UX1", "pic-coordination", "boss"}, 2, `I don't know the role "boss": use coordinator, partner or member`},
		{[]string{"people", "add", "UX1", "nowhere", "partner"}, 1, `no organisation has the slug "nowhere"`},
		// A slug close to real ones: they are suggested, with where to find them all.
		{[]string{"people", "add", "UX1", "table-verdn", "partner"}, 1, "Did you mean table-verdun (Table de quartier de Verdun (fictive))"},
		{[]string{"people", "add", "UX1", "table-verdn", "partner"}, 1, "its slug column lists them all"},
		// Slack's role words work too.
		{[]string{"people", "add", "UX2", "table-verdun", "membre"}, 0, "is table_member at Table de quartier de Verdun"},
		{[]string{"people", "add", "UX3", "fondation-exemple", "partenaire"}, 0, "is partner"},
		{[]string{"people", "add", "UX3", "table-verdun", "member"}, 0, "is table_member"},
		{[]string{"people", "add", "UX4", "pic-coordination", "coordinatrice"}, 0, "is coordinator"},
		{[]string{"people", "add", "UX4", "fondation-exemple", "member"}, 1,
			"Fondation Exemple du Grand Montréal (fictive) is not a Table de quartier: only a Table's people may be its members; nothing was changed"},
		{[]string{"people", "add", "UX4", "fondation-exemple", "partner"}, 0, "is partner"},
		{[]string{"people", "add", "UX1"}, 2, "usage"},
		// The last coordinators are never moved away: demote the two demo
		// ones and the new one, and the third refusal keeps one.
		{[]string{"people", "add", "UDEMOCOORD", "fondation-exemple", "partner"}, 0, "is partner"},
		{[]string{"people", "add", "UDEMOCOORD2", "fondation-exemple", "partner"}, 0, "is partner"},
		{[]string{"people", "add", "UNEWCOORD", "fondation-exemple", "partner"}, 1,
			"UNEWCOORD is the last active coordinator: give the coordinator role to someone else first; nothing was changed"},
		{[]string{"people", "list"}, 0, "Noor Coordination"},
	} {
		code, out, stderr := runRelais(t, vars, c.args...)
		if code != c.code || !strings.Contains(out+stderr, c.want) {
			t.Errorf("%v: %d %q %q, want %d and %q", c.args, code, out, stderr, c.code, c.want)
		}
	}
}

func TestPeopleList(t *testing.T) {
	db := seededDatabase(t)
	vars := map[string]string{"DATABASE_URL": db}
	if code, out, stderr := runRelais(t, vars, "people", "add", "UX9", "table-verdun", "member", "--name", "Neuf"); code != 0 {
		t.Fatalf("add: %d %q %q", code, out, stderr)
	}
	code, out, stderr := runRelais(t, vars, "people", "list")
	if code != 0 {
		t.Fatalf("list: %d %q", code, stderr)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if !strings.HasPrefix(lines[0], "SLACK ID") || !strings.Contains(lines[0], "AWAY UNTIL") {
		t.Errorf("header %q", lines[0])
	}
	var row string
	for _, l := range lines {
		if strings.HasPrefix(l, "UX9 ") {
			row = l
		}
	}
	for _, want := range []string{"Neuf", "table-verdun (Table de quartier de Verdun (fictive))", "table_member", "yes"} {
		if !strings.Contains(row, want) {
			t.Errorf("row %q lacks %q", row, want)
		}
	}
}
