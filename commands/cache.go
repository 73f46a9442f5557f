package commands

import (
	"context"
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
}

type cacheEntry struct {
	version int64
	value   any
}

const maxCacheEntries = 2000

// NewCache checks the data version at most once per freshness window.
func NewCache(st *store.Store, freshness time.Duration) *Cache {
	return &Cache{st: st, freshness: freshness, now: time.Now, entries: map[string]cacheEntry{}}
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

// cached returns the value for key, computing it when missing or stale.
func cached[T any](ctx context.Context, c *Cache, key string, compute func() (T, error)) (T, error) {
	version, err := c.currentVersion(ctx)
	if err != nil {
		return compute()
	}
	c.mu.Lock()
	e, ok := c.entries[key]
	c.mu.Unlock()
	if ok && e.version == version {
		return e.value.(T), nil
	}
	v, err := compute()
	if err != nil {
		return v, err
	}
	c.mu.Lock()
	if len(c.entries) >= maxCacheEntries {
		clear(c.entries) // rare; simpler than LRU bookkeeping on every hit
	}
	c.entries[key] = cacheEntry{version: version, value: v}
	c.mu.Unlock()
	return v, nil
}
