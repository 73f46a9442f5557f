package main

import (
	"bytes"
	"encoding/json"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pic-montreal/relais/internal/digest"
)

// Mistakes are refused in one line, exit 2, before any database is needed.
func TestDigestUsageErrors(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--month", "octobre"}, `relais digest: --month "octobre" is not a month: write it YYYY-MM, e.g. 2026-10`},
		{[]string{"--month", "2026-13"}, `relais digest: --month "2026-13" is not a month`},
		{[]string{"--format", "pdf"}, `relais digest: --format "pdf": use markdown, json, blocks, png`},
		{[]string{"--lang", "de"}, `relais digest: --lang "de": use fr or en`},
		{[]string{"--audience", "everyone"}, `relais digest: --audience "everyone": use partnership or coordinators`},
		{[]string{"2026-10"}, `relais digest: unexpected argument "2026-10"`},
		{[]string{"--colour"}, `relais digest: flag provided but not defined: -colour`},
		// --send takes each channel's own language and audience.
		{[]string{"--month", "2026-10", "--send", "--lang", "en"}, `relais digest: --send posts to the digest channels, each in its own language and audience: drop --lang`},
	} {
		code, out, errOut := runRelais(t, nil, append([]string{"digest"}, c.args...)...)
		if code != 2 || out != "" {
			t.Errorf("%v: exit %d, stdout %q", c.args, code, out)
		}
		if l := lines(errOut); len(l) != 1 || !strings.HasPrefix(l[0], c.want) {
			t.Errorf("%v: stderr %q, want one line starting %q", c.args, errOut, c.want)
		}
	}
}

func TestDigestFormats(t *testing.T) {
	vars := map[string]string{"DATABASE_URL": seededDatabase(t)}

	t.Run("png to a file and to stdout", func(t *testing.T) {
		file := filepath.Join(t.TempDir(), "chart.png")
		code, out, errOut := runRelais(t, vars, "digest", "--month", "2026-10", "--format", "png", "--out", file)
		if code != 0 || out != "" || errOut != "" {
			t.Fatalf("exit %d, stdout %q, stderr %q", code, out, errOut)
		}
		b, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		checkPNG(t, b)
		code, out, errOut = runRelais(t, vars, "digest", "--month", "2026-10", "--format", "png", "--lang", "en")
		if code != 0 || errOut != "" {
			t.Fatalf("stdout: exit %d, stderr %q", code, errOut)
		}
		checkPNG(t, []byte(out))
		if out == string(b) {
			t.Error("the English chart is the French one")
		}
	})

	t.Run("json", func(t *testing.T) {
		for _, audience := range []string{"partnership", "coordinators"} {
			code, out, errOut := runRelais(t, vars, "digest", "--month", "2026-10", "--format", "json", "--audience", audience)
			if code != 0 || errOut != "" {
				t.Fatalf("%s: exit %d, stderr %q", audience, code, errOut)
			}
			var d digest.Digest
			if err := json.Unmarshal([]byte(out), &d); err != nil {
				t.Fatalf("%s: not a digest's JSON: %v\n%s", audience, err, out)
			}
			if d.Month != (digest.Month{Year: 2026, Month: 10}) || string(d.Audience) != audience {
				t.Errorf("%s: month %v, audience %q", audience, d.Month, d.Audience)
			}
		}
	})

	t.Run("blocks", func(t *testing.T) {
		code, out, errOut := runRelais(t, vars, "digest", "--month", "2026-10", "--format", "blocks", "--lang", "en")
		if code != 0 || errOut != "" {
			t.Fatalf("exit %d, stderr %q", code, errOut)
		}
		type message struct {
			Text   string            `json:"text"`
			Blocks []json.RawMessage `json:"blocks"`
		}
		var v struct {
			Parent *message  `json:"parent"`
			Thread []message `json:"thread"`
		}
		if err := json.Unmarshal([]byte(out), &v); err != nil {
			t.Fatalf("not JSON: %v\n%s", err, out)
		}
		if v.Parent == nil || !strings.Contains(v.Parent.Text, "October 2026") || len(v.Parent.Blocks) == 0 {
			t.Fatalf("parent: %+v", v.Parent)
		}
		if len(v.Thread) == 0 {
			t.Fatal("no thread reply for a month with notes")
		}
		for i, m := range v.Thread {
			if m.Text == "" || len(m.Blocks) == 0 {
				t.Errorf("reply %d: text %q, %d blocks", i, m.Text, len(m.Blocks))
			}
		}
	})

	t.Run("markdown", func(t *testing.T) {
		for lang, month := range map[string]string{"fr": "octobre 2026", "en": "October 2026"} {
			code, out, errOut := runRelais(t, vars, "digest", "--month", "2026-10", "--lang", lang)
			if code != 0 || errOut != "" || !strings.HasPrefix(out, "# ") || !strings.Contains(out, month) {
				t.Errorf("%s: exit %d, stderr %q, stdout %.200q", lang, code, errOut, out)
			}
		}
	})

	t.Run("a month without data and the markdown to a file", func(t *testing.T) {
		file := filepath.Join(t.TempDir(), "digest.md")
		code, out, errOut := runRelais(t, vars, "digest", "--month", "2030-01", "--out", file)
		if code != 0 || out != "" || errOut != "" {
			t.Fatalf("exit %d, stdout %q, stderr %q", code, out, errOut)
		}
		md, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(md), "janvier 2030") {
			t.Errorf("an empty month's digest does not name it:\n%s", md)
		}
		// Without funding in a quartier, the chart says so rather than failing.
		code, out, errOut = runRelais(t, vars, "digest", "--month", "2030-01", "--format", "png")
		if code != 0 || errOut != "" {
			t.Fatalf("png: exit %d, stderr %q", code, errOut)
		}
		checkPNG(t, []byte(out))
	})

	t.Run("an unwritable --out", func(t *testing.T) {
		code, _, errOut := runRelais(t, vars, "digest", "--month", "2026-10", "--out", filepath.Join(t.TempDir(), "no", "such", "dir.md"))
		if code != 1 || !strings.HasPrefix(errOut, "relais: write the digest: ") || len(lines(errOut)) != 1 {
			t.Errorf("exit %d, stderr %q", code, errOut)
		}
	})
}

func checkPNG(t *testing.T, b []byte) {
	t.Helper()
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("not a PNG: %v", err)
	}
	if r := img.Bounds(); r.Dx() != digest.ChartWidth || r.Dy() != digest.ChartHeight {
		t.Errorf("PNG is %dx%d, want %dx%d", r.Dx(), r.Dy(), digest.ChartWidth, digest.ChartHeight)
	}
}
