package loadgen

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

func TestSlackSinkLimitsAndCountsByKey(t *testing.T) {
	sink := NewSlackSink(3)
	srv := httptest.NewServer(sink)
	defer srv.Close()
	post := func(key string) int {
		t.Helper()
		form := url.Values{"channel": {"U1"}, "text": {"x"},
			"metadata": {`{"event_type":"relais_delivery","event_payload":{"key":"` + key + `"}}`}}
		resp, err := http.Post(srv.URL+"/api/chat.postMessage", "application/x-www-form-urlencoded", strings.NewReader(form.Encode()))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	for i, key := range []string{"a", "b", "a"} {
		if code := post(key); code != http.StatusOK {
			t.Fatalf("post %d: %d", i, code)
		}
	}
	if code := post("c"); code != http.StatusTooManyRequests {
		t.Errorf("fourth post within a second: %d, want 429", code)
	}
	st := sink.Stats()
	if st.Posted != 3 || st.Keys != 2 || st.Duplicated != 1 || st.RateLimited != 1 {
		t.Errorf("stats = %+v", st)
	}
	resp, err := http.Get(srv.URL + "/api/conversations.history?channel=D1")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var b strings.Builder
	buf := make([]byte, 4096)
	n, _ := resp.Body.Read(buf)
	b.Write(buf[:n])
	if !strings.Contains(b.String(), `"key":"b"`) {
		t.Errorf("history lacks the posts' keys: %s", b.String())
	}
}
