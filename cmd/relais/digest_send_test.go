package main

import (
	"context"
	"strings"
	"testing"

	"github.com/pic-montreal/relais/internal/store"
)

// relais digest --send queues month M to every digest channel, as
// /pic condensé envoyer does; relais serve posts it (tested in internal/jobs).
func TestDigestSendQueuesEveryChannel(t *testing.T) {
	db := seededDatabase(t)
	vars := map[string]string{"DATABASE_URL": db}

	code, out, errOut := runRelais(t, vars, "digest", "--send", "--month", "2026-10")
	if code != 2 || !strings.Contains(errOut, "RELAIS_DIGEST_CHANNELS names no channel") || out != "" {
		t.Errorf("without channels: exit %d, stdout %q, stderr %q", code, out, errOut)
	}

	vars["RELAIS_DIGEST_CHANNELS"] = "C0PARTNERS:fr:partnership,G0COORD:en:coordinators"
	for range 2 { // a second send is a re-send: the same rows, a new generation
		code, out, errOut = runRelais(t, vars, "digest", "--send", "--month", "2026-10")
		if code != 0 || !strings.Contains(out, "queued: the digest of 2026-10 to C0PARTNERS (fr, partnership)") ||
			!strings.Contains(out, "queued: the digest of 2026-10 to G0COORD (en, coordinators)") {
			t.Fatalf("send: exit %d, stdout %q, stderr %q", code, out, errOut)
		}
	}
	st, err := store.Open(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	var rows []struct {
		Channel  string `db:"channel"`
		Audience string `db:"audience"`
		Language string `db:"language"`
		Jobs     int    `db:"jobs"`
	}
	if err := st.DB().Select(&rows, `SELECT d.channel, d.audience, d.language,
			(SELECT count(*) FROM river_job j WHERE j.kind = 'digest_publish' AND (j.args->>'digest_id')::bigint = d.id) AS jobs
		FROM digests d WHERE d.period = '2026-10-01' ORDER BY d.channel`); err != nil {
		t.Fatal(err)
	}
	if len(rows) != 2 || rows[0].Channel != "C0PARTNERS" || rows[0].Audience != "partnership" || rows[0].Language != "fr" ||
		rows[1].Channel != "G0COORD" || rows[1].Audience != "coordinators" || rows[1].Language != "en" {
		t.Errorf("digests %+v, want one per channel with its audience and language", rows)
	}
	for _, r := range rows {
		if r.Jobs != 1 {
			t.Errorf("%s has %d publish jobs, want 1 (unique while waiting)", r.Channel, r.Jobs)
		}
	}
}
