package commands

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/slack-go/slack"

	"github.com/pic-montreal/relais/internal/checkin"
	"github.com/pic-montreal/relais/internal/domain"
	"github.com/pic-montreal/relais/internal/i18n"
	"github.com/pic-montreal/relais/internal/store"
)

// RunFunc answers one request. A returned error becomes a message in the
// user's language: a *UserError says what to fix, anything else is logged and
// shown as an internal error.
type RunFunc func(ctx context.Context, r *Request) (Reply, error)

// Middleware wraps a RunFunc: logging, authorization, recovery.
type Middleware func(RunFunc) RunFunc

// Command is one slash-command verb, declared as data; help is generated
// from these declarations.
type Command struct {
	// Name is the French verb; Aliases holds the English verb first, then
	// other accepted spellings.
	Name    string
	Aliases []string
	// UsageKey, SummaryKey and ExampleKey are i18n keys.
	UsageKey   string
	SummaryKey string
	ExampleKey string
	// Roles may run the command. RoleGuest means anyone, known or not.
	Roles []domain.Role
	// Personal marks replies about the caller alone (their language), which
	// are never offered for sharing.
	Personal bool
	Run      RunFunc
}

// EnglishName is the English verb.
func (c *Command) EnglishName() string {
	if len(c.Aliases) > 0 {
		return c.Aliases[0]
	}
	return c.Name
}

// Verb is the verb to show in lang.
func (c *Command) Verb(lang domain.Language) string {
	if lang == domain.English {
		return c.EnglishName()
	}
	return c.Name
}

// Allows reports whether role may run the command.
func (c *Command) Allows(role domain.Role) bool {
	return slices.Contains(c.Roles, role) || slices.Contains(c.Roles, domain.RoleGuest)
}

// Shareable reports whether the command's reply may be shown to a channel:
// only a command everyone may run has a partnership view to show.
func (c *Command) Shareable() bool {
	return !c.Personal && c.Allows(domain.RoleGuest)
}

// Options configure a Router.
type Options struct {
	// Locales gives the Slack locale of users who chose no language; may be nil.
	Locales LocaleSource
	Now     func() time.Time
	// Location is the partnership's time zone: "today" is Montreal's,
	// whatever the server's zone. Default America/Montreal.
	Location *time.Location
	Logger   *slog.Logger
	// Middleware runs around every command, outermost first, inside the
	// router's own recovery, logging and authorization.
	Middleware []Middleware
	// EndingWithin is how far ahead "funding ending soon" looks.
	EndingWithin time.Duration
	// Cache keeps computed answers that are costly and rarely change.
	Cache *Cache
	// Observe, when set, is told of every command run (for metrics).
	Observe func(command string, ok bool, d time.Duration)
	// Checkins creates, edits, pauses and runs check-in schedules (`suivi`);
	// nil lists them but changes nothing.
	Checkins *checkin.Service
	// CheckinsQueueOnly says that what Checkins queues goes out only from
	// `relais serve` (the console): run now says so.
	CheckinsQueueOnly bool
	// Digests publishes the monthly digest to its channels (`condensé
	// envoyer`); nil says publishing is not available here.
	Digests DigestPublisher
}

// Router resolves who is asking and runs the right command. It implements
// Handler for every transport.
type Router struct {
	store    *store.Store
	opts     Options
	commands []*Command
	// The registry of buttons, modals and events (interactions.go).
	buttons   []Interaction
	modals    []ViewDef
	eventDefs []EventDef
	byVerb    map[string]*Command
	run       RunFunc
}

// New builds the router with every command of the registry.
func New(st *store.Store, opts Options) *Router {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.Location == nil {
		opts.Location = mustLoadLocation("America/Montreal")
	}
	if opts.EndingWithin == 0 {
		opts.EndingWithin = 120 * 24 * time.Hour
	}
	if opts.Cache == nil {
		opts.Cache = NewCache(st, 5*time.Second)
	}
	rt := &Router{store: st, opts: opts, byVerb: map[string]*Command{}}
	rt.commands = rt.registry()
	rt.buttons, rt.modals, rt.eventDefs = rt.interactions(), rt.views(), rt.events()
	for _, c := range rt.commands {
		for _, v := range append([]string{c.Name}, c.Aliases...) {
			key := domain.MatchKey(v)
			if _, dup := rt.byVerb[key]; dup {
				panic(fmt.Sprintf("commands: verb %q declared twice", v))
			}
			rt.byVerb[key] = c
		}
	}
	run := func(ctx context.Context, r *Request) (Reply, error) { return r.Command.Run(ctx, r) }
	chain := append([]Middleware{rt.recoverer, rt.logger}, opts.Middleware...)
	chain = append(chain, rt.authorize)
	for i := len(chain) - 1; i >= 0; i-- {
		run = chain[i](run)
	}
	rt.run = run
	return rt
}

// Commands lists the registry, in help order.
func (rt *Router) Commands() []*Command { return rt.commands }

// Lookup finds a command by any of its verbs, however typed.
func (rt *Router) Lookup(verb string) (*Command, bool) {
	c, ok := rt.byVerb[domain.MatchKey(verb)]
	return c, ok
}

// Command runs a slash command.
func (rt *Router) Command(ctx context.Context, inv Invocation) Reply {
	reply, _ := rt.dispatch(ctx, call{caller: inv.Caller, channelID: inv.ChannelID, text: inv.Text, triggerID: inv.TriggerID})
	return reply
}

// Action IDs of the buttons Relais puts in replies. Page buttons append
// ":prev" or ":next", since action IDs must differ within a block.
const (
	ActionPage  = "pic:page"
	ActionShare = "pic:share"
)

// Action handles a click on a button of a reply. Its value says which command
// to run again: buttons carry no state the server must remember.
//
// What a click may show others is guarded here, for every button: only a
// reply built as the partnership's view (a shared request) may replace a
// message others see or be posted in the channel; any other answer goes to
// the clicker alone and leaves the clicked message as it was. Page and share
// buttons build that view on a message others see (act.Surface), whoever
// clicks, and a button's value may narrow the view, never widen it.
func (rt *Router) Action(ctx context.Context, act ActionInvocation) Reply {
	for _, i := range rt.buttons {
		if i.matches(act.ActionID) {
			reply := i.Run(ctx, act)
			if (reply.InChannel || (reply.ReplaceOriginal && act.Surface != SurfacePrivate)) && !reply.partnershipView {
				rt.opts.Logger.WarnContext(ctx, "a click's reply was kept private", "action_id", act.ActionID)
				reply = privately(reply)
			}
			return reply
		}
	}
	return rt.problemReply(ctx, act.Caller, "action.unknown")
}

// pageCall is the command a page or share button runs again, seen from where
// the button was clicked.
func (rt *Router) pageCall(ctx context.Context, act ActionInvocation) (call, bool) {
	st, ok := decodeActionValue(act.Value)
	if !ok {
		return call{}, false
	}
	return call{caller: act.Caller, channelID: act.ChannelID, text: st.Text, page: st.Page,
		shared: act.Surface != SurfacePrivate || st.Shared, sharedBy: st.SharedBy, lang: st.Lang}, true
}

// page shows another page in place of the clicked message.
func (rt *Router) page(ctx context.Context, act ActionInvocation) Reply {
	c, ok := rt.pageCall(ctx, act)
	if !ok {
		return rt.problemReply(ctx, act.Caller, "action.unknown")
	}
	reply, ok := rt.dispatch(ctx, c)
	if !ok {
		return privately(reply)
	}
	reply.ReplaceOriginal = true
	// A replaced channel message stays a channel message.
	reply.InChannel = c.shared
	renewBlockIDs(reply.Blocks)
	return reply
}

// share posts the partnership's view of a reply in the channel.
func (rt *Router) share(ctx context.Context, act ActionInvocation) Reply {
	c, ok := rt.pageCall(ctx, act)
	if !ok {
		return rt.problemReply(ctx, act.Caller, "action.unknown")
	}
	c.shared, c.sharedBy, c.lang = true, act.Caller.SlackUserID, ""
	reply, ok := rt.dispatch(ctx, c)
	if !ok {
		return privately(reply)
	}
	reply.InChannel = true
	return reply
}

// privately makes reply a new message for the clicker alone.
func privately(reply Reply) Reply {
	reply.InChannel, reply.ReplaceOriginal = false, false
	return reply
}

// actionState is what a button carries: the command to run again, at which
// page, and for a message that was shared, by whom and in which language, so
// that paging through the channel's copy keeps it as it was posted.
type actionState struct {
	Page     int
	Text     string
	Shared   bool
	SharedBy string
	Lang     domain.Language
}

// encodeActionValue packs a button's state: "page|text" for a private reply,
// "page;s=U123;l=fr|text" for a shared one.
func encodeActionValue(st actionState) string {
	head := strconv.Itoa(st.Page)
	if st.Shared {
		head += ";s"
		if slackUserID.MatchString(st.SharedBy) {
			head += "=" + st.SharedBy
		}
		if st.Lang != "" {
			head += ";l=" + string(st.Lang)
		}
	}
	return head + "|" + st.Text
}

// decodeActionValue reads what encodeActionValue wrote; anything else is a
// stale or forged value.
func decodeActionValue(v string) (actionState, bool) {
	head, text, ok := strings.Cut(v, "|")
	flags := strings.Split(head, ";")
	page, err := strconv.Atoi(flags[0])
	if !ok || err != nil || page < 0 || page > 100000 || len(text) > MaxInputRunes*4 {
		return actionState{}, false
	}
	st := actionState{Page: page, Text: text}
	for _, f := range flags[1:] {
		by, isSharer := strings.CutPrefix(f, "s=")
		lang, isLang := strings.CutPrefix(f, "l=")
		switch {
		case f == "s":
			st.Shared = true
		case isSharer && slackUserID.MatchString(by):
			st.Shared, st.SharedBy = true, by
		case isLang && st.Shared:
			l, known := domain.ParseLanguage(lang)
			if !known {
				return actionState{}, false
			}
			st.Lang = l
		default:
			return actionState{}, false
		}
	}
	return st, true
}

func (rt *Router) problemReply(ctx context.Context, caller Caller, key string) Reply {
	r, err := rt.newRequest(ctx, caller, "")
	if err != nil {
		return rt.unavailableReply()
	}
	return fit(r, textReply(r.T(key)))
}

// newRequest resolves who calls and their language. It fails only when the
// directory cannot be read: the caller is then neither a guest nor anyone
// else, and the answer must say that Relais, not they, has a problem.
func (rt *Router) newRequest(ctx context.Context, caller Caller, channelID string) (*Request, error) {
	r := &Request{Caller: caller, ChannelID: channelID, Role: domain.RoleGuest, Lang: domain.French, Now: rt.opts.Now()}
	w, err := rt.lookupCaller(ctx, caller.SlackUserID)
	if err != nil {
		rt.opts.Logger.ErrorContext(ctx, "resolve caller", "user", caller.SlackUserID, "err", err)
		return nil, err
	}
	if w.person != nil {
		p := *w.person // the cached one is shared
		r.Person, r.Role = &p, p.Role
	}
	r.Lang = rt.language(ctx, caller.SlackUserID, w)
	return r, nil
}

// unavailableReply says the database cannot be reached, in French then
// English: without the directory, the caller's language is unknown too.
func (rt *Router) unavailableReply() Reply {
	text := i18n.T(domain.French, "error.database") + "\n" + i18n.T(domain.English, "error.database")
	return Reply{Text: text, Blocks: []slack.Block{section(text)}}
}

// callerFacts is what the directory says of a Slack user: the person (nil
// for a user Relais does not know) and the language they chose in Relais.
type callerFacts struct {
	person *domain.Person
	lang   domain.Language
	chosen bool
}

// lookupCaller is cached like other data: every command resolves its
// caller, and these one or two queries were most of the database work of a
// command whose other answers are cached. setLanguage forgets the entry, so
// a user's own change shows at once.
func (rt *Router) lookupCaller(ctx context.Context, userID string) (callerFacts, error) {
	return cached(ctx, rt.opts.Cache, callerKey(userID), func(ctx context.Context) (callerFacts, error) {
		var w callerFacts
		p, err := rt.store.PersonBySlackID(ctx, userID)
		switch {
		case err == nil:
			w.person = &p
			if p.Language != nil {
				// What ChosenLanguage would answer, without asking again.
				w.lang, w.chosen = *p.Language, true
				return w, nil
			}
		case !errors.Is(err, domain.ErrNotFound):
			return w, err
		}
		w.lang, w.chosen, err = rt.store.ChosenLanguage(ctx, userID)
		return w, err
	})
}

func callerKey(userID string) string { return "caller:" + userID }

// language: the one chosen in Relais, else the Slack locale, else French.
func (rt *Router) language(ctx context.Context, userID string, w callerFacts) domain.Language {
	if w.chosen {
		return w.lang
	}
	if rt.opts.Locales != nil {
		if loc, err := rt.opts.Locales.SlackLocale(ctx, userID); err == nil {
			if l, ok := domain.ParseLanguage(loc); ok {
				return l
			}
		}
	}
	return domain.French
}

// call is one run of a command: typed, or again from a button.
type call struct {
	caller    Caller
	channelID string
	text      string
	page      int
	shared    bool
	sharedBy  string
	// lang, when set, is the language of the shared message being paged.
	lang      domain.Language
	triggerID string
}

// dispatch runs c and reports whether the command answered; false means the
// reply explains a problem (bad input, no right, an error).
func (rt *Router) dispatch(ctx context.Context, c call) (Reply, bool) {
	r, err := rt.newRequest(ctx, c.caller, c.channelID)
	if err != nil {
		return rt.unavailableReply(), false
	}
	r.Page, r.Shared, r.SharedBy, r.TriggerID, r.Raw = c.page, c.shared, c.sharedBy, c.triggerID, c.text
	if c.shared && c.lang != "" {
		r.Lang = c.lang
	}
	text, problem := cleanInput(c.text)
	if problem != inputOK {
		return fit(r, textReply(inputMessage(r, problem))), false
	}
	verb, args := splitVerb(text)
	if verb == "" {
		verb = "aide"
	}
	cmd, ok := rt.Lookup(verb)
	if !ok {
		// "/pic Verdun" means the quartier.
		if ms, err := rt.quartierMatches(ctx, text); err == nil && len(ms) == 1 && ms[0].How == store.MatchExact {
			cmd, _ = rt.Lookup("quartier")
			verb, args = cmd.Verb(r.Lang), text
		} else {
			return rt.unknownVerb(ctx, r, verb), false
		}
	}
	r.Command, r.Verb, r.Args = cmd, verb, args
	if r.Shared && !cmd.Shareable() {
		// Only a forged click gets here: Relais offers no share button for it.
		rt.opts.Logger.WarnContext(ctx, "share refused", "command", cmd.Name, "user", c.caller.SlackUserID)
		return fit(r, textReply(r.T("share.refused"))), false
	}
	reply, err := rt.run(ctx, r)
	if err != nil {
		return fit(r, rt.errorReply(ctx, r, err)), false
	}
	reply.partnershipView = r.Shared
	return fit(r, reply), true
}

func inputMessage(r *Request, p inputProblem) string {
	if p == inputTooLong {
		return r.T(string(p), MaxInputRunes)
	}
	return r.T(string(p))
}

// errorReply is the one place errors become messages: users see what to do,
// logs get the cause.
func (rt *Router) errorReply(ctx context.Context, r *Request, err error) Reply {
	var ue *UserError
	var question *questionError
	switch {
	case errors.As(err, &ue):
		return textReply(r.T(ue.Key, ue.Args...))
	case errors.As(err, &question):
		return question.reply
	case errors.Is(err, domain.ErrForbidden):
		return textReply(r.T("error.forbidden", r.Verb))
	case errors.Is(err, domain.ErrNotFound):
		return textReply(r.T("error.not_found"))
	case store.IsUnavailable(err):
		rt.opts.Logger.ErrorContext(ctx, "database unreachable", "command", r.Command.Name, "err", err)
		return textReply(r.T("error.database"))
	case errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled):
		rt.opts.Logger.WarnContext(ctx, "command timed out", "command", r.Command.Name, "err", err)
		return textReply(r.T("error.timeout"))
	}
	rt.opts.Logger.ErrorContext(ctx, "command failed", "command", r.Command.Name, "user", r.Caller.SlackUserID, "err", err)
	return textReply(r.T("error.internal"))
}

func (rt *Router) recoverer(next RunFunc) RunFunc {
	return func(ctx context.Context, r *Request) (reply Reply, err error) {
		defer func() {
			if p := recover(); p != nil {
				rt.opts.Logger.ErrorContext(ctx, "command panicked", "command", r.Command.Name,
					"panic", fmt.Sprint(p), "stack", string(debug.Stack()))
				reply, err = Reply{}, fmt.Errorf("panic in %s: %v", r.Command.Name, p)
			}
		}()
		return next(ctx, r)
	}
}

func (rt *Router) logger(next RunFunc) RunFunc {
	return func(ctx context.Context, r *Request) (Reply, error) {
		start := time.Now()
		reply, err := next(ctx, r)
		d := time.Since(start)
		rt.opts.Logger.InfoContext(ctx, "command", "command", r.Command.Name, "user", r.Caller.SlackUserID,
			"role", r.Role, "lang", r.Lang, "page", r.Page, "shared", r.Shared,
			"duration_ms", d.Milliseconds(), "ok", err == nil)
		if rt.opts.Observe != nil {
			rt.opts.Observe(r.Command.Name, err == nil, d)
		}
		return reply, err
	}
}

// authorize enforces each command's declared roles. For a command not
// everyone may run, the role comes from the directory itself, not from the
// cache: a coordinator removed or demoted a moment ago has no more rights
// than their record says.
func (rt *Router) authorize(next RunFunc) RunFunc {
	return func(ctx context.Context, r *Request) (Reply, error) {
		if !r.Command.Allows(domain.RoleGuest) {
			if err := rt.confirmRole(ctx, r); err != nil {
				return Reply{}, err
			}
		}
		if !r.Command.Allows(r.Role) {
			if r.Role == domain.RoleGuest {
				return Reply{}, userError("error.guest_forbidden", r.Verb)
			}
			return Reply{}, fmt.Errorf("%s may not run %s: %w", r.Role, r.Command.Name, domain.ErrForbidden)
		}
		return next(ctx, r)
	}
}

// confirmRole re-reads the caller's role from the directory, uncached.
func (rt *Router) confirmRole(ctx context.Context, r *Request) error {
	p, err := rt.store.PersonBySlackID(ctx, r.Caller.SlackUserID)
	switch {
	case errors.Is(err, domain.ErrNotFound):
		r.Person, r.Role = nil, domain.RoleGuest
	case err != nil:
		return err
	default:
		r.Person, r.Role = &p, p.Role
	}
	return nil
}
