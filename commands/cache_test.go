package commands

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/pic-montreal/relais/internal/domain"
	"github.com/pic-montreal/relais/internal/i18n"
	"github.com/pic-montreal/relais/internal/store"
	"github.com/pic-montreal/relais/internal/testdb"
)

func TestCachedComputesEachKeyOnceUnderConcurrency(t *testing.T) {
	c := NewCache(testdb.WithFixture(t), time.Minute)
	ctx := context.Background()
	var computed atomic.Int32
	started, release := make(chan struct{}), make(chan struct{})
	compute := func(context.Context) (int, error) {
		if computed.Add(1) == 1 {
			close(started)
		}
		<-release
		return 42, nil
	}
	const callers = 20
	var wg sync.WaitGroup
	results := make(chan int, callers)
	for range callers {
		wg.Go(func() {
			v, err := cached(ctx, c, "k", compute)
			if err != nil {
				t.Error(err)
			}
			results <- v
		})
	}
	<-started
	close(release) // callers not yet arrived find the flight or its result
	wg.Wait()
	close(results)
	for v := range results {
		if v != 42 {
			t.Errorf("got %d, want 42", v)
		}
	}
	if n := computed.Load(); n != 1 {
		t.Errorf("computed %d times, want 1", n)
	}
}

// A caller that gives up does not fail the computation others wait for.
func TestCachedSurvivesTheCallerLeaving(t *testing.T) {
	c := NewCache(testdb.WithFixture(t), time.Minute)
	started, release := make(chan struct{}), make(chan struct{})
	leaving, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() {
		_, err := cached(leaving, c, "k", func(ctx context.Context) (int, error) {
			close(started)
			<-release
			return 5, ctx.Err()
		})
		errc <- err
	}()
	<-started
	cancel()
	if err := <-errc; !errors.Is(err, context.Canceled) {
		t.Fatalf("the leaving caller got %v", err)
	}
	close(release)
	v, err := cached(context.Background(), c, "k", func(context.Context) (int, error) { return 6, nil })
	if err != nil || v != 5 {
		t.Errorf("after the caller left: %d, %v; want the first computation's 5", v, err)
	}
}

func TestCachedErrorsAndPanicsAreNotCached(t *testing.T) {
	c := NewCache(testdb.WithFixture(t), time.Minute)
	ctx := context.Background()
	boom := errors.New("boom")
	if _, err := cached(ctx, c, "k", func(context.Context) (int, error) { return 0, boom }); !errors.Is(err, boom) {
		t.Fatalf("err = %v", err)
	}
	if _, err := cached(ctx, c, "k", func(context.Context) (int, error) { panic("bug") }); err == nil ||
		!strings.Contains(err.Error(), "panicked: bug") {
		t.Errorf("a panic gives %v", err)
	}
	if v, err := cached(ctx, c, "k", func(context.Context) (int, error) { return 7, nil }); v != 7 || err != nil {
		t.Errorf("after an error and a panic: %d, %v", v, err)
	}
}

// After a write, the old answer is served at once while one refresh runs;
// then the new one.
func TestCachedServesOutdatedWhileRefreshing(t *testing.T) {
	st := testdb.WithFixture(t)
	c := NewCache(st, 0) // check the data version on every call
	ctx := context.Background()
	if v, _ := cached(ctx, c, "k", func(context.Context) (int, error) { return 1, nil }); v != 1 {
		t.Fatal(v)
	}
	if err := st.SetLanguage(ctx, "test", "UNEW", domain.English); err != nil { // any write
		t.Fatal(err)
	}
	release := make(chan struct{})
	var refreshes atomic.Int32
	refresh := func(context.Context) (int, error) {
		refreshes.Add(1)
		<-release
		return 2, nil
	}
	for range 3 {
		if v, err := cached(ctx, c, "k", refresh); v != 1 || err != nil {
			t.Fatalf("while refreshing: %d, %v; want the outdated 1 at once", v, err)
		}
	}
	c.mu.Lock()
	f := c.inflight["k"]
	c.mu.Unlock()
	close(release)
	<-f.done
	if v, _ := cached(ctx, c, "k", refresh); v != 2 {
		t.Errorf("after the refresh: %d", v)
	}
	if n := refreshes.Load(); n != 1 {
		t.Errorf("%d refreshes, want 1", n)
	}
}

func TestOwnLanguageChangeShowsAtOnce(t *testing.T) {
	st := testdb.WithFixture(t)
	rt := New(st, Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	ask := func(text string) string {
		return rt.Command(context.Background(), Invocation{Caller: Caller{SlackUserID: "UCOORD", TeamID: "T1"}, Text: text}).Text
	}
	want := func(lang domain.Language) string {
		return i18n.T(lang, "language.current", i18n.T(lang, "language.name."+string(lang)), SlashCommand)
	}
	// The first answer caches who UCOORD is, in French.
	if got := ask("langue"); got != want(domain.French) {
		t.Fatalf("before: %q", got)
	}
	ask("langue en")
	// Within the cache's freshness window, yet in the new language.
	if got := ask("langue"); got != want(domain.English) {
		t.Errorf("after choosing English: %q", got)
	}
}

func TestEvictionKeepsMostEntries(t *testing.T) {
	defer func(n int) { maxCacheEntries = n }(maxCacheEntries)
	maxCacheEntries = 100
	c := NewCache(testdb.WithFixture(t), time.Minute)
	ctx := context.Background()
	for i := range 100 {
		if _, err := cached(ctx, c, fmt.Sprint(i), func(context.Context) (int, error) { return i, nil }); err != nil {
			t.Fatal(err)
		}
	}
	c.mu.Lock()
	c.entries["old"] = cacheEntry{version: -1}
	c.mu.Unlock()
	// Full: the next entry evicts the stale one and a tenth of the rest, not all.
	_, _ = cached(ctx, c, "new", func(context.Context) (int, error) { return 0, nil })
	c.mu.Lock()
	n := len(c.entries)
	_, stale := c.entries["old"]
	c.mu.Unlock()
	if stale || n < 85 || n > 95 {
		t.Errorf("after eviction: %d entries, stale kept %v", n, stale)
	}
}

// After a write, at most backgroundRefreshes outdated entries are recomputed
// at once; the others are served as they are until a slot frees.
func TestCachedBoundsBackgroundRefreshes(t *testing.T) {
	st := testdb.WithFixture(t)
	c := NewCache(st, 0)
	ctx := context.Background()
	keys := []string{"a", "b", "c", "d"}
	for _, k := range keys {
		if _, err := cached(ctx, c, k, func(context.Context) (int, error) { return 1, nil }); err != nil {
			t.Fatal(err)
		}
	}
	if err := st.SetLanguage(ctx, "test", "UNEW", domain.English); err != nil {
		t.Fatal(err)
	}
	release := make(chan struct{})
	var refreshes atomic.Int32
	for _, k := range keys {
		v, _ := cached(ctx, c, k, func(context.Context) (int, error) {
			refreshes.Add(1)
			<-release
			return 2, nil
		})
		if v != 1 {
			t.Errorf("%s: %d, want the outdated 1", k, v)
		}
	}
	c.mu.Lock()
	running := len(c.inflight)
	c.mu.Unlock()
	if running != backgroundRefreshes {
		t.Errorf("%d refreshes started, want %d", running, backgroundRefreshes)
	}
	close(release)
}

// replica is one Relais process: a router over the shared database with a
// cache of its own, whose clock the test moves (the freshness window is the
// default 5 s).
type replica struct {
	rt    *Router
	cache *Cache
	mu    sync.Mutex
	clock time.Time
}

func newReplica(st *store.Store) *replica {
	r := &replica{cache: NewCache(st, 5*time.Second), clock: time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)}
	r.cache.now = func() time.Time { r.mu.Lock(); defer r.mu.Unlock(); return r.clock }
	r.rt = New(st, Options{Cache: r.cache, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Now: func() time.Time { return time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC) }})
	return r
}

// later moves the replica's clock past its freshness window.
func (r *replica) later() {
	r.mu.Lock()
	r.clock = r.clock.Add(r.cache.freshness)
	r.mu.Unlock()
}

// ask runs a command as user and waits for the refreshes it started.
func (r *replica) ask(user, text string) string {
	reply := r.rt.Command(context.Background(), Invocation{Caller: Caller{SlackUserID: user, TeamID: "T1"}, Text: text})
	r.cache.mu.Lock()
	var flights []*flight
	for _, f := range r.cache.inflight {
		flights = append(flights, f)
	}
	r.cache.mu.Unlock()
	for _, f := range flights {
		<-f.done
	}
	return reply.Text
}

// fresh says whether the replica's entries of kind prefix are all valid now,
// having read the change counters if its window is over. There must be one.
func (r *replica) fresh(t *testing.T, prefix string) bool {
	t.Helper()
	if err := r.cache.checkVersions(context.Background()); err != nil {
		t.Fatal(err)
	}
	c := r.cache
	c.mu.Lock()
	defer c.mu.Unlock()
	n := 0
	for k, e := range c.entries {
		if strings.HasPrefix(k, prefix) {
			n++
			if e.version != c.sums[e.kind] {
				return false
			}
		}
	}
	if n == 0 {
		t.Fatalf("no %s entry cached", prefix)
	}
	return true
}

// write runs sql in a transaction for an actor, as the store's writes do.
func write(t *testing.T, st *store.Store, sql string, args ...any) {
	t.Helper()
	tx := begin(t, st)
	if _, err := tx.Exec(sql, args...); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
}

func begin(t *testing.T, st *store.Store) *sqlx.Tx {
	t.Helper()
	tx := st.DB().MustBegin()
	t.Cleanup(func() { _ = tx.Rollback() })
	tx.MustExec(`SELECT set_config('relais.actor', 'test', true)`)
	return tx
}

func money(cents int64) string { return i18n.Money(domain.French, cents) }

// The fixture's financial total, 3.8 M$.
const fixtureTotal = 380000000

// Check-ins, notes and Slack's bookkeeping do not outdate funding totals:
// these writes used to empty every cached total, since any audited write
// moved the one data version.
func TestUnrelatedWritesKeepFundingTotals(t *testing.T) {
	st := testdb.WithFixture(t)
	r := newReplica(st)
	if got := r.ask("UCOORD", "financement"); !strings.Contains(got, money(fixtureTotal)) {
		t.Fatalf("financement: %q", got)
	}
	writes := []struct{ table, sql string }{
		{"checkin_prompts", `
			WITH s AS (INSERT INTO checkin_schedules (slug, name, cron_spec) VALUES ('mensuel', 'Mensuel', '0 9 1 * *') RETURNING id),
			     r AS (INSERT INTO checkin_rounds (schedule_id, scheduled_for, period, closes_at, occurrence_key)
			           SELECT id, now(), '2026-11-01', now() + interval '10 days', '2026-11-01T09:00 America/Montreal' FROM s RETURNING id)
			INSERT INTO checkin_prompts (round_id, organisation_id) SELECT id, 1 FROM r`},
		{"checkin_prompts", `UPDATE checkin_prompts SET status = 'sent', sent_at = now()`},
		{"progress_notes", `INSERT INTO progress_notes (organisation_id, quartier_id, author_id, period, body)
			VALUES (1, 1, 3, '2026-10-01', 'Une note de plus.')`},
		{"slack_events", `INSERT INTO slack_events (event_id, event_type) VALUES ('Ev1', 'message')`},
		{"deliveries", `INSERT INTO deliveries (key, kind) VALUES ('prompt:1:3', 'checkin_prompt')`},
		{"deliveries", `UPDATE deliveries SET status = 'sent', sent_at = now(), attempts = 1`},
	}
	for _, w := range writes {
		before := versions(t, st)
		write(t, st, w.sql)
		if after := versions(t, st); w.table != "slack_events" && w.table != "deliveries" && after[w.table] == before[w.table] {
			t.Errorf("a write to %s was not counted: the test proves nothing", w.table)
		}
		r.later()
		if !r.fresh(t, "funding:") {
			t.Errorf("a write to %s outdated the funding totals", w.table)
		}
	}
	if got := r.ask("UCOORD", "financement"); !strings.Contains(got, money(fixtureTotal)) {
		t.Errorf("financement after the writes: %q", got)
	}
}

func versions(t *testing.T, st *store.Store) map[string]int64 {
	t.Helper()
	v, err := st.TableVersions(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// A write to funding outdates the totals on another replica within its
// freshness window, even when the write commits after a later transaction
// (the highest audit_log id, the old data version, missed that one).
func TestFundingWriteSeenByAnotherReplica(t *testing.T) {
	st := testdb.WithFixture(t)
	a, b := newReplica(st), newReplica(st)
	for _, r := range []*replica{a, b} {
		if got := r.ask("UCOORD", "financement"); !strings.Contains(got, money(fixtureTotal)) {
			t.Fatalf("financement: %q", got)
		}
	}
	// Written through a's database; b learns of it from the counters alone.
	write(t, st, `UPDATE funding SET amount_cents = amount_cents + 10000000 WHERE code = 'F5'`)
	if !b.fresh(t, "funding:") {
		t.Error("b read the counters again within its window")
	}
	b.later()
	if got := b.ask("UCOORD", "financement"); !strings.Contains(got, money(fixtureTotal)) {
		t.Errorf("b did not serve the outdated total while refreshing: %q", got)
	}
	if got := b.ask("UCOORD", "financement"); !strings.Contains(got, money(fixtureTotal+10000000)) {
		t.Errorf("b after one refresh: %q", got)
	}

	// A grant changed in a transaction that commits after a later one.
	slow := begin(t, st)
	slow.MustExec(`UPDATE funding SET amount_cents = amount_cents + 10000000 WHERE code = 'F5'`)
	write(t, st, `UPDATE people SET display_name = 'Partenaire bis' WHERE slack_user_id = 'UPART'`)
	b.later()
	b.ask("UCOORD", "financement") // reads the counters while the grant is uncommitted
	if err := slow.Commit(); err != nil {
		t.Fatal(err)
	}
	b.later()
	b.ask("UCOORD", "financement")
	if got := b.ask("UCOORD", "financement"); !strings.Contains(got, money(fixtureTotal+20000000)) {
		t.Errorf("b missed the grant committed last: %q", got)
	}
	a.later()
	a.ask("UCOORD", "financement")
	if got := a.ask("UCOORD", "financement"); !strings.Contains(got, money(fixtureTotal+20000000)) {
		t.Errorf("a, the writer's replica: %q", got)
	}
}

// A bulk load skips the per-row audit: its summary rows still move the
// counters of the tables it grew, and of those only.
func TestBulkSeedIsSeen(t *testing.T) {
	st := testdb.WithFixture(t)
	r := newReplica(st)
	r.ask("UCOORD", "financement")
	ctx := context.Background()
	notes := store.SeedData{Notes: []store.SeedNote{{ImportKey: "bulk-1", OrganisationSlug: "table-saint-michel",
		Period: time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC), Body: "Une note chargée en masse."}}}
	if n, err := st.SeedBulk(ctx, "test", "test", notes); err != nil || n["progress_notes"] != 1 {
		t.Fatalf("bulk notes: %v %v", n, err)
	}
	r.later()
	if !r.fresh(t, "funding:") {
		t.Error("a bulk load of notes outdated the funding totals")
	}
	grant := store.SeedData{Funding: []store.SeedFunding{{Code: "F9", InitiativeCode: "SM-01", FunderSlug: "fondation-exemple",
		AmountCents: 100000000, Kind: domain.Financial,
		PeriodStart: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), PeriodEnd: time.Date(2026, 12, 31, 0, 0, 0, 0, time.UTC)}}}
	if n, err := st.SeedBulk(ctx, "test", "test", grant); err != nil || n["funding"] != 1 {
		t.Fatalf("bulk funding: %v %v", n, err)
	}
	r.later()
	if r.fresh(t, "funding:") {
		t.Error("a bulk load of funding left the totals valid")
	}
	r.ask("UCOORD", "financement")
	if got := r.ask("UCOORD", "financement"); !strings.Contains(got, money(fixtureTotal+100000000)) {
		t.Errorf("after the bulk load: %q", got)
	}
}

// A language change shows at once to whoever made it, reaches the other
// replicas within their window, and leaves funding totals valid.
func TestLanguageChangeOutdatesOnlyItsCaller(t *testing.T) {
	st := testdb.WithFixture(t)
	a, b := newReplica(st), newReplica(st)
	for _, r := range []*replica{a, b} {
		r.ask("UCOORD", "financement")
		if got := r.ask("UCOORD", "langue"); !strings.Contains(got, "français") {
			t.Fatalf("before: %q", got)
		}
	}
	a.ask("UCOORD", "langue en")
	if got := a.ask("UCOORD", "langue"); !strings.Contains(got, "English") {
		t.Errorf("a, within its window: %q", got)
	}
	b.later()
	b.ask("UCOORD", "langue")
	if got := b.ask("UCOORD", "langue"); !strings.Contains(got, "English") {
		t.Errorf("b after its window and one refresh: %q", got)
	}
	a.later()
	for name, r := range map[string]*replica{"a": a, "b": b} {
		if !r.fresh(t, "funding:") {
			t.Errorf("%s: a language change outdated the funding totals", name)
		}
	}
}

// Every table an entry declares has a change counter, so its writes are
// seen; and every entry the commands cache is of a declared kind, so that
// unrelated writes leave it valid.
func TestCacheReadsAreVersioned(t *testing.T) {
	st := testdb.WithFixture(t)
	v := versions(t, st)
	for _, r := range cacheReads {
		for _, table := range r.tables {
			if _, ok := v[table]; !ok {
				t.Errorf("%s entries read %s, which has no change counter (no audit trigger)", r.prefix, table)
			}
		}
	}
	r := newReplica(st)
	for _, cmd := range []string{"quartier Verdun", "quartier verdum", "financement", "financement logement",
		"financement Saint-Michel", "funding ville", "initiatives logement", "langue", "chercher logement", "aide"} {
		r.ask("UCOORD", cmd)
		r.ask("UGUEST", cmd)
	}
	r.cache.mu.Lock()
	defer r.cache.mu.Unlock()
	for k := range r.cache.entries {
		if kindOf(k) == everyTable {
			t.Errorf("entry %q declares no tables: any write outdates it", k)
		}
	}
}

// Rights are never served outdated: a member removed through another
// replica no longer reads their Table's coordinators-only notes on this
// one's very next request after it sees the change.
func TestRemovedMemberLosesRightsAtOnceOnAnotherReplica(t *testing.T) {
	st := testdb.WithFixture(t)
	b := newReplica(st)
	const secret = "note confidentielle"
	if got := b.ask("USM", "chercher confidentielle"); !strings.Contains(got, secret) {
		t.Fatalf("the Table's own member cannot read its coordinators-only note: %q", got)
	}
	write(t, st, `UPDATE people SET active = false WHERE slack_user_id = 'USM'`)
	b.later()
	if got := b.ask("USM", "chercher confidentielle"); strings.Contains(got, secret) {
		t.Errorf("a removed member read a coordinators-only note once more: %q", got)
	}
}
