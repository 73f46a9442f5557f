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
	convs   map[string]*conversationQueue
	perConv time.Duration
}

// bucket allows burst calls at once, then one every interval.
type bucket struct {
	interval time.Duration
	burst    int
	due      time.Time // the GCRA's theoretical arrival time
}

func newPacer(now func() time.Time, sleep func(context.Context, time.Duration) error, perConv time.Duration) *pacer {
	return &pacer{now: now, sleep: sleep, methods: map[string]*bucket{}, convs: map[string]*conversationQueue{}, perConv: perConv}
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
// and reserves it. Calls to one conversation queue behind each other (so a
// busy channel holds back its own posts only, not the workspace's), and its
// spacing counts from when a post actually leaves, after the method's wait.
func (p *pacer) wait(ctx context.Context, method, conversation string) error {
	if conversation == "" || p.perConv <= 0 {
		return p.waitMethod(ctx, method)
	}
	c, err := p.enterConversation(ctx, conversation)
	if err != nil {
		return err
	}
	defer p.leaveConversation(c)
	if err := p.reserve(ctx, func(now time.Time) time.Time { return maxTime(now, c.due) }); err != nil {
		return err
	}
	if err := p.waitMethod(ctx, method); err != nil {
		return err
	}
	p.mu.Lock()
	c.due = p.now().Add(p.perConv)
	p.mu.Unlock()
	return nil
}

func (p *pacer) waitMethod(ctx context.Context, method string) error {
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

// conversationQueue serializes the posts to one conversation.
type conversationQueue struct {
	turn    chan struct{} // holds a token while a post is being paced
	due     time.Time     // when the next post may leave
	waiters int
}

func (p *pacer) enterConversation(ctx context.Context, conversation string) (*conversationQueue, error) {
	p.mu.Lock()
	c := p.convs[conversation]
	if c == nil {
		p.forgetIdleLocked(p.now())
		c = &conversationQueue{turn: make(chan struct{}, 1)}
		p.convs[conversation] = c
	}
	c.waiters++
	p.mu.Unlock()
	select {
	case c.turn <- struct{}{}:
		return c, nil
	case <-ctx.Done():
		p.mu.Lock()
		c.waiters--
		p.mu.Unlock()
		return nil, ctx.Err()
	}
}

func (p *pacer) leaveConversation(c *conversationQueue) {
	<-c.turn
	p.mu.Lock()
	c.waiters--
	p.mu.Unlock()
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
	for id, c := range p.convs {
		if c.waiters == 0 && !c.due.After(now) {
			delete(p.convs, id)
		}
	}
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}
