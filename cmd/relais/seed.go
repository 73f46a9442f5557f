package main

import (
	"context"
	"fmt"
	"time"

	"github.com/pic-montreal/relais/internal/seed"
)

var seedCommand = &command{
	name:    "seed",
	summary: "load sample data: --demo (fictional partnership) or --synthetic (large, for benchmarks)",
	usage:   "--demo | --synthetic [--quartiers N --initiatives N --funding N --notes N]",
	help: "Migrate DATABASE_URL, then load data. Both sets are fictional and say so, and\n" +
		"loading twice changes nothing.\n" +
		"  --demo       17 Montreal neighbourhoods, their Tables, regional partners,\n" +
		"               initiatives, phase 1 and 2 funding and progress notes.\n" +
		"  --synthetic  a large dataset for load tests (default 1,000 quartiers,\n" +
		"               10,000 initiatives, 50,000 grants, 100,000 notes).\n" +
		"relais serve then refuses the database unless RELAIS_ALLOW_SAMPLE_DATA=1; to look\n" +
		"at the demo data, relais demo uses a database of its own.",
	run: runSeed,
}

func runSeed(ctx context.Context, cmd *command, args []string, e *env) error {
	fs := e.flags(cmd)
	demo := fs.Bool("demo", false, "load the fictional demo partnership")
	synthetic := fs.Bool("synthetic", false, "load the large synthetic dataset")
	size := seed.FullSynthetic
	fs.IntVar(&size.Quartiers, "quartiers", size.Quartiers, "synthetic: quartiers (each with its Table)")
	fs.IntVar(&size.Initiatives, "initiatives", size.Initiatives, "synthetic: initiatives")
	fs.IntVar(&size.Funding, "funding", size.Funding, "synthetic: funding rows")
	fs.IntVar(&size.Notes, "notes", size.Notes, "synthetic: progress notes")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageErrorf("unexpected argument %q", fs.Arg(0))
	}
	if *demo == *synthetic {
		return usageErrorf("choose one of --demo or --synthetic")
	}
	if size.Quartiers < 1 || size.Initiatives < 1 || size.Funding < 1 || size.Notes < 1 {
		return usageErrorf("synthetic sizes must be at least 1")
	}
	cfg, _, st, err := setupStore(ctx, e)
	if err != nil {
		return err
	}
	defer st.Close()
	start := time.Now()
	var counts seed.Counts
	if *demo {
		counts, err = seed.Demo(ctx, st)
	} else {
		counts, err = seed.Synthetic(ctx, st, size)
	}
	if err != nil {
		return dbError(cfg, err)
	}
	fmt.Fprintf(e.stdout, "loaded in %s: %s\n", time.Since(start).Round(time.Millisecond), counts)
	return nil
}
