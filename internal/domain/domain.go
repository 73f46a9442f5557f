// Package domain holds Relais' types and small pure rules. It imports the
// standard library only, so every other package can depend on it.
package domain

// Language is a language a person reads Relais in.
type Language string

const (
	French  Language = "fr"
	English Language = "en"
)

// ParseLanguage accepts "fr"/"en" and common spellings ("français", "english",
// "fr-CA", "en_US"); ok is false for anything else.
func ParseLanguage(s string) (Language, bool) {
	k := MatchKey(s)
	switch {
	case k == "fr" || k == "francais" || k == "french" || hasPrefix(k, "fr "):
		return French, true
	case k == "en" || k == "english" || k == "anglais" || hasPrefix(k, "en "):
		return English, true
	}
	return "", false
}

func hasPrefix(s, p string) bool { return len(s) >= len(p) && s[:len(p)] == p }

// Role is what a known person may do in Relais.
type Role string

const (
	RoleCoordinator Role = "coordinator"
	RolePartner     Role = "partner"
	RoleTableMember Role = "table_member"
	// RoleGuest is a Slack user Relais does not know: public information only.
	RoleGuest Role = "guest"
)

// OrganisationKind is the kind of an organisation of the partnership.
type OrganisationKind string

const (
	KindTableDeQuartier       OrganisationKind = "table_de_quartier"
	KindFunder                OrganisationKind = "funder"
	KindPublicInstitution     OrganisationKind = "public_institution"
	KindCommunityOrganisation OrganisationKind = "community_organisation"
	KindRegionalPartner       OrganisationKind = "regional_partner"
)

// SupportKind tells money from coaching, evaluation or training.
type SupportKind string

const (
	Financial    SupportKind = "financial"
	NonFinancial SupportKind = "non_financial"
)

// Visibility says who may read a progress note.
type Visibility string

const (
	// SharedWithPartnership notes are read by every known member.
	SharedWithPartnership Visibility = "partnership"
	// CoordinatorsOnly notes are read by coordinators and the Table that wrote them.
	CoordinatorsOnly Visibility = "coordinators"
)

// InitiativeStatus is where an initiative stands.
type InitiativeStatus string

const (
	StatusPlanned   InitiativeStatus = "planned"
	StatusActive    InitiativeStatus = "active"
	StatusCompleted InitiativeStatus = "completed"
	StatusSuspended InitiativeStatus = "suspended"
)

// Quartier is one neighbourhood of the partnership.
type Quartier struct {
	ID         int64  `db:"id"`
	Slug       string `db:"slug"`
	Name       string `db:"name"`
	MatchKey   string `db:"match_key"`
	Borough    string `db:"borough"`
	Population *int   `db:"population"`
	IsSample   bool   `db:"is_sample"`
}

// Organisation is a Table de quartier, a funder, an institution or a partner.
type Organisation struct {
	ID             int64            `db:"id"`
	Slug           string           `db:"slug"`
	Name           string           `db:"name"`
	Kind           OrganisationKind `db:"kind"`
	QuartierID     *int64           `db:"quartier_id"`
	SlackChannelID *string          `db:"slack_channel_id"`
	IsSample       bool             `db:"is_sample"`
}

// Person is a Slack user Relais knows.
type Person struct {
	ID              int64     `db:"id"`
	SlackUserID     string    `db:"slack_user_id"`
	DisplayName     string    `db:"display_name"`
	OrganisationID  int64     `db:"organisation_id"`
	Role            Role      `db:"role"`
	AnswersCheckins bool      `db:"answers_checkins"`
	Language        *Language `db:"language"`
	Active          bool      `db:"active"`
	IsSample        bool      `db:"is_sample"`
}

// Theme is a priority issue ("enjeu prioritaire").
type Theme struct {
	ID     int64  `db:"id"`
	Slug   string `db:"slug"`
	NameFr string `db:"name_fr"`
	NameEn string `db:"name_en"`
}

// Name returns the theme's name in lang.
func (t Theme) Name(lang Language) string {
	if lang == English {
		return t.NameEn
	}
	return t.NameFr
}
