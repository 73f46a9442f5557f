package delivery

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/pic-montreal/relais/internal/domain"
	"github.com/pic-montreal/relais/internal/i18n"
	"github.com/pic-montreal/relais/internal/store"
)

// KindAlert is the Message.Kind of an alert's messages. The deliver worker
// raises no alert about an alert that cannot be delivered (it would loop).
const KindAlert = "alert"

// Alerts is the Alerter: it records each alert once (coordinator_alerts) and
// queues its messages in the same transaction.
type Alerts struct {
	enq Enqueuer
	// channel is the coordination channel (C…/G…), "" for DMs to
	// coordinators.
	channel string
}

// NewAlerter returns the Alerter that queues through enq, to
// coordinationChannel when set, otherwise to each active coordinator.
func NewAlerter(enq Enqueuer, coordinationChannel string) *Alerts {
	return &Alerts{enq: enq, channel: coordinationChannel}
}

// RaiseTx records a and, the first time its key is seen, queues its messages
// in tx: French then English in the coordination channel, or a DM to each
// active coordinator in their language (French when they chose none).
func (a *Alerts) RaiseTx(ctx context.Context, tx *store.Tx, al Alert) error {
	if strings.TrimSpace(al.Key) == "" || al.Render == nil {
		return errors.Join(ErrInvalid, errors.New("alert needs a key and a renderer"))
	}
	kind := al.Kind
	if kind == "" {
		kind = KindAlert
	}
	first, err := tx.RecordAlert(ctx, al.Key, kind, nil)
	if err != nil || !first {
		return err
	}
	var msgs []Message
	if a.channel != "" {
		text, blocks := bilingual(al.Render)
		msgs = append(msgs, Message{Key: alertKey(al.Key, a.channel), Kind: KindAlert, To: a.channel, Text: text, Blocks: blocks})
	} else {
		coordinators, err := tx.ActiveCoordinators(ctx)
		if err != nil {
			return err
		}
		for _, c := range coordinators {
			lang := c.Language
			if lang != domain.English {
				lang = domain.French
			}
			text, blocks := al.Render(lang)
			msgs = append(msgs, Message{Key: alertKey(al.Key, c.SlackUserID), Kind: KindAlert, To: c.SlackUserID, Text: text, Blocks: blocks})
		}
	}
	if len(msgs) == 0 {
		// Recorded, for whoever looks at coordinator_alerts; nobody to tell.
		return nil
	}
	if err := a.enq.EnqueueTx(ctx, tx, msgs...); err != nil {
		return fmt.Errorf("queue alert %s: %w", al.Key, err)
	}
	return nil
}

// alertKey is the delivery key of an alert's message to one destination,
// "alert:<alert key>:<to>", hashed when too long for a delivery key.
func alertKey(key, to string) string {
	k := "alert:" + key + ":" + to
	if len(k) <= 200 {
		return k
	}
	sum := sha256.Sum256([]byte(key))
	return "alert:" + hex.EncodeToString(sum[:16]) + ":" + to
}

// bilingual renders French, then English, in one message: the coordination
// channel is read in both languages.
func bilingual(render func(domain.Language) (string, json.RawMessage)) (string, json.RawMessage) {
	frText, frBlocks := render(domain.French)
	enText, enBlocks := render(domain.English)
	text := frText + "\n\n" + enText
	var fr, en []json.RawMessage
	if json.Unmarshal(frBlocks, &fr) != nil || json.Unmarshal(enBlocks, &en) != nil || len(fr)+len(en)+1 > 50 {
		return text, nil // the text alone says it all
	}
	all := append(append(fr, json.RawMessage(`{"type":"divider"}`)), en...)
	blocks, err := json.Marshal(all)
	if err != nil {
		return text, nil
	}
	return text, blocks
}

// CatalogAlert renders an alert from an i18n key and its arguments, as one
// section in the reader's language (mrkdwn: escape stored values in args).
func CatalogAlert(key string, args ...any) func(domain.Language) (string, json.RawMessage) {
	return func(lang domain.Language) (string, json.RawMessage) {
		text := i18n.T(lang, key, args...)
		blocks, _ := json.Marshal([]map[string]any{{"type": "section", "text": map[string]string{"type": "mrkdwn", "text": text}}})
		return text, blocks
	}
}
