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

	"github.com/pic-montreal/relais/internal/domain"
	"github.com/pic-montreal/relais/internal/i18n"
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
