package commands

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
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
	release := make(chan struct{})
	compute := func() (int, error) {
		computed.Add(1)
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
	// Wait until one computation is under way and the rest are waiting.
	for computed.Load() == 0 {
		time.Sleep(time.Millisecond)
	}
	time.Sleep(20 * time.Millisecond)
	close(release)
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
	if v, _ := cached(ctx, c, "k", compute); v != 42 || computed.Load() != 1 {
		t.Errorf("a later call recomputed: %d, %d computations", v, computed.Load())
	}
}

func TestCachedErrorsAndPanicsAreNotCached(t *testing.T) {
	c := NewCache(testdb.WithFixture(t), time.Minute)
	ctx := context.Background()
	boom := errors.New("boom")
	if _, err := cached(ctx, c, "k", func() (int, error) { return 0, boom }); !errors.Is(err, boom) {
		t.Fatalf("err = %v", err)
	}
	func() {
		defer func() {
			if recover() == nil {
				t.Error("the panic was swallowed")
			}
		}()
		_, _ = cached(ctx, c, "k", func() (int, error) { panic("bug") })
	}()
	if v, err := cached(ctx, c, "k", func() (int, error) { return 7, nil }); v != 7 || err != nil {
		t.Errorf("after an error and a panic: %d, %v", v, err)
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
		if _, err := cached(ctx, c, fmt.Sprint(i), func() (int, error) { return i, nil }); err != nil {
			t.Fatal(err)
		}
	}
	c.mu.Lock()
	c.entries["old"] = cacheEntry{version: -1}
	c.mu.Unlock()
	// Full: the next entry evicts the stale one and a tenth of the rest, not all.
	_, _ = cached(ctx, c, "new", func() (int, error) { return 0, nil })
	c.mu.Lock()
	n := len(c.entries)
	_, stale := c.entries["old"]
	c.mu.Unlock()
	if stale || n < 85 || n > 95 {
		t.Errorf("after eviction: %d entries, stale kept %v", n, stale)
	}
}
