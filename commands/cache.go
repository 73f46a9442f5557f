package commands

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/pic-montreal/relais/internal/store"
)

// Cache keeps answers that cost a scan of many rows (funding totals over every
// grant) and change rarely. An entry is valid while the data version it was
// computed at is current: any write anywhere bumps it (the audit log), so a
// cached answer is never older than the freshness window, on any replica.
type Cache struct {
	st        *store.Store
	freshness time.Duration
	now       func() time.Time

	mu        sync.Mutex
	version   int64
	checkedAt time.Time
	entries   map[string]cacheEntry
	// inflight holds the computations under way, so that requests missing
	// the same key wait for one computation instead of each starting their
	// own: on a cold cache under load, dozens of identical funding scans at
	// once saturated the database and every reply missed the ack budget.
	inflight map[string]*flight
}

// flight is one computation of a key that others may wait for.
type flight struct {
	version int64
	done    chan struct{} // closed when value and err are set
	value   any
	err     error
}

type cacheEntry struct {
	version int64
	value   any
}

// maxCacheEntries bounds the cache. It holds a few entries per quartier
// (funding totals, Table and initiatives, the ways its name was typed) and
// one per caller: about 5,000 for the synthetic 1,000 quartiers.
var maxCacheEntries = 10000

// NewCache checks the data version at most once per freshness window.
func NewCache(st *store.Store, freshness time.Duration) *Cache {
	return &Cache{st: st, freshness: freshness, now: time.Now, entries: map[string]cacheEntry{},
		inflight: map[string]*flight{}}
}

func (c *Cache) currentVersion(ctx context.Context) (int64, error) {
	c.mu.Lock()
	if c.now().Sub(c.checkedAt) < c.freshness {
		v := c.version
		c.mu.Unlock()
		return v, nil
	}
	c.mu.Unlock()
	v, err := c.st.DataVersion(ctx)
	if err != nil {
		return 0, err
	}
	c.mu.Lock()
	c.version, c.checkedAt = v, c.now()
	c.mu.Unlock()
	return v, nil
}

// evict makes room, c.mu held: entries of older data versions first, then
// about a tenth of the others, at random (map order). Not everything: an
// empty cache under load makes every request recompute at once. Rare, so a
// scan beats LRU bookkeeping on every hit.
func (c *Cache) evict(version int64) {
	for k, e := range c.entries {
		if e.version != version {
			delete(c.entries, k)
		}
	}
	n := len(c.entries) - maxCacheEntries*9/10
	for k := range c.entries {
		if n <= 0 {
			break
		}
		delete(c.entries, k)
		n--
	}
}

// forget drops key, for a change this replica just made and its user
// expects to see at once; other replicas see it within the freshness window.
func (c *Cache) forget(key string) {
	c.mu.Lock()
	delete(c.entries, key)
	delete(c.inflight, key) // a computation under way may have read the old data
	c.mu.Unlock()
}

// cached returns the value for key, computing it when missing or stale. While
// one caller computes a key, the others asking for it wait for its result.
func cached[T any](ctx context.Context, c *Cache, key string, compute func() (T, error)) (T, error) {
	version, err := c.currentVersion(ctx)
	if err != nil {
		return compute()
	}
	c.mu.Lock()
	if e, ok := c.entries[key]; ok && e.version == version {
		c.mu.Unlock()
		return e.value.(T), nil
	}
	if f, ok := c.inflight[key]; ok && f.version == version {
		c.mu.Unlock()
		select {
		case <-f.done:
		case <-ctx.Done():
			var zero T
			return zero, ctx.Err()
		}
		if f.err == nil {
			return f.value.(T), nil
		}
		if ctx.Err() == nil && (errors.Is(f.err, context.Canceled) || errors.Is(f.err, context.DeadlineExceeded)) {
			return compute() // the computing request gave up, not the database
		}
		var zero T
		return zero, f.err
	}
	f := &flight{version: version, done: make(chan struct{})}
	c.inflight[key] = f
	c.mu.Unlock()

	var v T
	// Deferred, so that waiters are released even if compute panics.
	defer func() {
		p := recover()
		if p != nil {
			err = fmt.Errorf("computing %s panicked: %v", key, p)
		}
		c.mu.Lock()
		current := c.inflight[key] == f // else forgotten meanwhile: the value may predate the change
		if current {
			delete(c.inflight, key)
		}
		if err == nil && current {
			if len(c.entries) >= maxCacheEntries {
				c.evict(version)
			}
			c.entries[key] = cacheEntry{version: version, value: v}
		}
		c.mu.Unlock()
		f.value, f.err = v, err
		close(f.done)
		if p != nil {
			panic(p)
		}
	}()
	v, err = compute()
	return v, err
}
