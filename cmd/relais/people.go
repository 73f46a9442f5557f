package main

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/pic-montreal/relais/commands"
	"github.com/pic-montreal/relais/internal/domain"
	"github.com/pic-montreal/relais/internal/store"
)

var peopleCommand = &command{
	name:    "people",
	summary: "register or list people from the shell: the first coordinator of a new install",
	usage: "add <Slack user id> <organisation slug> <coordinator|partner|member> [--name \"Display name\"]\n" +
		"       relais people list",
	help: "  add    register someone (or move them) in an organisation with a role (Slack's words\n" +
		"         work too: coordinateur, partenaire, membre, table_member); the first\n" +
		"         coordinator of a new install is registered this way, everyone after from\n" +
		"         Slack with /pic membres ajouter. The last active coordinator can never be\n" +
		"         moved away from the role. Writes are audited as actor \"cli\".\n" +
		"  list   everyone registered: Slack id, organisation slug and name, role, whether\n" +
		"         they answer check-ins, the last day they are away.",
	run: runPeople,
}

func runPeople(ctx context.Context, cmd *command, args []string, e *env) error {
	fs := e.flags(cmd)
	name := fs.String("name", "", "the person's display name (default: their Slack user id)")
	if err := parseFlags(fs, reorderFlags(args)); err != nil {
		return err
	}
	if fs.NArg() == 1 && fs.Arg(0) == "list" {
		return listPeople(ctx, e)
	}
	if fs.NArg() != 4 || fs.Arg(0) != "add" {
		return usageErrorf("usage: relais people %s", cmd.usage)
	}
	user, orgSlug, roleText := strings.TrimSpace(fs.Arg(1)), strings.TrimSpace(fs.Arg(2)), fs.Arg(3)
	if !slackUserIDPattern.MatchString(user) {
		return usageErrorf("%q is not a Slack user id (U… or W…, from the person's Slack profile: ⋮ > Copy member ID)", user)
	}
	role, ok := commands.ParseRole(roleText)
	if !ok {
		return usageErrorf("I don't know the role %q: use coordinator, partner or member (table_member)", roleText)
	}
	cfg, _, st, err := setupStore(ctx, e)
	if err != nil {
		return err
	}
	defer st.Close()
	orgs, err := st.FindOrganisations(ctx, orgSlug, 5)
	if err != nil {
		return dbError(cfg, err)
	}
	if len(orgs) == 0 || orgs[0].Slug != orgSlug {
		close, err := st.OrganisationsWithSlugLike(ctx, orgSlug, 5)
		if err != nil {
			return dbError(cfg, err)
		}
		for _, o := range orgs { // names holding the words typed, after close slugs
			close = append(close, o.Organisation)
		}
		return unknownSlug(orgSlug, close)
	}
	ch, err := st.AddMember(ctx, cliActor, store.MemberInput{SlackUserID: user, OrganisationID: orgs[0].ID,
		DisplayName: strings.TrimSpace(*name), Role: role})
	switch {
	case errors.Is(err, store.ErrLastCoordinator):
		return fmt.Errorf("%s is the last active coordinator: give the coordinator role to someone else first; nothing was changed", user)
	case errors.Is(err, store.ErrNotATable):
		return fmt.Errorf("%s is not a Table de quartier: only a Table's people may be its members; nothing was changed", orgs[0].Name)
	case err != nil:
		return dbError(cfg, err)
	}
	fmt.Fprintf(e.stdout, "%s (%s) is %s at %s\n", ch.After.DisplayName, user, role, orgs[0].Name)
	if ch.AwayCleared != nil {
		fmt.Fprintf(e.stdout, "Back in Relais: their absence until %s is cleared.\n", ch.AwayCleared.Format(time.DateOnly))
	}
	return nil
}

// unknownSlug says no organisation has the slug, with the close ones.
func unknownSlug(slug string, close []domain.Organisation) error {
	var b strings.Builder
	fmt.Fprintf(&b, "no organisation has the slug %q.", slug)
	seen := map[int64]bool{}
	var names []string
	for _, o := range close {
		if !seen[o.ID] && len(names) < 5 {
			seen[o.ID] = true
			names = append(names, fmt.Sprintf("%s (%s)", o.Slug, o.Name))
		}
	}
	if len(names) > 0 {
		fmt.Fprintf(&b, " Did you mean %s?", strings.Join(names, ", "))
	}
	b.WriteString(" The organisations are loaded by relais seed from organisations.csv; its slug column lists them all.")
	return errors.New(b.String())
}

// listPeople prints everyone registered, one per line, tab-separated.
func listPeople(ctx context.Context, e *env) error {
	cfg, _, st, err := setupStore(ctx, e)
	if err != nil {
		return err
	}
	defer st.Close()
	const page = 500
	w := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "SLACK ID\tNAME\tORGANISATION\tROLE\tANSWERS CHECK-INS\tAWAY UNTIL\tACTIVE")
	for offset := 0; ; offset += page {
		rows, total, err := st.ListPeople(ctx, page, offset)
		if err != nil {
			return dbError(cfg, err)
		}
		ids := make([]string, len(rows))
		for i, p := range rows {
			ids[i] = p.SlackUserID
		}
		away, err := st.AwayFrom(ctx, ids, time.Now().UTC().Truncate(24*time.Hour))
		if err != nil {
			return dbError(cfg, err)
		}
		for _, p := range rows {
			until := "-"
			if d, ok := away[p.SlackUserID]; ok {
				until = d.Format(time.DateOnly)
			}
			org := p.OrganisationName
			if o, err := st.OrganisationByID(ctx, p.OrganisationID); err == nil {
				org = o.Slug + " (" + o.Name + ")"
			}
			fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", p.SlackUserID, p.DisplayName, org, p.Role,
				yesNo(p.AnswersCheckins), until, yesNo(p.Active))
		}
		if offset+page >= total || len(rows) == 0 {
			break
		}
	}
	return w.Flush()
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

// reorderFlags moves --name and its value before the positional arguments,
// which the flag package stops at.
func reorderFlags(args []string) []string {
	var flags, rest []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "--name" || a == "-name":
			flags = append(flags, a)
			if i+1 < len(args) {
				flags = append(flags, args[i+1])
				i++
			}
		case strings.HasPrefix(a, "--name=") || strings.HasPrefix(a, "-name=") || a == "-h" || a == "--help":
			flags = append(flags, a)
		default:
			rest = append(rest, a)
		}
	}
	return append(flags, rest...)
}
