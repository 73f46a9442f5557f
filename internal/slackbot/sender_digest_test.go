package slackbot

import (
	"bytes"
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/pic-montreal/relais/internal/slackfake"
)

// The chart lands in the parent's thread, where people see it and where a
// retry finds it by name; an upload that failed before completing shows
// nothing and says so.
func TestSenderUploadsIntoTheThread(t *testing.T) {
	fake := slackfake.New(t, slackfake.Options{})
	s := fakeSender(fake)
	ctx := context.Background()
	_, parent, err := s.PostMessage(ctx, "C0DIGEST", "Condensé", nil, "", "digest:parent")
	if err != nil {
		t.Fatal(err)
	}
	png := []byte("\x89PNG\r\n\x1a\nchart")
	if _, _, found, err := s.FindFileInThread(ctx, "C0DIGEST", parent, "chart-1.png", time.Time{}); err != nil || found {
		t.Fatalf("a chart found before any upload: %v %v", found, err)
	}

	fake.FailNext("upload", 1, 503)
	_, err = s.UploadFile(ctx, "C0DIGEST", parent, "chart-1.png", "Graphique", png)
	var notSent *NotSentError
	if !errors.As(err, &notSent) {
		t.Errorf("upload refused before completing: %v, want a NotSentError", err)
	}
	if n := len(fake.FilesIn("C0DIGEST")); n != 0 {
		t.Fatalf("%d files shared after a failed upload", n)
	}

	id, err := s.UploadFile(ctx, "C0DIGEST", parent, "chart-1.png", "Graphique", png)
	if err != nil {
		t.Fatal(err)
	}
	thread := fake.Thread("C0DIGEST", parent)
	if len(thread) != 2 || len(thread[1].Files) != 1 || thread[1].Files[0].ID != id ||
		!bytes.Equal(thread[1].Files[0].Bytes, png) || thread[1].Files[0].Title != "Graphique" {
		t.Fatalf("thread after the upload: %+v", thread)
	}
	ts, fileID, found, err := s.FindFileInThread(ctx, "C0DIGEST", parent, "chart-1.png", time.Time{})
	if err != nil || !found || ts != thread[1].TS || fileID != id {
		t.Errorf("FindFileInThread = %q %q %v %v, want %q %q", ts, fileID, found, err, thread[1].TS, id)
	}

	// Deleting the file's message takes it out of the thread; twice is once.
	for range 2 {
		if err := s.DeleteMessage(ctx, "C0DIGEST", ts); err != nil {
			t.Fatal(err)
		}
	}
	if n := len(fake.Thread("C0DIGEST", parent)); n != 1 {
		t.Errorf("thread of %d after deleting the chart, want the parent alone", n)
	}

	// A channel Relais is not in refuses the upload as it refuses a post.
	fake.RefuseChannel("C0DIGEST", "not_in_channel")
	_, err = s.UploadFile(ctx, "C0DIGEST", parent, "chart-2.png", "Graphique", png)
	var refused *RefusedError
	if !errors.As(err, &refused) || refused.Code != "not_in_channel" {
		t.Errorf("upload to a channel without Relais: %v", err)
	}
}

func TestSenderReadsWhoIsInAChannel(t *testing.T) {
	fake := slackfake.New(t, slackfake.Options{})
	s := fakeSender(fake)
	ctx := context.Background()
	if info, err := s.ConversationInfo(ctx, "C0PUBLIC"); err != nil || info.IsPrivate || !info.IsMember {
		t.Errorf("public channel: %+v %v", info, err)
	}
	fake.SetPrivate("C0SECRET", true)
	fake.SetMembers("C0SECRET", "UCOORD1", "UBOT")
	fake.SetBot("UBOT")
	if info, err := s.ConversationInfo(ctx, "C0SECRET"); err != nil || !info.IsPrivate {
		t.Errorf("private channel: %+v %v", info, err)
	}
	members, err := s.ConversationMembers(ctx, "C0SECRET")
	if err != nil || !slices.Equal(members, []string{"UCOORD1", "UBOT"}) {
		t.Errorf("members = %v %v", members, err)
	}
	fake.Join("C0SECRET", "UPARTNER")
	if members, _ := s.ConversationMembers(ctx, "C0SECRET"); !slices.Contains(members, "UPARTNER") {
		t.Errorf("members after a join: %v", members)
	}
	for user, want := range map[string]bool{"UBOT": true, slackfake.BotUserID: true} {
		if bot, err := s.UserIsBot(ctx, user); err != nil || bot != want {
			t.Errorf("UserIsBot(%s) = %v %v, want %v", user, bot, err, want)
		}
	}
	fake.SetLocale("UCOORD1", "fr-CA")
	if bot, err := s.UserIsBot(ctx, "UCOORD1"); err != nil || bot {
		t.Errorf("UserIsBot(a person) = %v %v", bot, err)
	}

	// A private channel Relais was not invited to does not exist for it.
	fake.RefuseChannel("C0SECRET", "not_in_channel")
	_, err = s.ConversationInfo(ctx, "C0SECRET")
	var refused *RefusedError
	if !errors.As(err, &refused) || refused.Code != "channel_not_found" {
		t.Errorf("info of a private channel without Relais: %v", err)
	}
	fake.Join("C0SECRET", slackfake.BotUserID)
	if _, err := s.ConversationInfo(ctx, "C0SECRET"); err != nil {
		t.Errorf("info once Relais joined: %v", err)
	}
}
