package commands

import (
	"context"
	"fmt"
	"runtime/debug"
	"strings"
	"sync"
	"time"

	"github.com/pic-montreal/relais/internal/store"
)

// Cache keeps answers that cost a scan of many rows (funding totals over every
// grant) and change rarely. Each kind of entry declares the tables it is
// computed from (cacheReads); an entry is valid while none of them changed.
// Each audited table has a change counter that moves when a transaction that
// wrote it commits (store.TableVersions), read at most once per freshness
// window: so a cached answer is never older than that window, on any
// replica, and a write outdates only the answers that read what it wrote.
type Cache struct {
	st        *store.Store
	freshness time.Duration
	now       func() time.Time

	mu sync.Mutex
	// sums holds each kind of entry's current version, read at checkedAt:
	// the sum of its tables' change counters (counters only grow, so the
	// sum moves whenever one of them does). The last is every table's.
	sums      []int64
	checkedAt time.Time
	entries   map[string]cacheEntry
	// inflight holds the computations under way, so that requests missing
	// the same key wait for one computation instead of each starting their
	// own: on a cold cache under load, dozens of identical funding scans at
	// once saturated the database and every reply missed the ack budget.
	inflight map[string]*flight
	// refreshSlots bounds background refreshes of outdated entries.
	refreshSlots chan struct{}
}

// fundingReads are the tables of funding totals, and of what a quartier
// reply shows whoever asks: its Table, its initiatives with their lead,
// themes and funding.
var fundingReads = []string{"funding", "initiatives", "initiative_themes", "organisations", "quartiers", "themes"}

// cacheReads declares, by key prefix, the tables each kind of entry is
// computed from. A write to any other table leaves the entry valid. A key
// matching no prefix depends on every table: a new kind of entry is correct
// before it is declared, only outdated more often. Only audited tables have
// a counter (TestCacheReadsAreVersioned).
var cacheReads = []struct {
	prefix string
	tables []string
	// rights marks entries that decide what a person may read: an outdated
	// one is never served while it refreshes, or a member just removed (on
	// another replica) could read coordinators-only notes once more.
	rights bool
}{
	{prefix: "funding:", tables: fundingReads},  // Router.fundingSummary
	{prefix: "quartier:", tables: fundingReads}, // Router.quartierAbout
	{prefix: "findq:", tables: []string{"quartiers"}},
	{prefix: "themes", tables: []string{"themes"}},
	// Router.lookupCaller: the person (and their organisation) or the
	// language chosen by a Slack user Relais does not know.
	{prefix: "caller:", tables: []string{"people", "slack_user_settings", "organisations"}, rights: true},
}

// everyTable is the kind of a key that matches no prefix of cacheReads.
var everyTable = len(cacheReads)

// kindOf is key's index in cacheReads, or everyTable.
func kindOf(key string) int {
	for i, r := range cacheReads {
		if strings.HasPrefix(key, r.prefix) {
			return i
		}
	}
	return everyTable
}

// backgroundRefreshes is how many outdated entries are recomputed at once:
// few, so that the requests being answered keep the database's attention.
const backgroundRefreshes = 2

// flight is one computation of a key that others may wait for.
type flight struct {
	kind    int
	version int64
	slot    bool          // holds one of refreshSlots
	done    chan struct{} // closed when value and err are set
	value   any
	err     error
}

type cacheEntry struct {
	kind    int
	version int64 // its kind's sum of counters when computed
	value   any
}

// maxCacheEntries bounds the cache. It holds a few entries per quartier
// (funding totals, Table and initiatives, the ways its name was typed) and
// one per caller: about 5,000 for the synthetic 1,000 quartiers.
var maxCacheEntries = 10000

// NewCache reads the tables' change counters at most once per freshness window.
func NewCache(st *store.Store, freshness time.Duration) *Cache {
	return &Cache{st: st, freshness: freshness, now: time.Now, entries: map[string]cacheEntry{},
		inflight: map[string]*flight{}, refreshSlots: make(chan struct{}, backgroundRefreshes)}
}

// checkVersions reads the change counters unless they were read within the
// freshness window.
func (c *Cache) checkVersions(ctx context.Context) error {
	c.mu.Lock()
	fresh := c.sums != nil && c.now().Sub(c.checkedAt) < c.freshness
	c.mu.Unlock()
	if fresh {
		return nil
	}
	v, err := c.st.TableVersions(ctx)
	if err != nil {
		return err
	}
	sums := make([]int64, len(cacheReads)+1)
	for i, r := range cacheReads {
		for _, t := range r.tables {
			sums[i] += v[t]
		}
	}
	for _, n := range v {
		sums[everyTable] += n
	}
	c.mu.Lock()
	c.sums, c.checkedAt = sums, c.now()
	c.mu.Unlock()
	return nil
}

// evict makes room, c.mu held: outdated entries first, then about a tenth
// of the others, at random (map order). Not everything: an empty cache under
// load makes every request recompute at once. Rare, so a scan beats LRU
// bookkeeping on every hit.
func (c *Cache) evict() {
	for k, e := range c.entries {
		if e.version != c.sums[e.kind] {
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

// refreshTimeout bounds one computation, which runs detached from the
// request that started it: others may be waiting for it.
const refreshTimeout = 30 * time.Second

// cached returns the value for key, computing it when missing or stale.
//
// One computation runs per key at a time; callers asking meanwhile wait for
// it. When a table the entry reads changed since it was computed, the old
// entry is served while one computation refreshes it in the background: a
// write to a table many entries read (funding, organisations) outdates them
// all at once, and recomputing them all on the requests' path overloaded the
// database (scripts/bench.sh). A change is thus seen at most one refresh
// late; forget removes an entry for changes that must show at once.
func cached[T any](ctx context.Context, c *Cache, key string, compute func(context.Context) (T, error)) (T, error) {
	if err := c.checkVersions(ctx); err != nil {
		return compute(ctx)
	}
	kind := kindOf(key)
	c.mu.Lock()
	version := c.sums[kind]
	e, found := c.entries[key]
	if found && e.version == version {
		c.mu.Unlock()
		return e.value.(T), nil
	}
	if found && kind < everyTable && cacheReads[kind].rights {
		found = false // outdated rights: wait for the directory's word
	}
	f, running := c.inflight[key]
	if !running || f.version != version {
		if found {
			// Outdated: refresh it in the background if a slot is free,
			// else a later request will. The slots keep a write from
			// setting off thousands of refreshes at once.
			select {
			case c.refreshSlots <- struct{}{}:
			default:
				c.mu.Unlock()
				return e.value.(T), nil
			}
		}
		f = &flight{kind: kind, version: version, done: make(chan struct{}), slot: found}
		c.inflight[key] = f
		go fill(context.WithoutCancel(ctx), c, key, f, compute)
	}
	c.mu.Unlock()
	if found {
		return e.value.(T), nil // outdated, and being refreshed
	}
	select {
	case <-f.done:
	case <-ctx.Done():
		var zero T
		return zero, ctx.Err()
	}
	if f.err != nil {
		var zero T
		return zero, f.err
	}
	return f.value.(T), nil
}

// fill computes key for flight f and stores the value, unless the key was
// forgotten meanwhile (the value may predate the change). Errors are not
// cached; a panic becomes an error for the waiters rather than a crash.
func fill[T any](ctx context.Context, c *Cache, key string, f *flight, compute func(context.Context) (T, error)) {
	ctx, cancel := context.WithTimeout(ctx, refreshTimeout)
	defer cancel()
	var v T
	var err error
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("computing %s panicked: %v\n%s", key, p, debug.Stack())
		}
		c.mu.Lock()
		current := c.inflight[key] == f
		if current {
			delete(c.inflight, key)
			if err == nil {
				if len(c.entries) >= maxCacheEntries {
					c.evict()
				}
				c.entries[key] = cacheEntry{kind: f.kind, version: f.version, value: v}
			}
		}
		c.mu.Unlock()
		f.value, f.err = v, err
		close(f.done)
		if f.slot {
			<-c.refreshSlots
		}
	}()
	v, err = compute(ctx)
}
