// Package seed loads Relais' sample data, all of it marked is_sample:
//
//   - Demo: a small fictional dataset for demonstrations, the docs and tests:
//     17 real Montreal quartiers with invented Tables, partners, people,
//     initiatives, funding and three months of progress notes. It lives in CSV
//     files under demo/ that non-engineers can open in a spreadsheet and edit.
//   - Synthetic: a large generated dataset (1,000 quartiers, 100,000 notes)
//     for benchmarks.
//
// Both can be loaded again and again: a repeated Demo changes nothing (not
// even audit_log), a repeated Synthetic adds nothing. Their keys differ (demo
// codes start with PIC- and F-, synthetic ones with SYN-), so they coexist.
package seed

import (
	"context"
	"fmt"
	"strings"

	"github.com/pic-montreal/relais/internal/store"
)

// Notice says, in both languages, that the sample data is invented.
const Notice = "Données fictives : les organisations, personnes, initiatives, montants et notes " +
	"de ce jeu de données sont inventés; seuls les noms de quartiers sont réels. / " +
	"Fictional data: the organisations, people, initiatives, amounts and notes in this dataset " +
	"are invented; only the neighbourhood names are real."

// Actor is who audit_log says wrote the sample data.
const Actor = store.Actor("seed")

// Counts are the row counts of the tables the seeds write, after a load
// (everything in the table, sample or not).
type Counts struct {
	Quartiers          int64
	Organisations      int64
	People             int64
	Themes             int64
	Initiatives        int64
	InitiativeThemes   int64
	Funding            int64
	ProgressNotes      int64
	ProgressNoteThemes int64
	AuditLog           int64
}

// String lists the counts as table=n, in dependency order.
func (c Counts) String() string {
	parts := make([]string, 0, 10)
	for _, f := range c.fields() {
		parts = append(parts, fmt.Sprintf("%s=%d", f.table, *f.n))
	}
	return strings.Join(parts, " ")
}

type countField struct {
	table string
	n     *int64
}

func (c *Counts) fields() []countField {
	return []countField{
		{"quartiers", &c.Quartiers}, {"organisations", &c.Organisations}, {"people", &c.People},
		{"themes", &c.Themes}, {"initiatives", &c.Initiatives}, {"initiative_themes", &c.InitiativeThemes},
		{"funding", &c.Funding}, {"progress_notes", &c.ProgressNotes},
		{"progress_note_themes", &c.ProgressNoteThemes}, {"audit_log", &c.AuditLog},
	}
}

// CurrentCounts reads the row counts from the database.
func CurrentCounts(ctx context.Context, st *store.Store) (Counts, error) {
	m, err := st.SeedCounts(ctx)
	if err != nil {
		return Counts{}, err
	}
	var c Counts
	for _, f := range c.fields() {
		*f.n = m[f.table]
	}
	return c, nil
}
