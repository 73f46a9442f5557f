package digest

import (
	"encoding/json"

	"github.com/pic-montreal/relais/internal/domain"
)

// Messages renders d for Slack in lang: Parts[0] is the parent message
// (header and summary), the others are thread replies.
func Messages(d Digest, lang domain.Language) []Part {
	return nil
}

// Markdown renders d for an e-mail or the evaluation report.
func Markdown(d Digest, lang domain.Language) string {
	return ""
}

// JSON is d as data.
func JSON(d Digest) ([]byte, error) { return json.MarshalIndent(d, "", "  ") }
