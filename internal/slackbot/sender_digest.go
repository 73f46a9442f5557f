package slackbot

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"time"
)

// What the digest publisher needs besides posting: deleting a reply,
// uploading its chart in the thread, and checking who may read a channel.
// Errors are classified as for PostMessage.

// DeleteMessage deletes Relais' message ts in channel (chat.delete). A
// message already gone is no error: deleting twice is deleting once.
func (s *Sender) DeleteMessage(ctx context.Context, channel, ts string) error {
	if err := s.pace.wait(ctx, "chat.delete", channel); err != nil {
		return &NotSentError{Err: err}
	}
	var ans struct{}
	err := s.call(ctx, "chat.delete", map[string]any{"channel": channel, "ts": ts}, nil, &ans)
	if p, ok := err.(*PermanentError); ok && p.Code == "message_not_found" {
		return nil
	}
	return err
}

// ConversationInfo is what conversations.info says of a channel.
type ConversationInfo struct {
	ID         string `json:"id"`
	IsPrivate  bool   `json:"is_private"`
	IsArchived bool   `json:"is_archived"`
	IsMember   bool   `json:"is_member"`
	IsIM       bool   `json:"is_im"`
}

// ConversationInfo reads channel's privacy and state (conversations.info).
func (s *Sender) ConversationInfo(ctx context.Context, channel string) (ConversationInfo, error) {
	if err := s.pace.wait(ctx, "conversations.info", ""); err != nil {
		return ConversationInfo{}, &NotSentError{Err: err}
	}
	var ans struct {
		Channel ConversationInfo `json:"channel"`
	}
	if err := s.call(ctx, "conversations.info", nil, url.Values{"channel": {channel}}, &ans); err != nil {
		return ConversationInfo{}, err
	}
	return ans.Channel, nil
}

// maxMemberPages bounds ConversationMembers (1,000 members a page): a
// digest channel has tens of members, not tens of thousands.
const maxMemberPages = 20

// ConversationMembers lists channel's members (conversations.members), all
// pages.
func (s *Sender) ConversationMembers(ctx context.Context, channel string) ([]string, error) {
	params := url.Values{"channel": {channel}, "limit": {"1000"}}
	var out []string
	for range maxMemberPages {
		if err := s.pace.wait(ctx, "conversations.members", ""); err != nil {
			return nil, &NotSentError{Err: err}
		}
		var ans struct {
			Members []string `json:"members"`
			Meta    struct {
				NextCursor string `json:"next_cursor"`
			} `json:"response_metadata"`
		}
		if err := s.call(ctx, "conversations.members", nil, params, &ans); err != nil {
			return nil, err
		}
		out = append(out, ans.Members...)
		if ans.Meta.NextCursor == "" {
			return out, nil
		}
		params.Set("cursor", ans.Meta.NextCursor)
	}
	return nil, &PermanentError{Code: "too_many_members"}
}

// UserIsBot reports whether user is a bot or an app (users.info), which
// never counts among a channel's readers.
func (s *Sender) UserIsBot(ctx context.Context, user string) (bool, error) {
	if err := s.pace.wait(ctx, "users.info", ""); err != nil {
		return false, &NotSentError{Err: err}
	}
	var ans struct {
		User struct {
			IsBot bool   `json:"is_bot"`
			ID    string `json:"id"`
		} `json:"user"`
	}
	if err := s.call(ctx, "users.info", nil, url.Values{"user": {user}}, &ans); err != nil {
		return false, err
	}
	return ans.User.IsBot || ans.User.ID == "USLACKBOT", nil
}

// Permalink is the link to message ts in channel (chat.getPermalink).
func (s *Sender) Permalink(ctx context.Context, channel, ts string) (string, error) {
	if err := s.pace.wait(ctx, "chat.getPermalink", ""); err != nil {
		return "", &NotSentError{Err: err}
	}
	var ans struct {
		Permalink string `json:"permalink"`
	}
	if err := s.call(ctx, "chat.getPermalink", nil, url.Values{"channel": {channel}, "message_ts": {ts}}, &ans); err != nil {
		return "", err
	}
	return ans.Permalink, nil
}

// UploadFile shares data as filename in channel's thread threadTS with
// Slack's external upload flow: files.getUploadURLExternal, a POST of the
// bytes, files.completeUploadExternal with channel_id and thread_ts. Only
// the last step shows anything: a failure before it is a *NotSentError
// (the upload is abandoned, nobody sees it); after it, an *UncertainError
// means the file may be in the thread, and FindFileInThread tells.
func (s *Sender) UploadFile(ctx context.Context, channel, threadTS, filename, title string, data []byte) (fileID string, err error) {
	if err := s.pace.wait(ctx, "files.getUploadURLExternal", ""); err != nil {
		return "", &NotSentError{Err: err}
	}
	var reserved struct {
		UploadURL string `json:"upload_url"`
		FileID    string `json:"file_id"`
	}
	form := url.Values{"filename": {filename}, "length": {strconv.Itoa(len(data))}}
	if err := s.call(ctx, "files.getUploadURLExternal", nil, form, &reserved); err != nil {
		return "", notShown(err)
	}
	if err := s.postBytes(ctx, reserved.UploadURL, data); err != nil {
		return "", notShown(err)
	}
	if err := s.pace.wait(ctx, "files.completeUploadExternal", channel); err != nil {
		return "", &NotSentError{Err: err}
	}
	files, _ := json.Marshal([]map[string]string{{"id": reserved.FileID, "title": title}})
	body := url.Values{"files": {string(files)}, "channel_id": {channel}}
	if threadTS != "" {
		body.Set("thread_ts", threadTS)
	}
	var ans struct{}
	if err := s.call(ctx, "files.completeUploadExternal", nil, body, &ans); err != nil {
		return "", err
	}
	return reserved.FileID, nil
}

// notShown turns the uncertainty of a step before completeUploadExternal
// into a NotSentError: an upload never completed is shared nowhere.
func notShown(err error) error {
	if u, ok := err.(*UncertainError); ok {
		return &NotSentError{Err: u.Err}
	}
	return err
}

func (s *Sender) postBytes(ctx context.Context, uploadURL string, data []byte) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, uploadURL, bytes.NewReader(data))
	if err != nil {
		return &PermanentError{Code: "bad_upload_url"}
	}
	req.Header.Set("Content-Type", "application/octet-stream")
	req.Header.Set("Authorization", "Bearer "+s.token)
	resp, err := s.hc.Do(req)
	if err != nil {
		return &NotSentError{Err: redactErr(err)}
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<16))
	switch {
	case resp.StatusCode == http.StatusTooManyRequests:
		return &RateLimitedError{Method: "upload", RetryAfter: retryAfter(resp.Header)}
	case resp.StatusCode >= 500:
		return &NotSentError{Err: fmt.Errorf("upload: HTTP %d", resp.StatusCode)}
	case resp.StatusCode != http.StatusOK:
		return &PermanentError{Code: "upload_http_" + strconv.Itoa(resp.StatusCode)}
	}
	return nil
}

// FindFileInThread looks among thread threadTS's replies, back to since,
// for a message sharing a file named filename: the chart an uncertain
// upload may have left. It returns that message's ts and the file's id.
func (s *Sender) FindFileInThread(ctx context.Context, channel, threadTS, filename string, since time.Time) (ts, fileID string, found bool, err error) {
	params := url.Values{"channel": {channel}, "ts": {threadTS}, "limit": {"200"}}
	if !since.IsZero() {
		params.Set("oldest", strconv.FormatInt(since.Unix(), 10)+".000000")
	}
	for range historyPages {
		if err := s.pace.wait(ctx, "conversations.replies", ""); err != nil {
			return "", "", false, &NotSentError{Err: err}
		}
		var ans struct {
			Messages []struct {
				TS    string `json:"ts"`
				Files []struct {
					ID   string `json:"id"`
					Name string `json:"name"`
				} `json:"files"`
			} `json:"messages"`
			Meta struct {
				NextCursor string `json:"next_cursor"`
			} `json:"response_metadata"`
		}
		if err := s.call(ctx, "conversations.replies", nil, params, &ans); err != nil {
			return "", "", false, err
		}
		for _, m := range ans.Messages {
			for _, f := range m.Files {
				if f.Name == filename {
					return m.TS, f.ID, true, nil
				}
			}
		}
		if ans.Meta.NextCursor == "" {
			return "", "", false, nil
		}
		params.Set("cursor", ans.Meta.NextCursor)
	}
	return "", "", false, nil
}
