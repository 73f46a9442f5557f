// Package httpserver is the HTTP side of `relais serve`: liveness and
// readiness probes, Prometheus metrics, request logging, and a place where
// other packages mount their handlers (the Slack receivers under /slack/).
// It knows nothing of Slack or SQL: readiness is whatever Options.Ready says.
package httpserver

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Defaults for the zero values of Options.
const (
	DefaultReadyTimeout    = 2 * time.Second
	DefaultShutdownTimeout = 15 * time.Second
)

// ReadyFunc reports whether the service can do its work; (*store.Store).Ready
// fits. It should honour ctx: readiness probes have a short deadline.
type ReadyFunc func(ctx context.Context) error

// Options configure a Server. Only Addr is required.
type Options struct {
	// Addr is the host:port Run listens on.
	Addr string
	// Ready backs GET /readyz; nil means always ready.
	Ready ReadyFunc
	// ReadyTimeout bounds one readiness check (default 2s), so a database
	// that hangs makes /readyz answer 503, not time out the prober.
	ReadyTimeout time.Duration
	// ShutdownTimeout bounds how long Run waits for in-flight requests after
	// its context ends (default 15s).
	ShutdownTimeout time.Duration
	// Logger receives request logs and server errors (default slog.Default()).
	Logger *slog.Logger
	// Registry is where the server's metrics go and what /metrics serves.
	// nil makes a new one with NewRegistry. Pass your own to register other
	// packages' metrics before the server exists; either way Server.Registry
	// returns it.
	Registry *prometheus.Registry
	// Handlers are mounted on the server's mux, pattern to handler, with
	// http.ServeMux pattern syntax ("/slack/", "POST /slack/events"). A
	// pattern that conflicts with another makes New fail.
	Handlers map[string]http.Handler
}

// Server is Relais' HTTP server. Build it with New, mount more handlers with
// Handle if needed, then call Run (or Serve with your own listener).
type Server struct {
	opts     Options
	log      *slog.Logger
	mux      *http.ServeMux
	registry *prometheus.Registry
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
	handler  http.Handler

	readyMu  sync.Mutex
	wasReady *bool // last readiness outcome, to log changes only
}

// NewRegistry returns a private Prometheus registry with the Go runtime and
// process collectors, as the default global registry would have.
func NewRegistry() *prometheus.Registry {
	reg := prometheus.NewRegistry()
	reg.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	)
	return reg
}

// New builds a Server with /healthz, /readyz, /metrics and opts.Handlers.
func New(opts Options) (*Server, error) {
	if opts.ReadyTimeout <= 0 {
		opts.ReadyTimeout = DefaultReadyTimeout
	}
	if opts.ShutdownTimeout <= 0 {
		opts.ShutdownTimeout = DefaultShutdownTimeout
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.Registry == nil {
		opts.Registry = NewRegistry()
	}
	s := &Server{
		opts:     opts,
		log:      opts.Logger,
		mux:      http.NewServeMux(),
		registry: opts.Registry,
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "relais_http_requests_total",
			Help: "HTTP requests served, by route pattern and status code.",
		}, []string{"route", "code"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "relais_http_request_duration_seconds",
			Help:    "Time to serve an HTTP request, by route pattern.",
			Buckets: prometheus.DefBuckets,
		}, []string{"route"}),
	}
	for _, c := range []prometheus.Collector{s.requests, s.duration} {
		if err := s.registry.Register(c); err != nil {
			return nil, fmt.Errorf("register HTTP metrics: %w", err)
		}
	}

	if err := s.Handle("GET /healthz", http.HandlerFunc(s.healthz)); err != nil {
		return nil, err
	}
	if err := s.Handle("GET /readyz", http.HandlerFunc(s.readyz)); err != nil {
		return nil, err
	}
	metrics := promhttp.HandlerFor(s.registry, promhttp.HandlerOpts{
		Registry:          s.registry, // counts its own scrape errors
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
		EnableOpenMetrics: true,
	})
	if err := s.Handle("GET /metrics", metrics); err != nil {
		return nil, err
	}
	for pattern, h := range opts.Handlers {
		if err := s.Handle(pattern, h); err != nil {
			return nil, err
		}
	}
	s.handler = s.instrument(s.mux)
	return s, nil
}

// Handle mounts h at pattern (http.ServeMux syntax). Call it before Run; a
// pattern that is invalid or conflicts with one already mounted is an error
// rather than ServeMux's panic.
func (s *Server) Handle(pattern string, h http.Handler) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("mount %q: %v", pattern, r)
		}
	}()
	s.mux.Handle(pattern, h)
	return nil
}

// Registry is the registry /metrics serves; register other metrics on it.
func (s *Server) Registry() *prometheus.Registry { return s.registry }

// Handler is the full handler chain (logging, metrics, routes), for tests
// with httptest or for embedding in another server.
func (s *Server) Handler() http.Handler { return s.handler }

func (s *Server) healthz(w http.ResponseWriter, _ *http.Request) {
	// Alive means this process answers; it says nothing of the database, so
	// a database outage never gets the process restarted in a loop.
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	fmt.Fprintln(w, "ok")
}

func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	var err error
	if s.opts.Ready != nil {
		ctx, cancel := context.WithTimeout(r.Context(), s.opts.ReadyTimeout)
		err = s.opts.Ready(ctx)
		cancel()
	}
	s.noteReadiness(err)
	if err != nil {
		w.WriteHeader(http.StatusServiceUnavailable)
		fmt.Fprintf(w, "not ready: %s\n", oneLine(err.Error()))
		return
	}
	fmt.Fprintln(w, "ready")
}

// noteReadiness logs when readiness changes, not on every probe: a prober
// polls every few seconds and a long outage would flood the log.
func (s *Server) noteReadiness(err error) {
	ready := err == nil
	s.readyMu.Lock()
	changed := s.wasReady == nil || *s.wasReady != ready
	s.wasReady = &ready
	s.readyMu.Unlock()
	switch {
	case !changed:
	case ready:
		s.log.Info("ready")
	default:
		s.log.Warn("not ready", "err", oneLine(err.Error()))
	}
}

func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

// Run listens on Options.Addr and serves until ctx ends, then shuts down
// gracefully (see Serve).
func (s *Server) Run(ctx context.Context) error {
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", s.opts.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", s.opts.Addr, err)
	}
	return s.Serve(ctx, ln)
}

// Serve serves on ln until ctx ends. It then stops accepting connections and
// waits up to Options.ShutdownTimeout for in-flight requests to finish, and
// returns nil. It returns an error if serving fails, or if requests were
// still running when the timeout ran out (they are then cut off).
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	srv := &http.Server{
		Handler: s.handler,
		// Slowloris guard; the Slack package limits body sizes itself.
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
		// Requests get a context of their own, not ctx: cancelling ctx must
		// let in-flight requests finish, not abort them.
		BaseContext: func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
	}
	s.log.Info("http server listening", "addr", ln.Addr().String())

	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()

	select {
	case err := <-errc:
		return fmt.Errorf("http server: %w", err)
	case <-ctx.Done():
	}
	s.log.Info("http server shutting down", "timeout", s.opts.ShutdownTimeout)
	sctx, cancel := context.WithTimeout(context.Background(), s.opts.ShutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		srv.Close()
		<-errc
		return fmt.Errorf("http server shutdown: requests still running after %s: %w", s.opts.ShutdownTimeout, err)
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("http server: %w", err)
	}
	s.log.Info("http server stopped")
	return nil
}
