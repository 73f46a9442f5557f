package seed

import (
	"context"
	"embed"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"strconv"
	"strings"
	"time"

	"github.com/pic-montreal/relais/internal/checkin"
	"github.com/pic-montreal/relais/internal/domain"
	"github.com/pic-montreal/relais/internal/store"
)

// The demo dataset, one CSV file per table. See demo/LISEZMOI.md.
//
//go:embed demo/*.csv
var demoFS embed.FS

// DemoFiles is the demo dataset as files (demo/*.csv), for tools that show or
// export it.
func DemoFiles() fs.FS { return demoFS }

// Demo loads the fictional demo dataset in one transaction and returns the
// row counts after the load. Loading it again changes nothing; loading an
// edited file updates what changed, each change audited as actor "seed".
func Demo(ctx context.Context, st *store.Store) (Counts, error) {
	d, err := DemoData()
	if err != nil {
		return Counts{}, err
	}
	if _, err := st.Seed(ctx, Actor, d); err != nil {
		return Counts{}, fmt.Errorf("demo data: %w", err)
	}
	in, err := DemoSchedule.Input()
	if err != nil {
		return Counts{}, fmt.Errorf("demo schedule: %w", err)
	}
	// Created once and then left alone: a demo may edit, pause or run it.
	if _, err := st.EnsureSchedule(ctx, Actor, in); err != nil {
		return Counts{}, fmt.Errorf("demo schedule: %w", err)
	}
	return CurrentCounts(ctx, st)
}

// DemoSchedule is the demo partnership's check-in: the first Tuesday of
// every month at 9:00, Montreal time, with the default questions, every
// Table, reminders and closing.
var DemoSchedule = checkin.ScheduleSpec{
	Slug: "suivi-mensuel", Name: "Suivi mensuel — premier mardi du mois, 9 h",
	Cron: "0 9 * * *", TimeZone: "America/Montreal", NthWeekday: 1, Weekday: time.Tuesday,
}

// DemoData reads the demo dataset from the embedded CSV files. An error names
// the file and line at fault.
func DemoData() (store.SeedData, error) {
	var d store.SeedData
	err := readCSV("themes.csv", []string{"slug", "name_fr", "name_en"}, func(r row) error {
		d.Themes = append(d.Themes, store.SeedTheme{Slug: r.get("slug"), NameFr: r.get("name_fr"), NameEn: r.get("name_en")})
		return nil
	})
	if err != nil {
		return d, err
	}
	err = readCSV("quartiers.csv", []string{"slug", "name", "borough", "population"}, func(r row) error {
		pop, err := r.integer("population")
		d.Quartiers = append(d.Quartiers, store.SeedQuartier{
			Slug: r.get("slug"), Name: r.get("name"), Borough: r.get("borough"), Population: pop, IsSample: true,
		})
		return err
	})
	if err != nil {
		return d, err
	}
	err = readCSV("organisations.csv", []string{"slug", "name", "kind", "quartier", "slack_channel"}, func(r row) error {
		d.Organisations = append(d.Organisations, store.SeedOrganisation{
			Slug: r.get("slug"), Name: r.get("name"), Kind: domain.OrganisationKind(r.get("kind")),
			QuartierSlug: r.get("quartier"), SlackChannelID: r.get("slack_channel"), IsSample: true,
		})
		return nil
	})
	if err != nil {
		return d, err
	}
	err = readCSV("people.csv", []string{"slack_user_id", "display_name", "organisation", "role",
		"answers_checkins", "language", "active"}, func(r row) error {
		answers, err1 := r.boolean("answers_checkins")
		active, err2 := r.boolean("active")
		d.People = append(d.People, store.SeedPerson{
			SlackUserID: r.get("slack_user_id"), DisplayName: r.get("display_name"),
			OrganisationSlug: r.get("organisation"), Role: domain.Role(r.get("role")), AnswersCheckins: answers,
			Language: domain.Language(r.get("language")), Inactive: !active, IsSample: true,
		})
		return errors.Join(err1, err2)
	})
	if err != nil {
		return d, err
	}
	err = readCSV("initiatives.csv", []string{"code", "quartier", "lead", "language", "status", "start_date",
		"end_date", "themes", "strategies", "title", "summary"}, func(r row) error {
		start, err1 := r.date("start_date")
		end, err2 := r.date("end_date")
		d.Initiatives = append(d.Initiatives, store.SeedInitiative{
			Code: r.get("code"), QuartierSlug: r.get("quartier"), LeadSlug: r.get("lead"), Title: r.get("title"),
			Summary: r.get("summary"), Language: domain.Language(r.get("language")),
			Strategies: r.list("strategies"), Status: domain.InitiativeStatus(r.get("status")),
			StartDate: start, EndDate: end, ThemeSlugs: r.list("themes"), IsSample: true,
		})
		return errors.Join(err1, err2)
	})
	if err != nil {
		return d, err
	}
	err = readCSV("funding.csv", []string{"code", "initiative", "funder", "kind", "amount", "period_start",
		"period_end", "support_description"}, func(r row) error {
		cents, err1 := r.dollars("amount")
		start, err2 := r.date("period_start")
		end, err3 := r.date("period_end")
		d.Funding = append(d.Funding, store.SeedFunding{
			Code: r.get("code"), InitiativeCode: r.get("initiative"), FunderSlug: r.get("funder"),
			AmountCents: cents, Kind: domain.SupportKind(r.get("kind")),
			SupportDescription: r.get("support_description"), PeriodStart: start, PeriodEnd: end, IsSample: true,
		})
		return errors.Join(err1, err2, err3)
	})
	if err != nil {
		return d, err
	}
	err = readCSV("notes.csv", []string{"import_key", "table", "author", "period", "language", "visibility",
		"themes", "conditions", "body"}, func(r row) error {
		period, err := r.month("period")
		var conds []domain.Condition
		for _, c := range r.list("conditions") {
			conds = append(conds, domain.Condition(c))
		}
		d.Notes = append(d.Notes, store.SeedNote{
			ImportKey: r.get("import_key"), OrganisationSlug: r.get("table"), AuthorSlackID: r.get("author"),
			Period: period, Body: r.get("body"), Conditions: conds, ThemeSlugs: r.list("themes"),
			Language: domain.Language(r.get("language")), Visibility: domain.Visibility(r.get("visibility")),
			IsSample: true,
		})
		return err
	})
	return d, err
}

// row is one CSV record, read by column name so that columns may be moved.
type row struct {
	cols   map[string]int
	fields []string
}

func (r row) get(col string) string { return strings.TrimSpace(r.fields[r.cols[col]]) }

// list splits a "a|b|c" cell; an empty cell is an empty list.
func (r row) list(col string) []string {
	var out []string
	for _, s := range strings.Split(r.get(col), "|") {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}

func (r row) integer(col string) (int, error) {
	s := r.get(col)
	if s == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(strings.ReplaceAll(s, " ", ""))
	if err != nil {
		return 0, fmt.Errorf("%s: %q is not a whole number", col, s)
	}
	return n, nil
}

// boolean accepts the French and English words an editor may type.
func (r row) boolean(col string) (bool, error) {
	switch strings.ToLower(r.get(col)) {
	case "oui", "yes", "true", "vrai", "1":
		return true, nil
	case "non", "no", "false", "faux", "0", "":
		return false, nil
	}
	return false, fmt.Errorf("%s: %q is neither oui nor non", col, r.get(col))
}

// date parses YYYY-MM-DD; an empty cell is the zero date.
func (r row) date(col string) (time.Time, error) {
	s := r.get(col)
	if s == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return t, fmt.Errorf("%s: %q is not a date like 2026-10-31", col, s)
	}
	return t, nil
}

// month parses YYYY-MM as the first day of that month.
func (r row) month(col string) (time.Time, error) {
	s := r.get(col)
	t, err := time.Parse("2006-01", s)
	if err != nil {
		return t, fmt.Errorf("%s: %q is not a month like 2026-10", col, s)
	}
	return t, nil
}

// dollars parses "125000" or "125000.50" into cents without going through a
// float, so no cent is lost to rounding.
func (r row) dollars(col string) (int64, error) {
	s := strings.ReplaceAll(r.get(col), " ", "")
	whole, frac, hasFrac := strings.Cut(s, ".")
	bad := fmt.Errorf("%s: %q is not an amount like 125000 or 125000.50", col, r.get(col))
	if whole == "" || (hasFrac && (len(frac) == 0 || len(frac) > 2)) {
		return 0, bad
	}
	d, err := strconv.ParseInt(whole, 10, 64)
	if err != nil {
		return 0, bad
	}
	var c int64
	if hasFrac {
		if c, err = strconv.ParseInt(frac, 10, 64); err != nil || c < 0 {
			return 0, bad
		}
		if len(frac) == 1 {
			c *= 10
		}
	}
	if d < 0 {
		return d*100 - c, nil
	}
	return d*100 + c, nil
}

// readCSV reads a demo file whose first non-comment line names the columns;
// lines starting with # are comments. fn sees each record.
func readCSV(name string, want []string, fn func(row) error) error {
	f, err := demoFS.Open("demo/" + name)
	if err != nil {
		return fmt.Errorf("demo data: %w", err)
	}
	defer f.Close()
	cr := csv.NewReader(f)
	cr.Comment = '#'
	header, err := cr.Read()
	if err != nil {
		return fmt.Errorf("demo data %s: %w", name, err)
	}
	cols := map[string]int{}
	for i, h := range header {
		cols[strings.TrimSpace(h)] = i
	}
	for _, w := range want {
		if _, ok := cols[w]; !ok {
			return fmt.Errorf("demo data %s: column %q missing", name, w)
		}
	}
	for {
		fields, err := cr.Read()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return fmt.Errorf("demo data %s: %w", name, err)
		}
		if err := fn(row{cols, fields}); err != nil {
			line, _ := cr.FieldPos(0)
			return fmt.Errorf("demo data %s line %d: %w", name, line, err)
		}
	}
}
