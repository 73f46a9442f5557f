package slackfake

import (
	"encoding/json"
	"testing"
)

// Submit is the view_submission payload Slack sends when user presses
// Submit on the modal they see, with what they typed or chose in fill (by
// block id: a text for a text input, option values for a select, radio
// buttons or a multi-select). Inputs left out keep their initial value, as
// in Slack, where an untouched prefilled field is submitted as it shows.
// It fails the test when user sees no modal.
func (s *Server) Submit(t testing.TB, user string, fill map[string][]string) json.RawMessage {
	t.Helper()
	v, ok := s.ModalOf(user)
	if !ok {
		t.Fatalf("slackfake: %s sees no modal to submit", user)
	}
	var blocks []struct {
		Type    string          `json:"type"`
		BlockID string          `json:"block_id"`
		Element json.RawMessage `json:"element"`
	}
	if err := json.Unmarshal(v.Blocks, &blocks); err != nil {
		t.Fatalf("slackfake: modal blocks: %v", err)
	}
	values := obj{}
	for _, b := range blocks {
		if b.Type != "input" {
			continue
		}
		var el struct {
			Type           string            `json:"type"`
			ActionID       string            `json:"action_id"`
			InitialValue   string            `json:"initial_value"`
			InitialOption  *json.RawMessage  `json:"initial_option"`
			InitialOptions []json.RawMessage `json:"initial_options"`
			Options        []json.RawMessage `json:"options"`
		}
		if err := json.Unmarshal(b.Element, &el); err != nil {
			t.Fatalf("slackfake: input %s: %v", b.BlockID, err)
		}
		chosen, typed := fill[b.BlockID]
		option := func(value string) json.RawMessage {
			for _, o := range el.Options {
				var opt struct {
					Value string `json:"value"`
				}
				if json.Unmarshal(o, &opt) == nil && opt.Value == value {
					return o
				}
			}
			// A value the modal does not offer: a forged payload.
			return mustJSON(obj{"text": obj{"type": "plain_text", "text": value}, "value": value})
		}
		state := obj{"type": el.Type}
		switch el.Type {
		case "plain_text_input":
			text := el.InitialValue
			if typed {
				text = ""
				if len(chosen) > 0 {
					text = chosen[0]
				}
			}
			state["value"] = text
		case "static_select", "radio_buttons":
			switch {
			case typed && len(chosen) > 0:
				state["selected_option"] = option(chosen[0])
			case !typed && el.InitialOption != nil:
				state["selected_option"] = *el.InitialOption
			default:
				state["selected_option"] = nil
			}
		case "multi_static_select":
			opts := []json.RawMessage{}
			if typed {
				for _, c := range chosen {
					opts = append(opts, option(c))
				}
			} else {
				opts = append(opts, el.InitialOptions...)
			}
			state["selected_options"] = opts
		default:
			continue
		}
		values[b.BlockID] = obj{el.ActionID: state}
	}
	return mustJSON(obj{
		"type": "view_submission", "team": obj{"id": TeamID, "domain": "fake"},
		"user":       obj{"id": user, "username": "someone", "name": "someone", "team_id": TeamID},
		"api_app_id": "A0FAKE", "trigger_id": s.IssueTriggerID(user),
		"view": obj{
			"id": v.ID, "type": "modal", "callback_id": v.CallbackID, "private_metadata": v.PrivateMetadata,
			"hash": v.Hash, "root_view_id": v.RootID, "team_id": TeamID, "app_id": "A0FAKE",
			"state": obj{"values": values},
		},
	})
}

// ApplySubmissionAck does to user's modals what Slack does with the
// acknowledgement of their submission: an empty body closes the modal they
// submitted; response_action "errors" keeps it open with what they typed and
// returns the errors; "update" replaces it; "clear" closes them all.
func (s *Server) ApplySubmissionAck(t testing.TB, user string, body []byte) (errs map[string]string) {
	t.Helper()
	var ack struct {
		ResponseAction string            `json:"response_action"`
		Errors         map[string]string `json:"errors"`
		View           json.RawMessage   `json:"view"`
	}
	if len(body) > 0 {
		if err := json.Unmarshal(body, &ack); err != nil {
			t.Fatalf("slackfake: submission ack %q: %v", body, err)
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	defer s.notifyLocked()
	stack := s.views.modals[user]
	switch ack.ResponseAction {
	case "errors":
		if len(ack.Errors) == 0 {
			t.Fatalf("slackfake: response_action errors without errors: %s", body)
		}
		return ack.Errors
	case "update":
		v, code := parseView(string(ack.View), "modal")
		if code != "" || len(stack) == 0 {
			t.Fatalf("slackfake: response_action update: %s (%s)", code, body)
		}
		s.replaceViewLocked(stack[len(stack)-1], v)
	case "clear":
		s.closeModalsLocked(user)
	case "":
		if len(stack) > 0 {
			top := stack[len(stack)-1]
			delete(s.views.byID, top.ID)
			if len(stack) == 1 {
				delete(s.views.modals, user)
			} else {
				s.views.modals[user] = stack[:len(stack)-1]
			}
		}
	default:
		t.Fatalf("slackfake: unknown response_action %q", ack.ResponseAction)
	}
	return nil
}
