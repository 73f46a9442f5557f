package commands

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/slack-go/slack"

	"github.com/pic-montreal/relais/internal/blockkit"
	"github.com/pic-montreal/relais/internal/checkin"
	"github.com/pic-montreal/relais/internal/checkin/schedule"
	"github.com/pic-montreal/relais/internal/domain"
	"github.com/pic-montreal/relais/internal/i18n"
	"github.com/pic-montreal/relais/internal/store"
)

// What the App Home shows at most.
const (
	// homeCheckins is how many open rounds of a Table it shows.
	homeCheckins = 3
	// homeNotes is how many of the Table's notes it lists.
	homeNotes = 5
	// homeNoteExcerpt bounds each listed note: enough to recognise it.
	homeNoteExcerpt = 280
	// homeRounds is how many current rounds a coordinator's Home counts.
	homeRounds = 3
	// homeWaitingNames is how many silent Tables it names per round; the
	// others are counted ("and 980 more").
	homeWaitingNames = 20
)

// homeOpened publishes the App Home of whoever opened it. Publishing again
// changes nothing, so a repeated event needs no record.
func (rt *Router) homeOpened(ctx context.Context, ev Event) (EventReply, error) {
	if ev.Tab != "" && ev.Tab != "home" {
		return EventReply{}, nil
	}
	r, err := rt.newRequest(ctx, Caller{SlackUserID: ev.User, TeamID: ev.TeamID}, "")
	if err != nil {
		return EventReply{}, err
	}
	view, err := rt.homeView(ctx, r)
	if err != nil {
		// What is known is still worth showing; the next refresh completes it.
		rt.opts.Logger.ErrorContext(ctx, "app home", "user", ev.User, "err", err)
	}
	return EventReply{Home: &view}, nil
}

// HomeView is the App Home of a Slack user as it must read now, for the
// job that republishes it when a note arrives. It fails when what the Home
// shows cannot be read (the job then retries).
func (rt *Router) HomeView(ctx context.Context, slackUserID string) (slack.HomeTabViewRequest, error) {
	r, err := rt.newRequest(ctx, Caller{SlackUserID: slackUserID}, "")
	if err != nil {
		return slack.HomeTabViewRequest{}, err
	}
	return rt.homeView(ctx, r)
}

// homeView is the App Home of r's caller, by role, in their language. Notes
// are read through the caller's Viewer: what a person may not read never
// reaches their Home. On a read error the view still holds the rest, with
// a line saying so, and the error is returned.
func (rt *Router) homeView(ctx context.Context, r *Request) (slack.HomeTabViewRequest, error) {
	blocks := []slack.Block{header(r.T("home.title"))}
	if r.Person == nil {
		blocks = append(blocks, section(r.T("home.guest")))
	} else {
		blocks = append(blocks, section(r.T("home.known", esc(r.Person.DisplayName), r.T("role."+string(r.Role)))))
	}
	var part []slack.Block
	var err error
	switch {
	case r.Person != nil && r.Role == domain.RoleTableMember:
		part, err = rt.tableHome(ctx, r)
	case r.Person != nil && r.Role == domain.RoleCoordinator:
		part, err = rt.coordinatorHome(ctx, r)
	}
	if err != nil {
		part = []slack.Block{divider(), section(r.T("home.unavailable"))}
	}
	blocks = append(blocks, part...)
	var lines []string
	for _, c := range rt.commands {
		if c.Allows(r.Role) {
			lines = append(lines, fmt.Sprintf("• `%s %s` — %s", SlashCommand, esc(r.T(c.ExampleKey)), esc(r.T(c.SummaryKey))))
		}
	}
	blocks = append(blocks, divider())
	blocks = append(blocks, sections(append([]string{"*" + r.T("home.commands") + "*"}, lines...))...)
	other := domain.English
	if r.Lang == domain.English {
		other = domain.French
	}
	if langCmd, ok := rt.Lookup("langue"); ok {
		blocks = append(blocks, contextBlock(r.T("home.language", SlashCommand, langCmd.Verb(r.Lang), other)))
	}
	_, blocks = blockkit.Fit("", blocks, r.T("reply.cut"))
	return slack.HomeTabViewRequest{Type: slack.VTHomeTab, Blocks: slack.Blocks{BlockSet: blocks}}, err
}

// tableHome is a Table member's part: their Table's open check-ins, as
// their prompt DM reads (same buttons), and the Table's latest notes.
func (rt *Router) tableHome(ctx context.Context, r *Request) ([]slack.Block, error) {
	checkins, err := rt.store.OpenCheckinsOf(ctx, r.Person.ID, homeCheckins)
	if err != nil {
		return nil, err
	}
	notes, err := rt.store.TableNotes(ctx, r.Viewer(), r.Person.OrganisationID, homeNotes)
	if err != nil {
		return nil, err
	}
	org, err := rt.store.OrganisationByID(ctx, r.Person.OrganisationID)
	if err != nil {
		return nil, err
	}
	table := org.Name
	blocks := []slack.Block{divider(), section(r.T("home.checkin.title"))}
	if len(checkins) == 0 {
		blocks = append(blocks, contextBlock(r.T("home.checkin.none", esc(table))))
	}
	for _, c := range checkins {
		blocks = append(blocks, rt.checkinBlocks(r, c)...)
	}
	blocks = append(blocks, divider(), section(r.T("home.notes.title", esc(table))))
	if len(notes) == 0 {
		blocks = append(blocks, contextBlock(r.T("home.notes.none")))
	}
	for _, n := range notes {
		blocks = append(blocks, section(homeNoteLine(r, n)))
	}
	return blocks, nil
}

// checkinBlocks is an open check-in as the caller's prompt DM shows it now
// (checkin.StateMessage), so its buttons are the DM's and are handled
// alike. Someone who may not answer gets no button that would be refused.
func (rt *Router) checkinBlocks(r *Request, c store.HomeCheckin) []slack.Block {
	loc := rt.zone(c.TimeZone)
	_, blocks := checkin.StateMessage(checkin.StateInput{
		PromptInput: checkin.PromptInput{Lang: r.Lang, ScheduleName: c.ScheduleName, TableName: c.TableName,
			Period: schedule.DateOf(c.Period), Questions: c.Questions, ClosesAt: c.ClosesAt.In(loc),
			ScheduledFor: c.ScheduledFor.In(loc), Late: c.OpenedLate, PromptID: c.PromptID},
		Status: c.Status, RoundOpen: true, AnsweredBy: c.AnsweredBy, ByReader: c.AnsweredByViewer, Note: c.Note,
	})
	if c.MayAnswer {
		return blocks
	}
	kept := blocks[:0]
	for _, b := range blocks {
		if _, isActions := b.(*slack.ActionBlock); !isActions {
			kept = append(kept, b)
		}
	}
	return append(kept, contextBlock(r.T("home.checkin.not_respondent")))
}

// homeNoteLine is one of the Table's notes: its month, its author, who may
// read it, and the start of its text, every stored text escaped.
func homeNoteLine(r *Request, n store.TableNote) string {
	author := esc(n.AuthorName)
	if strings.TrimSpace(n.AuthorName) == "" {
		author = r.T("home.notes.no_author")
	}
	readers := r.T("home.notes.readers.partnership")
	if n.Visibility == domain.CoordinatorsOnly {
		readers = r.T("home.notes.readers.coordinators")
	}
	if n.Late {
		readers += " · " + r.T("home.notes.late")
	}
	head := r.T("home.notes.line", i18n.Month(r.Lang, n.Period.Year(), int(n.Period.Month())), author, readers)
	body := blockkit.Truncate(esc(strings.TrimSpace(n.Body)), homeNoteExcerpt)
	return head + "\n" + quoteLines(body)
}

// quoteLines renders s as a mrkdwn block quote, line by line.
func quoteLines(s string) string {
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = "> " + l
	}
	return strings.Join(lines, "\n")
}

// coordinatorHome is a coordinator's part: the current rounds' response
// rate and counts, and the Tables that have not answered.
func (rt *Router) coordinatorHome(ctx context.Context, r *Request) ([]slack.Block, error) {
	rounds, err := rt.store.CurrentRounds(ctx, homeRounds)
	if err != nil {
		return nil, err
	}
	blocks := []slack.Block{divider(), section(r.T("home.status.title"))}
	if len(rounds) == 0 {
		blocks = append(blocks, contextBlock(r.T("home.status.none")))
	}
	for _, rd := range rounds {
		counts, tables, err := rt.store.RoundStatus(ctx, rd.ID)
		if err != nil {
			return nil, err
		}
		blocks = append(blocks, section(rt.roundSummary(r, rd, counts, tables)))
	}
	if suivi, ok := rt.Lookup("suivi"); ok && len(rounds) > 0 {
		blocks = append(blocks, contextBlock(r.T("home.status.pointer", SlashCommand, suivi.Verb(r.Lang), r.T("home.status.sub"))))
	}
	return blocks, nil
}

// roundSummary is one round's status in one section: its name and deadline,
// its response rate and counts, and the silent Tables, named up to
// homeWaitingNames.
func (rt *Router) roundSummary(r *Request, rd store.HomeRound, c store.PromptCounts, tables []store.TablePromptStatus) string {
	month := i18n.Month(r.Lang, rd.Period.Year(), int(rd.Period.Month()))
	var lines []string
	if rd.Status == "open" {
		lines = append(lines, r.T("home.status.round_open", esc(rd.ScheduleName), month,
			checkin.DateTime(r.Lang, rd.ClosesAt.In(rt.zone(rd.TimeZone)))))
	} else {
		lines = append(lines, r.T("home.status.round_closed", esc(rd.ScheduleName), month))
	}
	responded := c.Answered + c.NothingToReport + c.Skipped
	rate := 0
	if total := c.Total(); total > 0 {
		rate = (responded*100 + total/2) / total
	}
	waiting := c.Pending + c.Expired
	lines = append(lines, r.T("home.status.rate", rate, responded, c.Total()),
		r.T("home.status.counts", c.Answered, c.NothingToReport, c.Skipped, waiting))
	var names []string
	for _, t := range tables {
		if t.Status != store.PromptPending && t.Status != store.PromptSent && t.Status != store.PromptExpired {
			continue
		}
		if len(names) < homeWaitingNames {
			names = append(names, esc(t.Name))
		}
	}
	switch {
	case waiting == 0 && c.Total() > 0:
		lines = append(lines, r.T("home.status.all_answered"))
	case waiting > 0:
		list := strings.Join(names, ", ")
		if more := waiting - len(names); more > 0 {
			list += " " + r.T("home.status.more", more)
		}
		lines = append(lines, r.T("home.status.waiting", waiting, list))
	}
	return blockkit.Truncate(strings.Join(lines, "\n"), blockkit.MaxSectionText)
}

// zone is a round's time zone, the partnership's when it names none or an
// unknown one.
func (rt *Router) zone(name string) *time.Location {
	if strings.TrimSpace(name) != "" {
		if loc, err := time.LoadLocation(name); err == nil {
			return loc
		}
	}
	return rt.opts.Location
}
