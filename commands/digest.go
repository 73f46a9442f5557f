package commands

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/slack-go/slack"

	"github.com/pic-montreal/relais/internal/blockkit"
	"github.com/pic-montreal/relais/internal/delivery"
	"github.com/pic-montreal/relais/internal/digest"
	"github.com/pic-montreal/relais/internal/domain"
	"github.com/pic-montreal/relais/internal/i18n"
	"github.com/pic-montreal/relais/internal/store"
)

// Buttons of `condensé envoyer`'s confirmation. ActionDigestSend's value is
// the month ("2026-10"), a hint of which digest: the right to publish is the
// clicker's role, read again from the directory.
const (
	ActionDigestSend   = "digest:send"
	ActionDigestCancel = "digest:cancel"
)

// DigestPublisher publishes month M's digest to the digest channels
// (RELAIS_DIGEST_CHANNELS), or re-sends it in place where it is posted
// already: internal/jobs does it, relais serve wires it.
type DigestPublisher interface {
	// DigestChannelIDs are the configured channels (C…/G…).
	DigestChannelIDs() []string
	// PublishDigest queues month m's digest to every configured channel, a
	// re-send in place where it was posted, and returns those channels.
	PublishDigest(ctx context.Context, actor store.Actor, m digest.Month) ([]string, error)
}

// KindDigestPreview is the delivery kind of a preview's DMs.
const KindDigestPreview = "digest_preview"

// digestButtons declares the digest's buttons: the highlights' "Read the
// note" (declared by internal/digest, which draws it) and the send
// confirmation's.
func (rt *Router) digestButtons() []Interaction {
	return []Interaction{
		{ActionID: digest.ActionOpenNote, Run: rt.openDigestNote},
		{ActionID: ActionDigestSend, Run: rt.confirmDigestSend},
		{ActionID: ActionDigestCancel, Run: rt.cancelDigestSend},
	}
}

// digestSubs are `condensé`'s subcommands, French word first.
var digestSubs = []struct {
	words []string
	run   func(rt *Router, ctx context.Context, r *Request, args []string) (Reply, error)
}{
	{[]string{"aperçu", "preview", "voir", "show"}, (*Router).digestPreview},
	{[]string{"envoyer", "send", "publier", "publish"}, (*Router).digestSend},
	{[]string{"aide", "help", "?"}, (*Router).digestHelp},
}

// digestCommand is `/pic condensé [aperçu|envoyer|aide] [mois]`. Alone or
// followed by a month, it previews.
func (rt *Router) digestCommand(ctx context.Context, r *Request) (Reply, error) {
	args := strings.Fields(r.Args)
	if len(args) == 0 {
		return rt.digestPreview(ctx, r, nil)
	}
	key := domain.MatchKey(args[0])
	for _, s := range digestSubs {
		for _, w := range s.words {
			if domain.MatchKey(w) == key {
				return s.run(rt, ctx, r, args[1:])
			}
		}
	}
	if _, ok := parseDigestMonth(r.Args, digest.MonthOf(r.Now)); ok {
		return rt.digestPreview(ctx, r, args)
	}
	return Reply{}, userError("digestcmd.unknown_sub", esc(args[0]), SlashCommand, r.Verb)
}

func (rt *Router) digestHelp(_ context.Context, r *Request, _ []string) (Reply, error) {
	return textReply(r.T("digestcmd.help", SlashCommand, r.Verb)), nil
}

// digestMonth reads the month args name, the last complete month when
// they name none. A month to come, or words that are no month, is a
// UserError with examples.
func (rt *Router) digestMonth(r *Request, args []string) (digest.Month, error) {
	current := digest.MonthOf(r.Now.In(rt.opts.Location))
	text := strings.TrimSpace(strings.Join(args, " "))
	if text == "" {
		return current.Prev(), nil
	}
	m, ok := parseDigestMonth(text, current)
	if !ok {
		return digest.Month{}, userError("digestcmd.month.unreadable", esc(text), SlashCommand, r.Verb)
	}
	if m.First().After(current.First()) {
		return digest.Month{}, userError("digestcmd.month.future", i18n.Month(r.Lang, m.Year, int(m.Month)),
			i18n.Month(r.Lang, current.Year, int(current.Month)))
	}
	return m, nil
}

// parseDigestMonth reads "2026-10", "10/2026", "octobre 2026", "oct 2026",
// "2026 octobre" or a month alone ("oct", "octobre"), which is its latest
// occurrence up to current.
func parseDigestMonth(s string, current digest.Month) (digest.Month, bool) {
	if m, err := digest.Parse(s); err == nil {
		return m, true
	}
	var month time.Month
	year := 0
	for _, w := range strings.Fields(domain.MatchKey(strings.NewReplacer(".", " ", ",", " ").Replace(s))) {
		switch {
		case w == "de" || w == "of" || w == "mois" || w == "month":
		case monthWords[w] != 0 && month == 0:
			month = monthWords[w]
		case yearWord.MatchString(w) && year == 0:
			year, _ = strconv.Atoi(w)
		default:
			return digest.Month{}, false
		}
	}
	if month == 0 {
		return digest.Month{}, false
	}
	if year == 0 {
		year = current.Year
		if month > current.Month {
			year--
		}
	}
	return digest.Month{Year: year, Month: month}, true
}

// audienceFor is the digest a reader may see: coordinators' for a
// coordinator, the partnership's for anyone else Relais knows.
func audienceFor(role domain.Role) digest.Audience {
	if role == domain.RoleCoordinator {
		return digest.Coordinators
	}
	return digest.Partnership
}

// digestPreview sends month M's digest, as the caller may see it and in
// their language, to their DM with Relais, marked as a preview: the parent,
// then its thread replies. It answers at once; the messages go through
// deliveries.
func (rt *Router) digestPreview(ctx context.Context, r *Request, args []string) (Reply, error) {
	m, err := rt.digestMonth(r, args)
	if err != nil {
		return Reply{}, err
	}
	// Which notes it quotes follows the role: read it again, uncached, as
	// coordinators-only commands do.
	if err := rt.confirmRole(ctx, r); err != nil {
		return Reply{}, err
	}
	if r.Role == domain.RoleGuest {
		return Reply{}, userError("digestcmd.preview.guest", SlashCommand)
	}
	svc, err := rt.service()
	if err != nil {
		return Reply{}, userError("digestcmd.preview.unavailable")
	}
	month := i18n.Month(r.Lang, m.Year, int(m.Month))
	if rt.opts.CheckinsQueueOnly {
		// The console shows no DM; the command line prints the same digest.
		return textReply(r.T("digestcmd.preview.console", month, m.String(), r.Lang, audienceFor(r.Role))), nil
	}
	d, err := digest.Build(ctx, rt.store, m, audienceFor(r.Role))
	if err != nil {
		return Reply{}, err
	}
	msgs, err := previewMessages(r, m, digest.Messages(d, r.Lang))
	if err != nil {
		return Reply{}, err
	}
	// The parent carries its replies: the worker that records a post queues
	// the next in its thread, so they go in order, once, through crashes.
	parent := msgs[0]
	parent.Thread = msgs[1:]
	if err := rt.store.InTx(ctx, storeActor(r), func(tx *store.Tx) error {
		return svc.Enqueuer.EnqueueTx(ctx, tx, parent)
	}); err != nil {
		return Reply{}, err
	}
	return textReply(r.T("digestcmd.preview.sent", month)), nil
}

// previewMessages marks each part of a digest as a preview and makes it a
// delivery to the caller's DM, keyed by caller, month and request: a
// command or click Slack delivers again queues nothing more. Marking may
// push a part over Slack's limits: it is then split, never cut.
func previewMessages(r *Request, m digest.Month, parts []digest.Part) ([]delivery.Message, error) {
	base := fmt.Sprintf("digest-preview:%s:%s:%s:", r.Caller.SlackUserID, m, requestKey(r))
	mark := r.T("digestcmd.preview.mark")
	var msgs []delivery.Message
	for _, p := range parts {
		blocks := append([]slack.Block{blockkit.Context(esc(mark))}, p.Blocks...)
		for _, split := range blockkit.Split(mark+" — "+p.Text, blocks) {
			b, err := json.Marshal(split.Blocks)
			if err != nil {
				return nil, fmt.Errorf("preview blocks: %w", err)
			}
			text := split.Text
			if !strings.HasPrefix(text, mark) {
				text = mark + " — " + text
			}
			msgs = append(msgs, delivery.Message{Key: base + strconv.Itoa(len(msgs)), Kind: KindDigestPreview,
				To: r.Caller.SlackUserID, Text: blockkit.Truncate(text, blockkit.MaxMessageText), Blocks: b})
		}
	}
	return msgs, nil
}

// requestKey names one request: Slack's trigger_id is unique per command or
// click and comes back the same when Slack delivers it again; without one
// (the console), the minute.
func requestKey(r *Request) string {
	id := r.TriggerID
	if id == "" {
		id = "minute:" + strconv.FormatInt(r.Now.Unix()/60, 10)
	}
	sum := sha256.Sum256([]byte(id))
	return hex.EncodeToString(sum[:6])
}

// digestSend asks a coordinator to confirm publishing month M's digest.
func (rt *Router) digestSend(ctx context.Context, r *Request, args []string) (Reply, error) {
	if err := rt.confirmRole(ctx, r); err != nil {
		return Reply{}, err
	}
	switch r.Role {
	case domain.RoleCoordinator:
	case domain.RoleGuest:
		return Reply{}, userError("digestcmd.preview.guest", SlashCommand)
	default:
		return Reply{}, userError("digestcmd.send.forbidden", SlashCommand, r.Verb)
	}
	m, err := rt.digestMonth(r, args)
	if err != nil {
		return Reply{}, err
	}
	where := r.T("digestcmd.send.channels")
	if rt.opts.Digests != nil {
		channels := rt.opts.Digests.DigestChannelIDs()
		if len(channels) == 0 {
			return textReply(r.T("digestcmd.send.no_channel")), nil
		}
		where = channelMentions(channels)
	}
	question := r.T("digestcmd.send.confirm", monthPhrase(r.Lang, m), where)
	return Reply{Text: question, Blocks: []slack.Block{
		section(question),
		blockkit.Actions("digest_send",
			blockkit.Button(ActionDigestSend, r.T("digestcmd.send.button"), m.String()),
			blockkit.Button(ActionDigestCancel, r.T("digestcmd.send.cancel"), m.String())),
	}}, nil
}

// channelMentions names channels as Slack shows them ("<#C123>").
func channelMentions(ids []string) string {
	out := make([]string, 0, len(ids))
	for _, id := range ids {
		if slackChannelID.MatchString(id) {
			out = append(out, "<#"+id+">")
		} else {
			out = append(out, esc(id))
		}
	}
	return strings.Join(out, ", ")
}

var slackChannelID = regexp.MustCompile(`^[CG][A-Z0-9]{2,20}$`)

// monthPhrase is the month as a sentence takes it after "the digest":
// "d'octobre 2026", "de mars 2026", "for October 2026".
func monthPhrase(lang domain.Language, m digest.Month) string {
	name := i18n.Month(lang, m.Year, int(m.Month))
	switch {
	case lang == domain.English:
		return "for " + name
	case strings.ContainsRune("aeiouâàéèêîôûAEIOU", []rune(name)[0]):
		return "d'" + name
	default:
		return "de " + name
	}
}

// confirmDigestSend publishes the digest a confirmation names, if the
// clicker coordinates now (read again, uncached). Its answer replaces the
// question, which only the clicker sees.
func (rt *Router) confirmDigestSend(ctx context.Context, act ActionInvocation) Reply {
	r, err := rt.newRequest(ctx, act.Caller, act.ChannelID)
	if err != nil {
		return rt.unavailableReply()
	}
	if err := rt.confirmRole(ctx, r); err != nil {
		return rt.unavailableReply()
	}
	if r.Role != domain.RoleCoordinator {
		rt.opts.Logger.WarnContext(ctx, "digest send refused: not a coordinator", "user", act.Caller.SlackUserID)
		return fit(r, textReply(r.T("digestcmd.send.forbidden", SlashCommand, digestVerb(r))))
	}
	m, err := digest.Parse(act.Value)
	if err != nil {
		return fit(r, textReply(r.T("action.unknown")))
	}
	var reply Reply
	switch {
	case rt.opts.Digests == nil:
		reply = textReply(r.T("digestcmd.send.not_yet", monthPhrase(r.Lang, m), m.String()))
	default:
		channels, err := rt.opts.Digests.PublishDigest(ctx, storeActor(r), m)
		switch {
		case store.IsUnavailable(err):
			return fit(r, textReply(r.T("error.database")))
		case err != nil:
			rt.opts.Logger.ErrorContext(ctx, "digest not queued", "month", m.String(), "user", act.Caller.SlackUserID, "err", err)
			return fit(r, textReply(r.T("error.internal")))
		case len(channels) == 0:
			reply = textReply(r.T("digestcmd.send.no_channel"))
		default:
			rt.opts.Logger.InfoContext(ctx, "digest publishing asked", "month", m.String(), "user", act.Caller.SlackUserID,
				"channels", len(channels))
			reply = textReply(r.T("digestcmd.send.queued", monthPhrase(r.Lang, m), channelMentions(channels)))
			if rt.opts.CheckinsQueueOnly {
				reply = textReply(reply.Text + "\n" + r.T("digestcmd.send.queue_only"))
			}
		}
	}
	reply = fit(r, reply)
	reply.ReplaceOriginal = act.Surface == SurfacePrivate
	return reply
}

// cancelDigestSend answers "Annuler": nothing is published.
func (rt *Router) cancelDigestSend(ctx context.Context, act ActionInvocation) Reply {
	r, err := rt.newRequest(ctx, act.Caller, act.ChannelID)
	if err != nil {
		return rt.unavailableReply()
	}
	reply := fit(r, textReply(r.T("digestcmd.send.cancelled")))
	reply.ReplaceOriginal = act.Surface == SurfacePrivate
	return reply
}

// digestVerb is `condensé` in the reader's language.
func digestVerb(r *Request) string {
	if r.Lang == domain.English {
		return "digest"
	}
	return "condensé"
}

// openDigestNote shows a highlight's whole note to the clicker, privately,
// if the server's own rule lets them read it: the button's value only says
// which note. The channel's message is never replaced.
func (rt *Router) openDigestNote(ctx context.Context, act ActionInvocation) Reply {
	r, err := rt.newRequest(ctx, act.Caller, act.ChannelID)
	if err != nil {
		return rt.unavailableReply()
	}
	if err := rt.confirmRole(ctx, r); err != nil {
		return rt.unavailableReply()
	}
	id, ok := parsePromptID(act.Value)
	if !ok {
		return rt.refuseNote(ctx, r, act, 0)
	}
	v := store.Viewer{Role: r.Role}
	if r.Person != nil {
		v.OrganisationID = r.Person.OrganisationID
	}
	n, err := rt.store.NoteForReader(ctx, v, id)
	switch {
	case errors.Is(err, domain.ErrNotFound):
		return rt.refuseNote(ctx, r, act, id)
	case err != nil:
		rt.opts.Logger.ErrorContext(ctx, "digest note not read", "note_id", id, "err", err)
		return rt.unavailableReply()
	case !n.Readable:
		return rt.refuseNote(ctx, r, act, id)
	}
	themes, err := rt.store.ListThemes(ctx)
	if err != nil {
		return rt.unavailableReply()
	}
	return privately(fit(r, noteReply(r, n, themes)))
}

// noteReply is a whole note: its quartier and month, who may read it, its
// text as a quote, its themes and conditions.
func noteReply(r *Request, n store.ReadNote, themes []domain.Theme) Reply {
	month := i18n.Month(r.Lang, n.Period.Year(), int(n.Period.Month()))
	title := r.T("digestcmd.note.title", n.QuartierName, month)
	facts := []string{esc(r.T("digestcmd.note.visibility." + string(n.Visibility)))}
	if n.AuthorName != "" {
		facts = append(facts, r.T("digestcmd.note.author", esc(n.AuthorName)))
	}
	blocks := []slack.Block{header(title), contextBlock(strings.Join(facts, " · "))}
	var quoted []string
	for _, line := range strings.Split(n.Body, "\n") {
		quoted = append(quoted, "> "+esc(line))
	}
	blocks = append(blocks, sections(quoted)...)
	var tags []string
	if len(n.ThemeSlugs) > 0 {
		names := make([]string, 0, len(n.ThemeSlugs))
		for _, slug := range n.ThemeSlugs {
			name := slug
			for _, th := range themes {
				if th.Slug == slug {
					name = th.Name(r.Lang)
				}
			}
			names = append(names, name)
		}
		tags = append(tags, r.T("digestcmd.note.themes", esc(strings.Join(names, ", "))))
	}
	if len(n.Conditions) > 0 {
		var names []string
		for _, c := range n.Conditions {
			names = append(names, domain.Condition(c).Name(r.Lang))
		}
		tags = append(tags, r.T("digestcmd.note.conditions", esc(strings.Join(names, ", "))))
	}
	if len(tags) > 0 {
		blocks = append(blocks, contextBlock(strings.Join(tags, " · ")))
	}
	return Reply{Text: esc(title) + "\n" + esc(n.Body), Blocks: blocks}
}

// refuseNote audits a click naming a note the clicker may not read (or
// none: a forged or stale value) and tells them privately.
func (rt *Router) refuseNote(ctx context.Context, r *Request, act ActionInvocation, id int64) Reply {
	details := map[string]any{"via": "button:" + act.ActionID, "value": truncateRunes(act.Value, 100)}
	if err := rt.store.RecordRefused(ctx, store.SlackActor(r.Caller.SlackUserID), "progress_notes", id, details); err != nil {
		rt.opts.Logger.ErrorContext(ctx, "refusal not audited", "err", err)
	}
	rt.opts.Logger.WarnContext(ctx, "digest note refused: not readable by the clicker", "user", r.Caller.SlackUserID,
		"note_id", id, "role", r.Role)
	return privately(fit(r, textReply(r.T("digestcmd.note.forbidden"))))
}
