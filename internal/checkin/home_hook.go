package checkin

import (
	"context"
	"fmt"

	"github.com/pic-montreal/relais/internal/store"
)

// noteStored runs OnNote for the Table of prompt promptID, in tx.
func (s *Service) noteStored(ctx context.Context, tx *store.Tx, promptID int64) error {
	if s.OnNote == nil {
		return nil
	}
	orgID, err := tx.PromptOrganisation(ctx, promptID)
	if err != nil {
		return err
	}
	if err := s.OnNote(ctx, tx, orgID); err != nil {
		return fmt.Errorf("after the note of prompt %d: %w", promptID, err)
	}
	return nil
}
