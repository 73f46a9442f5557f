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
	"rôle": "role", "oui": "yes", "non": "no"}

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

// memberAdd adds a person to an organisation or a Table, or moves them:
// `membres ajouter @personne <table> [rôle]`.
func (rt *Router) memberAdd(ctx context.Context, r *Request, args []string) (Reply, error) {
	who, err := mention(r, args, "ajouter")
	if err != nil {
		return Reply{}, err
	}
	rest := args[1:]
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
	org, choices, err := rt.resolveOrganisation(ctx, typed)
	if err != nil {
		return Reply{}, err
	}
	if org == nil {
		if len(choices) == 0 {
			return Reply{}, userError("members.unknown_table", esc(typed), SlashCommand)
		}
		var cs []choice
		for _, o := range choices {
			text := fmt.Sprintf("%s %s %s %s", r.Verb, membersWord(r, "ajouter"), rawMentionOf(who), o.Slug)
			if role != "" {
				text += " " + string(role)
			}
			cs = append(cs, choice{label: o.Name, text: text})
		}
		return askChoice(r, r.T("members.which_of", esc(typed)), cs), nil
	}
	ch, err := rt.store.AddMember(ctx, storeActor(r), store.MemberInput{SlackUserID: who.userID,
		OrganisationID: org.ID, DisplayName: who.label, Role: role})
	if err != nil {
		return Reply{}, rt.memberError(r, who, org.Name, err)
	}
	rt.opts.Cache.forget(callerKey(who.userID))
	p := ch.After
	var lines []string
	switch {
	case ch.Before == nil:
		lines = append(lines, r.T("members.added", esc(p.DisplayName), p.SlackUserID, esc(org.Name), r.T("role."+string(p.Role))))
	case !ch.Before.Active:
		lines = append(lines, r.T("members.back", esc(p.DisplayName), p.SlackUserID, esc(org.Name), r.T("role."+string(p.Role))))
	case ch.Before.OrganisationID != p.OrganisationID:
		from, err := rt.store.OrganisationByID(ctx, ch.Before.OrganisationID)
		if err != nil {
			return Reply{}, err
		}
		lines = append(lines, r.T("members.moved", esc(p.DisplayName), p.SlackUserID, esc(from.Name), esc(org.Name),
			r.T("role."+string(p.Role))))
	default:
		lines = append(lines, r.T("members.already", esc(p.DisplayName), p.SlackUserID, esc(org.Name), r.T("role."+string(p.Role))))
	}
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

// resolveOrganisation finds where to add someone from typed text: an
// organisation's slug or whole name, else a quartier's Table as `quartier`
// finds it (typos forgiven), else organisations whose names hold the words.
// Several candidates come back as choices, to ask which; none is nil, nil.
func (rt *Router) resolveOrganisation(ctx context.Context, typed string) (*domain.Organisation, []domain.Organisation, error) {
	orgs, err := rt.store.FindOrganisations(ctx, typed, maxChoices)
	if err != nil {
		return nil, nil, err
	}
	if len(orgs) == 1 && orgs[0].How == store.MatchExact {
		return &orgs[0].Organisation, nil, nil
	}
	q, err := rt.findQuartier(ctx, typed)
	if err != nil {
		return nil, nil, err
	}
	if q.found != nil {
		t, err := rt.store.TableOfQuartier(ctx, q.found.ID)
		if err == nil {
			return &t, nil, nil
		}
		if !errors.Is(err, domain.ErrNotFound) {
			return nil, nil, err
		}
	}
	var cands []domain.Organisation
	seen := map[int64]bool{}
	add := func(o domain.Organisation) {
		if !seen[o.ID] {
			seen[o.ID] = true
			cands = append(cands, o)
		}
	}
	for _, c := range q.candidates {
		if t, err := rt.store.TableOfQuartier(ctx, c.ID); err == nil {
			add(t)
		} else if !errors.Is(err, domain.ErrNotFound) {
			return nil, nil, err
		}
	}
	for _, o := range orgs {
		add(o.Organisation)
	}
	if len(cands) == 1 && len(orgs) == 1 && orgs[0].How == store.MatchWords && len(q.candidates) == 0 {
		return &cands[0], nil, nil
	}
	if len(cands) > maxChoices {
		cands = cands[:maxChoices]
	}
	return nil, cands, nil
}

// memberRemove deactivates a person: `membres retirer @personne`.
func (rt *Router) memberRemove(ctx context.Context, r *Request, args []string) (Reply, error) {
	who, err := mention(r, args, "retirer")
	if err != nil {
		return Reply{}, err
	}
	ch, err := rt.store.RemoveMember(ctx, storeActor(r), who.userID)
	if err != nil {
		return Reply{}, rt.memberError(r, who, "", err)
	}
	rt.opts.Cache.forget(callerKey(who.userID))
	return textReply(r.T("members.removed", esc(ch.After.DisplayName), who.userID, esc(ch.Organisation.Name))), nil
}

// memberRespondent says whether a person answers their Table's check-ins:
// `membres répondant @personne oui|non`.
func (rt *Router) memberRespondent(ctx context.Context, r *Request, args []string) (Reply, error) {
	who, err := mention(r, args, "répondant")
	if err != nil {
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
	if len(args) < 2 {
		return Reply{}, userError("members.which_role", roleWords(r))
	}
	role, ok := parseRole(strings.Join(args[1:], " "))
	if !ok {
		return Reply{}, userError("members.unknown_role", esc(strings.Join(args[1:], " ")), roleWords(r))
	}
	ch, err := rt.store.SetMemberRole(ctx, storeActor(r), who.userID, role)
	if err != nil {
		return Reply{}, rt.memberError(r, who, rt.organisationNameOf(ctx, who.userID), err)
	}
	rt.opts.Cache.forget(callerKey(who.userID))
	return textReply(r.T("members.role_set", esc(ch.After.DisplayName), who.userID, r.T("role."+string(role)),
		esc(ch.Organisation.Name))), nil
}
