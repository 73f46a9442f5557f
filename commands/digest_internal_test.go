package commands

import (
	"encoding/json"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"github.com/pic-montreal/relais/internal/blockkit"
	"github.com/pic-montreal/relais/internal/digest"
	"github.com/pic-montreal/relais/internal/domain"
)

// A part already at Slack's 50 blocks gets the preview's mark and is split
// in two messages, each within the limits and marked, nothing cut.
func TestPreviewMarkSplitsAFullPart(t *testing.T) {
	var full []slack.Block
	for i := range blockkit.MaxMessageBlocks {
		full = append(full, blockkit.Section("ligne "+strconv.Itoa(i)))
	}
	r := &Request{Caller: Caller{SlackUserID: "UPART"}, Lang: domain.French, TriggerID: "t1",
		Now: time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC)}
	parts := []digest.Part{{Text: "Condensé", Blocks: []slack.Block{blockkit.Header("Condensé")}}, {Text: "Faits saillants", Blocks: full}}
	msgs, err := previewMessages(r, digest.Month{Year: 2026, Month: time.October}, parts)
	if err != nil {
		t.Fatal(err)
	}
	if len(msgs) != 3 {
		t.Fatalf("%d messages, want the parent and the full part in two", len(msgs))
	}
	seen := ""
	for i, m := range msgs {
		var blocks slack.Blocks
		if err := json.Unmarshal(m.Blocks, &blocks); err != nil {
			t.Fatal(err)
		}
		if err := blockkit.ValidateMessage(m.Text, blocks.BlockSet); err != nil {
			t.Errorf("message %d: %v", i, err)
		}
		if !strings.HasPrefix(m.Text, "Aperçu") || m.To != "UPART" || m.Kind != KindDigestPreview ||
			!strings.HasPrefix(m.Key, "digest-preview:UPART:2026-10:") || !strings.HasSuffix(m.Key, ":"+strconv.Itoa(i)) {
			t.Errorf("message %d: %+v", i, m)
		}
		seen += string(m.Blocks)
	}
	for i := range blockkit.MaxMessageBlocks {
		if !strings.Contains(seen, `"ligne `+strconv.Itoa(i)+`"`) {
			t.Errorf("line %d was cut", i)
		}
	}
	// Another request is another preview; the same one, the same keys.
	again, _ := previewMessages(r, digest.Month{Year: 2026, Month: time.October}, parts)
	r.TriggerID = "t2"
	other, _ := previewMessages(r, digest.Month{Year: 2026, Month: time.October}, parts)
	if again[0].Key != msgs[0].Key || other[0].Key == msgs[0].Key {
		t.Errorf("keys %s, %s, %s: the same request must repeat its keys, another must not", msgs[0].Key, again[0].Key, other[0].Key)
	}
}
