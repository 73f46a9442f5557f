package slackfake

import (
	"context"
	"net/url"
	"strings"
	"testing"

	"github.com/slack-go/slack"
)

func TestFileUploadSharedInConversation(t *testing.T) {
	s := New(t, Options{})
	api, ctx := client(s), context.Background()
	_, parent, err := api.PostMessageContext(ctx, "C1", slack.MsgOptionText("Condensé d'octobre", false))
	if err != nil {
		t.Fatal(err)
	}
	content := "quartier;notes\nVerdun;3\n"
	f, err := api.UploadFileContext(ctx, slack.UploadFileParameters{Filename: "octobre.csv", Title: "Octobre",
		Content: content, FileSize: len(content), Channel: "C1", ThreadTimestamp: parent, InitialComment: "L'export"})
	if err != nil || f.ID == "" {
		t.Fatalf("upload: %+v %v", f, err)
	}
	files := s.FilesIn("C1")
	if len(files) != 1 || files[0].Name != "octobre.csv" || files[0].Title != "Octobre" ||
		files[0].Size != len(content) || string(files[0].Bytes) != content {
		t.Fatalf("FilesIn = %+v", files)
	}
	th := s.Thread("C1", parent)
	if len(th) != 2 || th[1].Text != "L'export" || len(th[1].Files) != 1 || th[0].ReplyCount != 1 {
		t.Errorf("thread = %+v", th)
	}
	if !strings.HasPrefix(s.Calls("upload")[0].Path, "/upload/") {
		t.Errorf("upload call %+v", s.Calls("upload"))
	}
	// A file never uploaded cannot be shared.
	a := call(t, s, "files.getUploadURLExternal", url.Values{"filename": {"x.txt"}, "length": {"3"}})
	if u, _ := a["upload_url"].(string); !strings.HasPrefix(u, s.URL+"/upload/") {
		t.Errorf("upload_url %v", a)
	}
	wantError(t, "complete before upload", call(t, s, "files.completeUploadExternal",
		url.Values{"files": {`[{"id":"` + a["file_id"].(string) + `"}]`}, "channel_id": {"C1"}}), "file_not_found")
}
