package loadgen

import (
	"math"
	"slices"
	"time"
)

// Percentile returns the q-quantile (0 < q ≤ 1) of sorted latencies by the
// nearest-rank method: the smallest value with at least q·n values at or
// below it. It never interpolates, so a reported p99 is a latency some
// request really had. Zero for no values.
func Percentile(sorted []time.Duration, q float64) time.Duration {
	n := len(sorted)
	if n == 0 {
		return 0
	}
	// The epsilon keeps q·n that should be whole (0.99·1000) from rounding
	// up to the next rank through floating-point error.
	rank := int(math.Ceil(q*float64(n) - 1e-9))
	rank = max(1, min(rank, n))
	return sorted[rank-1]
}

// Summary describes a set of latencies.
type Summary struct {
	Count int
	Mean  time.Duration
	P50   time.Duration
	P90   time.Duration
	P99   time.Duration
	P999  time.Duration
	Max   time.Duration
}

// Summarize sorts latencies in place and summarizes them.
func Summarize(latencies []time.Duration) Summary {
	slices.Sort(latencies)
	s := Summary{Count: len(latencies)}
	if s.Count == 0 {
		return s
	}
	var total time.Duration
	for _, l := range latencies {
		total += l
	}
	s.Mean = total / time.Duration(s.Count)
	s.P50 = Percentile(latencies, 0.50)
	s.P90 = Percentile(latencies, 0.90)
	s.P99 = Percentile(latencies, 0.99)
	s.P999 = Percentile(latencies, 0.999)
	s.Max = latencies[s.Count-1]
	return s
}
