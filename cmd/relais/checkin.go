package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/pic-montreal/relais/internal/checkin"
	"github.com/pic-montreal/relais/internal/config"
	"github.com/pic-montreal/relais/internal/delivery"
	"github.com/pic-montreal/relais/internal/domain"
	"github.com/pic-montreal/relais/internal/i18n"
	"github.com/pic-montreal/relais/internal/jobs"
	"github.com/pic-montreal/relais/internal/store"
)

var checkinCommand = &command{
	name:    "checkin",
	summary: "check-in schedules: list, create, run now, status of a round",
	usage:   "list | create --name N --cron SPEC [--nth-weekday N --weekday D] [--zone Z] | run <slug> | status [round id]",
	help: "  list                 every schedule: slug, rule, zone, state, last occurrence handled\n" +
		"  create               a schedule with the default questions, every Table, reminders\n" +
		"                       at 2 and 5 working days and closing after 10 at 17:00, e.g.\n" +
		"                       create --name \"Suivi mensuel\" --cron \"0 9 * * *\" --nth-weekday 1 --weekday 2\n" +
		"  run <slug>           open the schedule's next round now (never a second round for\n" +
		"                       one occurrence); its DMs are queued for relais serve to deliver\n" +
		"  status [round id]    a round's answers per Table (the latest round of each schedule\n" +
		"                       when no id is given)\n" +
		"Writes are audited as actor \"cli\".",
	run: runCheckin,
}

// checkinCreateCommand is only for `relais checkin create -h`.
var checkinCreateCommand = &command{name: "checkin create", summary: "create a check-in schedule",
	usage: "--name N --cron SPEC [--slug S] [--nth-weekday N --weekday D] [--zone Z] [--paused]"}

// cliActor is who audit_log says made the CLI's writes.
const cliActor = store.Actor("cli")

func runCheckin(ctx context.Context, cmd *command, args []string, e *env) error {
	fs := e.flags(cmd)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() == 0 {
		return usageErrorf("say what to do: list, create, run or status")
	}
	verb, rest := fs.Arg(0), fs.Args()[1:]
	var do func(context.Context, *checkin.Service, []string, *env) error
	switch verb {
	case "list":
		do = checkinList
	case "create":
		do = checkinCreate
	case "run":
		do = checkinRun
	case "status":
		do = checkinStatus
	default:
		return usageErrorf("unknown action %q: list, create, run or status", verb)
	}
	// Usage is checked before connecting, so a typo fails fast.
	if err := do(ctx, nil, rest, e); err != nil && !errors.Is(err, errUsageOK) {
		return err
	}
	cfg, logger, st, err := setupStore(ctx, e)
	if err != nil {
		return err
	}
	defer st.Close()
	svc, err := checkinService(st, cfg, logger)
	if err != nil {
		return err
	}
	if err := do(ctx, svc, rest, e); err != nil {
		return checkinError(cfg, err)
	}
	return nil
}

// errUsageOK ends an action's dry run once its arguments are checked.
var errUsageOK = errors.New("usage checked")

// checkinService is the service as relais serve runs it: DMs and alerts go
// to the delivery queue in the transaction that opens a round.
func checkinService(st *store.Store, cfg config.Config, logger *slog.Logger) (*checkin.Service, error) {
	bg, err := jobs.New(st, jobs.Config{Logger: logger, CoordinationChannel: cfg.CoordinationChannel})
	if err != nil {
		return nil, err
	}
	enq := jobs.NewEnqueuer(bg)
	return &checkin.Service{Store: st, Enqueuer: enq, Alerter: delivery.NewAlerter(enq, cfg.CoordinationChannel),
		Location: cfg.Timezone, Logger: logger}, nil
}

// checkinError says in one line what went wrong with what was asked.
func checkinError(cfg config.Config, err error) error {
	var inv *checkin.InvalidError
	var open *checkin.AlreadyOpenError
	var nf *domain.NotFoundError
	switch {
	case errors.As(err, &inv):
		return usageErrorf("%s", strings.TrimSuffix(i18n.T(domain.English, inv.MessageKey(), inv.Value), "."))
	case errors.As(err, &open):
		return fmt.Errorf("%s: nothing opened", open.Error())
	case errors.As(err, &nf):
		return fmt.Errorf("%s", nf.Error())
	case errors.Is(err, domain.ErrConflict):
		return fmt.Errorf("a schedule with that slug already exists (relais checkin list)")
	case errors.Is(err, checkin.ErrNoNextOccurrence):
		return err
	}
	return dbError(cfg, err)
}

func checkinList(ctx context.Context, svc *checkin.Service, args []string, e *env) error {
	if len(args) > 0 {
		return usageErrorf("list takes no argument, got %q", args[0])
	}
	if svc == nil {
		return errUsageOK
	}
	schedules, err := svc.Store.ListSchedules(ctx)
	if err != nil {
		return err
	}
	if len(schedules) == 0 {
		fmt.Fprintln(e.stdout, "no schedule yet: relais checkin create --name … --cron …")
		return nil
	}
	w := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "SLUG\tNAME\tRULE\tZONE\tSTATE\tAUDIENCE\tLAST OCCURRENCE")
	for _, s := range schedules {
		rule := s.CronSpec
		if s.NthWeekday != nil && s.Weekday != nil {
			rule += fmt.Sprintf(" (weekday %d #%d)", *s.Weekday, *s.NthWeekday)
		}
		state, audience, last := "active", "all Tables", "-"
		if !s.Active {
			state = "paused"
		}
		if !s.AudienceAll {
			audience = fmt.Sprintf("%d Tables", len(s.Audience))
		}
		if s.LastOccurrence != nil {
			last = *s.LastOccurrence
		}
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", s.Slug, s.Name, rule, s.TimeZone, state, audience, last)
	}
	return w.Flush()
}

func checkinCreate(ctx context.Context, svc *checkin.Service, args []string, e *env) error {
	fs := e.flags(checkinCreateCommand)
	name := fs.String("name", "", "the schedule's name (required)")
	slug := fs.String("slug", "", "its id in commands (default: from the name)")
	cron := fs.String("cron", "", `cron spec "minute hour day month weekday" (required)`)
	nth := fs.Int("nth-weekday", 0, "only the Nth weekday of the month: 1..5, or -1 for the last")
	weekday := fs.Int("weekday", -1, "with --nth-weekday: 0 (Sunday) .. 6 (Saturday)")
	zone := fs.String("zone", "America/Montreal", "IANA time zone")
	paused := fs.Bool("paused", false, "create it paused")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	switch {
	case fs.NArg() > 0:
		return usageErrorf("unexpected argument %q", fs.Arg(0))
	case strings.TrimSpace(*name) == "":
		return usageErrorf("--name is required")
	case strings.TrimSpace(*cron) == "":
		return usageErrorf("--cron is required")
	case (*nth == 0) != (*weekday == -1):
		return usageErrorf("--nth-weekday and --weekday go together")
	case *weekday < -1 || *weekday > 6:
		return usageErrorf("--weekday %d: want 0 (Sunday) to 6 (Saturday)", *weekday)
	}
	if svc == nil {
		return errUsageOK
	}
	spec := checkin.ScheduleSpec{Slug: *slug, Name: *name, Cron: *cron, TimeZone: *zone, NthWeekday: *nth, Paused: *paused}
	if *weekday >= 0 {
		spec.Weekday = time.Weekday(*weekday)
	}
	s, err := svc.CreateSchedule(ctx, cliActor, spec)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "created %s (%s)\n", s.Slug, s.Name)
	return nil
}

func checkinRun(ctx context.Context, svc *checkin.Service, args []string, e *env) error {
	if len(args) != 1 {
		return usageErrorf("run takes one schedule slug (relais checkin list)")
	}
	if svc == nil {
		return errUsageOK
	}
	o, err := svc.RunNow(ctx, cliActor, args[0])
	if err != nil {
		return err
	}
	how := "early"
	if !o.Early {
		how = "on time"
		if o.Late {
			how = "late"
		}
	}
	fmt.Fprintf(e.stdout, "opened round %d (%s, %s) about %s, closing %s: %d Tables, %d DMs queued, %d Tables without respondent\n",
		o.RoundID, o.Key, how, o.Period.String()[:7], o.ClosesAt.Format("2006-01-02 15:04 MST"), o.Prompts,
		o.Messages, o.Alerts)
	return nil
}

func checkinStatus(ctx context.Context, svc *checkin.Service, args []string, e *env) error {
	var roundID int64
	switch len(args) {
	case 0:
	case 1:
		id, err := strconv.ParseInt(args[0], 10, 64)
		if err != nil || id <= 0 {
			return usageErrorf("round id %q is not a positive number", args[0])
		}
		roundID = id
	default:
		return usageErrorf("status takes at most one round id")
	}
	if svc == nil {
		return errUsageOK
	}
	var rounds []store.Round
	if roundID != 0 {
		r, err := svc.Store.RoundByID(ctx, roundID)
		if err != nil {
			return err
		}
		rounds = append(rounds, r)
	} else {
		schedules, err := svc.Store.ListSchedules(ctx)
		if err != nil {
			return err
		}
		for _, s := range schedules {
			r, err := svc.Store.LatestRound(ctx, s.ID)
			if errors.Is(err, domain.ErrNotFound) {
				continue
			}
			if err != nil {
				return err
			}
			rounds = append(rounds, r)
		}
		if len(rounds) == 0 {
			fmt.Fprintln(e.stdout, "no round opened yet")
			return nil
		}
	}
	for i, r := range rounds {
		if i > 0 {
			fmt.Fprintln(e.stdout)
		}
		if err := printRound(ctx, svc.Store, r, e.stdout); err != nil {
			return err
		}
	}
	return nil
}

func printRound(ctx context.Context, st *store.Store, r store.Round, out io.Writer) error {
	c, tables, err := st.RoundStatus(ctx, r.ID)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "round %d  %s  about %s  %s, closes %s\n", r.ID, r.OccurrenceKey, r.Period.Format("2006-01"),
		r.Status, r.ClosesAt.Format(time.RFC3339))
	fmt.Fprintf(out, "answered %d  nothing to report %d  skipped %d  expired %d  pending %d  (of %d)\n",
		c.Answered, c.NothingToReport, c.Skipped, c.Expired, c.Pending, c.Total())
	w := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "TABLE\tSTATUS\tRECIPIENTS")
	for _, t := range tables {
		fmt.Fprintf(w, "%s\t%s\t%d\n", t.Name, t.Status, t.Recipients)
	}
	return w.Flush()
}
