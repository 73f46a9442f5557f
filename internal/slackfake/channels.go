package slackfake

import "slices"

// channelState is what the fake knows of channels beyond their messages:
// whether they are private, and who is in them (conversations.info,
// conversations.members), and which users are bots (users.info).
type channelState struct {
	private map[string]bool
	members map[string][]string
	bots    map[string]bool
}

// SetPrivate makes conversations.info say channel is private (or public).
// A channel never set is public, unless its id starts with G.
func (s *Server) SetPrivate(channel string, private bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.chans.private == nil {
		s.chans.private = map[string]bool{}
	}
	s.chans.private[channel] = private
}

// SetMembers makes users (and no one else) the members of channel.
func (s *Server) SetMembers(channel string, users ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.chans.members == nil {
		s.chans.members = map[string][]string{}
	}
	s.chans.members[channel] = slices.Clone(users)
}

// Join adds user to channel's members; for BotUserID it also lifts a
// not_in_channel refusal of the channel, as inviting @Relais does.
func (s *Server) Join(channel, user string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.chans.members == nil {
		s.chans.members = map[string][]string{}
	}
	if !slices.Contains(s.chans.members[channel], user) {
		s.chans.members[channel] = append(s.chans.members[channel], user)
	}
	if user == BotUserID && s.deliv.refusedChannels[channel] == "not_in_channel" {
		delete(s.deliv.refusedChannels, channel)
	}
}

// SetBot makes users.info say user is a bot.
func (s *Server) SetBot(user string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.chans.bots == nil {
		s.chans.bots = map[string]bool{}
	}
	s.chans.bots[user] = true
}

func (s *Server) isPrivateLocked(channel string) bool {
	if p, ok := s.chans.private[channel]; ok {
		return p
	}
	return len(channel) > 0 && channel[0] == 'G'
}

// answerChannelLocked answers conversations.info and conversations.members.
func (s *Server) answerChannelLocked(method string, c Call) obj {
	ch := c.Param("channel")
	code := s.deliv.refusedChannels[ch]
	if ch == "" || code == "channel_not_found" || (code == "not_in_channel" && s.isPrivateLocked(ch)) {
		// A private channel Relais is not in does not exist, for Relais.
		return slackError("channel_not_found")
	}
	switch method {
	case "conversations.info":
		return obj{"ok": true, "channel": obj{"id": ch, "is_channel": true, "is_private": s.isPrivateLocked(ch),
			"is_archived": code == "is_archived", "is_member": code != "not_in_channel"}}
	default: // conversations.members
		members := slices.Clone(s.chans.members[ch])
		if members == nil {
			members = []string{}
		}
		return obj{"ok": true, "members": members}
	}
}

// botInfoLocked answers users.info for a user SetBot named; ok is false
// for anyone else.
func (s *Server) botInfoLocked(c Call) (obj, bool) {
	id := c.Param("user")
	if !s.chans.bots[id] && id != BotUserID {
		return nil, false
	}
	return obj{"ok": true, "user": obj{"id": id, "team_id": TeamID, "name": "bot", "is_bot": true}}, true
}
