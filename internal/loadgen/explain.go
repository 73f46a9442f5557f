package loadgen

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/pic-montreal/relais/internal/domain"
	"github.com/pic-montreal/relais/internal/store"
)

// explainSetup turns on auto_explain for the session: every statement's
// plan, with actual times and buffers, comes back as a LOG notice. Plans are
// then those of exactly the SQL and parameters the store sends, which a
// hand-written EXPLAIN of a copy of the query would not guarantee.
var explainSetup = []string{
	"LOAD 'auto_explain'",
	"SET auto_explain.log_min_duration = 0",
	"SET auto_explain.log_analyze = on",
	"SET auto_explain.log_buffers = on",
	"SET auto_explain.log_timing = on",
	"SET auto_explain.log_nested_statements = on",
	"SET client_min_messages = log",
}

// ExplainCall is one store call Explain ran, with the plans it produced.
type ExplainCall struct {
	Name  string
	Wall  time.Duration
	Plans []Plan
}

// Plan is one statement's plan, as auto_explain logged it.
type Plan struct {
	Duration string // "12.345 ms", as PostgreSQL measured it
	Query    string // the statement, on one line, shortened
	Text     string // the plan tree
}

// Explain runs the store methods behind quartier, financement and chercher
// against databaseURL, with inputs from c, and writes the plans PostgreSQL
// executed for each. It needs the auto_explain module (PostgreSQL contrib)
// and a role allowed to LOAD it (a superuser, or the module listed in
// session_preload_libraries).
func Explain(ctx context.Context, databaseURL string, c *Corpus, w io.Writer) ([]ExplainCall, error) {
	base, err := pq.NewConnector(databaseURL)
	if err != nil {
		return nil, fmt.Errorf("explain: %w", err)
	}
	var mu sync.Mutex
	var logged []string
	conn := pq.ConnectorWithNoticeHandler(base, func(e *pq.Error) {
		if strings.HasPrefix(e.Message, "duration:") {
			mu.Lock()
			logged = append(logged, e.Message)
			mu.Unlock()
		}
	})
	// One connection, so the session settings apply to every query.
	db := sqlx.NewDb(sql.OpenDB(conn), "postgres")
	db.SetMaxOpenConns(1)
	db.SetMaxIdleConns(1)
	defer db.Close()
	for _, s := range explainSetup {
		if _, err := db.ExecContext(ctx, s); err != nil {
			return nil, fmt.Errorf("explain: %s: %w (auto_explain needs PostgreSQL contrib and a superuser)", s, err)
		}
	}
	st := store.New(db)

	// A name with a long word, so its typo is a real one ("Érables" →
	// "Érbles"), not a three-letter word that matches anything.
	name := c.Quartiers[0]
	for _, n := range c.Quartiers {
		if len([]rune(strings.Fields(n)[0])) >= 12 {
			name = n
			break
		}
	}
	ms, err := st.FindQuartiers(ctx, name, 8)
	if err != nil {
		return nil, fmt.Errorf("explain: %w", err)
	}
	if len(ms) == 0 {
		return nil, fmt.Errorf("explain: quartier %q not found: load the data with `relais seed --synthetic`", name)
	}
	q := ms[0]
	var member domain.Person
	if member, err = st.PersonBySlackID(ctx, c.Members[0]); err != nil {
		return nil, fmt.Errorf("explain: %w", err)
	}
	coordinator := store.Viewer{Role: domain.RoleCoordinator}
	table := store.Viewer{Role: domain.RoleTableMember, OrganisationID: member.OrganisationID}
	today := time.Now().In(montreal())
	start := time.Date(today.Year(), today.Month(), today.Day(), 0, 0, 0, 0, today.Location())
	ending := start.Add(120 * 24 * time.Hour) // the router's default EndingWithin
	common, rare := c.CommonWord(), c.RareWord()

	// The calls a reply makes, with the arguments the commands pass.
	calls := []struct {
		name string
		run  func() error
	}{
		{fmt.Sprintf("FindQuartiers(%q) exact name [cached per name]", name), func() error {
			_, err := st.FindQuartiers(ctx, name, 8)
			return err
		}},
		{fmt.Sprintf("FindQuartiers(%q) typo: exact, words, trigram [cached per name]", typo(middle{}, stripMarker(name))), func() error {
			_, err := st.FindQuartiers(ctx, typo(middle{}, stripMarker(name)), 8)
			return err
		}},
		{"ListInitiatives(quartier) first 8 [cached per quartier]", func() error {
			_, _, err := st.ListInitiatives(ctx, store.InitiativeFilter{QuartierID: q.ID}, 8, 0)
			return err
		}},
		{"FundingSummary() unfiltered [cached per day]", func() error {
			_, err := st.FundingSummary(ctx, store.FundingFilter{}, start, ending)
			return err
		}},
		{"FundingSummary(quartier) [cached per quartier and day]", func() error {
			_, err := st.FundingSummary(ctx, store.FundingFilter{QuartierID: q.ID}, start, ending)
			return err
		}},
		{"LatestNotes(quartier, coordinator) 3 [every quartier reply]", func() error {
			_, err := st.LatestNotes(ctx, coordinator, q.ID, 3)
			return err
		}},
		{fmt.Sprintf("Search(%q) common word, coordinator [every search]", common), func() error {
			_, _, err := st.Search(ctx, coordinator, common, 8, 0)
			return err
		}},
		{fmt.Sprintf("Search(%q) common word, Table member [every search]", common), func() error {
			_, _, err := st.Search(ctx, table, common, 8, 0)
			return err
		}},
		{fmt.Sprintf("Search(%q) rare word, coordinator [every search]", rare), func() error {
			_, _, err := st.Search(ctx, coordinator, rare, 8, 0)
			return err
		}},
	}
	var out []ExplainCall
	for _, call := range calls {
		mu.Lock()
		logged = nil
		mu.Unlock()
		t := time.Now()
		if err := call.run(); err != nil {
			return out, fmt.Errorf("explain: %s: %w", call.name, err)
		}
		ec := ExplainCall{Name: call.name, Wall: time.Since(t)}
		mu.Lock()
		for _, m := range logged {
			ec.Plans = append(ec.Plans, parsePlan(m))
		}
		mu.Unlock()
		if len(ec.Plans) == 0 {
			return out, errors.New("explain: PostgreSQL sent no plan: is auto_explain installed (postgresql-contrib)?")
		}
		out = append(out, ec)
		writeCall(w, ec)
	}
	return out, nil
}

// middle makes typo deterministic here: the middle letter dropped each run.
type middle struct{}

func (middle) IntN(n int) int { return n / 2 }

func montreal() *time.Location {
	if loc, err := time.LoadLocation("America/Montreal"); err == nil {
		return loc
	}
	return time.UTC
}

// parsePlan splits an auto_explain message, "duration: 1.234 ms  plan:\n
// Query Text: …\n<plan>", into its parts. The plan starts at the first line
// with a cost estimate: the query text has none.
func parsePlan(msg string) Plan {
	var p Plan
	head, rest, _ := strings.Cut(msg, "\n")
	p.Duration = strings.TrimSpace(strings.TrimSuffix(strings.TrimPrefix(head, "duration:"), "plan:"))
	lines := strings.Split(rest, "\n")
	i := 0
	for i < len(lines) && !strings.Contains(lines[i], "(cost=") {
		i++
	}
	query := strings.Join(strings.Fields(strings.TrimPrefix(strings.Join(lines[:i], " "), "Query Text:")), " ")
	if r := []rune(query); len(r) > 140 {
		query = string(r[:139]) + "…"
	}
	p.Query = query
	p.Text = strings.Join(lines[i:], "\n")
	return p
}

func writeCall(w io.Writer, ec ExplainCall) {
	fmt.Fprintf(w, "\n=== %s: %s wall, %d statement(s)\n", ec.Name, ms(ec.Wall), len(ec.Plans))
	for _, p := range ec.Plans {
		fmt.Fprintf(w, "\n--- %s  %s\n", p.Duration, p.Query)
		for _, l := range strings.Split(p.Text, "\n") {
			fmt.Fprintf(w, "    %s\n", l)
		}
	}
}

// WriteExplainSummary lists the calls and their statements' times.
func WriteExplainSummary(w io.Writer, calls []ExplainCall) {
	fmt.Fprintln(w, "\nSummary: wall time of each call, then each statement's execution time as PostgreSQL\n"+
		"measured it (with EXPLAIN ANALYZE's timing overhead; one run each, so partly cold). In [ ]:\n"+
		"how often the app runs it (Relais caches until the data changes, checked every 5 s).")
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for _, c := range calls {
		var ds []string
		for _, p := range c.Plans {
			ds = append(ds, p.Duration)
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s\n", c.Name, ms(c.Wall), strings.Join(ds, ", "))
	}
	tw.Flush()
}
