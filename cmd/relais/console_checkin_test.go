package main

import (
	"context"
	"strings"
	"testing"

	"github.com/pic-montreal/relais/internal/store"
	"github.com/pic-montreal/relais/internal/testdb"
)

// The demo's console has a check-in service on the real delivery queue: the
// demo schedule is listed, run now opens its round once and queues its DMs
// as River jobs, which go out only from relais serve.
func TestDemoConsoleRunsCheckins(t *testing.T) {
	vars := map[string]string{"DATABASE_URL": testdb.NewURL(t)}
	demoURL := newDatabaseURL(t, false)
	script := "suivi\nsuivi lancer suivi-mensuel\nsuivi lancer suivi-mensuel\ncheckin pause-all 2027-07-01 2027-06-01\nsuivi créer\n"
	code, out, stderr := runDemo(t, vars, databaseName(demoURL), script, "demo", "--as", "UDEMOCOORD")
	if code != 0 {
		t.Fatalf("demo: %d %s", code, stderr)
	}
	for _, want := range []string{"SUIVIS DES TABLES (1)", "suivi-mensuel", "le premier mardi du mois à 9 h",
		"Tour ouvert pour", "ils partent seulement depuis `relais serve`", "est déjà ouvert",
		"finirait", "s'ouvre dans Slack seulement"} {
		if !strings.Contains(out, want) {
			t.Errorf("demo output lacks %q:\n%s", want, out)
		}
	}
	st, err := store.Open(context.Background(), demoURL)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	var rounds, jobs int
	if err := st.DB().Get(&rounds, `SELECT count(*) FROM checkin_rounds`); err != nil || rounds != 1 {
		t.Errorf("%d rounds (%v), want 1", rounds, err)
	}
	if err := st.DB().Get(&jobs, `SELECT count(*) FROM river_job WHERE kind = 'deliver' AND state = 'available'`); err != nil || jobs == 0 {
		t.Errorf("%d deliver jobs waiting (%v), want the round's DMs", jobs, err)
	}
}
