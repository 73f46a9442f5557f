package store

import (
	"context"
	"strings"

	"github.com/jmoiron/sqlx"

	"github.com/pic-montreal/relais/internal/domain"
)

const quartierColumns = `q.id, q.slug, q.name, q.match_key, q.borough, q.population, q.is_sample`

// How a quartier was found from typed text.
const (
	MatchExact = "exact" // the folded name itself
	MatchWords = "words" // the name contains the typed words
	MatchNear  = "near"  // a close name (typo)
)

// QuartierMatch is a quartier found from what a user typed; Similarity
// (0..1, trigram) says how close the name is.
type QuartierMatch struct {
	domain.Quartier
	How        string  `db:"how"`
	Similarity float64 `db:"similarity"`
}

// FindQuartiers looks a quartier up by what a user typed: first the folded
// name itself (case, accents, hyphens and "St-" ignored), then names that
// contain the typed words, then the closest names by trigram similarity, so
// small typos still find it. At most limit matches, best first. It needs no
// snapshot: the answer is one statement's rows, a later step running only
// when the earlier found nothing.
func (o ops) FindQuartiers(ctx context.Context, typed string, limit int) ([]QuartierMatch, error) {
	return findQuartiers(ctx, o.q(), typed, limit)
}

func findQuartiers(ctx context.Context, q queryer, typed string, limit int) ([]QuartierMatch, error) {
	key := domain.MatchKey(typed)
	if key == "" {
		return nil, nil
	}
	var exact []QuartierMatch
	err := sqlx.SelectContext(ctx, q, &exact, `SELECT `+quartierColumns+`, 'exact' AS how, 1.0 AS similarity
		FROM quartiers q WHERE q.match_key = $1`, key)
	if err != nil {
		return nil, wrap("find quartier", err)
	}
	if len(exact) > 0 {
		return exact, nil
	}
	var partial []QuartierMatch
	// Whole words anywhere in the name: "michel" finds Saint-Michel.
	err = sqlx.SelectContext(ctx, q, &partial, `SELECT `+quartierColumns+`, 'words' AS how,
			similarity(q.match_key, $1) AS similarity
		FROM quartiers q
		WHERE q.match_key LIKE $2 OR q.match_key LIKE $3
		ORDER BY similarity DESC, q.name LIMIT $4`,
		key, escapeLike(key)+" %", "% "+escapeLike(key)+"%", limit)
	if err != nil {
		return nil, wrap("find quartier", err)
	}
	if len(partial) > 0 {
		return partial, nil
	}
	var near []QuartierMatch
	// word_similarity forgives typos inside one word of a longer name.
	err = sqlx.SelectContext(ctx, q, &near, `SELECT `+quartierColumns+`, 'near' AS how,
			greatest(similarity(q.match_key, $1), word_similarity($1, q.match_key)) AS similarity
		FROM quartiers q
		WHERE q.match_key % $1 OR $1 <% q.match_key
		ORDER BY similarity DESC, q.name LIMIT $2`, key, limit)
	if err != nil {
		return nil, wrap("find quartier", err)
	}
	return near, nil
}

func escapeLike(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}

// ListQuartiers lists quartiers by name.
func (o ops) ListQuartiers(ctx context.Context) ([]domain.Quartier, error) {
	return listQuartiers(ctx, o.q())
}

func listQuartiers(ctx context.Context, q queryer) ([]domain.Quartier, error) {
	var qs []domain.Quartier
	err := sqlx.SelectContext(ctx, q, &qs, `SELECT `+quartierColumns+` FROM quartiers q ORDER BY q.name`)
	return qs, wrap("list quartiers", err)
}

// TableOfQuartier returns the quartier's Table de quartier.
func (o ops) TableOfQuartier(ctx context.Context, quartierID int64) (domain.Organisation, error) {
	return tableOfQuartier(ctx, o.q(), quartierID)
}

func tableOfQuartier(ctx context.Context, q queryer, quartierID int64) (domain.Organisation, error) {
	var o domain.Organisation
	err := sqlx.GetContext(ctx, q, &o, `SELECT `+organisationColumns+` FROM organisations o
		WHERE o.quartier_id = $1 AND o.kind = 'table_de_quartier'`, quartierID)
	if err != nil {
		return o, wrap("table of quartier", notFound(err, "table_de_quartier", "quartier"))
	}
	return o, nil
}

const organisationColumns = `o.id, o.slug, o.name, o.kind, o.quartier_id, o.slack_channel_id, o.is_sample`

// OrganisationByID returns one organisation.
func (o ops) OrganisationByID(ctx context.Context, id int64) (domain.Organisation, error) {
	return organisationByID(ctx, o.q(), id)
}

func organisationByID(ctx context.Context, q queryer, id int64) (domain.Organisation, error) {
	var o domain.Organisation
	err := sqlx.GetContext(ctx, q, &o, `SELECT `+organisationColumns+` FROM organisations o WHERE o.id = $1`, id)
	if err != nil {
		return o, wrap("organisation", notFound(err, "organisation", "id"))
	}
	return o, nil
}

// FindFunders finds organisations that give funding, by folded name or close
// to it, best first.
func (o ops) FindFunders(ctx context.Context, typed string, limit int) ([]domain.Organisation, error) {
	return findFunders(ctx, o.q(), typed, limit)
}

func findFunders(ctx context.Context, q queryer, typed string, limit int) ([]domain.Organisation, error) {
	key := strings.ToLower(strings.TrimSpace(typed))
	if key == "" {
		return nil, nil
	}
	var orgs []domain.Organisation
	err := sqlx.SelectContext(ctx, q, &orgs, `SELECT `+organisationColumns+`
		FROM organisations o
		WHERE o.kind <> 'table_de_quartier'
		  AND (immutable_unaccent(lower(o.name)) LIKE '%' || immutable_unaccent($1) || '%'
		       OR o.slug = $2
		       OR immutable_unaccent($1) <% immutable_unaccent(lower(o.name)))
		  AND EXISTS (SELECT 1 FROM funding f WHERE f.funder_id = o.id)
		ORDER BY word_similarity(immutable_unaccent($1), immutable_unaccent(lower(o.name))) DESC, o.name
		LIMIT $3`, key, domain.Slugify(typed), limit)
	return orgs, wrap("find funders", err)
}
