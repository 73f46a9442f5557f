package loadgen

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"
)

// ms formats a duration in milliseconds, to the microsecond below 10 ms.
func ms(d time.Duration) string {
	f := float64(d) / float64(time.Millisecond)
	if f < 10 {
		return fmt.Sprintf("%.2f ms", f)
	}
	return fmt.Sprintf("%.1f ms", f)
}

// msNum is ms without the unit, for table cells.
func msNum(d time.Duration) string { return strings.TrimSuffix(ms(d), " ms") }

func rateText(r float64) string { return strings.TrimSuffix(fmt.Sprintf("%.1f", r), ".0") }

// WriteResult prints a run: what was due and what became of it, then the
// latency percentiles of all kinds together and of each kind.
func WriteResult(w io.Writer, title string, r Result) {
	fmt.Fprintf(w, "%s: %s/s for %s\n", title, rateText(r.Rate), r.Duration)
	c := r.All.Counts
	fmt.Fprintf(w, "  due %d, ok %d, failed %d (dropped %d, errors %d, non-200 %d, slow acks %d, error replies %d, bad replies %d)\n",
		c.Due, c.OK, c.Failed(), c.Dropped, c.Errors, c.Non200, c.SlowAcks, c.ErrorReplies, c.BadReplies)
	fmt.Fprintf(w, "  replies/s %.1f; generator send lag p99 %s, max %s\n",
		r.AchievedRate(), ms(r.SendLag.P99), ms(r.SendLag.Max))
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "  kind\tcount\tfailed\tmean\tp50\tp90\tp99\tp99.9\tmax\t(ms)\t")
	for _, k := range append([]KindResult{r.All}, r.ByKind...) {
		l := k.Latency
		fmt.Fprintf(tw, "  %s\t%d\t%d\t%s\t%s\t%s\t%s\t%s\t%s\t\t\n", k.Kind, l.Count, k.Failed(),
			msNum(l.Mean), msNum(l.P50), msNum(l.P90), msNum(l.P99), msNum(l.P999), msNum(l.Max))
	}
	tw.Flush()
}

// WriteRampStep prints one ramp step on one line, under WriteRampHeader.
func WriteRampStep(w io.Writer, r Result, limit time.Duration) {
	verdict := "ok"
	if bad, why := r.Breached(limit); bad {
		verdict = "BREACH " + why
	}
	var kinds []string
	for _, k := range r.ByKind {
		kinds = append(kinds, fmt.Sprintf("%s p99 %s", k.Kind, ms(k.Latency.P99)))
	}
	l := r.All.Latency
	fmt.Fprintf(w, "%7s/s %8.1f %8s %8s %8s %8s %8s %6d %8s  %s; %s\n", rateText(r.Rate), r.AchievedRate(),
		msNum(l.P50), msNum(l.P90), msNum(l.P99), msNum(l.P999), msNum(l.Max), r.All.Failed(),
		msNum(r.SendLag.P99), strings.Join(kinds, ", "), verdict)
}

// WriteRampHeader prints the column names of WriteRampStep. "lag p99" is
// how late the generator sent: large values mean the machine could not keep
// the schedule (latencies still count from it).
func WriteRampHeader(w io.Writer) {
	fmt.Fprintf(w, "%9s %8s %8s %8s %8s %8s %8s %6s %8s  %s\n", "rate", "replies", "p50", "p90", "p99", "p99.9", "max", "failed", "lag p99", "(ms)")
}

// WriteRampVerdict prints where the ramp broke.
func WriteRampVerdict(w io.Writer, rr RampResult) {
	switch {
	case rr.BreachRate == 0 && len(rr.Steps) > 0:
		fmt.Fprintf(w, "p99 stayed within %s up to %s/s, the last step: the limit was not reached\n",
			ms(rr.Limit), rateText(rr.Sustained))
	case rr.BreachRate != 0 && rr.Sustained == 0:
		fmt.Fprintf(w, "p99 passed %s at the first step, %s/s (%s)\n", ms(rr.Limit), rateText(rr.BreachRate), rr.BreachReason)
	case rr.BreachRate != 0:
		fmt.Fprintf(w, "p99 passed %s at %s/s (%s); sustained %s/s within it\n",
			ms(rr.Limit), rateText(rr.BreachRate), rr.BreachReason, rateText(rr.Sustained))
	}
}

// ResultLines are machine-readable lines, one per kind, for scripts:
//
//	#result label=L kind=K rate=R due=N ok=N failed=N p50_ms=F p90_ms=F p99_ms=F p999_ms=F max_ms=F
func ResultLines(label string, r Result) []string {
	var out []string
	for _, k := range append([]KindResult{r.All}, r.ByKind...) {
		l := k.Latency
		out = append(out, fmt.Sprintf("#result label=%s kind=%s rate=%s due=%d ok=%d failed=%d p50_ms=%s p90_ms=%s p99_ms=%s p999_ms=%s max_ms=%s",
			label, k.Kind, rateText(r.Rate), k.Due, k.OK, k.Failed(), msNum(l.P50), msNum(l.P90), msNum(l.P99), msNum(l.P999), msNum(l.Max)))
	}
	return out
}

// WriteTimeline prints a run second by second.
func WriteTimeline(w io.Writer, r Result) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "  second\tdue\tfailed\tp50\tp99\tmax\t(ms)\t")
	for _, s := range r.Timeline {
		fmt.Fprintf(tw, "  %d\t%d\t%d\t%s\t%s\t%s\t\t\n", s.Second, s.Due, s.Failed(),
			msNum(s.Latency.P50), msNum(s.Latency.P99), msNum(s.Latency.Max))
	}
	tw.Flush()
}
