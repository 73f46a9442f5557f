package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/pic-montreal/relais/internal/config"
	"github.com/pic-montreal/relais/internal/loadgen"
	"github.com/pic-montreal/relais/internal/seed"
)

var loadgenCommand = &command{
	name:    "loadgen",
	summary: "send signed slash commands at a fixed rate and report latency percentiles",
	usage:   "[--rate R --duration D | --ramp FROM:TO:STEP] [--mix KINDS] [--pid PID] | --explain | --slack-sink ADDR",
	help: "Open-loop load against a running `relais serve` loaded with `relais seed\n" +
		"--synthetic`: request i is due at start + i/rate and its latency runs from\n" +
		"that due time to the last byte of the reply, however late it was sent.\n" +
		"Requests beyond --max-inflight are dropped and counted, never queued.\n" +
		"A reply counts as good when it is HTTP 200 and a Slack JSON message that\n" +
		"answers the command (not the \"looking it up\" ack nor an error text).\n" +
		"  --ramp     run successive steps of --duration each and report the first\n" +
		"             rate whose p99 passes --limit (or where over 1% fail)\n" +
		"  --pid      sample that process's resident memory (/proc/PID/status)\n" +
		"  --explain  send no load: run the store queries behind quartier,\n" +
		"             financement and chercher on DATABASE_URL with auto_explain\n" +
		"             and print the plans PostgreSQL executed (needs a superuser)\n" +
		"  --slack-sink ADDR  send no load: stand in for Slack's Web API on ADDR\n" +
		"             (point SLACK_API_URL at http://ADDR/api), accepting at most\n" +
		"             --sink-limit chat.postMessage in any second (429 beyond), and\n" +
		"             serve GET /stats: posts, duplicates by delivery key, 429s\n" +
		"Lines starting with #result, #ramp and #rss are for scripts (scripts/bench.sh).\n" +
		"Never run it in CI: its figures depend on the machine.",
	run: runLoadgen,
}

func runLoadgen(ctx context.Context, cmd *command, args []string, e *env) error {
	fs := e.flags(cmd)
	target := fs.String("url", "http://127.0.0.1:8080/slack/commands", "slash-command endpoint of the server")
	secret := fs.String("secret", "", "signing secret (default $"+config.EnvSlackSigningSecret+")")
	mixFlag := fs.String("mix", "quartier,financement", "kinds of command, comma-separated: "+strings.Join(loadgen.Kinds, ", "))
	rate := fs.Float64("rate", 300, "requests per second")
	duration := fs.Duration("duration", 30*time.Second, "how long to send, or each ramp step")
	ramp := fs.String("ramp", "", "FROM:TO:STEP requests per second, e.g. 300:2000:200")
	limit := fs.Duration("limit", 100*time.Millisecond, "ramp: the p99 that ends the ramp")
	pause := fs.Duration("pause", 2*time.Second, "ramp: rest between steps")
	pid := fs.Int("pid", 0, "process whose resident memory to sample (the server's)")
	explain := fs.Bool("explain", false, "print the plans of the heaviest queries instead of sending load")
	sinkAddr := fs.String("slack-sink", "", "host:port on which to stand in for Slack's Web API instead of sending load")
	sinkLimit := fs.Int("sink-limit", 50, "slack sink: chat.postMessage accepted in any one-second window")
	maxInFlight := fs.Int("max-inflight", loadgen.DefaultMaxInFlight, "requests awaiting a reply before new ones are dropped")
	timeout := fs.Duration("timeout", loadgen.DefaultTimeout, "give up on one request after this long")
	quartiers := fs.Int("quartiers", seed.FullSynthetic.Quartiers, "quartiers the synthetic data was seeded with")
	randSeed := fs.Uint64("seed", 1, "random seed of the command sequence")
	label := fs.String("label", "", "name of this run in the #result lines")
	timeline := fs.Bool("timeline", false, "also print the run second by second (warm-up, stalls)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageErrorf("unexpected argument %q", fs.Arg(0))
	}
	if *sinkAddr != "" {
		return runSlackSink(ctx, e, *sinkAddr, *sinkLimit)
	}
	corpus := loadgen.SyntheticCorpus(*quartiers)

	if *explain {
		cfg, _, err := setup(e)
		if err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "Plans of the store queries behind /pic quartier, financement and chercher,\n"+
			"as PostgreSQL executed them (auto_explain, ANALYZE and BUFFERS), on %s\n", cfg.RedactedDatabaseURL())
		calls, err := loadgen.Explain(ctx, cfg.DatabaseURL, corpus, e.stdout)
		if err != nil {
			return err
		}
		loadgen.WriteExplainSummary(e.stdout, calls)
		return nil
	}

	mix, err := loadgen.ParseMix(*mixFlag)
	if err != nil {
		return usageErrorf("--mix: %v", err)
	}
	if *secret == "" {
		*secret = e.getenv(config.EnvSlackSigningSecret)
	}
	if *secret == "" {
		return usageErrorf("no signing secret: pass --secret or set %s", config.EnvSlackSigningSecret)
	}
	if *duration <= 0 || *maxInFlight <= 0 || *timeout <= 0 {
		return usageErrorf("--duration, --max-inflight and --timeout must be positive")
	}
	var rates []float64
	if *ramp != "" {
		if rates, err = loadgen.ParseRamp(*ramp); err != nil {
			return usageErrorf("--ramp: %v", err)
		}
	} else if *rate <= 0 {
		return usageErrorf("--rate must be positive")
	}
	if *label == "" {
		*label = strings.ReplaceAll(*mixFlag, ",", "+")
	}

	gen := loadgen.NewGenerator(corpus, mix, *randSeed)
	opts := loadgen.Options{URL: *target, Secret: *secret, Rate: *rate, Duration: *duration, Next: gen.Next,
		MaxInFlight: *maxInFlight, Timeout: *timeout, Client: loadgen.NewClient(*maxInFlight)}
	if err := loadgen.Check(opts); err != nil {
		return err
	}
	var rss *loadgen.RSSSampler
	if *pid > 0 {
		if _, err := os.Stat(fmt.Sprintf("/proc/%d/status", *pid)); err != nil {
			return usageErrorf("--pid %d: no such process (or no /proc)", *pid)
		}
		rss = loadgen.StartRSS(*pid, 100*time.Millisecond)
	}

	if rates != nil {
		fmt.Fprintf(e.stdout, "ramp %s: %s, %s per step, p99 limit %s\n", *label, *ramp, *duration, *limit)
		loadgen.WriteRampHeader(e.stdout)
		rr, rerr := loadgen.Ramp(ctx, opts, rates, *limit, *pause, func(r loadgen.Result) {
			loadgen.WriteRampStep(e.stdout, r, *limit)
		})
		loadgen.WriteRampVerdict(e.stdout, rr)
		for _, s := range rr.Steps {
			for _, l := range loadgen.ResultLines(fmt.Sprintf("%s@%g", *label, s.Rate), s) {
				fmt.Fprintln(e.stdout, l)
			}
		}
		fmt.Fprintf(e.stdout, "#ramp label=%s limit_ms=%g sustained=%g breach=%g reason=%q\n", *label,
			float64(*limit)/float64(time.Millisecond), rr.Sustained, rr.BreachRate, rr.BreachReason)
		err = rerr
	} else {
		var res loadgen.Result
		res, err = loadgen.Run(ctx, opts)
		loadgen.WriteResult(e.stdout, *label, res)
		if *timeline {
			loadgen.WriteTimeline(e.stdout, res)
		}
		for _, l := range loadgen.ResultLines(*label, res) {
			fmt.Fprintln(e.stdout, l)
		}
	}
	if rss != nil {
		r := rss.Stop()
		fmt.Fprintf(e.stdout, "server RSS (pid %d): max sampled %.1f MiB, peak since start (VmHWM) %.1f MiB, %d samples\n",
			*pid, float64(r.MaxKB)/1024, float64(r.PeakKB)/1024, r.Samples)
		if r.Err != nil {
			fmt.Fprintf(e.stdout, "  last sampling error: %v\n", r.Err)
		}
		fmt.Fprintf(e.stdout, "#rss label=%s max_kb=%d peak_kb=%d samples=%d\n", *label, r.MaxKB, r.PeakKB, r.Samples)
	}
	if errors.Is(err, context.Canceled) {
		return nil // interrupted: what was measured is printed above
	}
	return err
}

// runSlackSink serves a loadgen.SlackSink until ctx ends, then prints what
// it saw, with a #sink line for scripts.
func runSlackSink(ctx context.Context, e *env, addr string, limit int) error {
	if limit <= 0 {
		return usageErrorf("--sink-limit must be positive")
	}
	sink := loadgen.NewSlackSink(limit)
	srv := &http.Server{Addr: addr, Handler: sink, ReadHeaderTimeout: 5 * time.Second}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("slack sink: %w", err)
	}
	fmt.Fprintf(e.stdout, "slack sink on http://%s/api, %d chat.postMessage per second at most\n", ln.Addr(), limit)
	go func() {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
	}()
	if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	st := sink.Stats()
	fmt.Fprintf(e.stdout, "#sink posted=%d keys=%d duplicated=%d rate_limited=%d requests=%d seconds=%.2f\n",
		st.Posted, st.Keys, st.Duplicated, st.RateLimited, st.Requests, st.Seconds)
	return nil
}
