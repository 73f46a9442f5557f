package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/pic-montreal/relais/internal/testdb"
	"github.com/pic-montreal/relais/migrations"
)

// binary is relais built once for the tests that need real processes
// (concurrent migrations, signals).
var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "relais-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binary = filepath.Join(dir, "relais")
	build := exec.Command("go", "build", "-o", binary, ".")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintf(os.Stderr, "build relais: %v\n", err)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// runRelais calls run in-process with only the variables in vars set.
func runRelais(t *testing.T, vars map[string]string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	e := &env{getenv: func(k string) string { return vars[k] }, stdout: &out, stderr: &errOut}
	code = run(context.Background(), args, e)
	return code, out.String(), errOut.String()
}

func lines(s string) []string { return strings.Split(strings.TrimRight(s, "\n"), "\n") }

func TestHelp(t *testing.T) {
	for _, args := range [][]string{{"help"}, {"-h"}, {"--help"}} {
		code, out, errOut := runRelais(t, nil, args...)
		if code != 0 || errOut != "" {
			t.Fatalf("relais %v: exit %d, stderr %q", args, code, errOut)
		}
		for _, c := range subcommands {
			if !regexp.MustCompile(`(?m)^  ` + c.name + ` +` + regexp.QuoteMeta(c.summary) + `$`).MatchString(out) {
				t.Errorf("relais %v does not list %q with its summary:\n%s", args, c.name, out)
			}
		}
		if !strings.Contains(out, "DATABASE_URL") || !strings.Contains(out, "RELAIS_SHUTDOWN_TIMEOUT") ||
			!strings.Contains(out, "RELAIS_ALLOW_SAMPLE_DATA") {
			t.Errorf("relais %v does not list the environment variables:\n%s", args, out)
		}
	}

	// No subcommand at all is a usage error; the overview goes to stderr.
	code, out, errOut := runRelais(t, nil)
	if code != 2 || out != "" || !strings.Contains(errOut, "Subcommands:") {
		t.Fatalf("relais: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
}

func TestEverySubcommandHasHelp(t *testing.T) {
	for _, c := range subcommands {
		for _, args := range [][]string{{c.name, "-h"}, {c.name, "--help"}, {"help", c.name}} {
			code, out, errOut := runRelais(t, nil, args...)
			if code != 0 || errOut != "" {
				t.Errorf("relais %v: exit %d, stderr %q", args, code, errOut)
			}
			if !strings.HasPrefix(out, "Usage: relais "+c.name) || !strings.Contains(out, c.summary) {
				t.Errorf("relais %v printed:\n%s", args, out)
			}
		}
	}
	if code, out, _ := runRelais(t, nil, "migrate", "status", "-h"); code != 0 || !strings.HasPrefix(out, "Usage: relais migrate") {
		t.Errorf("relais migrate status -h: exit %d\n%s", code, out)
	}
}

func TestUsageErrors(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"frobnicate"}, `relais: unknown subcommand "frobnicate"; run "relais help" for the list`},
		{[]string{"help", "frobnicate"}, `relais help: unknown subcommand "frobnicate"`},
		{[]string{"help", "a", "b"}, `relais help: too many arguments`},
		{[]string{"migrate", "up"}, `relais migrate: unknown argument "up"`},
		{[]string{"migrate", "status", "extra"}, `relais migrate: unexpected argument "extra" after status`},
		{[]string{"migrate", "--force"}, `relais migrate: flag provided but not defined: -force`},
		{[]string{"serve", "now"}, `relais serve: unexpected argument "now"`},
	}
	for _, tt := range tests {
		code, out, errOut := runRelais(t, nil, tt.args...)
		if code != 2 {
			t.Errorf("relais %v: exit %d, want 2", tt.args, code)
		}
		if out != "" {
			t.Errorf("relais %v wrote to stdout: %q", tt.args, out)
		}
		if l := lines(errOut); len(l) != 1 || !strings.HasPrefix(l[0], tt.want) {
			t.Errorf("relais %v: stderr %q, want one line starting %q", tt.args, errOut, tt.want)
		}
	}
}

func TestBadConfiguration(t *testing.T) {
	tests := []struct {
		vars map[string]string
		want string
	}{
		{map[string]string{"RELAIS_HTTP_ADDR": "abc"}, `relais: RELAIS_HTTP_ADDR: "abc" is not a host:port`},
		{map[string]string{"DATABASE_URL": "mysql://db/relais"}, `relais: DATABASE_URL: scheme "mysql" is not postgres`},
		{map[string]string{"DATABASE_URL": "postgres://u:hunter2@db/"}, `relais: DATABASE_URL: postgres://u:xxxxx@db/ names no database`},
		{map[string]string{"RELAIS_LOG_LEVEL": "loud"}, `relais: RELAIS_LOG_LEVEL: "loud" is not a log level`},
		{map[string]string{"SLACK_APP_TOKEN": "xapp-1"}, `relais: SLACK_APP_TOKEN: is set but SLACK_BOT_TOKEN is not`},
		{map[string]string{"RELAIS_TIMEZONE": "Mars/Olympus"}, `relais: RELAIS_TIMEZONE: "Mars/Olympus" is not a known time zone`},
		{map[string]string{"RELAIS_SHUTDOWN_TIMEOUT": "soon"}, `relais: RELAIS_SHUTDOWN_TIMEOUT: "soon" is not a duration`},
		{map[string]string{"RELAIS_ALLOW_SAMPLE_DATA": "yes"}, `relais: RELAIS_ALLOW_SAMPLE_DATA: "yes" is not 0 or 1`},
	}
	for _, tt := range tests {
		for _, sub := range [][]string{{"serve"}, {"migrate"}, {"migrate", "status"}} {
			code, _, errOut := runRelais(t, tt.vars, sub...)
			if code != 1 {
				t.Errorf("relais %v with %v: exit %d, want 1", sub, tt.vars, code)
			}
			if l := lines(errOut); len(l) != 1 || !strings.HasPrefix(l[0], tt.want) {
				t.Errorf("relais %v with %v: stderr %q, want one line starting %q", sub, tt.vars, errOut, tt.want)
			}
			if strings.Contains(errOut, "hunter2") {
				t.Errorf("stderr shows the password: %q", errOut)
			}
		}
	}
}

// freePort returns a loopback address nothing listens on.
func freePort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

func TestUnreachableServer(t *testing.T) {
	addr := freePort(t)
	vars := map[string]string{"DATABASE_URL": "postgres://relais:hunter2@" + addr + "/relais?sslmode=disable"}
	for _, sub := range [][]string{{"migrate"}, {"migrate", "status"}, {"serve"}} {
		code, out, errOut := runRelais(t, vars, sub...)
		if code != 1 {
			t.Errorf("relais %v: exit %d, want 1", sub, code)
		}
		if sub[0] != "serve" && out != "" {
			t.Errorf("relais %v: stdout %q", sub, out)
		}
		// serve logs its start first; the error is the last line.
		l := lines(errOut)
		last := l[len(l)-1]
		// Both fixes: start the local server, or point DATABASE_URL elsewhere.
		want := "relais: cannot reach PostgreSQL at " + addr + " (connection refused); start it with: " +
			"pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start" +
			" or set DATABASE_URL to a server that runs"
		if last != want {
			t.Errorf("relais %v: last stderr line\n%q, want\n%q", sub, last, want)
		}
		if sub[0] != "serve" && len(l) != 1 {
			t.Errorf("relais %v: %d lines on stderr, want 1: %q", sub, len(l), errOut)
		}
		if strings.Contains(errOut, "hunter2") {
			t.Errorf("relais %v: stderr shows the password: %q", sub, errOut)
		}
	}
}

// adminURL is the test server's maintenance database, as testdb uses it.
func adminURL() string {
	if u := os.Getenv("TEST_DATABASE_URL"); u != "" {
		return u
	}
	return testdb.DefaultURL
}

func openAdmin(t *testing.T) *sqlx.DB {
	t.Helper()
	db, err := sqlx.Open("postgres", adminURL())
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		t.Fatalf("PostgreSQL does not answer: %v\nStart it with: %s", err, startHint)
	}
	return db
}

// newDatabaseURL returns the URL of a database with a fresh name, dropped
// when t ends. With create, the database exists and is empty; without, it
// does not exist yet and relais must create it.
func newDatabaseURL(t *testing.T, create bool) string {
	t.Helper()
	b := make([]byte, 6)
	rand.Read(b)
	name := "relais_cmd_test_" + hex.EncodeToString(b)
	admin := openAdmin(t)
	defer admin.Close()
	if create {
		if _, err := admin.Exec(fmt.Sprintf(`CREATE DATABASE %q`, name)); err != nil {
			t.Fatalf("create database: %v", err)
		}
	}
	t.Cleanup(func() {
		admin := openAdmin(t)
		defer admin.Close()
		if _, err := admin.Exec(fmt.Sprintf(`DROP DATABASE IF EXISTS %q WITH (FORCE)`, name)); err != nil {
			t.Errorf("drop database %s: %v", name, err)
		}
	})
	u, err := url.Parse(adminURL())
	if err != nil {
		t.Fatal(err)
	}
	u.Path = "/" + name
	return u.String()
}

func migrationCount(t *testing.T) int {
	t.Helper()
	files, err := fs.Glob(migrations.FS, "*.sql")
	if err != nil || len(files) == 0 {
		t.Fatalf("no migrations found: %v", err)
	}
	return len(files) + len(migrations.Go())
}

func appliedString(n int) string {
	switch n {
	case 0:
		return "applied 0 migrations: the database is up to date\n"
	case 1:
		return "applied 1 migration\n"
	}
	return fmt.Sprintf("applied %d migrations\n", n)
}

func TestMigrateAndStatus(t *testing.T) {
	n := migrationCount(t)
	vars := map[string]string{"DATABASE_URL": newDatabaseURL(t, false)}

	// status on a missing database creates it and shows everything pending.
	code, out, errOut := runRelais(t, vars, "migrate", "status")
	if code != 0 || errOut != "" {
		t.Fatalf("migrate status: exit %d, stderr %q", code, errOut)
	}
	rows := lines(out)
	if len(rows) != n+1 || !regexp.MustCompile(`^VERSION +FILE +STATE +APPLIED AT$`).MatchString(rows[0]) {
		t.Fatalf("migrate status printed:\n%s", out)
	}
	for _, r := range rows[1:] {
		if !regexp.MustCompile(`^\d+ +\d+_\S+\.(sql|go) +pending +-$`).MatchString(r) {
			t.Errorf("status row %q is not a pending migration", r)
		}
	}

	code, out, errOut = runRelais(t, vars, "migrate")
	if code != 0 || errOut != "" || out != appliedString(n) {
		t.Fatalf("migrate: exit %d, stdout %q, stderr %q", code, out, errOut)
	}

	code, out, _ = runRelais(t, vars, "migrate", "status")
	if code != 0 {
		t.Fatalf("migrate status: exit %d", code)
	}
	// Applied at is shown in RELAIS_TIMEZONE, America/Montreal by default.
	for _, r := range lines(out)[1:] {
		if !regexp.MustCompile(`^\d+ +\d+_\S+\.(sql|go) +applied +\d{4}-\d\d-\d\d \d\d:\d\d:\d\d E[SD]T$`).MatchString(r) {
			t.Errorf("status row %q is not an applied migration", r)
		}
	}

	// River's tables come from a Go migration, listed like the others.
	if !regexp.MustCompile(`(?m)^3 +0003_river\.go +applied `).MatchString(out) {
		t.Errorf("migrate status does not list River's migration as applied:\n%s", out)
	}

	code, out, _ = runRelais(t, vars, "migrate")
	if code != 0 || out != appliedString(0) {
		t.Fatalf("second migrate: exit %d, stdout %q", code, out)
	}
}

// TestConcurrentMigrate starts three `relais migrate` processes at once, as
// three replicas would, and checks that all succeed and that each migration
// was applied exactly once.
func TestConcurrentMigrate(t *testing.T) {
	n := migrationCount(t)
	for _, tc := range []struct {
		name   string
		create bool
	}{
		{"empty database", true},
		{"missing database", false}, // they also race to create it
	} {
		t.Run(tc.name, func(t *testing.T) {
			dbURL := newDatabaseURL(t, tc.create)
			type proc struct {
				cmd         *exec.Cmd
				out, errOut bytes.Buffer
			}
			procs := make([]*proc, 3)
			for i := range procs {
				p := &proc{cmd: exec.Command(binary, "migrate")}
				p.cmd.Env = []string{"DATABASE_URL=" + dbURL}
				p.cmd.Stdout, p.cmd.Stderr = &p.out, &p.errOut
				procs[i] = p
			}
			for _, p := range procs {
				if err := p.cmd.Start(); err != nil {
					t.Fatal(err)
				}
			}
			applied := 0
			for i, p := range procs {
				if err := p.cmd.Wait(); err != nil {
					t.Errorf("process %d: %v\nstdout: %s\nstderr: %s", i, err, p.out.String(), p.errOut.String())
					continue
				}
				var k int
				if _, err := fmt.Sscanf(p.out.String(), "applied %d migration", &k); err != nil {
					t.Errorf("process %d printed %q", i, p.out.String())
				}
				applied += k
			}
			if applied != n {
				t.Errorf("the processes applied %d migrations in all, want %d", applied, n)
			}

			db, err := sqlx.Open("postgres", dbURL)
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			var versions []struct {
				Version int64 `db:"version_id"`
				Count   int   `db:"n"`
			}
			if err := db.Select(&versions, `SELECT version_id, count(*) AS n FROM goose_db_version
				WHERE version_id > 0 GROUP BY version_id ORDER BY version_id`); err != nil {
				t.Fatal(err)
			}
			if len(versions) != n {
				t.Errorf("goose_db_version has %d versions, want %d", len(versions), n)
			}
			for _, v := range versions {
				if v.Count != 1 {
					t.Errorf("version %d recorded %d times", v.Version, v.Count)
				}
			}
		})
	}
}

// TestServe runs the real binary: it answers /healthz and /readyz, then
// exits 0 on SIGTERM. Its logs never show the password or tokens.
func TestServe(t *testing.T) {
	u, err := url.Parse(testdb.NewURL(t))
	if err != nil {
		t.Fatal(err)
	}
	// The test server trusts local connections, so any password works: one
	// is set only to check it never reaches the logs.
	u.User = url.UserPassword(u.User.Username(), "hunter2")

	p := startServe(t, []string{
		"DATABASE_URL=" + u.String(),
		"RELAIS_LOG_LEVEL=debug",
		"SLACK_BOT_TOKEN=xoxb-SEKRIT",
		"SLACK_SIGNING_SECRET=SEKRIT",
	})
	addr := p.addr

	for path, want := range map[string]string{"/healthz": "ok\n", "/readyz": "ready\n"} {
		resp, err := http.Get("http://" + addr + path)
		if err != nil {
			t.Fatalf("GET %s: %v", path, err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || string(body) != want {
			t.Errorf("GET %s = %d %q", path, resp.StatusCode, body)
		}
	}

	out := p.stop(t)
	if !strings.Contains(out, `"msg":"relais stopped"`) {
		t.Errorf("no clean-stop log:\n%s", out)
	}
	if strings.Contains(out, "hunter2") || strings.Contains(out, "SEKRIT") {
		t.Errorf("logs show a secret:\n%s", out)
	}
	if !strings.Contains(out, `"slack_bot_token":"(set)"`) {
		t.Errorf("start-up log lacks the redacted configuration:\n%s", out)
	}
}

// served is a `relais serve` process started by startServe.
type served struct {
	cmd      *exec.Cmd
	addr     string
	logs     *syncBuffer
	logsDone chan struct{}
}

// syncBuffer is a bytes.Buffer safe for one writer and concurrent readers.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// startServe runs `relais serve` with env (plus a free port and JSON logs)
// and waits until it listens. The process is killed when the test ends if
// stop was not called.
func startServe(t *testing.T, env []string) *served {
	t.Helper()
	cmd := exec.Command(binary, "serve")
	cmd.Env = append([]string{"RELAIS_HTTP_ADDR=127.0.0.1:0", "RELAIS_LOG_FORMAT=json"}, env...)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill() }) // a no-op after a clean stop
	p := &served{cmd: cmd, logs: &syncBuffer{}, logsDone: make(chan struct{})}
	addrc := make(chan string, 1)
	go func() {
		defer close(p.logsDone)
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			p.logs.Write(append(sc.Bytes(), '\n'))
			var rec struct {
				Msg  string `json:"msg"`
				Addr string `json:"addr"`
			}
			if json.Unmarshal(sc.Bytes(), &rec) == nil && rec.Msg == "http server listening" {
				addrc <- rec.Addr
			}
		}
	}()
	select {
	case p.addr = <-addrc:
	case <-p.logsDone:
		cmd.Wait()
		t.Fatalf("relais serve ended before listening:\n%s", p.logs.String())
	case <-time.After(30 * time.Second):
		t.Fatal("relais serve did not start listening within 30s")
	}
	return p
}

// stop sends SIGTERM, checks the process exits 0, and returns its logs.
func (p *served) stop(t *testing.T) string {
	t.Helper()
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	<-p.logsDone // stderr closes when the process exits
	done := make(chan error, 1)
	go func() { done <- p.cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("relais serve after SIGTERM: %v\n%s", err, p.logs.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatal("relais serve did not exit after SIGTERM")
	}
	return p.logs.String()
}

// TestServeStopsCleanlyWhenInterruptedEarly: a SIGTERM that arrives while
// serve is still starting is not a failure.
func TestServeStopsCleanlyWhenInterruptedEarly(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var out, errOut bytes.Buffer
	vars := map[string]string{"DATABASE_URL": testdb.NewURL(t), "RELAIS_HTTP_ADDR": "127.0.0.1:0"}
	e := &env{getenv: func(k string) string { return vars[k] }, stdout: &out, stderr: &errOut}
	if code := run(ctx, []string{"serve"}, e); code != 0 {
		t.Fatalf("serve with a cancelled context: exit %d\n%s", code, errOut.String())
	}
}
