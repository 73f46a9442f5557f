package main

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/pic-montreal/relais/internal/store"
	"github.com/pic-montreal/relais/internal/testdb"
)

// runRelaisWithInput is runRelais with standard input.
func runRelaisWithInput(t *testing.T, vars map[string]string, input string, args ...string) (int, string, string) {
	t.Helper()
	return runDemo(t, vars, "", input, args...)
}

// runDemo is runRelaisWithInput with relais demo using database demoDB
// instead of relais_demo.
func runDemo(t *testing.T, vars map[string]string, demoDB, input string, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	e := &env{getenv: func(k string) string { return vars[k] }, stdin: strings.NewReader(input), stdout: &out, stderr: &errOut,
		demoDatabase: demoDB}
	code := run(context.Background(), args, e)
	return code, out.String(), errOut.String()
}

// holdsSampleData opens databaseURL and asks the store.
func holdsSampleData(t *testing.T, databaseURL string) bool {
	t.Helper()
	st, err := store.Open(context.Background(), databaseURL)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	sample, err := st.HoldsSampleData(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return sample
}

// TestDemoScriptedAndIdempotent: relais demo creates its own database next
// to DATABASE_URL's, reads a script on standard input, and leaves
// DATABASE_URL's database without a sample row.
func TestDemoScriptedAndIdempotent(t *testing.T) {
	served := testdb.NewURL(t)
	vars := map[string]string{"DATABASE_URL": served}
	demoURL := newDatabaseURL(t, false) // created by the demo, dropped after the test
	demoDB := databaseName(demoURL)
	script := "aide\n/pic quartier st-michel\n1\nfinancement 2026\nlangue en\nsearch food\nquit\nquartier Verdun\n"
	code, out, stderr := runDemo(t, vars, demoDB, script, "demo")
	if code != 0 {
		t.Fatalf("demo: %d %s", code, stderr)
	}
	for _, want := range []string{"Données fictives", "RELAIS : LES COMMANDES", "SAINT-MICHEL", "Table de quartier",
		"Partagé par", // button 1 of the quartier reply: share
		"FINANCEMENT — 2026", "I will answer you in English", "SEARCH: FOOD"} {
		if !strings.Contains(out, want) {
			t.Errorf("demo output lacks %q", want)
		}
	}
	if strings.Contains(out, "TABLE DE QUARTIER DE VERDUN") || strings.Contains(out, "relais> ") {
		t.Errorf("the script runs past quit, or prompts when not interactive:\n%s", out)
	}
	if strings.Contains(stderr, "level=INFO") {
		t.Errorf("the console logs every command by default:\n%s", stderr)
	}
	if holdsSampleData(t, served) {
		t.Errorf("the demo wrote sample rows to DATABASE_URL's database")
	}
	if !holdsSampleData(t, demoURL) {
		t.Errorf("the demo's database %s holds no sample data", demoDB)
	}
	// A second demo loads nothing new and acts as whoever --as says.
	code, out, stderr = runDemo(t, vars, demoDB, "quartier Verdun\nmembres\n", "demo", "--as", "UGUEST")
	if code != 0 || !strings.Contains(out, "réservées aux membres") || !strings.Contains(out, "La commande « membres »") {
		t.Errorf("demo as a guest: %d\n%s\n%s", code, out, stderr)
	}
	// The console stays on DATABASE_URL, where there is no demo data.
	code, out, stderr = runRelaisWithInput(t, vars, "quartier Verdun\n", "console", "--as", "UDEMOCOORD")
	if code != 0 || strings.Contains(out, "Table de quartier de Verdun") {
		t.Errorf("console on DATABASE_URL shows the demo data: %d\n%s\n%s", code, out, stderr)
	}
	// Loading the demo again (after demo already did) changes no count,
	// the audit log's included.
	counts := func() string {
		t.Helper()
		code, out, stderr := runRelaisWithInput(t, map[string]string{"DATABASE_URL": demoURL}, "", "seed", "--demo")
		_, after, ok := strings.Cut(out, ": ")
		if code != 0 || !ok || !strings.Contains(after, "quartiers=17 ") {
			t.Fatalf("seed --demo: %d %q %s", code, out, stderr)
		}
		return after
	}
	if first, second := counts(), counts(); first != second {
		t.Errorf("seed --demo twice: %s then %s", first, second)
	}
}

func TestConsoleUsage(t *testing.T) {
	vars := map[string]string{"DATABASE_URL": testdb.NewURL(t)}
	if code, _, stderr := runRelaisWithInput(t, vars, "", "console", "--as", "not-an-id"); code != 2 || !strings.Contains(stderr, "not a Slack user id") {
		t.Errorf("bad --as: %d %s", code, stderr)
	}
	if code, _, stderr := runRelaisWithInput(t, vars, "", "seed"); code != 2 || !strings.Contains(stderr, "--demo or --synthetic") {
		t.Errorf("seed without a choice: %d %s", code, stderr)
	}
	if code, _, stderr := runRelaisWithInput(t, vars, "", "seed", "--synthetic", "--notes", "0"); code != 2 {
		t.Errorf("seed with size 0: %d %s", code, stderr)
	}
}

func TestDemoDatabaseURL(t *testing.T) {
	tests := []struct{ in, want string }{
		{"postgres://postgres@127.0.0.1:5432/relais?sslmode=disable", "postgres://postgres@127.0.0.1:5432/relais_demo?sslmode=disable"},
		{"postgresql://u:p%40ss@db.example/prod", "postgresql://u:p%40ss@db.example/relais_demo"},
		{"postgres:///relais?host=/var/run/postgresql", "postgres:///relais_demo?host=/var/run/postgresql"},
		{"postgres://db/relais?dbname=relais&sslmode=require", "postgres://db/relais_demo?sslmode=require"},
	}
	for _, tt := range tests {
		if got := demoDatabaseURL(tt.in, demoDatabase); got != tt.want {
			t.Errorf("demoDatabaseURL(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// TestConsoleSharedCopyPagesAsThePartnership is issue 6's reproduction: a
// coordinator shares a search in the console, then pages through the shared
// copy. Its second page is the partnership's (a partner's private page 2),
// not the coordinator's own.
func TestConsoleSharedCopyPagesAsThePartnership(t *testing.T) {
	vars := map[string]string{"DATABASE_URL": testdb.NewURL(t)}
	demoDB := databaseName(newDatabaseURL(t, false))
	secondPage := func(as, script string) string {
		t.Helper()
		code, out, stderr := runDemo(t, vars, demoDB, script, "demo", "--as", as)
		if code != 0 {
			t.Fatalf("demo --as %s: %d %s", as, code, stderr)
		}
		// The last reply is page 2; drop its buttons and who shared it.
		last := out[strings.LastIndex(out, "RECHERCHE : LOGEMENT"):]
		var kept []string
		for _, l := range strings.Split(last, "\n") {
			if !strings.HasPrefix(l, "[") && !strings.Contains(l, "Partagé par") {
				kept = append(kept, l)
			}
		}
		return strings.TrimSpace(strings.Join(kept, "\n"))
	}
	// chercher logement, [2] share, then [1] next on the shared copy.
	shared := secondPage("UDEMOCOORD", "chercher logement\n2\n1\n")
	partners := secondPage("UDEMOPARTNER", "chercher logement\n1\n")
	own := secondPage("UDEMOCOORD", "chercher logement\n1\n")
	if shared != partners {
		t.Errorf("page 2 of the shared copy is not the partnership's:\n%s\n--- a partner's page 2:\n%s", shared, partners)
	}
	if own == partners {
		t.Error("the coordinator's own page 2 equals a partner's: the demo data cannot show the leak")
	}
}
