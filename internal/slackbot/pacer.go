package slackbot

import (
	"context"
	"sync"
	"time"
)

// pacer spaces outgoing calls so that Relais stays under Slack's limits
// instead of discovering them through 429s: one bucket per Web API method
// (workspace-wide) and, for chat.postMessage, one per conversation. Each
// bucket is a GCRA (a token bucket kept as the time its next call is due).
// Waits happen before the HTTP call, never inside it.
type pacer struct {
	now   func() time.Time
	sleep func(ctx context.Context, d time.Duration) error

	mu      sync.Mutex
	methods map[string]*bucket
	convs   map[string]time.Time // conversation → when its next post is due
	perConv time.Duration
}

// bucket allows burst calls at once, then one every interval.
type bucket struct {
	interval time.Duration
	burst    int
	due      time.Time // the GCRA's theoretical arrival time
}

func newPacer(now func() time.Time, sleep func(context.Context, time.Duration) error, perConv time.Duration) *pacer {
	return &pacer{now: now, sleep: sleep, methods: map[string]*bucket{}, convs: map[string]time.Time{}, perConv: perConv}
}

// limit sets method's rate (calls per second) and burst; rate <= 0 leaves it
// unpaced.
func (p *pacer) limit(method string, perSecond float64, burst int) {
	if perSecond <= 0 {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.methods[method] = &bucket{interval: time.Duration(float64(time.Second) / perSecond), burst: max(burst, 1)}
}

// wait blocks until a call of method to conversation (none when "") may go,
// and reserves it. The conversation is waited for first, so a busy channel
// holds back its own posts only, not the whole workspace's.
func (p *pacer) wait(ctx context.Context, method, conversation string) error {
	if conversation != "" && p.perConv > 0 {
		if err := p.reserve(ctx, func(now time.Time) time.Time {
			at := maxTime(now, p.convs[conversation])
			p.convs[conversation] = at.Add(p.perConv)
			p.forgetIdleLocked(now)
			return at
		}); err != nil {
			return err
		}
	}
	return p.reserve(ctx, func(now time.Time) time.Time {
		b := p.methods[method]
		if b == nil {
			return now
		}
		at := maxTime(now, b.due.Add(-time.Duration(b.burst-1)*b.interval))
		b.due = maxTime(b.due, at).Add(b.interval)
		return at
	})
}

// reserve takes a slot chosen by pick (under the lock) and sleeps until it.
// A slot past ctx's deadline fails at once rather than sleep to no purpose.
func (p *pacer) reserve(ctx context.Context, pick func(now time.Time) time.Time) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	p.mu.Lock()
	now := p.now()
	at := pick(now)
	p.mu.Unlock()
	if d := at.Sub(now); d > 0 {
		if dl, ok := ctx.Deadline(); ok && time.Until(dl) < d {
			return context.DeadlineExceeded
		}
		return p.sleep(ctx, d)
	}
	return nil
}

// pause holds every call of method back until now+d: Slack said
// Retry-After, and every worker should hear it, not just the one that got it.
func (p *pacer) pause(method string, d time.Duration) {
	p.mu.Lock()
	defer p.mu.Unlock()
	b := p.methods[method]
	if b == nil {
		b = &bucket{interval: 0, burst: 1}
		p.methods[method] = b
	}
	b.due = maxTime(b.due, p.now().Add(d))
}

// forgetIdleLocked drops conversations whose next slot is past, so a
// fan-out to thousands of DMs leaves no map behind.
func (p *pacer) forgetIdleLocked(now time.Time) {
	if len(p.convs) < 1024 {
		return
	}
	for c, due := range p.convs {
		if !due.After(now) {
			delete(p.convs, c)
		}
	}
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}
