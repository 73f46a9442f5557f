package slackbot

import (
	"context"
	"encoding/json"
)

// PublishHome publishes view (a home view's JSON) as user's App Home with
// views.publish. Publishing again only replaces it, so a retry is safe.
// Errors are classified as PostMessage's.
func (s *Sender) PublishHome(ctx context.Context, user string, view json.RawMessage) error {
	if err := s.pace.wait(ctx, "views.publish", ""); err != nil {
		return &NotSentError{Err: err}
	}
	var ans struct{}
	return s.call(ctx, "views.publish", map[string]any{"user_id": user, "view": view}, nil, &ans)
}
