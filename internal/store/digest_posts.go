package store

import (
	"context"
	"database/sql"
	"errors"
	"strconv"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/pic-montreal/relais/internal/domain"
)

// DigestActor is whom audit_log names for what the digest publisher writes.
const DigestActor Actor = "system:digest"

// Digest statuses.
const (
	DigestPending = "pending" // to post, or to bring up to its generation
	DigestPosted  = "posted"  // every part is in Slack, as of its generation
	DigestRefused = "refused" // Relais will not post it in that channel
	DigestFailed  = "failed"  // gave up (7 days without access to the channel)
)

// Kinds of a digest's messages.
const (
	DigestParent = "parent"
	DigestReply  = "reply"
	DigestChart  = "chart"
)

// PublishedDigest is one digest of a month for one channel: the row that
// makes it exist once (UNIQUE (period, channel)).
type PublishedDigest struct {
	ID           int64           `db:"id"`
	Period       time.Time       `db:"period"`
	Channel      string          `db:"channel"`
	Audience     string          `db:"audience"`
	Language     domain.Language `db:"language"`
	Status       string          `db:"status"`
	Generation   int             `db:"generation"`
	DueAt        sql.NullTime    `db:"due_at"`
	WaitingSince sql.NullTime    `db:"waiting_since"`
	LastError    sql.NullString  `db:"last_error"`
	PublishedAt  sql.NullTime    `db:"published_at"`
}

// DigestClaim is what ClaimDigest writes.
type DigestClaim struct {
	Period   time.Time // first day of the month
	Channel  string
	Audience string
	Language domain.Language
	DueAt    time.Time
}

// ClaimDigest creates the digest of (period, channel) unless it exists;
// fresh says this call created it, so its publish job belongs in the same
// transaction. Two replicas claiming at once create it once.
func (o ops) ClaimDigest(ctx context.Context, c DigestClaim) (id int64, fresh bool, err error) {
	err = sqlx.GetContext(ctx, o.q(), &id, `
		INSERT INTO digests (period, channel, audience, language, due_at)
		VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT (period, channel) DO NOTHING RETURNING id`,
		c.Period, c.Channel, c.Audience, string(c.Language), c.DueAt)
	if errors.Is(err, sql.ErrNoRows) {
		err = sqlx.GetContext(ctx, o.q(), &id, `SELECT id FROM digests WHERE period = $1 AND channel = $2`, c.Period, c.Channel)
		return id, false, wrap("claim digest", err)
	}
	return id, err == nil, wrap("claim digest", err)
}

// RequestDigestResend marks the digest of (period, channel) to be brought
// up to a new generation (created when it was never posted): its messages
// are then updated in place, replies added or deleted, the chart replaced.
// The audience and language follow the configuration as it is now.
func (o ops) RequestDigestResend(ctx context.Context, c DigestClaim) (int64, error) {
	var id int64
	err := sqlx.GetContext(ctx, o.q(), &id, `
		INSERT INTO digests (period, channel, audience, language, due_at)
		VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT (period, channel) DO UPDATE SET generation = digests.generation + 1,
			status = 'pending', audience = EXCLUDED.audience, language = EXCLUDED.language,
			waiting_since = NULL, last_error = NULL, updated_at = now()
		RETURNING id`,
		c.Period, c.Channel, c.Audience, string(c.Language), c.DueAt)
	return id, wrap("request digest re-send", err)
}

// PublishedDigestByID reads a digest's row; domain.ErrNotFound when none.
func (o ops) PublishedDigestByID(ctx context.Context, id int64) (PublishedDigest, error) {
	var d PublishedDigest
	err := sqlx.GetContext(ctx, o.q(), &d, `
		SELECT id, period, channel, audience, language::text AS language, status, generation, due_at,
		       waiting_since, last_error, published_at
		FROM digests WHERE id = $1`, id)
	if errors.Is(err, sql.ErrNoRows) {
		return d, notFound(err, "digest", "")
	}
	return d, wrap("read digest", err)
}

// PublishedDigestOf reads the digest of (period, channel); domain.ErrNotFound when none.
func (o ops) PublishedDigestOf(ctx context.Context, period time.Time, channel string) (PublishedDigest, error) {
	var id int64
	err := sqlx.GetContext(ctx, o.q(), &id, `SELECT id FROM digests WHERE period = $1 AND channel = $2`, period, channel)
	if errors.Is(err, sql.ErrNoRows) {
		return PublishedDigest{}, notFound(err, "digest", "")
	}
	if err != nil {
		return PublishedDigest{}, wrap("find digest", err)
	}
	return o.PublishedDigestByID(ctx, id)
}

// SetDigestStatus records where a digest stands. waitingSince is kept when
// nil and status is pending; cleared otherwise unless given.
func (o ops) SetDigestStatus(ctx context.Context, id int64, status, lastError string, waitingSince *time.Time, now time.Time) error {
	_, err := o.q().ExecContext(ctx, `
		UPDATE digests SET status = $2, last_error = nullif($3, ''),
			waiting_since = CASE WHEN $4::timestamptz IS NOT NULL THEN coalesce(waiting_since, $4)
			                     WHEN $2 = 'pending' THEN waiting_since END,
			published_at = CASE WHEN $2 = 'posted' THEN coalesce(published_at, $5) ELSE published_at END,
			updated_at = now()
		WHERE id = $1`, id, status, lastError, waitingSince, now)
	return wrap("set digest status", err)
}

// DigestMessage is one message a digest posted (or is posting).
type DigestMessage struct {
	DigestID   int64          `db:"digest_id"`
	Kind       string         `db:"kind"`
	Part       int            `db:"part"`
	Channel    string         `db:"channel"`
	Key        string         `db:"key"`
	Generation int            `db:"generation"`
	Attempted  bool           `db:"attempted"`
	TS         sql.NullString `db:"ts"`
	FileID     sql.NullString `db:"file_id"`
}

// DigestMessages lists a digest's messages: parent, replies by part, chart.
func (o ops) DigestMessages(ctx context.Context, digestID int64) ([]DigestMessage, error) {
	var out []DigestMessage
	err := sqlx.SelectContext(ctx, o.q(), &out, `
		SELECT digest_id, kind, part, channel, key, generation, attempted, ts, file_id
		FROM digest_messages WHERE digest_id = $1
		ORDER BY CASE kind WHEN 'parent' THEN 0 WHEN 'reply' THEN 1 ELSE 2 END, part`, digestID)
	return out, wrap("list digest messages", err)
}

// RecordDigestAttempt notes, before posting, that a message is being sent
// with key: a crash after the post leaves the trace that says "look first".
// A row already posted (ts set) is left alone and reported as not pending.
func (o ops) RecordDigestAttempt(ctx context.Context, m DigestMessage) (pending bool, err error) {
	res, err := o.q().ExecContext(ctx, `
		INSERT INTO digest_messages (digest_id, kind, part, channel, key, generation, attempted)
		VALUES ($1, $2, $3, $4, $5, $6, true)
		ON CONFLICT (digest_id, kind, part) DO UPDATE SET attempted = true, key = EXCLUDED.key,
			generation = EXCLUDED.generation, updated_at = now()
		WHERE digest_messages.ts IS NULL`,
		m.DigestID, m.Kind, m.Part, m.Channel, m.Key, m.Generation)
	if err != nil {
		return false, wrap("record digest attempt", err)
	}
	n, err := res.RowsAffected()
	return n == 1, wrap("record digest attempt", err)
}

// ForgetDigestAttempt takes back an attempt Slack surely did not act on.
func (o ops) ForgetDigestAttempt(ctx context.Context, digestID int64, kind string, part int) error {
	_, err := o.q().ExecContext(ctx, `
		UPDATE digest_messages SET attempted = false, updated_at = now()
		WHERE digest_id = $1 AND kind = $2 AND part = $3 AND ts IS NULL`, digestID, kind, part)
	return wrap("forget digest attempt", err)
}

// MarkDigestMessage records a message as posted (or updated) at generation.
func (o ops) MarkDigestMessage(ctx context.Context, m DigestMessage, now time.Time) error {
	_, err := o.q().ExecContext(ctx, `
		INSERT INTO digest_messages (digest_id, kind, part, channel, key, generation, attempted, ts, file_id, posted_at)
		VALUES ($1, $2, $3, $4, $5, $6, false, $7, nullif($8, ''), $9)
		ON CONFLICT (digest_id, kind, part) DO UPDATE SET attempted = false, ts = EXCLUDED.ts,
			file_id = EXCLUDED.file_id, key = EXCLUDED.key, generation = EXCLUDED.generation,
			posted_at = coalesce(digest_messages.posted_at, EXCLUDED.posted_at), updated_at = now()`,
		m.DigestID, m.Kind, m.Part, m.Channel, m.Key, m.Generation, m.TS.String, m.FileID.String, now)
	return wrap("mark digest message", err)
}

// DeleteDigestMessage forgets a message Relais deleted from Slack.
func (o ops) DeleteDigestMessage(ctx context.Context, digestID int64, kind string, part int) error {
	_, err := o.q().ExecContext(ctx, `DELETE FROM digest_messages WHERE digest_id = $1 AND kind = $2 AND part = $3`,
		digestID, kind, part)
	return wrap("delete digest message", err)
}

// RoundClosing is when the check-in round(s) for period close (or closed):
// the latest, over every schedule; found is false with no round for period.
func (o ops) RoundClosing(ctx context.Context, period time.Time) (at time.Time, found bool, err error) {
	var t sql.NullTime
	err = sqlx.GetContext(ctx, o.q(), &t, `
		SELECT max(coalesce(closed_at, closes_at)) FROM checkin_rounds WHERE period = $1`, period)
	if err != nil {
		return time.Time{}, false, wrap("round closing", err)
	}
	return t.Time, t.Valid, nil
}

// DigestParentTS is the parent message of the digest of (period, channel),
// for the next digest's permalink; found is false when it was not posted.
func (o ops) DigestParentTS(ctx context.Context, period time.Time, channel string) (ts string, found bool, err error) {
	err = sqlx.GetContext(ctx, o.q(), &ts, `
		SELECT m.ts FROM digest_messages m JOIN digests d ON d.id = m.digest_id
		WHERE d.period = $1 AND d.channel = $2 AND m.kind = 'parent' AND m.ts IS NOT NULL`, period, channel)
	if errors.Is(err, sql.ErrNoRows) {
		return "", false, nil
	}
	return ts, err == nil, wrap("digest parent", err)
}

// WaitingDigests lists the digests of channel waiting for Relais to be let
// in (pending, with waiting_since set): the ones to retry when it joins.
func (o ops) WaitingDigests(ctx context.Context, channel string) ([]int64, error) {
	var ids []int64
	err := sqlx.SelectContext(ctx, o.q(), &ids, `
		SELECT id FROM digests WHERE channel = $1 AND status = 'pending' AND waiting_since IS NOT NULL ORDER BY id`, channel)
	return ids, wrap("waiting digests", err)
}

// LockDigestGeneration locks digest id's row, in the caller's transaction,
// and returns its generation: a re-send raises it, and whoever settles the
// digest compares.
func (o ops) LockDigestGeneration(ctx context.Context, id int64) (int, error) {
	var gen int
	err := sqlx.GetContext(ctx, o.q(), &gen, `SELECT generation FROM digests WHERE id = $1 FOR UPDATE`, id)
	return gen, wrap("lock digest", notFound(err, "digest", strconv.FormatInt(id, 10)))
}
