package commands

import "github.com/pic-montreal/relais/internal/domain"

// SlashCommand is the command name the Slack app manifest declares.
const SlashCommand = "/pic"

var (
	everyone    = []domain.Role{domain.RoleGuest, domain.RoleTableMember, domain.RolePartner, domain.RoleCoordinator}
	coordinator = []domain.Role{domain.RoleCoordinator}
	// known is anyone Relais knows: not a guest.
	known = []domain.Role{domain.RoleTableMember, domain.RolePartner, domain.RoleCoordinator}
)

// registry declares every command, in the order help lists them.
func (rt *Router) registry() []*Command {
	return []*Command{
		{Name: "aide", Aliases: []string{"help", "?"}, SummaryKey: "help.summary",
			ExampleKey: "help.example", Roles: everyone, Run: rt.help},
		{Name: "quartier", Aliases: []string{"neighbourhood", "neighborhood", "q"}, UsageKey: "quartier.usage",
			SummaryKey: "quartier.summary", ExampleKey: "quartier.example", Roles: everyone, Run: rt.quartier},
		{Name: "initiatives", Aliases: []string{"projects", "initiative"}, UsageKey: "initiatives.usage",
			SummaryKey: "initiatives.summary", ExampleKey: "initiatives.example", Roles: everyone, Run: rt.initiatives},
		{Name: "financement", Aliases: []string{"funding", "fonds"}, UsageKey: "funding.usage",
			SummaryKey: "funding.summary", ExampleKey: "funding.example", Roles: everyone, Run: rt.funding},
		{Name: "chercher", Aliases: []string{"search", "recherche", "find"}, UsageKey: "search.usage",
			SummaryKey: "search.summary", ExampleKey: "search.example", Roles: everyone, Run: rt.search},
		{Name: "langue", Aliases: []string{"language", "lang"}, UsageKey: "language.usage",
			SummaryKey: "language.summary", ExampleKey: "language.example", Roles: everyone, Personal: true,
			Run: rt.setLanguage},
		{Name: "membres", Aliases: []string{"members", "people"}, UsageKey: "members.usage",
			SummaryKey: "members.summary", ExampleKey: "members.example", Roles: coordinator, Run: rt.membersCommand},
		{Name: "suivi", Aliases: []string{"checkin", "suivis", "checkins"}, UsageKey: "suivi.usage",
			SummaryKey: "suivi.summary", ExampleKey: "suivi.example", Roles: coordinator, Run: rt.suivi},
		{Name: "absent", Aliases: []string{"away", "absence"}, UsageKey: "away.usage", SummaryKey: "away.summary",
			ExampleKey: "away.example", Roles: known, Personal: true, Run: rt.away},
		{Name: "condensé", Aliases: []string{"digest", "résumé", "digests"}, UsageKey: "digestcmd.usage",
			SummaryKey: "digestcmd.summary", ExampleKey: "digestcmd.example", Roles: everyone, Personal: true, Run: rt.digestCommand},
		{Name: "suivre", Aliases: []string{"follow"}, UsageKey: "follow.usage", SummaryKey: "follow.summary",
			ExampleKey: "follow.example", Roles: known, Personal: true, Run: rt.follow},
		// "ne plus suivre <thème>": its first word is the verb.
		{Name: "ne", Aliases: []string{"unfollow"}, UsageKey: "unfollow.usage", SummaryKey: "unfollow.summary",
			ExampleKey: "unfollow.example", Roles: known, Personal: true, Run: rt.unfollow},
	}
}
