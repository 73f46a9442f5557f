package main

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/pic-montreal/relais/internal/testdb"
)

const sampleWarning = `"msg":"serving the fictional sample data"`

// TestServeRefusesSampleData: serve runs on an empty migrated database, but
// refuses one holding the demo data, in one line naming the variable, until
// RELAIS_ALLOW_SAMPLE_DATA=1 lets it serve (with a warning).
func TestServeRefusesSampleData(t *testing.T) {
	u := testdb.NewURL(t)
	name := databaseName(u)

	p := startServe(t, []string{"DATABASE_URL=" + u})
	if logs := p.stop(t); strings.Contains(logs, sampleWarning) {
		t.Errorf("serve warns of sample data in an empty database:\n%s", logs)
	}

	if code, _, stderr := runRelais(t, map[string]string{"DATABASE_URL": u}, "seed", "--demo"); code != 0 {
		t.Fatalf("seed --demo: %d %s", code, stderr)
	}
	// The real binary, so that a serve that does not refuse is stopped by
	// the timeout instead of hanging the test.
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, binary, "serve")
	cmd.Env = []string{"DATABASE_URL=" + u, "RELAIS_HTTP_ADDR=127.0.0.1:0", "RELAIS_LOG_FORMAT=json"}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	var exit *exec.ExitError
	if ctx.Err() != nil || !errors.As(err, &exit) || exit.ExitCode() != exitError {
		t.Fatalf("serve on the demo data: %v (want exit %d)\n%s", err, exitError, stderr.String())
	}
	if strings.Contains(stderr.String(), "http server listening") {
		t.Errorf("serve listened before refusing:\n%s", stderr.String())
	}
	// The logs of the start come first; the refusal is the last line.
	l := lines(stderr.String())
	want := "relais: database " + name + " holds the fictional sample data (relais seed --demo or --synthetic); " +
		"Slack must never see it. Use another database, or set RELAIS_ALLOW_SAMPLE_DATA=1 to serve it anyway (tests, benchmarks)"
	if last := l[len(l)-1]; last != want {
		t.Errorf("last stderr line\n%q, want\n%q", last, want)
	}

	p = startServe(t, []string{"DATABASE_URL=" + u, "RELAIS_ALLOW_SAMPLE_DATA=1"})
	resp, err := http.Get("http://" + p.addr + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("GET /readyz = %d with RELAIS_ALLOW_SAMPLE_DATA=1", resp.StatusCode)
	}
	if logs := p.stop(t); !strings.Contains(logs, sampleWarning) || !strings.Contains(logs, `"level":"WARN"`) {
		t.Errorf("serving sample data logs no warning:\n%s", logs)
	}
}
