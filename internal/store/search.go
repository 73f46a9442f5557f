package store

import (
	"context"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"
)

// SearchHit is one initiative or progress note that matches a search.
type SearchHit struct {
	Kind         string     `db:"kind"` // "initiative" or "note"
	ID           int64      `db:"id"`
	Code         *string    `db:"code"`   // initiatives
	Title        *string    `db:"title"`  // initiatives
	Period       *time.Time `db:"period"` // notes
	QuartierName *string    `db:"quartier_name"`
	Excerpt      string     `db:"excerpt"`
	Rank         float64    `db:"rank"`
}

// Excerpt markers: ts_headline wraps matched words in these, and replies turn
// them into bold text after escaping the rest.
const (
	MatchStart = "\x02"
	MatchStop  = "\x03"
)

// Search runs a full-text search over initiatives and the progress notes v may
// read, in French and English at once (accents ignored, words stemmed), best
// match first; it returns one page and whether there are more.
func (o ops) Search(ctx context.Context, v Viewer, query string, limit, offset int) ([]SearchHit, bool, error) {
	return search(ctx, o.q(), v, query, limit, offset)
}

func search(ctx context.Context, q queryer, v Viewer, query string, limit, offset int) ([]SearchHit, bool, error) {
	visible, vargs := v.noteFilter("n", 4)
	args := append([]any{query, limit + offset + 1, offset}, vargs...)
	var hits []SearchHit
	// Each side is ranked and cut on its own first, so ts_headline (the costly
	// part) runs on one page of rows only.
	err := sqlx.SelectContext(ctx, q, &hits, fmt.Sprintf(`
		WITH q AS (
			SELECT websearch_to_tsquery('fr_unaccent', $1) || websearch_to_tsquery('en_unaccent', $1) AS tsq
		), ranked AS (
			(SELECT 'initiative' AS kind, i.id, ts_rank(i.search, q.tsq) AS rank, NULL::date AS period
			 FROM initiatives i, q WHERE i.search @@ q.tsq
			 ORDER BY rank DESC, i.id LIMIT $2)
			UNION ALL
			(SELECT 'note', n.id, ts_rank(n.search, q.tsq), n.period
			 FROM progress_notes n, q WHERE n.search @@ q.tsq AND %s
			 ORDER BY 3 DESC, n.period DESC, n.id LIMIT $2)
		), page AS (
			SELECT * FROM ranked ORDER BY rank DESC, period DESC NULLS FIRST, kind, id LIMIT $2 - $3 OFFSET $3
		)
		SELECT p.kind, p.id, p.rank, p.period, i.code, i.title,
		       coalesce(qi.name, qn.name) AS quartier_name,
		       ts_headline(CASE WHEN coalesce(i.language, n.language) = 'en' THEN 'en_unaccent'::regconfig
		                        ELSE 'fr_unaccent'::regconfig END,
		                   coalesce(i.title || '. ' || i.summary, n.body), q.tsq,
		                   'StartSel=' || chr(2) || ', StopSel=' || chr(3) || ', MaxWords=30, MinWords=12, MaxFragments=2, FragmentDelimiter=" … "') AS excerpt
		FROM page p CROSS JOIN q
		LEFT JOIN initiatives i ON p.kind = 'initiative' AND i.id = p.id
		LEFT JOIN quartiers qi ON qi.id = i.quartier_id
		LEFT JOIN progress_notes n ON p.kind = 'note' AND n.id = p.id
		LEFT JOIN quartiers qn ON qn.id = n.quartier_id
		ORDER BY p.rank DESC, p.period DESC NULLS FIRST, p.kind, p.id`, visible), args...)
	if err != nil {
		return nil, false, wrap("search", err)
	}
	more := len(hits) > limit
	if more {
		hits = hits[:limit]
	}
	return hits, more, nil
}
