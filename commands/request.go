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
	// Page is the page asked for by a "next page" button, from 0.
	Page int
	// Shared is set when the reply will be posted in the channel: it then
	// shows only what the whole partnership may read.
	Shared bool
	Now    time.Time
}

// T translates key into the request's language.
func (r *Request) T(key string, args ...any) string { return i18n.T(r.Lang, key, args...) }

// Viewer says which progress notes the reply may show.
func (r *Request) Viewer() store.Viewer {
	v := store.Viewer{Role: r.Role, SharedOnly: r.Shared}
	if r.Person != nil {
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
