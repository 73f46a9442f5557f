package slackfake

import (
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"strconv"
	"strings"
)

// File is a file shared in a conversation.
type File struct {
	ID    string
	Name  string // the filename given to files.getUploadURLExternal
	Title string
	Size  int
	Bytes []byte
}

func (f File) json() obj {
	return obj{"id": f.ID, "name": f.Name, "title": f.Title, "size": f.Size}
}

// fileState holds the uploads: reserved by files.getUploadURLExternal,
// filled by a POST to their URL.
type fileState struct {
	byID map[string]*upload
}

type upload struct {
	file     File
	length   int // announced
	uploaded bool
}

// answerFileLocked answers files.getUploadURLExternal and
// files.completeUploadExternal.
func (s *Server) answerFileLocked(method string, c Call) obj {
	if s.files.byID == nil {
		s.files.byID = map[string]*upload{}
	}
	switch method {
	case "files.getUploadURLExternal":
		name := c.Param("filename")
		n, err := strconv.Atoi(c.Param("length"))
		if name == "" || err != nil || n <= 0 {
			return slackError("invalid_arguments")
		}
		s.nextID++
		id := fmt.Sprintf("F%d", s.nextID)
		s.files.byID[id] = &upload{file: File{ID: id, Name: name, Title: name}, length: n}
		return obj{"ok": true, "upload_url": s.URL + "/upload/" + id, "file_id": id}
	case "files.completeUploadExternal":
		var list []struct {
			ID    string `json:"id"`
			Title string `json:"title"`
		}
		if json.Unmarshal([]byte(c.Param("files")), &list) != nil || len(list) == 0 {
			return slackError("invalid_arguments")
		}
		var files []File
		for _, f := range list {
			u := s.files.byID[f.ID]
			if u == nil || !u.uploaded {
				return slackError("file_not_found")
			}
			if f.Title != "" {
				u.file.Title = f.Title
			}
			files = append(files, u.file)
		}
		ch := c.Param("channel_id")
		if ch == "" {
			ch, _, _ = strings.Cut(c.Param("channels"), ",")
		}
		answer := make([]obj, len(files))
		for i, f := range files {
			answer[i] = obj{"id": f.ID, "title": f.Title}
		}
		if ch == "" { // uploaded, shared nowhere
			return obj{"ok": true, "files": answer}
		}
		if code := s.refusalLocked(ch); code != "" {
			return slackError(code)
		}
		if isUserID(ch) {
			ch = s.dmLocked(ch)
		}
		var parent *Message
		if ts := c.Param("thread_ts"); ts != "" {
			if parent = s.conversationMessageLocked(ch, ts); parent == nil {
				return slackError("invalid_thread_ts")
			}
		}
		m := s.newMessageLocked(ch, reply{Text: c.Param("initial_comment")})
		m.User, m.Files = BotUserID, files
		if parent != nil {
			m.ThreadTS, parent.ThreadTS = parent.TS, parent.TS
			parent.ReplyCount++
		}
		return obj{"ok": true, "files": answer}
	}
	return slackError("unknown_method")
}

// serveUpload receives a file's bytes at the URL files.getUploadURLExternal
// gave, as a multipart "file" part (slack-go) or as the raw body. It is
// recorded as a call of method "upload", which FailNext can fail.
func (s *Server) serveUpload(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	data, err := readUpload(r)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	id := strings.TrimPrefix(r.URL.Path, "/upload/")
	c := Call{Method: "upload", Path: r.URL.Path, ContentType: r.Header.Get("Content-Type"), Status: http.StatusOK}
	c.Token, _ = strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")

	s.mu.Lock()
	c.Time = s.nowLocked()
	if f, ok := s.failures["upload"]; ok && f.n > 0 {
		c.Status = f.status
		f.n--
		s.failures["upload"] = f
	}
	u := s.files.byID[id]
	if c.Status == http.StatusOK {
		if u == nil {
			c.Status = http.StatusNotFound
		} else {
			u.file.Bytes, u.file.Size, u.uploaded = data, len(data), true
		}
	}
	s.calls = append(s.calls, c)
	s.notifyLocked()
	s.mu.Unlock()

	if c.Status != http.StatusOK {
		writeFailure(w, c.Status)
		return
	}
	_, _ = fmt.Fprintf(w, "OK - %d", len(data))
}

func readUpload(r *http.Request) ([]byte, error) {
	mt, params, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if mt != "multipart/form-data" {
		return io.ReadAll(io.LimitReader(r.Body, 32<<20))
	}
	mr := multipart.NewReader(r.Body, params["boundary"])
	for {
		p, err := mr.NextPart()
		if err != nil {
			return nil, fmt.Errorf("no file part: %w", err)
		}
		if p.FormName() == "file" || p.FileName() != "" {
			return io.ReadAll(io.LimitReader(p, 32<<20))
		}
	}
}

// FilesIn returns the files shared in channel (thread replies included),
// oldest first, with their name, size and bytes.
func (s *Server) FilesIn(channel string) []File {
	var out []File
	for _, m := range s.Posted(channel) {
		out = append(out, m.Files...)
	}
	return out
}
