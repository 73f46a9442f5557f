package slackbot

import (
	"bytes"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pic-montreal/relais/internal/slackfake"
)

// Slack's worked example ("Verifying requests from Slack").
const (
	vectorSecret = "8f742231b10e8888abcd99yyyzzz85a5"
	vectorTS     = 1531420618
	vectorBody   = "token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c"
	vectorSig    = "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503"
)

func vectorHeader() http.Header {
	h := http.Header{}
	h.Set("X-Slack-Request-Timestamp", strconv.Itoa(vectorTS))
	h.Set("X-Slack-Signature", vectorSig)
	return h
}

func TestSignatureTestVector(t *testing.T) {
	if got := sign(vectorSecret, strconv.Itoa(vectorTS), []byte(vectorBody)); got != vectorSig {
		t.Fatalf("sign = %s, want %s", got, vectorSig)
	}
	if got := slackfake.Sign(vectorSecret, time.Unix(vectorTS, 0), []byte(vectorBody)); got != vectorSig {
		t.Fatalf("slackfake.Sign = %s, want %s", got, vectorSig)
	}
	if err := verifySignature(vectorHeader(), []byte(vectorBody), vectorSecret, time.Unix(vectorTS, 0)); err != nil {
		t.Fatalf("verify: %v", err)
	}

	// The same request through the receiver, with the clock at its timestamp.
	h := &testHandler{}
	logger, _ := testLogger()
	rc := NewHTTPHandler(Config{SigningSecret: vectorSecret, Now: func() time.Time { return time.Unix(vectorTS+10, 0) }}, h, logger)
	req, _ := http.NewRequest(http.MethodPost, PathCommands, strings.NewReader(vectorBody))
	req.Header = vectorHeader()
	req.Header.Set("Content-Type", slackfake.FormContentType)
	rec := serve(rc, req)
	if rec.Code != http.StatusOK {
		t.Fatalf("status %d: %s", rec.Code, rec.Body)
	}
	invs := h.invocations()
	if len(invs) != 1 || invs[0].Caller.SlackUserID != "U2CERLKJA" || invs[0].Caller.TeamID != "T1DC2JH3J" || invs[0].ChannelID != "G8PSS9T3V" {
		t.Fatalf("invocations = %+v", invs)
	}
	shutdown(t, rc)
}

func TestSignatureWindow(t *testing.T) {
	body := []byte(vectorBody)
	at := func(d time.Duration) time.Time { return time.Unix(vectorTS, 0).Add(d) }
	for _, tc := range []struct {
		name string
		now  time.Time
		want error
	}{
		{"exactly 5 minutes later", at(5 * time.Minute), nil},
		{"exactly 5 minutes earlier", at(-5 * time.Minute), nil},
		{"replayed", at(5*time.Minute + time.Second), errExpiredTimestamp},
		{"from the future", at(-5*time.Minute - time.Second), errExpiredTimestamp},
		{"years later", time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), errExpiredTimestamp},
	} {
		if err := verifySignature(vectorHeader(), body, vectorSecret, tc.now); !errors.Is(err, tc.want) {
			t.Errorf("%s: err = %v, want %v", tc.name, err, tc.want)
		}
	}
}

func TestBadRequestsAreRefused(t *testing.T) {
	body := slackfake.SlashCommand{Text: "aide"}.Body()
	withHeaders := func(ts, sig string) *http.Request {
		req, _ := http.NewRequest(http.MethodPost, PathCommands, bytes.NewReader(body))
		req.Header.Set("Content-Type", slackfake.FormContentType)
		if ts != "" {
			req.Header.Set("X-Slack-Request-Timestamp", ts)
		}
		if sig != "" {
			req.Header.Set("X-Slack-Signature", sig)
		}
		return req
	}
	nowTS := strconv.FormatInt(fixedNow.Unix(), 10)
	good := slackfake.Sign(testSecret, fixedNow, body)
	for _, tc := range []struct {
		name   string
		req    *http.Request
		reason string
	}{
		{"replayed", slackfake.SignedRequest(testSecret, fixedNow.Add(-6*time.Minute), PathCommands, slackfake.FormContentType, body), errExpiredTimestamp.Error()},
		{"future", slackfake.SignedRequest(testSecret, fixedNow.Add(6*time.Minute), PathCommands, slackfake.FormContentType, body), errExpiredTimestamp.Error()},
		{"wrong secret", slackfake.SignedRequest("another-secret", fixedNow, PathCommands, slackfake.FormContentType, body), errBadSignature.Error()},
		{"tampered body", func() *http.Request {
			r := withHeaders(nowTS, good)
			r.Body = ioNop(strings.Replace(string(body), "aide", "supprimer", 1))
			return r
		}(), errBadSignature.Error()},
		{"no headers", withHeaders("", ""), errMissingHeaders.Error()},
		{"no signature", withHeaders(nowTS, ""), errMissingHeaders.Error()},
		{"no timestamp", withHeaders("", good), errMissingHeaders.Error()},
		{"bad timestamp", withHeaders("yesterday", good), errBadTimestamp.Error()},
		{"huge timestamp", withHeaders("9223372036854775807", good), errExpiredTimestamp.Error()},
		{"signature without v0=", withHeaders(nowTS, strings.TrimPrefix(good, "v0=")), errBadSignature.Error()},
		{"v1 signature", withHeaders(nowTS, "v1="+strings.TrimPrefix(good, "v0=")), errBadSignature.Error()},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := &testHandler{}
			logger, logs := testLogger()
			rc := NewHTTPHandler(testConfig(nil, nil), h, logger)
			rec := serve(rc, tc.req)
			if rec.Code != http.StatusUnauthorized {
				t.Fatalf("status %d, want 401", rec.Code)
			}
			if len(h.invocations()) != 0 {
				t.Fatal("handler called for a refused request")
			}
			out := logs.String()
			for _, want := range []string{"request refused", "method=POST", "path=" + PathCommands, tc.reason} {
				if !strings.Contains(out, want) {
					t.Errorf("log lacks %q: %s", want, out)
				}
			}
			for _, secret := range []string{testSecret, "aide", good} {
				if strings.Contains(out, secret) {
					t.Errorf("log leaks %q: %s", secret, out)
				}
			}
		})
	}
}

func TestNoSecretRefusesAll(t *testing.T) {
	logger, _ := testLogger()
	rc := NewHTTPHandler(Config{Now: func() time.Time { return fixedNow }}, &testHandler{}, logger)
	body := slackfake.SlashCommand{}.Body()
	// Signed with the empty secret: must not pass either.
	rec := serve(rc, slackfake.SignedRequest("", fixedNow, PathCommands, slackfake.FormContentType, body))
	if rec.Code != http.StatusUnauthorized {
		t.Fatalf("status %d, want 401", rec.Code)
	}
}

func TestMethodPathAndSize(t *testing.T) {
	logger, _ := testLogger()
	rc := NewHTTPHandler(testConfig(nil, nil), &testHandler{}, logger)
	for _, p := range []string{PathCommands, PathInteractions, PathEvents} {
		req, _ := http.NewRequest(http.MethodGet, p, nil)
		rec := serve(rc, req)
		if rec.Code != http.StatusMethodNotAllowed || rec.Header().Get("Allow") != http.MethodPost {
			t.Errorf("GET %s: %d, Allow %q", p, rec.Code, rec.Header().Get("Allow"))
		}
	}
	if rec := serve(rc, signed("/slack/other", slackfake.JSONContentType, []byte("{}"))); rec.Code != http.StatusNotFound {
		t.Errorf("unknown path: %d", rec.Code)
	}
	big := bytes.Repeat([]byte("a"), maxBodyBytes+1)
	if rec := serve(rc, signed(PathEvents, slackfake.JSONContentType, big)); rec.Code != http.StatusRequestEntityTooLarge {
		t.Errorf("big body: %d", rec.Code)
	}
}
