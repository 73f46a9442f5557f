package main

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/pic-montreal/relais/internal/domain"
	"github.com/pic-montreal/relais/internal/store"
)

var peopleCommand = &command{
	name:    "people",
	summary: "register a person from the shell: the first coordinator of a new install",
	usage:   "add <Slack user id> <organisation slug> <coordinator|partner|table_member> [--name \"Display name\"]",
	help: "  add    register someone (or move them) in an organisation with a role; the first\n" +
		"         coordinator of a new install is registered this way, everyone after from\n" +
		"         Slack with /pic membres ajouter. The last active coordinator can never be\n" +
		"         moved away from the role. Writes are audited as actor \"cli\".",
	run: runPeople,
}

func runPeople(ctx context.Context, cmd *command, args []string, e *env) error {
	fs := e.flags(cmd)
	name := fs.String("name", "", "the person's display name (default: their Slack user id)")
	if err := parseFlags(fs, reorderFlags(args)); err != nil {
		return err
	}
	if fs.NArg() != 4 || fs.Arg(0) != "add" {
		return usageErrorf("usage: relais people %s", cmd.usage)
	}
	user, orgSlug, roleText := strings.TrimSpace(fs.Arg(1)), strings.TrimSpace(fs.Arg(2)), fs.Arg(3)
	if !slackUserIDPattern.MatchString(user) {
		return usageErrorf("%q is not a Slack user id (U… or W…, from the person's Slack profile: ⋮ > Copy member ID)", user)
	}
	role := domain.Role(roleText)
	if role != domain.RoleCoordinator && role != domain.RolePartner && role != domain.RoleTableMember {
		return usageErrorf("role %q: coordinator, partner or table_member", roleText)
	}
	cfg, _, err := setup(e)
	if err != nil {
		return err
	}
	st, err := openMigratedStore(ctx, cfg)
	if err != nil {
		return err
	}
	defer st.Close()
	orgs, err := st.FindOrganisations(ctx, orgSlug, 5)
	if err != nil {
		return dbError(cfg, err)
	}
	if len(orgs) == 0 || orgs[0].Slug != orgSlug {
		return fmt.Errorf("no organisation with the slug %q (relais seed loads them from organisations.csv)", orgSlug)
	}
	ch, err := st.AddMember(ctx, cliActor, store.MemberInput{SlackUserID: user, OrganisationID: orgs[0].ID,
		DisplayName: strings.TrimSpace(*name), Role: role})
	switch {
	case errors.Is(err, store.ErrLastCoordinator), errors.Is(err, store.ErrNotATable):
		return fmt.Errorf("%s: nothing changed", err)
	case err != nil:
		return dbError(cfg, err)
	}
	fmt.Fprintf(e.stdout, "%s (%s) is %s at %s\n", ch.After.DisplayName, user, role, orgs[0].Name)
	return nil
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
