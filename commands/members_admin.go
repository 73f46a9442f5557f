package commands

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/slack-go/slack"

	"github.com/pic-montreal/relais/internal/blockkit"
	"github.com/pic-montreal/relais/internal/domain"
	"github.com/pic-montreal/relais/internal/store"
)

// ActionChoose is the button of a question Relais asks back (which Table,
// which round). Its value is the command text that answers it: the clicker
// runs it as if they had typed it, with their own rights, so a forged value
// can do nothing its clicker could not type.
const ActionChoose = "pic:choose"

// maxChoices bounds the buttons of one question.
const maxChoices = 8

// choice is one answer to a question: its button label and the command
// text (as Slack would send it, mentions included) that runs it.
type choice struct {
	label, text string
}

// chooseVerbs are the commands whose questions have ActionChoose buttons:
// the only ones such a button may run.
var chooseVerbs = []string{"membres", "suivi"}

// askChoice asks the caller to pick one of choices, with one button each,
// and says in the plain text which command each runs.
func askChoice(r *Request, question string, choices []choice) Reply {
	if len(choices) > maxChoices {
		choices = choices[:maxChoices]
	}
	var elems []slack.BlockElement
	lines := []string{question}
	for i, c := range choices {
		elems = append(elems, blockkit.Button(ActionChoose+":"+strconv.Itoa(i), c.label, c.text))
		lines = append(lines, fmt.Sprintf("• %s — `%s %s`", esc(c.label), SlashCommand, esc(cleanedText(c.text))))
	}
	return Reply{Text: strings.Join(lines, "\n"),
		Blocks: []slack.Block{section(question), blockkit.Actions("pic_choose", elems...)}}
}

func cleanedText(raw string) string {
	s, _ := cleanInput(raw)
	return s
}

// choose runs the command a question's button carries, as its clicker. The
// answer is theirs alone, and replaces the question when only they see it.
func (rt *Router) choose(ctx context.Context, act ActionInvocation) Reply {
	text, problem := cleanInput(act.Value)
	verb, _ := splitVerb(text)
	cmd, ok := rt.Lookup(verb)
	if problem != inputOK || !ok || !containsName(chooseVerbs, cmd.Name) {
		rt.opts.Logger.WarnContext(ctx, "choice refused", "user", act.Caller.SlackUserID)
		return rt.problemReply(ctx, act.Caller, "action.unknown")
	}
	reply, _ := rt.dispatch(ctx, call{caller: act.Caller, channelID: act.ChannelID, text: act.Value, triggerID: act.TriggerID})
	reply = privately(reply)
	reply.ReplaceOriginal = act.Surface == SurfacePrivate
	return reply
}

func containsName(names []string, name string) bool {
	for _, n := range names {
		if n == name {
			return true
		}
	}
	return false
}

// membersSub is one subcommand of `membres`, by its words (French first).
type membersSub struct {
	words []string
	run   func(rt *Router, ctx context.Context, r *Request, args []string) (Reply, error)
}

var membersSubs = []membersSub{
	{[]string{"ajouter", "add", "inscrire"}, (*Router).memberAdd},
	{[]string{"retirer", "remove", "enlever"}, (*Router).memberRemove},
	{[]string{"répondant", "respondent", "repondante", "répondante"}, (*Router).memberRespondent},
	{[]string{"rôle", "role"}, (*Router).memberRole},
	{[]string{"annuler", "cancel"}, (*Router).memberCancel},
	{[]string{"aide", "help", "?"}, (*Router).memberHelp},
	{[]string{"liste", "list"}, func(rt *Router, ctx context.Context, r *Request, _ []string) (Reply, error) {
		return rt.members(ctx, r)
	}},
}

// membersCommand lists the directory, or changes it (coordinators only, as
// the command is).
func (rt *Router) membersCommand(ctx context.Context, r *Request) (Reply, error) {
	args := strings.Fields(r.Args)
	if len(args) == 0 {
		return rt.members(ctx, r)
	}
	key := domain.MatchKey(args[0])
	for _, s := range membersSubs {
		for _, w := range s.words {
			if domain.MatchKey(w) == key {
				return s.run(rt, ctx, r, args[1:])
			}
		}
	}
	return Reply{}, userError("members.unknown_sub", esc(args[0]), SlashCommand, r.Verb)
}

// membersWord is a subcommand's word in the request's language.
func membersWord(r *Request, french string) string {
	if en, ok := membersEnglish[french]; ok && r.Lang == domain.English {
		return en
	}
	return french
}

var membersEnglish = map[string]string{"ajouter": "add", "retirer": "remove", "répondant": "respondent",
	"rôle": "role", "oui": "yes", "non": "no", "annuler": "cancel", "confirmer": "confirm"}

// mentioned is a person named in a command by a Slack mention.
type mentioned struct {
	userID string
	// label is the name the mention carried ("" when Slack sent none).
	label string
}

var (
	mentionWord  = regexp.MustCompile(`^@([UW][A-Z0-9]{2,20})$`)
	rawMention   = regexp.MustCompile(`<@([UW][A-Z0-9]{2,20})(?:\|([^<>|]*))?>`)
	someoneTyped = regexp.MustCompile(`^@\S+$`)
)

// mention reads the person a subcommand is about: its first argument, a
// Slack mention (cleanInput left "@U123"), with the name the raw mention
// carried. Anything else says how to name someone.
func mention(r *Request, args []string, sub string) (mentioned, error) {
	usage := fmt.Sprintf("%s %s %s", SlashCommand, r.Verb, membersWord(r, sub))
	if len(args) == 0 {
		return mentioned{}, userError("members.who", usage)
	}
	m := mentionWord.FindStringSubmatch(args[0])
	if m == nil {
		if someoneTyped.MatchString(args[0]) {
			return mentioned{}, userError("members.not_a_mention", esc(args[0]), usage)
		}
		return mentioned{}, userError("members.who", usage)
	}
	who := mentioned{userID: m[1]}
	for _, raw := range rawMention.FindAllStringSubmatch(r.Raw, -1) {
		if raw[1] == who.userID && strings.TrimSpace(raw[2]) != "" {
			who.label = strings.TrimSpace(raw[2])
			break
		}
	}
	return who, nil
}

// rawMentionOf writes who back as Slack sends a mention, so that a
// question's button runs the command with the name it carried.
func rawMentionOf(who mentioned) string {
	if who.label == "" || strings.ContainsAny(who.label, "<>|") {
		return "<@" + who.userID + ">"
	}
	return "<@" + who.userID + "|" + who.label + ">"
}

// ParseRole reads a role as one may type it, in French or English
// ("coordinateur", "partner", "membre", "table_member"…): Slack's words, which
// the shell accepts too.
func ParseRole(s string) (domain.Role, bool) { return parseRole(s) }

// parseRole reads a role in French or English.
func parseRole(s string) (domain.Role, bool) {
	switch domain.MatchKey(s) {
	case "coordinateur", "coordinatrice", "coordination", "coordinator", "coord", "coordonnateur", "coordonnatrice":
		return domain.RoleCoordinator, true
	case "partenaire", "partner":
		return domain.RolePartner, true
	case "membre", "member", "table member", "membre table", "table", "tablemember", "table_member":
		return domain.RoleTableMember, true
	}
	return "", false
}

// roleWords lists the roles one may type, in the request's language.
func roleWords(r *Request) string {
	if r.Lang == domain.English {
		return "`coordinator`, `partner`, `member`"
	}
	return "`coordinateur`, `partenaire`, `membre`"
}

// roleWord is the word one types for role, in the request's language.
func roleWord(r *Request, role domain.Role) string {
	words := map[domain.Role][2]string{domain.RoleCoordinator: {"coordinateur", "coordinator"},
		domain.RolePartner: {"partenaire", "partner"}, domain.RoleTableMember: {"membre", "member"}}
	w, ok := words[role]
	switch {
	case !ok:
		return string(role)
	case r.Lang == domain.English:
		return w[1]
	}
	return w[0]
}

// memberAdd adds a person to an organisation or a Table, or moves them:
// `membres ajouter @personne <table> [rôle]`. Only an exact slug or name
// (or a quartier's exact name, for its Table) is written at once; anything
// else is asked back with buttons, and nothing is written until one is
// clicked.
func (rt *Router) memberAdd(ctx context.Context, r *Request, args []string) (Reply, error) {
	who, err := mention(r, args, "ajouter")
	if err != nil {
		return Reply{}, err
	}
	rest, confirmed := withoutConfirm(args[1:])
	if err := onePerson(r, rest, "ajouter"); err != nil {
		return Reply{}, err
	}
	var role domain.Role
	if len(rest) >= 2 {
		if ro, ok := parseRole(rest[len(rest)-1]); ok {
			role, rest = ro, rest[:len(rest)-1]
		}
	}
	if _, onlyRole := parseRole(strings.Join(rest, " ")); len(rest) == 0 || (len(rest) == 1 && onlyRole) {
		return Reply{}, userError("members.which_table", SlashCommand, r.Verb, membersWord(r, "ajouter"), who.userID)
	}
	typed := strings.Join(rest, " ")
	found, err := rt.resolveOrganisation(ctx, typed)
	if err != nil {
		return Reply{}, err
	}
	if found.org == nil && !found.byWords && role == "" && len(rest) >= 2 {
		// "Verdun chef": no name holds the words, those before the last
		// name a place, so the last one was meant as a role.
		last := rest[len(rest)-1]
		if before, err := rt.resolveOrganisation(ctx, strings.Join(rest[:len(rest)-1], " ")); err != nil {
			return Reply{}, err
		} else if before.org != nil && roleLike.MatchString(last) {
			return Reply{}, userError("members.unknown_role", esc(last), roleWords(r))
		}
	}
	addText := func(slug string, role domain.Role) string {
		text := fmt.Sprintf("%s %s %s %s", r.Verb, membersWord(r, "ajouter"), rawMentionOf(who), slug)
		if role != "" {
			text += " " + roleWord(r, role)
		}
		return text
	}
	if found.org == nil {
		switch {
		case found.bareQuartier != nil:
			return Reply{}, userError("members.quartier_without_table", esc(found.bareQuartier.Name), SlashCommand,
				esc(found.bareQuartier.Name))
		case len(found.candidates) == 0:
			return Reply{}, userError("members.unknown_table", esc(typed), SlashCommand)
		}
		var cs []choice
		for _, o := range found.candidates {
			cs = append(cs, choice{label: o.Name, text: addText(o.Slug, role)})
		}
		question := r.T("members.which_of", esc(typed))
		if len(cs) == 1 {
			question = r.T("members.did_you_mean", esc(typed), esc(cs[0].label))
		}
		return askChoice(r, question, append(cs, rt.cancelChoice(r))), nil
	}
	org := found.org
	before, err := rt.store.MemberBySlackID(ctx, who.userID)
	if err != nil {
		return Reply{}, err
	}
	if role == "" && org.Kind != domain.KindTableDeQuartier && (before == nil || before.Role == domain.RoleTableMember) {
		// Someone new outside a Table: coordination or partner is too
		// weighty a difference to choose for the coordinator.
		name := who.label
		if name == "" {
			name = who.userID
		}
		return askChoice(r, r.T("members.which_role_at", esc(name), who.userID, esc(org.Name)), []choice{
			{label: r.T("members.role_button.coordinator"), text: addText(org.Slug, domain.RoleCoordinator)},
			{label: r.T("members.role_button.partner"), text: addText(org.Slug, domain.RolePartner)},
			rt.cancelChoice(r)}), nil
	}
	if role != "" && role != domain.RoleCoordinator && !confirmed {
		if ask, err := rt.confirmSelfDemotion(ctx, r, who, addText(org.Slug, role), role); err != nil || ask != nil {
			return replyOf(ask), err
		}
	}
	ch, err := rt.store.AddMember(ctx, storeActor(r), store.MemberInput{SlackUserID: who.userID,
		OrganisationID: org.ID, DisplayName: who.label, Role: role})
	if err != nil {
		return Reply{}, rt.memberError(r, who, org.Name, err)
	}
	rt.opts.Cache.forget(callerKey(who.userID))
	lines, err := rt.addedLines(ctx, r, ch)
	if err != nil {
		return Reply{}, err
	}
	p := ch.After
	if org.Kind == domain.KindTableDeQuartier {
		key := "members.answers_no"
		if p.AnswersCheckins {
			key = "members.answers_yes"
		}
		other := "oui"
		if p.AnswersCheckins {
			other = "non"
		}
		lines = append(lines, r.T(key, SlashCommand, r.Verb, membersWord(r, "répondant"), p.SlackUserID, membersWord(r, other)))
	}
	if p.DisplayName == p.SlackUserID {
		lines = append(lines, r.T("members.name_is_id", p.SlackUserID))
	}
	return textReply(strings.Join(lines, "\n")), nil
}

// addedLines says what AddMember changed: someone new, someone back, a move,
// a new role, a new name, or nothing.
func (rt *Router) addedLines(ctx context.Context, r *Request, ch store.MemberChange) ([]string, error) {
	p, b := ch.After, ch.Before
	org := esc(ch.Organisation.Name)
	role := r.T("role." + string(p.Role))
	if b != nil && b.Role != p.Role {
		role = r.T("members.role_change", r.T("role."+string(b.Role)), r.T("role."+string(p.Role)))
	}
	name, id := esc(p.DisplayName), p.SlackUserID
	var lines []string
	switch {
	case b == nil:
		lines = append(lines, r.T("members.added", name, id, org, role))
	case !b.Active:
		lines = append(lines, r.T("members.back", name, id, org, r.T("role."+string(p.Role))))
		if b.Role == p.Role {
			lines = append(lines, r.T("members.back_same_role"))
		}
		if ch.AwayCleared != nil {
			lines = append(lines, r.T("members.away_cleared", dateWords(r.Lang, *ch.AwayCleared)))
		}
	case b.OrganisationID != p.OrganisationID:
		from, err := rt.store.OrganisationByID(ctx, b.OrganisationID)
		if err != nil {
			return nil, err
		}
		lines = append(lines, r.T("members.moved", name, id, esc(from.Name), org, role))
	case b.Role != p.Role:
		lines = append(lines, r.T("members.role_changed_at", name, id, org, role))
	case b.DisplayName != p.DisplayName:
		lines = append(lines, r.T("members.renamed", name, id, esc(b.DisplayName), org, role))
	default:
		lines = append(lines, r.T("members.already", name, id, org, role))
	}
	if b != nil && b.Active && b.DisplayName != p.DisplayName && (b.OrganisationID != p.OrganisationID || b.Role != p.Role) {
		lines = append(lines, r.T("members.name_now", name, esc(b.DisplayName)))
	}
	return lines, nil
}

// roleLike is a word that could have been meant as a role: letters only.
var roleLike = regexp.MustCompile(`^\pL{2,30}$`)

// confirmWords end a command a confirmation button runs.
var confirmWords = []string{"confirmer", "confirm"}

// withoutConfirm takes a trailing confirmation word off args.
func withoutConfirm(args []string) ([]string, bool) {
	if n := len(args); n > 0 {
		for _, w := range confirmWords {
			if domain.MatchKey(args[n-1]) == w {
				return args[:n-1], true
			}
		}
	}
	return args, false
}

// onePerson refuses a second mention among a subcommand's other words.
func onePerson(r *Request, rest []string, sub string) error {
	for _, w := range rest {
		if mentionWord.MatchString(w) || someoneTyped.MatchString(w) {
			return userError("members.one_person", SlashCommand, r.Verb, membersWord(r, sub))
		}
	}
	return nil
}

// confirmSelfDemotion asks a coordinator who would stop being one by their
// own command to confirm it with a button that runs text with the
// confirmation word, when someone else still coordinates (otherwise the
// store refuses anyway). newRole is "" for a removal.
func (rt *Router) confirmSelfDemotion(ctx context.Context, r *Request, who mentioned, text string,
	newRole domain.Role) (*Reply, error) {
	if who.userID != r.Caller.SlackUserID || r.Role != domain.RoleCoordinator {
		return nil, nil
	}
	coords, err := rt.store.ActiveCoordinators(ctx)
	if err != nil || len(coords) < 2 {
		return nil, err
	}
	question := r.T("members.confirm_self_remove")
	if newRole != "" {
		question = r.T("members.confirm_self_role", r.T("role."+string(newRole)))
	}
	ask := askChoice(r, question, []choice{
		{label: r.T("members.confirm_button"), text: text + " " + membersWord(r, "confirmer")},
		rt.cancelChoice(r)})
	return &ask, nil
}

func replyOf(r *Reply) Reply {
	if r == nil {
		return Reply{}
	}
	return *r
}

// cancelChoice is the way out of a question: a button that writes nothing.
func (rt *Router) cancelChoice(r *Request) choice {
	return choice{label: r.T("members.cancel_button"), text: r.Verb + " " + membersWord(r, "annuler")}
}

// memberCancel answers the way out of a question.
func (rt *Router) memberCancel(context.Context, *Request, []string) (Reply, error) {
	return Reply{}, userError("members.cancelled")
}

// memberHelp lists the subcommands with an example each.
func (rt *Router) memberHelp(_ context.Context, r *Request, _ []string) (Reply, error) {
	cmd := SlashCommand + " " + r.Verb
	return textReply(r.T("members.help", cmd, cmd, membersWord(r, "ajouter"), cmd, membersWord(r, "retirer"),
		cmd, membersWord(r, "répondant"), membersWord(r, "non"), cmd, membersWord(r, "rôle"), roleWords(r))), nil
}

// memberError turns the store's refusals into what the coordinator can fix.
func (rt *Router) memberError(r *Request, who mentioned, orgName string, err error) error {
	switch {
	case errors.Is(err, store.ErrLastCoordinator):
		return userError("members.last_coordinator", who.userID)
	case errors.Is(err, store.ErrNotATable):
		return userError("members.not_a_table", who.userID, esc(orgName))
	case errors.Is(err, domain.ErrNotFound):
		return userError("members.unknown_person", who.userID, SlashCommand, r.Verb, membersWord(r, "ajouter"))
	}
	return err
}

// organisationNameOf names an active person's organisation for a message,
// "" when it cannot be read.
func (rt *Router) organisationNameOf(ctx context.Context, slackUserID string) string {
	p, err := rt.store.PersonBySlackID(ctx, slackUserID)
	if err != nil {
		return ""
	}
	o, err := rt.store.OrganisationByID(ctx, p.OrganisationID)
	if err != nil {
		return ""
	}
	return o.Name
}

// orgLookup is where typed text says to add someone.
type orgLookup struct {
	// org is named exactly: a slug, a whole name, a quartier's name for its Table.
	org *domain.Organisation
	// candidates are what the text may have meant, to ask about.
	candidates []domain.Organisation
	// bareQuartier is a quartier named exactly that has no Table.
	bareQuartier *store.QuartierMatch
	// byWords says some name holds the typed words (not only close ones).
	byWords bool
}

// resolveOrganisation finds where to add someone from typed text: an
// organisation's slug or whole name, or a quartier's whole name for its
// Table (case, accents and "St-" ignored). Anything else only gives
// candidates: quartiers' Tables whose names hold the words or are a small
// typo away, organisations whose names hold the words or are close.
func (rt *Router) resolveOrganisation(ctx context.Context, typed string) (orgLookup, error) {
	orgs, err := rt.store.FindOrganisations(ctx, typed, maxChoices)
	if err != nil {
		return orgLookup{}, err
	}
	if len(orgs) == 1 && orgs[0].How == store.MatchExact {
		return orgLookup{org: &orgs[0].Organisation}, nil
	}
	ms, err := rt.quartierMatches(ctx, typed)
	if err != nil {
		return orgLookup{}, err
	}
	if len(ms) > 0 && ms[0].How == store.MatchExact {
		t, err := rt.store.TableOfQuartier(ctx, ms[0].ID)
		switch {
		case err == nil:
			return orgLookup{org: &t}, nil
		case errors.Is(err, domain.ErrNotFound):
			return orgLookup{bareQuartier: &ms[0]}, nil
		}
		return orgLookup{}, err
	}
	var cands []domain.Organisation
	seen := map[int64]bool{}
	add := func(o domain.Organisation) {
		if !seen[o.ID] && len(cands) < maxChoices-1 { // room for the way out
			seen[o.ID] = true
			cands = append(cands, o)
		}
	}
	key := domain.MatchKey(typed)
	byWords := false
	for _, m := range ms {
		if m.How == store.MatchNear && typoDistance(key, m.MatchKey) > 2 {
			continue
		}
		byWords = byWords || m.How == store.MatchWords
		if t, err := rt.store.TableOfQuartier(ctx, m.ID); err == nil {
			add(t)
		} else if !errors.Is(err, domain.ErrNotFound) {
			return orgLookup{}, err
		}
	}
	for _, o := range orgs {
		add(o.Organisation)
		byWords = byWords || o.How == store.MatchWords
	}
	return orgLookup{candidates: cands, byWords: byWords}, nil
}

// memberRemove deactivates a person: `membres retirer @personne`.
func (rt *Router) memberRemove(ctx context.Context, r *Request, args []string) (Reply, error) {
	who, err := mention(r, args, "retirer")
	if err != nil {
		return Reply{}, err
	}
	rest, confirmed := withoutConfirm(args[1:])
	if err := onePerson(r, rest, "retirer"); err != nil {
		return Reply{}, err
	}
	usage := fmt.Sprintf("%s %s %s @%s", SlashCommand, r.Verb, membersWord(r, "retirer"), who.userID)
	if len(rest) > 0 {
		return Reply{}, userError("members.extra_words", esc(strings.Join(rest, " ")), usage)
	}
	if !confirmed {
		text := fmt.Sprintf("%s %s %s", r.Verb, membersWord(r, "retirer"), rawMentionOf(who))
		if ask, err := rt.confirmSelfDemotion(ctx, r, who, text, ""); err != nil || ask != nil {
			return replyOf(ask), err
		}
	}
	ch, err := rt.store.RemoveMember(ctx, storeActor(r), who.userID)
	if err != nil {
		return Reply{}, rt.memberError(r, who, "", err)
	}
	rt.opts.Cache.forget(callerKey(who.userID))
	name := ch.After.DisplayName
	if name == who.userID && who.label != "" {
		name = who.label
	}
	return textReply(r.T("members.removed", esc(name), who.userID, esc(ch.Organisation.Name))), nil
}

// memberRespondent says whether a person answers their Table's check-ins:
// `membres répondant @personne oui|non`.
func (rt *Router) memberRespondent(ctx context.Context, r *Request, args []string) (Reply, error) {
	who, err := mention(r, args, "répondant")
	if err != nil {
		return Reply{}, err
	}
	if err := onePerson(r, args[1:], "répondant"); err != nil {
		return Reply{}, err
	}
	usage := fmt.Sprintf("%s %s %s @%s %s", SlashCommand, r.Verb, membersWord(r, "répondant"), who.userID, membersWord(r, "oui"))
	if len(args) != 2 {
		return Reply{}, userError("members.yes_no", usage)
	}
	var answers bool
	switch domain.MatchKey(args[1]) {
	case "oui", "yes", "o", "y", "vrai", "true", "1":
		answers = true
	case "non", "no", "n", "faux", "false", "0":
	default:
		return Reply{}, userError("members.yes_no", usage)
	}
	ch, err := rt.store.SetAnswersCheckins(ctx, storeActor(r), who.userID, answers)
	if err != nil {
		return Reply{}, rt.memberError(r, who, rt.organisationNameOf(ctx, who.userID), err)
	}
	rt.opts.Cache.forget(callerKey(who.userID))
	key := "members.respondent_off"
	if answers {
		key = "members.respondent_on"
	}
	return textReply(r.T(key, esc(ch.After.DisplayName), who.userID, esc(ch.Organisation.Name))), nil
}

// memberRole changes a person's role: `membres rôle @personne <rôle>`.
func (rt *Router) memberRole(ctx context.Context, r *Request, args []string) (Reply, error) {
	who, err := mention(r, args, "rôle")
	if err != nil {
		return Reply{}, err
	}
	rest, confirmed := withoutConfirm(args[1:])
	if err := onePerson(r, rest, "rôle"); err != nil {
		return Reply{}, err
	}
	if len(rest) == 0 {
		return Reply{}, userError("members.which_role", roleWords(r))
	}
	role, ok := parseRole(strings.Join(rest, " "))
	if !ok {
		return Reply{}, userError("members.unknown_role", esc(strings.Join(rest, " ")), roleWords(r))
	}
	if role != domain.RoleCoordinator && !confirmed {
		text := fmt.Sprintf("%s %s %s %s", r.Verb, membersWord(r, "rôle"), rawMentionOf(who), roleWord(r, role))
		if ask, err := rt.confirmSelfDemotion(ctx, r, who, text, role); err != nil || ask != nil {
			return replyOf(ask), err
		}
	}
	ch, err := rt.store.SetMemberRole(ctx, storeActor(r), who.userID, role)
	if err != nil {
		return Reply{}, rt.memberError(r, who, rt.organisationNameOf(ctx, who.userID), err)
	}
	rt.opts.Cache.forget(callerKey(who.userID))
	if ch.Before.Role == role {
		return textReply(r.T("members.role_same", esc(ch.After.DisplayName), who.userID, r.T("role."+string(role)),
			esc(ch.Organisation.Name))), nil
	}
	return textReply(r.T("members.role_set", esc(ch.After.DisplayName), who.userID, r.T("members.now."+string(role)),
		esc(ch.Organisation.Name))), nil
}
