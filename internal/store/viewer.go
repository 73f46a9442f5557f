package store

import (
	"fmt"

	"github.com/pic-montreal/relais/internal/domain"
)

// Viewer is who reads. It decides which progress notes a query may return:
// coordinators read all; a Table reads its own and those shared with the
// partnership; partners read what was shared; unknown users read none.
type Viewer struct {
	Role           domain.Role
	OrganisationID int64
	// SharedOnly keeps to notes shared with the partnership, whoever reads:
	// for replies posted in a channel, where anyone may be reading.
	SharedOnly bool
}

// noteFilter returns a SQL condition on the progress_notes alias for v; its
// single parameter, when it has one, is $argN.
func (v Viewer) noteFilter(alias string, argN int) (string, []any) {
	switch {
	case v.Role == domain.RoleGuest || v.Role == "":
		return "false", nil
	case v.SharedOnly:
		return alias + ".visibility = 'partnership'", nil
	case v.Role == domain.RoleCoordinator:
		return "true", nil
	case v.Role == domain.RoleTableMember:
		return fmt.Sprintf("(%s.visibility = 'partnership' OR %s.organisation_id = $%d)", alias, alias, argN),
			[]any{v.OrganisationID}
	default:
		return alias + ".visibility = 'partnership'", nil
	}
}
