package main

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/pic-montreal/relais/internal/testdb"
)

// runRelaisWithInput is runRelais with standard input.
func runRelaisWithInput(t *testing.T, vars map[string]string, input string, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	e := &env{getenv: func(k string) string { return vars[k] }, stdin: strings.NewReader(input), stdout: &out, stderr: &errOut}
	code := run(context.Background(), args, e)
	return code, out.String(), errOut.String()
}

func TestDemoScriptedAndIdempotent(t *testing.T) {
	vars := map[string]string{"DATABASE_URL": testdb.NewURL(t)}
	script := "aide\n/pic quartier st-michel\n1\nfinancement 2026\nlangue en\nsearch food\nquit\nquartier Verdun\n"
	code, out, stderr := runRelaisWithInput(t, vars, script, "demo")
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
	// A second demo loads nothing new; the console acts as whoever --as says.
	code, out, stderr = runRelaisWithInput(t, vars, "quartier Verdun\nmembres\n", "console", "--as", "UGUEST")
	if code != 0 || !strings.Contains(out, "réservées aux membres") || !strings.Contains(out, "La commande « membres »") {
		t.Errorf("console as a guest: %d\n%s\n%s", code, out, stderr)
	}
	// Loading the demo again (after demo already did) changes no count,
	// the audit log's included.
	counts := func() string {
		t.Helper()
		code, out, stderr := runRelaisWithInput(t, vars, "", "seed", "--demo")
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
