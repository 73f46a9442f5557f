package commands

import (
	"time"

	"github.com/pic-montreal/relais/internal/domain"
	"github.com/pic-montreal/relais/internal/i18n"
	"github.com/pic-montreal/relais/internal/store"
)

// Request is a command ready to run: who asks (resolved against the
// directory), in which language, with which arguments.
type Request struct {
	Caller    Caller
	ChannelID string
	// Person is nil for a Slack user Relais does not know (RoleGuest).
	Person  *domain.Person
	Role    domain.Role
	Lang    domain.Language
	Command *Command
	// Verb is the word the user typed for the command.
	Verb string
	// Args is the cleaned text after the verb.
	Args string
	// Raw is the whole text as the transport gave it, before cleaning: a
	// mention there still carries the name Slack gave it (<@U123|name>).
	Raw string
	// Page is the page asked for by a "next page" button, from 0.
	Page int
	// Shared is set when the reply will be seen by others (posted in the
	// channel, or replacing a message others see): it then shows only what
	// the whole partnership may read.
	Shared bool
	// SharedBy is who posted a shared reply, shown under it; empty when
	// unknown.
	SharedBy string
	Now      time.Time
	// TriggerID lets the reply open a modal; empty where none can open (the
	// console, a page button).
	TriggerID string
}

// T translates key into the request's language.
func (r *Request) T(key string, args ...any) string { return i18n.T(r.Lang, key, args...) }

// ReaderRole is the role whose view the reply shows: the caller's own, or
// for a shared reply the partnership's, whoever asked, since anyone in the
// channel reads it. Rights to run a command stay the caller's (Role).
func (r *Request) ReaderRole() domain.Role {
	if r.Shared {
		return domain.RolePartner
	}
	return r.Role
}

// Viewer says which progress notes the reply may show.
func (r *Request) Viewer() store.Viewer {
	v := store.Viewer{Role: r.ReaderRole(), SharedOnly: r.Shared}
	if r.Person != nil && !r.Shared {
		v.OrganisationID = r.Person.OrganisationID
	}
	return v
}

// CommandText is the text that runs this request again (for buttons).
func (r *Request) CommandText() string {
	if r.Args == "" {
		return r.Verb
	}
	return r.Verb + " " + r.Args
}

// buttonValue is what a button of this reply carries to run the command
// again at page: a copy that others see keeps showing only the
// partnership's view, whoever clicks.
func (r *Request) buttonValue(page int) string {
	st := actionState{Page: page, Text: r.CommandText(), Shared: r.Shared, SharedBy: r.SharedBy}
	if r.Shared {
		st.Lang = r.Lang
	}
	return encodeActionValue(st)
}

// UserError is a problem the user can fix; its message is translated where
// the reply is written.
type UserError struct {
	Key  string
	Args []any
}

func (e *UserError) Error() string { return "user error: " + e.Key }

func userError(key string, args ...any) error { return &UserError{Key: key, Args: args} }

// N translates key's singular or plural form for n.
func (r *Request) N(key string, n int, args ...any) string { return i18n.N(r.Lang, key, n, args...) }
