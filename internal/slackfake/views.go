package slackfake

import (
	"encoding/json"
	"fmt"
	"time"
)

// Slack's limits on views.
const (
	TriggerTTL         = 3 * time.Second // a trigger_id works once, within this
	MaxViewBlocks      = 100             // blocks in a modal or the App Home
	MaxModalStack      = 3               // views in a user's modal stack
	MaxPrivateMetadata = 3000            // characters of private_metadata
)

// View is a modal or App Home view as the user sees it.
type View struct {
	ID   string
	Type string // "modal" or "home"
	// User is who sees it.
	User            string
	ExternalID      string
	CallbackID      string
	PrivateMetadata string
	// Hash changes with every update; views.update and views.publish refuse
	// a stale one (hash_conflict).
	Hash string
	// Title is the modal's title text.
	Title  string
	Blocks json.RawMessage
	// JSON is the view as the app last sent it.
	JSON json.RawMessage
	// RootID and PreviousID place a pushed modal in its stack.
	RootID, PreviousID string
	// Updates counts views.update and republishing calls.
	Updates int
}

// Shows is the view's title and blocks as one string, for assertions (see
// Message.Shows).
func (v View) Shows() string {
	return v.Title + "\n" + jsonUnescaper.Replace(string(v.Blocks))
}

type trigger struct {
	user    string
	issued  time.Time
	used    bool
	expired bool
}

// viewState is each user's modal stack and App Home, and the trigger_ids.
type viewState struct {
	byID     map[string]*View
	modals   map[string][]*View // user → stack, root first
	homes    map[string]*View   // user → published Home
	triggers map[string]*trigger
	next     int
}

// IssueTriggerID returns a fresh trigger_id for user, as a click or a slash
// command carries: views.open and views.push accept it once, within
// TriggerTTL of the fake's clock.
func (s *Server) IssueTriggerID(user string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.issueTriggerLocked(user)
}

func (s *Server) issueTriggerLocked(user string) string {
	if s.views.triggers == nil {
		s.views.triggers = map[string]*trigger{}
	}
	s.views.next++
	id := fmt.Sprintf("%d.738474920.fake%024x", s.ts, s.views.next)
	s.views.triggers[id] = &trigger{user: user, issued: s.nowLocked()}
	return id
}

// ExpireTriggers makes every trigger_id issued so far expired, as if
// TriggerTTL had passed.
func (s *Server) ExpireTriggers() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, tr := range s.views.triggers {
		tr.expired = true
	}
}

// checkTriggerLocked returns the user of a usable trigger_id, or the error
// Slack answers.
func (s *Server) checkTriggerLocked(id string) (user, code string) {
	tr, ok := s.views.triggers[id]
	switch {
	case !ok:
		return "", "invalid_trigger_id"
	case tr.used:
		return "", "exchanged_trigger_id"
	case tr.expired || s.nowLocked().Sub(tr.issued) >= TriggerTTL:
		return "", "expired_trigger_id"
	}
	return tr.user, ""
}

// parseView reads the view parameter; wantType is "modal" or "home".
func parseView(raw, wantType string) (*View, string) {
	var v struct {
		Type  string `json:"type"`
		Title *struct {
			Text string `json:"text"`
		} `json:"title"`
		Blocks          json.RawMessage `json:"blocks"`
		PrivateMetadata string          `json:"private_metadata"`
		CallbackID      string          `json:"callback_id"`
		ExternalID      string          `json:"external_id"`
	}
	if raw == "" || json.Unmarshal([]byte(raw), &v) != nil {
		return nil, "invalid_arguments"
	}
	if v.Type != wantType {
		return nil, "invalid_arguments"
	}
	var blocks []map[string]any
	if len(v.Blocks) > 0 && string(v.Blocks) != "null" {
		if json.Unmarshal(v.Blocks, &blocks) != nil || len(blocks) > MaxViewBlocks {
			return nil, "invalid_arguments"
		}
	}
	if wantType == "modal" && (v.Title == nil || v.Title.Text == "") {
		return nil, "invalid_arguments"
	}
	if len([]rune(v.PrivateMetadata)) > MaxPrivateMetadata {
		return nil, "invalid_arguments"
	}
	out := &View{Type: v.Type, ExternalID: v.ExternalID, CallbackID: v.CallbackID,
		PrivateMetadata: v.PrivateMetadata, Blocks: v.Blocks, JSON: json.RawMessage(raw)}
	if v.Title != nil {
		out.Title = v.Title.Text
	}
	return out, ""
}

// answerViewLocked answers views.open, views.push, views.update and
// views.publish.
func (s *Server) answerViewLocked(method string, c Call) obj {
	if s.views.byID == nil {
		s.views.byID, s.views.modals, s.views.homes = map[string]*View{}, map[string][]*View{}, map[string]*View{}
	}
	switch method {
	case "views.open", "views.push":
		if c.Param("trigger_id") == "" || c.Param("view") == "" {
			return slackError("invalid_arguments")
		}
		v, code := parseView(c.Param("view"), "modal")
		if code != "" {
			return slackError(code)
		}
		user, code := s.checkTriggerLocked(c.Param("trigger_id"))
		if code != "" {
			return slackError(code)
		}
		if d := s.viewByExternalIDLocked(v.ExternalID); v.ExternalID != "" && d != nil &&
			(method == "views.push" || d.User != user || d.Type != "modal") {
			// (views.open closes the user's own modals first.)
			return slackError("duplicate_external_id")
		}
		stack := s.views.modals[user]
		if method == "views.push" {
			if len(stack) == 0 {
				return slackError("not_found")
			}
			if len(stack) >= MaxModalStack {
				return slackError("push_limit_reached")
			}
		} else {
			s.closeModalsLocked(user)
			stack = nil
		}
		s.views.triggers[c.Param("trigger_id")].used = true
		s.newViewLocked(v, user)
		if len(stack) > 0 {
			v.RootID, v.PreviousID = stack[0].ID, stack[len(stack)-1].ID
		} else {
			v.RootID = v.ID
		}
		s.views.modals[user] = append(stack, v)
		return viewAnswer(v)
	case "views.update":
		id, ext := c.Param("view_id"), c.Param("external_id")
		if (id == "") == (ext == "") || c.Param("view") == "" {
			return slackError("invalid_arguments")
		}
		cur := s.views.byID[id]
		if ext != "" {
			cur = s.viewByExternalIDLocked(ext)
		}
		if cur == nil {
			return slackError("not_found")
		}
		v, code := parseView(c.Param("view"), cur.Type)
		if code != "" {
			return slackError(code)
		}
		if h := c.Param("hash"); h != "" && h != cur.Hash {
			return slackError("hash_conflict")
		}
		s.replaceViewLocked(cur, v)
		return viewAnswer(cur)
	case "views.publish":
		user := c.Param("user_id")
		if user == "" || c.Param("view") == "" {
			return slackError("invalid_arguments")
		}
		v, code := parseView(c.Param("view"), "home")
		if code != "" {
			return slackError(code)
		}
		cur := s.views.homes[user]
		if h := c.Param("hash"); h != "" && (cur == nil || h != cur.Hash) {
			return slackError("hash_conflict")
		}
		if cur == nil {
			s.newViewLocked(v, user)
			v.RootID = v.ID
			s.views.homes[user] = v
			return viewAnswer(v)
		}
		s.replaceViewLocked(cur, v)
		return viewAnswer(cur)
	}
	return slackError("unknown_method")
}

func (s *Server) newViewLocked(v *View, user string) {
	s.nextID++
	v.ID, v.User = fmt.Sprintf("V%d", s.nextID), user
	v.Hash = s.newHashLocked()
	s.views.byID[v.ID] = v
}

func (s *Server) newHashLocked() string {
	s.views.next++
	return fmt.Sprintf("%d.fake%08x", s.ts, s.views.next)
}

// replaceViewLocked shows v's content in cur's place: same id, user and
// stack position, a new hash.
func (s *Server) replaceViewLocked(cur, v *View) {
	cur.ExternalID, cur.CallbackID, cur.PrivateMetadata = v.ExternalID, v.CallbackID, v.PrivateMetadata
	cur.Title, cur.Blocks, cur.JSON = v.Title, v.Blocks, v.JSON
	cur.Hash = s.newHashLocked()
	cur.Updates++
}

func (s *Server) viewByExternalIDLocked(ext string) *View {
	for _, v := range s.views.byID {
		if v.ExternalID == ext {
			return v
		}
	}
	return nil
}

func (s *Server) closeModalsLocked(user string) {
	for _, v := range s.views.modals[user] {
		delete(s.views.byID, v.ID)
	}
	delete(s.views.modals, user)
}

// viewAnswer is the view object Slack returns: the app's view with the ids.
func viewAnswer(v *View) obj {
	var body obj
	_ = json.Unmarshal(v.JSON, &body)
	if body == nil {
		body = obj{}
	}
	body["id"], body["team_id"], body["app_id"], body["bot_id"] = v.ID, TeamID, "A0FAKE", "B0BOT"
	body["hash"], body["root_view_id"], body["state"] = v.Hash, v.RootID, obj{"values": obj{}}
	if v.PreviousID != "" {
		body["previous_view_id"] = v.PreviousID
	}
	return obj{"ok": true, "view": body}
}

// ModalOf returns the modal user sees (the top of their stack); ok is false
// when none is open.
func (s *Server) ModalOf(user string) (v View, ok bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	stack := s.views.modals[user]
	if len(stack) == 0 {
		return View{}, false
	}
	return *stack[len(stack)-1], true
}

// ModalStack returns user's open modals, root first.
func (s *Server) ModalStack(user string) []View {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []View
	for _, v := range s.views.modals[user] {
		out = append(out, *v)
	}
	return out
}

// CloseModals closes user's modals, as the user closing them or a
// response_action "clear" does.
func (s *Server) CloseModals(user string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closeModalsLocked(user)
	s.notifyLocked()
}

// HomeOf returns the App Home published for user; ok is false when none was.
func (s *Server) HomeOf(user string) (v View, ok bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	h := s.views.homes[user]
	if h == nil {
		return View{}, false
	}
	return *h, true
}
