package loadgen

import (
	"testing"
	"time"
)

func ms1(n int) time.Duration { return time.Duration(n) * time.Millisecond }

func TestPercentileNearestRank(t *testing.T) {
	var hundred []time.Duration
	for i := 1; i <= 100; i++ {
		hundred = append(hundred, ms1(i))
	}
	var thousand []time.Duration
	for i := 1; i <= 1000; i++ {
		thousand = append(thousand, ms1(i))
	}
	cases := []struct {
		name   string
		sorted []time.Duration
		q      float64
		want   time.Duration
	}{
		{"empty", nil, 0.99, 0},
		{"one value is every percentile", []time.Duration{ms1(7)}, 0.5, ms1(7)},
		{"one value p99.9", []time.Duration{ms1(7)}, 0.999, ms1(7)},
		{"p50 of 100", hundred, 0.50, ms1(50)},
		{"p90 of 100", hundred, 0.90, ms1(90)},
		{"p99 of 100", hundred, 0.99, ms1(99)},
		{"p99.9 of 100 is the max", hundred, 0.999, ms1(100)},
		{"p100", hundred, 1, ms1(100)},
		{"p99 of 1000 is not rounded up", thousand, 0.99, ms1(990)},
		{"p99.9 of 1000", thousand, 0.999, ms1(999)},
		{"p50 of 4 is the 2nd", []time.Duration{1, 2, 3, 4}, 0.5, 2},
		{"p51 of 4 is the 3rd", []time.Duration{1, 2, 3, 4}, 0.51, 3},
		{"tiny q is the min", hundred, 0.0001, ms1(1)},
	}
	for _, c := range cases {
		if got := Percentile(c.sorted, c.q); got != c.want {
			t.Errorf("%s: Percentile(q=%g) = %v, want %v", c.name, c.q, got, c.want)
		}
	}
}

func TestSummarizeSortsAndSummarizes(t *testing.T) {
	// 1..200 ms, shuffled: Summarize must sort before taking ranks.
	var l []time.Duration
	for i := 200; i >= 1; i-- {
		l = append(l, ms1((i*7)%200+1))
	}
	s := Summarize(l)
	want := Summary{Count: 200, Mean: 100500 * time.Microsecond, P50: ms1(100), P90: ms1(180), P99: ms1(198),
		P999: ms1(200), Max: ms1(200)}
	if s != want {
		t.Errorf("Summarize = %+v\nwant        %+v", s, want)
	}
	if z := Summarize(nil); z != (Summary{}) {
		t.Errorf("Summarize(nil) = %+v, want zero", z)
	}
}

func TestBreached(t *testing.T) {
	ok := KindResult{Kind: "all", Counts: Counts{Due: 1000, OK: 1000}, Latency: Summary{P99: ms1(50)}}
	slow := ok
	slow.Kind, slow.Latency.P99 = "quartier", ms1(150)
	failing := ok
	failing.Counts = Counts{Due: 1000, OK: 980, Dropped: 20}
	cases := []struct {
		name string
		r    Result
		want bool
	}{
		{"within", Result{All: ok, ByKind: []KindResult{ok}}, false},
		{"one kind slow", Result{All: ok, ByKind: []KindResult{slow}}, true},
		{"2% failed", Result{All: failing}, true},
	}
	for _, c := range cases {
		if got, why := c.r.Breached(ms1(100)); got != c.want {
			t.Errorf("%s: Breached = %v (%s), want %v", c.name, got, why, c.want)
		}
	}
}
