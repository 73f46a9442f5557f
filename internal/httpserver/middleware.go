package httpserver

import (
	"log/slog"
	"net/http"
	"runtime/debug"
	"strconv"
	"time"
)

// unmatchedRoute labels requests no pattern matched (404, 405, redirects),
// so that scanners probing random paths cannot grow the metrics without bound.
const unmatchedRoute = "unmatched"

// probeRoutes are polled every few seconds by orchestrators and Prometheus;
// their request logs go to debug so they do not drown the rest.
var probeRoutes = map[string]bool{"GET /healthz": true, "GET /readyz": true, "GET /metrics": true}

// instrument counts, times and logs every request. The route label is the
// ServeMux pattern that matched (ServeMux records it in r.Pattern), never the
// raw path, so label cardinality stays bounded.
func (s *Server) instrument(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &recorder{ResponseWriter: w}
		defer func() {
			if p := recover(); p != nil {
				if p == http.ErrAbortHandler { //nolint:errorlint // sentinel compared as net/http does
					panic(p)
				}
				s.log.Error("panic serving request", "method", r.Method, "path", r.URL.Path,
					"panic", p, "stack", string(debug.Stack()))
				if !rec.wroteHeader {
					http.Error(rec, "internal error", http.StatusInternalServerError)
				}
			}
			route := r.Pattern
			if route == "" {
				route = unmatchedRoute
			}
			code := rec.status()
			elapsed := time.Since(start)
			s.requests.WithLabelValues(route, strconv.Itoa(code)).Inc()
			s.duration.WithLabelValues(route).Observe(elapsed.Seconds())

			level := slog.LevelInfo
			switch {
			case probeRoutes[route]:
				// Even a 503 from /readyz: readyz logs readiness changes
				// itself, once, instead of at every probe of an outage.
				level = slog.LevelDebug
			case code >= 500:
				level = slog.LevelWarn
			}
			// Only the path: query strings and bodies may carry tokens or
			// personal data.
			s.log.LogAttrs(r.Context(), level, "http request",
				slog.String("method", r.Method),
				slog.String("route", route),
				slog.String("path", r.URL.Path),
				slog.Int("status", code),
				slog.Int64("bytes", rec.bytes),
				slog.Duration("duration", elapsed),
				slog.String("remote", r.RemoteAddr),
			)
		}()
		next.ServeHTTP(rec, r)
	})
}

// recorder remembers the status code and size of a response.
type recorder struct {
	http.ResponseWriter
	code        int
	bytes       int64
	wroteHeader bool
}

func (r *recorder) WriteHeader(code int) {
	if !r.wroteHeader && code >= 200 {
		r.code, r.wroteHeader = code, true
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *recorder) Write(b []byte) (int, error) {
	if !r.wroteHeader {
		r.code, r.wroteHeader = http.StatusOK, true
	}
	n, err := r.ResponseWriter.Write(b)
	r.bytes += int64(n)
	return n, err
}

func (r *recorder) status() int {
	if !r.wroteHeader {
		return http.StatusOK // nothing written: net/http sends 200
	}
	return r.code
}

// Unwrap lets http.ResponseController reach the real writer (deadlines,
// hijacking, full-duplex).
func (r *recorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

// Flush keeps http.Flusher working for handlers that type-assert it.
func (r *recorder) Flush() {
	_ = http.NewResponseController(r.ResponseWriter).Flush()
}
