package loadgen

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/pic-montreal/relais/internal/domain"
	"github.com/pic-montreal/relais/internal/i18n"
	"github.com/pic-montreal/relais/internal/slackfake"
)

// Defaults for the zero values of Options.
const (
	DefaultMaxInFlight = 2000
	DefaultTimeout     = 10 * time.Second
)

// maxReplyBytes bounds a reply read; Slack refuses messages far smaller.
const maxReplyBytes = 4 << 20

// Options describe one run at a fixed rate.
type Options struct {
	// URL is the slash-command endpoint, e.g. http://127.0.0.1:8080/slack/commands.
	URL string
	// Secret signs the requests, as Slack does with the app's signing secret.
	Secret string
	// Rate is requests per second; Duration how long requests are scheduled.
	Rate     float64
	Duration time.Duration
	// Next draws the command of each request. Only the scheduler calls it,
	// ahead of the request's due time, so it needs no locking.
	Next func() Command
	// MaxInFlight caps requests awaiting a reply; a request due while the cap
	// is reached is dropped and counted, so the schedule never waits for the
	// server. Default DefaultMaxInFlight.
	MaxInFlight int
	// Timeout bounds one request, from when it is sent; default DefaultTimeout.
	Timeout time.Duration
	// Client sends the requests; default NewClient(MaxInFlight). Share one
	// between runs so its keep-alive connections are reused.
	Client *http.Client
}

// NewClient returns an HTTP/1.1 client that keeps up to maxConns connections
// alive, as many as requests may be in flight: a connection opened per
// request would measure TCP set-up, and exhaust ports at high rates.
func NewClient(maxConns int) *http.Client {
	if maxConns <= 0 {
		maxConns = DefaultMaxInFlight
	}
	return &http.Client{
		Transport: &http.Transport{
			Proxy:               nil, // the target is local; never go through a proxy
			DialContext:         (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
			MaxIdleConns:        maxConns,
			MaxIdleConnsPerHost: maxConns,
			IdleConnTimeout:     90 * time.Second,
			DisableCompression:  true,
		},
		// Slack does not follow redirects either.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

func (o Options) withDefaults() (Options, error) {
	u, err := url.Parse(o.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return o, fmt.Errorf("target URL %q is not an http(s) URL", o.URL)
	}
	if o.Secret == "" {
		return o, errors.New("no signing secret: the server would refuse every request")
	}
	if o.Rate <= 0 || o.Duration <= 0 {
		return o, fmt.Errorf("rate (%g/s) and duration (%s) must be positive", o.Rate, o.Duration)
	}
	if o.Next == nil {
		return o, errors.New("no command generator")
	}
	if o.MaxInFlight <= 0 {
		o.MaxInFlight = DefaultMaxInFlight
	}
	if o.Timeout <= 0 {
		o.Timeout = DefaultTimeout
	}
	if o.Client == nil {
		o.Client = NewClient(o.MaxInFlight)
	}
	return o, nil
}

// Counts classify the requests of a run. Every due request is in exactly one
// of OK, Dropped, Errors, Non200, SlowAcks, ErrorReplies and BadReplies.
type Counts struct {
	Due int // requests the schedule held
	OK  int // HTTP 200 with a Slack JSON reply that answers the command
	// Dropped were never sent: MaxInFlight requests were already in flight.
	Dropped int
	// Errors got no full response: connection errors and timeouts.
	Errors int
	Non200 int
	// SlowAcks are the "looking it up" acknowledgement: the reply missed
	// the server's ack budget and would have gone to response_url.
	SlowAcks int
	// ErrorReplies are 200s carrying Relais' internal-error or timeout text.
	ErrorReplies int
	// BadReplies are 200s whose body is not a Slack message.
	BadReplies int
}

// Failed counts the requests that did not get a good reply in time.
func (c Counts) Failed() int {
	return c.Dropped + c.Errors + c.Non200 + c.SlowAcks + c.ErrorReplies + c.BadReplies
}

func (c *Counts) add(o Counts) {
	c.Due += o.Due
	c.OK += o.OK
	c.Dropped += o.Dropped
	c.Errors += o.Errors
	c.Non200 += o.Non200
	c.SlowAcks += o.SlowAcks
	c.ErrorReplies += o.ErrorReplies
	c.BadReplies += o.BadReplies
}

// KindResult is the outcome of one kind of command (or of all, Kind "all").
// Latency covers every request that got a full response, good or not, from
// its due time to the last byte of the reply; requests that got none are
// counted in Dropped and Errors.
type KindResult struct {
	Kind string
	Counts
	Latency Summary
}

// Result is the outcome of a run.
type Result struct {
	Rate     float64
	Duration time.Duration
	// Elapsed runs from the first due time to the last reply.
	Elapsed time.Duration
	All     KindResult
	ByKind  []KindResult // in Kinds order, only the kinds sent
	// SendLag is how late requests left after their due time: the
	// generator's own health. Large values mean the machine could not keep
	// the schedule (the latencies still count from the due time).
	SendLag Summary
	// Timeline is the run second by second (by due time), to see a warm-up
	// or a stall that the whole-run percentiles blur.
	Timeline []Second
}

// Second is one second of a run, all kinds together.
type Second struct {
	Second int // from the start of the run
	Counts
	Latency Summary
}

// AchievedRate is the replies per second over the run's schedule.
func (r Result) AchievedRate() float64 {
	if r.Duration <= 0 {
		return 0
	}
	return float64(r.All.Due-r.All.Dropped-r.All.Errors) / r.Duration.Seconds()
}

// Breached reports whether a run misses a p99 limit: some kind's p99 (or all
// kinds') is above it, or more than 1% of the requests failed, which makes
// the p99 of the good replies meaningless. The reason says which.
func (r Result) Breached(limit time.Duration) (bool, string) {
	for _, k := range append([]KindResult{r.All}, r.ByKind...) {
		if k.Due > 0 && float64(k.Failed()) > 0.01*float64(k.Due) {
			return true, fmt.Sprintf("%s: %d of %d requests failed", k.Kind, k.Failed(), k.Due)
		}
		if k.Latency.P99 > limit {
			return true, fmt.Sprintf("%s: p99 %s > %s", k.Kind, ms(k.Latency.P99), ms(limit))
		}
	}
	return false, ""
}

// class is what one request's reply turned out to be.
type class int

const (
	classOK class = iota
	classDropped
	classError
	classNon200
	classSlowAck
	classErrorReply
	classBadReply
)

// recorder gathers outcomes from the request goroutines.
type recorder struct {
	t0        time.Time
	mu        sync.Mutex
	counts    map[string]*Counts
	latencies map[string][]time.Duration
	lags      []time.Duration
	seconds   map[int]*second
}

type second struct {
	counts    Counts
	latencies []time.Duration
}

func newRecorder(t0 time.Time) *recorder {
	return &recorder{t0: t0, counts: map[string]*Counts{}, latencies: map[string][]time.Duration{}, seconds: map[int]*second{}}
}

func (rec *recorder) record(kind string, due time.Time, c class, latency time.Duration, hasLatency bool) {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	n := rec.counts[kind]
	if n == nil {
		n = &Counts{}
		rec.counts[kind] = n
	}
	i := int(due.Sub(rec.t0) / time.Second)
	sec := rec.seconds[i]
	if sec == nil {
		sec = &second{}
		rec.seconds[i] = sec
	}
	n.count(c)
	sec.counts.count(c)
	if hasLatency {
		rec.latencies[kind] = append(rec.latencies[kind], latency)
		sec.latencies = append(sec.latencies, latency)
	}
}

// count adds one request of class c.
func (n *Counts) count(c class) {
	n.Due++
	switch c {
	case classOK:
		n.OK++
	case classDropped:
		n.Dropped++
	case classError:
		n.Errors++
	case classNon200:
		n.Non200++
	case classSlowAck:
		n.SlowAcks++
	case classErrorReply:
		n.ErrorReplies++
	case classBadReply:
		n.BadReplies++
	}
}

func (rec *recorder) lag(d time.Duration) {
	rec.mu.Lock()
	rec.lags = append(rec.lags, d)
	rec.mu.Unlock()
}

func (rec *recorder) result(o Options, elapsed time.Duration) Result {
	res := Result{Rate: o.Rate, Duration: o.Duration, Elapsed: elapsed, All: KindResult{Kind: "all"}}
	var all []time.Duration
	for _, kind := range Kinds {
		c, ok := rec.counts[kind]
		if !ok {
			continue
		}
		lat := rec.latencies[kind]
		all = append(all, lat...)
		res.All.add(*c)
		res.ByKind = append(res.ByKind, KindResult{Kind: kind, Counts: *c, Latency: Summarize(lat)})
	}
	res.All.Latency = Summarize(all)
	res.SendLag = Summarize(rec.lags)
	for i := range int(o.Duration/time.Second) + 1 {
		if sec, ok := rec.seconds[i]; ok {
			res.Timeline = append(res.Timeline, Second{Second: i, Counts: sec.counts, Latency: Summarize(sec.latencies)})
		}
	}
	return res
}

// Run sends o.Rate·o.Duration requests, request i due at t0 + i/o.Rate, and
// waits for every reply (or its timeout). Ending ctx stops the schedule: the
// requests already sent are still waited for and counted, and Run returns
// what it measured with ctx's error.
func Run(ctx context.Context, o Options) (Result, error) {
	o, err := o.withDefaults()
	if err != nil {
		return Result{}, err
	}
	wait := o.dispatch(ctx, o.send)
	return wait(), ctx.Err()
}

// sendFunc sends one command due at due and classifies the reply; ok is
// false when there was no response to time.
type sendFunc func(cmd Command, due time.Time) (c class, latency time.Duration, ok bool)

// dispatch runs the schedule, each request in a goroutine of its own, and
// returns once every request is sent or dropped; wait then waits for the
// replies. Split so tests can look between the two.
func (o Options) dispatch(ctx context.Context, send sendFunc) (wait func() Result) {
	n := int(o.Rate*o.Duration.Seconds() + 0.5)
	interval := float64(time.Second) / o.Rate
	// Start a little ahead, so drawing the first command is not late.
	t0 := time.Now().Add(10 * time.Millisecond)
	rec := newRecorder(t0)
	inFlight := make(chan struct{}, o.MaxInFlight)
	var wg sync.WaitGroup
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
schedule:
	for i := range n {
		// Multiplying, not adding intervals, keeps rounding from drifting.
		due := t0.Add(time.Duration(float64(i) * interval))
		cmd := o.Next()
		if d := time.Until(due); d > 0 {
			timer.Reset(d)
			select {
			case <-ctx.Done():
				break schedule
			case <-timer.C:
			}
		} else if ctx.Err() != nil {
			break schedule
		}
		select {
		case inFlight <- struct{}{}:
		default:
			rec.record(cmd.Kind, due, classDropped, 0, false)
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-inFlight }()
			rec.lag(time.Since(due))
			c, latency, ok := send(cmd, due)
			rec.record(cmd.Kind, due, c, latency, ok)
		}()
	}
	return func() Result {
		wg.Wait()
		return rec.result(o, time.Since(t0))
	}
}

// send posts cmd signed with the current time, reads the whole reply, and
// classifies it; the latency runs from due, not from the send.
func (o Options) send(cmd Command, due time.Time) (class, time.Duration, bool) {
	// Not the run's context: a request already sent is waited for, so that
	// stopping early does not count the replies in flight as errors.
	ctx, cancel := context.WithTimeout(context.Background(), o.Timeout)
	defer cancel()
	body := slackfake.SlashCommand{UserID: cmd.UserID, Text: cmd.Text}.Body()
	req := slackfake.SignedRequest(o.Secret, time.Now(), o.URL, slackfake.FormContentType, body).WithContext(ctx)
	resp, err := o.Client.Do(req)
	if err != nil {
		return classError, 0, false
	}
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxReplyBytes))
	resp.Body.Close()
	latency := time.Since(due)
	if err != nil {
		return classError, 0, false
	}
	return classify(resp.StatusCode, b), latency, true
}

// Sentences of the transport's and the router's failure replies, in both
// languages: a 200 whose text holds one of them is not an answer. Matched
// as substrings, since the transport may send both languages in one text.
var (
	slowTexts  = texts("error.slow")
	errorTexts = texts("error.internal", "error.timeout")
)

func texts(keys ...string) []string {
	var out []string
	for _, lang := range []domain.Language{domain.French, domain.English} {
		for _, k := range keys {
			out = append(out, i18n.T(lang, k))
		}
	}
	return out
}

func holdsAny(text string, sentences []string) bool {
	for _, s := range sentences {
		if strings.Contains(text, s) {
			return true
		}
	}
	return false
}

// classify checks a reply is a Slack message (JSON with a text) that
// answers the command.
func classify(status int, body []byte) class {
	if status != http.StatusOK {
		return classNon200
	}
	var m struct {
		Text string `json:"text"`
	}
	if err := json.Unmarshal(body, &m); err != nil || m.Text == "" {
		return classBadReply
	}
	switch {
	case holdsAny(m.Text, slowTexts):
		return classSlowAck
	case holdsAny(m.Text, errorTexts):
		return classErrorReply
	}
	return classOK
}

// Check sends one command and says what is wrong if its reply is not a
// good one, so that a run against a stopped server or with the wrong secret
// fails at once instead of reporting thousands of errors.
func Check(o Options) error {
	o, err := o.withDefaults()
	if err != nil {
		return err
	}
	cmd := o.Next()
	ctx, cancel := context.WithTimeout(context.Background(), o.Timeout)
	defer cancel()
	body := slackfake.SlashCommand{UserID: cmd.UserID, Text: cmd.Text}.Body()
	req := slackfake.SignedRequest(o.Secret, time.Now(), o.URL, slackfake.FormContentType, body).WithContext(ctx)
	resp, err := o.Client.Do(req)
	if err != nil {
		return fmt.Errorf("%s: %w (is `relais serve` running there?)", o.URL, err)
	}
	b, _ := io.ReadAll(io.LimitReader(resp.Body, maxReplyBytes))
	resp.Body.Close()
	switch classify(resp.StatusCode, b) {
	case classOK, classSlowAck: // slow on a cold start is not a setup problem
		return nil
	case classNon200:
		hint := ""
		if resp.StatusCode == http.StatusUnauthorized {
			hint = " (the signing secret differs from the server's SLACK_SIGNING_SECRET)"
		}
		return fmt.Errorf("%s answered HTTP %d%s", o.URL, resp.StatusCode, hint)
	case classErrorReply:
		return fmt.Errorf("%s answered `/pic %s` with its error message %q: see the server's log", o.URL, cmd.Text, truncate(string(b), 200))
	default:
		return fmt.Errorf("%s answered %q to `/pic %s`: not a Slack reply", o.URL, truncate(string(b), 200), cmd.Text)
	}
}

func truncate(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n]) + "…"
	}
	return s
}
