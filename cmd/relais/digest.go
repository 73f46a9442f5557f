package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/slack-go/slack"

	"github.com/pic-montreal/relais/internal/config"
	"github.com/pic-montreal/relais/internal/digest"
	"github.com/pic-montreal/relais/internal/domain"
	"github.com/pic-montreal/relais/internal/jobs"
	"github.com/pic-montreal/relais/internal/store"
)

var digestCommand = &command{
	name:    "digest",
	summary: "print a month's digest (Markdown for an e-mail, JSON, Slack blocks, the chart as PNG), or --send it",
	usage:   "[--month YYYY-MM] [--format markdown|json|blocks|png] [--lang fr|en] [--audience partnership|coordinators] [--out FILE] | --send [--month YYYY-MM]",
	help: "Prints month M's digest as Relais posts it, built from the database alone:\n" +
		"  markdown   the digest as text fit for an e-mail or the evaluation report (default)\n" +
		"  json       the digest's data\n" +
		"  blocks     the Slack messages as JSON: {\"parent\": {text, blocks}, \"thread\": [{text, blocks}…]}\n" +
		"  png        the chart of financial funding per resident by quartier (use --out or a redirection)\n" +
		"A partnership digest (the default) quotes only notes shared with the partnership; a\n" +
		"coordinators' digest quotes every note and names the Tables. A month without notes still\n" +
		"gives a short digest (funding dates, participation). Printing writes nothing to the\n" +
		"database but pending migrations.\n" +
		"--send queues the digest to every channel of RELAIS_DIGEST_CHANNELS, in each one's language and\n" +
		"audience, as a coordinator's /pic condensé envoyer does: relais serve posts it, or updates it in\n" +
		"place where it was posted.",
	run: runDigest,
}

// digestFormats are --format's values.
var digestFormats = []string{"markdown", "json", "blocks", "png"}

func runDigest(ctx context.Context, cmd *command, args []string, e *env) error {
	fs := e.flags(cmd)
	monthText := fs.String("month", "", "the month, YYYY-MM (default: the month before this one, in RELAIS_TIMEZONE)")
	format := fs.String("format", "markdown", "markdown, json, blocks or png")
	langText := fs.String("lang", "fr", "the language of the digest: fr or en")
	audienceText := fs.String("audience", string(digest.Partnership), "partnership or coordinators")
	out := fs.String("out", "", "write to FILE instead of the standard output")
	send := fs.Bool("send", false, "publish the digest to the channels of RELAIS_DIGEST_CHANNELS (a re-send updates it in place)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageErrorf("unexpected argument %q (flags only, e.g. --month 2026-10)", fs.Arg(0))
	}
	var month digest.Month
	if *monthText != "" {
		m, err := digest.Parse(*monthText)
		if err != nil {
			return usageErrorf("--month %q is not a month: write it YYYY-MM, e.g. 2026-10", *monthText)
		}
		month = m
	}
	if !slices.Contains(digestFormats, *format) {
		return usageErrorf("--format %q: use %s", *format, strings.Join(digestFormats, ", "))
	}
	lang, ok := domain.ParseLanguage(*langText)
	if !ok {
		return usageErrorf("--lang %q: use fr or en", *langText)
	}
	audience, ok := digest.ParseAudience(*audienceText)
	if !ok {
		return usageErrorf("--audience %q: use partnership or coordinators", *audienceText)
	}
	if *send {
		// Each channel has its language and audience (RELAIS_DIGEST_CHANNELS).
		var printing []string
		fs.Visit(func(f *flag.Flag) {
			if f.Name != "month" && f.Name != "send" {
				printing = append(printing, "--"+f.Name)
			}
		})
		if len(printing) > 0 {
			return usageErrorf("--send posts to the digest channels, each in its own language and audience: drop %s",
				strings.Join(printing, ", "))
		}
	}
	if *format == "png" && *out == "" && isTerminal(e.stdout) {
		return usageErrorf("--format png writes an image: give --out FILE or redirect the output to a file")
	}

	cfg, logger, err := setup(e)
	if err != nil {
		return err
	}
	if month.IsZero() {
		month = digest.MonthOf(time.Now().In(cfg.Timezone)).Prev()
	}
	st, err := openMigratedStore(ctx, cfg)
	if err != nil {
		return err
	}
	defer st.Close()
	if *send {
		return sendDigest(ctx, e, cfg, logger, st, month)
	}

	var body []byte
	if *format == "png" {
		rows, err := st.FundingPerResident(ctx, month.First(), month.Last())
		if err != nil {
			return dbError(cfg, err)
		}
		body, _, _, err = digest.Chart(month, rows, lang)
		if err != nil {
			return err
		}
	} else {
		d, err := digest.Build(ctx, st, month, audience)
		if errors.Is(err, domain.ErrInvalid) {
			return err
		} else if err != nil {
			return dbError(cfg, err)
		}
		switch *format {
		case "markdown":
			body = []byte(digest.Markdown(d, lang))
		case "json":
			if body, err = digest.JSON(d); err != nil {
				return err
			}
		case "blocks":
			if body, err = blocksJSON(digest.Messages(d, lang)); err != nil {
				return err
			}
		}
		if len(body) > 0 && body[len(body)-1] != '\n' {
			body = append(body, '\n')
		}
	}
	return writeOutput(e.stdout, *out, body)
}

// sendDigest queues month's digest to every digest channel, a re-send in
// place where it was posted, as a coordinator's `/pic condensé envoyer`
// does; relais serve posts it.
func sendDigest(ctx context.Context, e *env, cfg config.Config, logger *slog.Logger, st *store.Store, month digest.Month) error {
	if len(cfg.DigestChannels) == 0 {
		return usageErrorf("--send: %s names no channel (e.g. C0123:fr:partnership,C0456:en:coordinators)",
			config.EnvDigestChannels)
	}
	bg, err := jobs.New(st, jobs.Config{Logger: logger, CoordinationChannel: cfg.CoordinationChannel,
		DigestChannels: digestChannels(cfg), Timezone: cfg.Timezone})
	if err != nil {
		return err
	}
	queued, err := bg.PublishDigest(ctx, cliActor, month)
	if err != nil {
		return dbError(cfg, err)
	}
	for _, c := range digestChannels(cfg) {
		if slices.Contains(queued, c.Channel) {
			fmt.Fprintf(e.stdout, "queued: the digest of %s to %s (%s, %s)\n", month, c.Channel, c.Language, c.Audience)
		}
	}
	fmt.Fprintln(e.stdout, "relais serve posts it, or updates it in place where it was posted; a coordinators' digest goes only to a channel of coordinators.")
	return nil
}

// digestMessage is one Slack message of a digest, as chat.postMessage takes it.
type digestMessage struct {
	Text   string        `json:"text"`
	Blocks []slack.Block `json:"blocks"`
}

// blocksJSON is the digest's Slack messages: the parent and its thread replies.
func blocksJSON(parts []digest.Part) ([]byte, error) {
	var v struct {
		Parent *digestMessage  `json:"parent"`
		Thread []digestMessage `json:"thread"`
	}
	v.Thread = []digestMessage{}
	for i, p := range parts {
		m := digestMessage{Text: p.Text, Blocks: p.Blocks}
		if m.Blocks == nil {
			m.Blocks = []slack.Block{}
		}
		if i == 0 {
			v.Parent = &m
		} else {
			v.Thread = append(v.Thread, m)
		}
	}
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("digest blocks as JSON: %w", err)
	}
	return b, nil
}

// writeOutput writes body to the file named out, or to stdout without one.
func writeOutput(stdout io.Writer, out string, body []byte) error {
	if out == "" {
		_, err := stdout.Write(body)
		return err
	}
	if err := os.WriteFile(out, body, 0o644); err != nil {
		return fmt.Errorf("write the digest: %w", err)
	}
	return nil
}

// isTerminal reports whether w is a terminal, where an image would be noise.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}
