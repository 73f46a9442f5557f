package delivery_test

import (
	"encoding/json"
	"errors"
	"testing"

	"github.com/pic-montreal/relais/internal/delivery"
)

func TestCheckTextOrRender(t *testing.T) {
	base := delivery.Message{Key: "prompt:1:U1", Kind: "prompt", To: "U1"}
	for _, c := range []struct {
		name string
		edit func(m *delivery.Message)
		ok   bool
	}{
		{"text", func(m *delivery.Message) { m.Text = "Bonjour" }, true},
		{"text and blocks", func(m *delivery.Message) { m.Text, m.Blocks = "Bonjour", json.RawMessage(`[]`) }, true},
		{"nothing to say", func(m *delivery.Message) {}, false},
		{"render", func(m *delivery.Message) { m.Render, m.RecipientID = "checkin.prompt", 7 }, true},
		{"render without recipient", func(m *delivery.Message) { m.Render = "checkin.prompt" }, false},
		{"render and text", func(m *delivery.Message) { m.Render, m.RecipientID, m.Text = "checkin.prompt", 7, "Bonjour" }, false},
		{"render and blocks", func(m *delivery.Message) {
			m.Render, m.RecipientID, m.Blocks = "checkin.prompt", 7, json.RawMessage(`[]`)
		}, false},
	} {
		m := base
		c.edit(&m)
		err := m.Check()
		if c.ok != (err == nil) || (err != nil && !errors.Is(err, delivery.ErrInvalid)) {
			t.Errorf("%s: Check() = %v", c.name, err)
		}
	}
}
