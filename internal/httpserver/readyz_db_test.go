package httpserver_test

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/pic-montreal/relais/internal/httpserver"
	"github.com/pic-montreal/relais/internal/store"
	"github.com/pic-montreal/relais/internal/testdb"
)

// tcpProxy forwards 127.0.0.1:port to PostgreSQL. Cut closes the listener and
// every connection, as a database outage or network partition would; Restore
// listens again on the same port.
type tcpProxy struct {
	t        *testing.T
	addr     string
	upstream string

	mu    sync.Mutex
	ln    net.Listener
	conns map[net.Conn]struct{}
}

func newTCPProxy(t *testing.T, upstream string) *tcpProxy {
	p := &tcpProxy{t: t, upstream: upstream, conns: map[net.Conn]struct{}{}}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p.addr = ln.Addr().String()
	p.serve(ln)
	t.Cleanup(p.Cut)
	return p
}

func (p *tcpProxy) serve(ln net.Listener) {
	p.mu.Lock()
	p.ln = ln
	p.mu.Unlock()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return // closed by Cut
			}
			go p.forward(c)
		}
	}()
}

func (p *tcpProxy) forward(c net.Conn) {
	up, err := net.Dial("tcp", p.upstream)
	if err != nil {
		c.Close()
		return
	}
	p.mu.Lock()
	if p.ln == nil { // cut while dialling
		p.mu.Unlock()
		c.Close()
		up.Close()
		return
	}
	p.conns[c], p.conns[up] = struct{}{}, struct{}{}
	p.mu.Unlock()
	var wg sync.WaitGroup
	wg.Add(2)
	pipe := func(dst, src net.Conn) {
		defer wg.Done()
		io.Copy(dst, src)
		// One direction ended: end both, as a real peer would.
		dst.Close()
		src.Close()
	}
	go pipe(up, c)
	go pipe(c, up)
	wg.Wait()
	p.mu.Lock()
	delete(p.conns, c)
	delete(p.conns, up)
	p.mu.Unlock()
}

// Cut stops the proxy: new connections are refused and open ones are reset.
func (p *tcpProxy) Cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ln != nil {
		p.ln.Close()
		p.ln = nil
	}
	for c := range p.conns {
		c.Close()
	}
}

// Restore listens again on the same address.
func (p *tcpProxy) Restore() {
	var ln net.Listener
	var err error
	// The port was ours a moment ago; retry briefly in case the kernel is
	// slow to release it.
	for range 50 {
		if ln, err = net.Listen("tcp", p.addr); err == nil {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err != nil {
		p.t.Fatalf("proxy: listen again on %s: %v", p.addr, err)
	}
	p.serve(ln)
}

func readyz(t *testing.T, base string) (int, string) {
	t.Helper()
	resp, err := http.Get(base + "/readyz")
	if err != nil {
		t.Fatalf("GET /readyz: %v", err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// waitForStatus polls /readyz until it answers want, as a prober would.
func waitForStatus(t *testing.T, base string, want int, within time.Duration) string {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		code, body := readyz(t, base)
		if code == want {
			return body
		}
		if time.Now().After(deadline) {
			t.Fatalf("/readyz still %d %q after %v, want %d", code, body, within, want)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestReadyzFollowsTheDatabase: /readyz says 503 while PostgreSQL cannot be
// reached and 200 again once it can, with the same process and pool.
func TestReadyzFollowsTheDatabase(t *testing.T) {
	dbURL := testdb.NewURL(t)
	u, err := url.Parse(dbURL)
	if err != nil {
		t.Fatal(err)
	}
	proxy := newTCPProxy(t, u.Host)
	u.Host = proxy.addr
	st, err := store.Open(context.Background(), u.String())
	if err != nil {
		t.Fatalf("open store through the proxy: %v", err)
	}
	defer st.Close()

	s, err := httpserver.New(httpserver.Options{
		Ready:        st.Ready,
		ReadyTimeout: time.Second,
		Logger:       slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(s.Handler())
	defer srv.Close()

	if code, body := readyz(t, srv.URL); code != http.StatusOK {
		t.Fatalf("before the outage: /readyz = %d %q", code, body)
	}

	proxy.Cut()
	body := waitForStatus(t, srv.URL, http.StatusServiceUnavailable, 5*time.Second)
	t.Logf("during the outage: %q", body)

	proxy.Restore()
	waitForStatus(t, srv.URL, http.StatusOK, 10*time.Second)

	// A second outage and recovery, to show the first one left nothing stuck.
	proxy.Cut()
	waitForStatus(t, srv.URL, http.StatusServiceUnavailable, 5*time.Second)
	proxy.Restore()
	waitForStatus(t, srv.URL, http.StatusOK, 10*time.Second)
}
