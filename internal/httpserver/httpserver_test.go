package httpserver

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

func newServer(t *testing.T, opts Options) *Server {
	t.Helper()
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	s, err := New(opts)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return s
}

func get(t *testing.T, h http.Handler, path string) (int, string) {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
	return rec.Code, rec.Body.String()
}

func TestHealthz(t *testing.T) {
	// Liveness must not depend on readiness: a database outage is no reason
	// to restart the process.
	s := newServer(t, Options{Ready: func(context.Context) error { return errors.New("down") }})
	code, body := get(t, s.Handler(), "/healthz")
	if code != http.StatusOK || body != "ok\n" {
		t.Fatalf("GET /healthz = %d %q", code, body)
	}
}

func TestReadyz(t *testing.T) {
	var readyErr error
	s := newServer(t, Options{Ready: func(context.Context) error { return readyErr }})

	code, body := get(t, s.Handler(), "/readyz")
	if code != http.StatusOK || body != "ready\n" {
		t.Fatalf("ready: GET /readyz = %d %q", code, body)
	}

	readyErr = errors.New("database unreachable:\n connection refused")
	code, body = get(t, s.Handler(), "/readyz")
	if code != http.StatusServiceUnavailable {
		t.Fatalf("not ready: GET /readyz = %d %q", code, body)
	}
	if body != "not ready: database unreachable: connection refused\n" {
		t.Fatalf("not ready: body %q is not the one-line reason", body)
	}
}

func TestReadyzTimesOut(t *testing.T) {
	// A check that hangs must not hang the probe.
	s := newServer(t, Options{
		ReadyTimeout: 50 * time.Millisecond,
		Ready: func(ctx context.Context) error {
			<-ctx.Done()
			return ctx.Err()
		},
	})
	start := time.Now()
	code, body := get(t, s.Handler(), "/readyz")
	if code != http.StatusServiceUnavailable || !strings.Contains(body, "deadline exceeded") {
		t.Fatalf("GET /readyz = %d %q", code, body)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Fatalf("readyz took %v", d)
	}
}

func TestMetrics(t *testing.T) {
	s := newServer(t, Options{})
	// Other packages register their own metrics on the server's registry.
	commands := prometheus.NewCounter(prometheus.CounterOpts{Name: "relais_commands_total", Help: "test"})
	s.Registry().MustRegister(commands)
	commands.Add(3)

	get(t, s.Handler(), "/healthz")
	get(t, s.Handler(), "/healthz")
	get(t, s.Handler(), "/no/such/page")
	code, body := get(t, s.Handler(), "/metrics")
	if code != http.StatusOK {
		t.Fatalf("GET /metrics = %d", code)
	}
	for _, want := range []string{
		`relais_http_requests_total{code="200",route="GET /healthz"} 2`,
		`relais_http_requests_total{code="404",route="unmatched"} 1`,
		`relais_http_request_duration_seconds_count{route="GET /healthz"} 2`,
		`relais_http_request_duration_seconds_bucket{route="GET /healthz",le="0.005"}`,
		`relais_commands_total 3`,
		`go_goroutines `,
		`process_cpu_seconds_total `,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
	if t.Failed() {
		t.Logf("/metrics:\n%s", body)
	}
}

func TestSharedRegistry(t *testing.T) {
	reg := NewRegistry()
	s := newServer(t, Options{Registry: reg})
	if s.Registry() != reg {
		t.Fatal("Registry() is not the registry passed in")
	}
	// A second server on the same registry would register the HTTP metrics
	// twice: New must say so rather than panic.
	if _, err := New(Options{Registry: reg, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}); err == nil {
		t.Fatal("New with an already used registry succeeded")
	}
}

func TestMountedHandlers(t *testing.T) {
	slack := http.NewServeMux()
	slack.HandleFunc("POST /slack/events", func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "event")
	})
	s := newServer(t, Options{Handlers: map[string]http.Handler{"/slack/": slack}})
	if err := s.Handle("GET /extra", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "extra")
	})); err != nil {
		t.Fatal(err)
	}

	rec := httptest.NewRecorder()
	s.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/slack/events", strings.NewReader("{}")))
	if rec.Code != http.StatusOK || rec.Body.String() != "event" {
		t.Fatalf("POST /slack/events = %d %q", rec.Code, rec.Body.String())
	}
	if code, body := get(t, s.Handler(), "/extra"); code != http.StatusOK || body != "extra" {
		t.Fatalf("GET /extra = %d %q", code, body)
	}
	_, metrics := get(t, s.Handler(), "/metrics")
	if !strings.Contains(metrics, `relais_http_requests_total{code="200",route="POST /slack/events"} 1`) {
		t.Errorf("mounted handler not counted by its pattern:\n%s", metrics)
	}

	// Conflicts are errors, not panics.
	if err := s.Handle("GET /healthz", http.NotFoundHandler()); err == nil {
		t.Error("mounting over /healthz succeeded")
	}
	if _, err := New(Options{Handlers: map[string]http.Handler{"GET /metrics": http.NotFoundHandler()}}); err == nil {
		t.Error("New with a handler on /metrics succeeded")
	}
}

func TestRequestLogs(t *testing.T) {
	var logs bytes.Buffer
	s := newServer(t, Options{Logger: slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelInfo}))})
	if err := s.Handle("POST /slack/commands", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.WriteHeader(http.StatusAccepted)
	})); err != nil {
		t.Fatal(err)
	}
	req := httptest.NewRequest(http.MethodPost, "/slack/commands?token=SEKRIT", strings.NewReader("text=SEKRIT-BODY"))
	req.Header.Set("Authorization", "Bearer SEKRIT")
	s.Handler().ServeHTTP(httptest.NewRecorder(), req)
	get(t, s.Handler(), "/healthz") // a probe: debug level, so not logged at info

	out := logs.String()
	if !strings.Contains(out, `"route":"POST /slack/commands"`) || !strings.Contains(out, `"status":202`) {
		t.Errorf("request log lacks route or status: %s", out)
	}
	if strings.Contains(out, "SEKRIT") {
		t.Errorf("request log leaks query, header or body: %s", out)
	}
	if strings.Contains(out, "/healthz") {
		t.Errorf("probe logged at info: %s", out)
	}
}

func TestPanicIsA500(t *testing.T) {
	s := newServer(t, Options{})
	if err := s.Handle("GET /boom", http.HandlerFunc(func(http.ResponseWriter, *http.Request) { panic("boom") })); err != nil {
		t.Fatal(err)
	}
	if code, _ := get(t, s.Handler(), "/boom"); code != http.StatusInternalServerError {
		t.Fatalf("GET /boom = %d", code)
	}
}

// listen returns a listener on a free loopback port.
func listen(t *testing.T) net.Listener {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	return ln
}

func TestGracefulShutdown(t *testing.T) {
	started := make(chan struct{})
	release := make(chan struct{})
	s := newServer(t, Options{ShutdownTimeout: 5 * time.Second})
	if err := s.Handle("GET /slow", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		close(started)
		<-release
		io.WriteString(w, "done")
	})); err != nil {
		t.Fatal(err)
	}
	ln := listen(t)
	addr := ln.Addr().String()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	served := make(chan error, 1)
	go func() { served <- s.Serve(ctx, ln) }()

	type result struct {
		code int
		body string
		err  error
	}
	got := make(chan result, 1)
	go func() {
		resp, err := http.Get("http://" + addr + "/slow")
		if err != nil {
			got <- result{err: err}
			return
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		got <- result{resp.StatusCode, string(b), err}
	}()

	<-started
	cancel() // as SIGTERM would

	// The server stops accepting new connections while the slow request runs.
	deadline := time.Now().Add(5 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", addr, 100*time.Millisecond)
		if err != nil {
			break
		}
		c.Close()
		if time.Now().After(deadline) {
			t.Fatal("server still accepts connections after cancel")
		}
		time.Sleep(10 * time.Millisecond)
	}
	select {
	case err := <-served:
		t.Fatalf("Serve returned %v before the in-flight request finished", err)
	default:
	}

	close(release)
	r := <-got
	if r.err != nil || r.code != http.StatusOK || r.body != "done" {
		t.Fatalf("in-flight request: %d %q %v", r.code, r.body, r.err)
	}
	select {
	case err := <-served:
		if err != nil {
			t.Fatalf("Serve = %v, want nil", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Serve did not return after shutdown")
	}
}

func TestShutdownTimeout(t *testing.T) {
	started := make(chan struct{})
	release := make(chan struct{})
	defer close(release)
	s := newServer(t, Options{ShutdownTimeout: 100 * time.Millisecond})
	if err := s.Handle("GET /stuck", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		close(started)
		<-release
	})); err != nil {
		t.Fatal(err)
	}
	ln := listen(t)
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- s.Serve(ctx, ln) }()
	go func() {
		resp, err := http.Get("http://" + ln.Addr().String() + "/stuck")
		if err == nil {
			resp.Body.Close()
		}
	}()
	<-started
	cancel()
	select {
	case err := <-served:
		if err == nil || !strings.Contains(err.Error(), "still running") {
			t.Fatalf("Serve = %v, want a shutdown timeout error", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Serve did not give up after the shutdown timeout")
	}
}

func TestRunReportsListenError(t *testing.T) {
	ln := listen(t)
	defer ln.Close()
	s := newServer(t, Options{Addr: ln.Addr().String()})
	err := s.Run(context.Background())
	if err == nil || !strings.Contains(err.Error(), "listen on "+ln.Addr().String()) {
		t.Fatalf("Run on a busy port = %v", err)
	}
}
