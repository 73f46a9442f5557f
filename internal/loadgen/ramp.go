package loadgen

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// ParseRamp reads "from:to:step" (requests per second) into the rates from,
// from+step, … up to and including to.
func ParseRamp(s string) ([]float64, error) {
	parts := strings.Split(s, ":")
	if len(parts) != 3 {
		return nil, fmt.Errorf("ramp %q: want from:to:step, e.g. 300:2000:200", s)
	}
	var v [3]float64
	for i, p := range parts {
		f, err := strconv.ParseFloat(strings.TrimSpace(p), 64)
		if err != nil || f <= 0 {
			return nil, fmt.Errorf("ramp %q: %q is not a positive number", s, p)
		}
		v[i] = f
	}
	from, to, step := v[0], v[1], v[2]
	if to < from {
		return nil, fmt.Errorf("ramp %q: ends below where it starts", s)
	}
	var rates []float64
	// Counting steps, not adding floats, so 0.1 steps do not drift past to.
	for i := 0; ; i++ {
		r := from + float64(i)*step
		if r > to+1e-9 {
			break
		}
		rates = append(rates, r)
	}
	if len(rates) > 100 {
		return nil, fmt.Errorf("ramp %q: %d steps is too many (at most 100)", s, len(rates))
	}
	return rates, nil
}

// RampResult is the outcome of a ramp.
type RampResult struct {
	Limit time.Duration
	Steps []Result
	// BreachRate is the first rate that breached Limit (see
	// Result.Breached), and BreachReason why; zero if none did.
	BreachRate   float64
	BreachReason string
	// Sustained is the highest rate that stayed within Limit, all the
	// lower steps included; zero if the first step breached.
	Sustained float64
}

// Ramp runs o at each rate in turn for o.Duration, pausing between steps so
// that one step's backlog is not counted against the next, and stops after
// the first step that breaches limit. each, when set, sees every step as it
// ends.
func Ramp(ctx context.Context, o Options, rates []float64, limit, pause time.Duration, each func(Result)) (RampResult, error) {
	rr := RampResult{Limit: limit}
	if o.Client == nil {
		// One client for all steps: the connections of one are reused by
		// the next.
		o.Client = NewClient(o.MaxInFlight)
	}
	for i, rate := range rates {
		if i > 0 && pause > 0 {
			select {
			case <-ctx.Done():
				return rr, ctx.Err()
			case <-time.After(pause):
			}
		}
		o.Rate = rate
		res, err := Run(ctx, o)
		if err != nil {
			return rr, err
		}
		rr.Steps = append(rr.Steps, res)
		if each != nil {
			each(res)
		}
		if bad, why := res.Breached(limit); bad {
			rr.BreachRate, rr.BreachReason = rate, why
			return rr, nil
		}
		rr.Sustained = rate
	}
	return rr, nil
}
