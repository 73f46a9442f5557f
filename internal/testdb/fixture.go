package testdb

import (
	"context"
	"testing"

	"github.com/pic-montreal/relais/internal/store"
)

// Fixture is a small, exact dataset for query tests: three quartiers, their
// Tables, two funders, five initiatives, grants and notes whose totals the
// tests know by heart.
const Fixture = `
SELECT set_config('relais.actor', 'test:fixture', false);
INSERT INTO quartiers (id, slug, name, match_key, borough, population) VALUES
  (1, 'saint-michel', 'Saint-Michel', 'saint michel', 'Villeray–Saint-Michel–Parc-Extension', 50000),
  (2, 'cote-des-neiges', 'Côte-des-Neiges', 'cote des neiges', 'Côte-des-Neiges–Notre-Dame-de-Grâce', 100000),
  (3, 'verdun', 'Verdun', 'verdun', 'Verdun', NULL),
  (4, 'saint-henri', 'Saint-Henri', 'saint henri', 'Le Sud-Ouest', 20000);
INSERT INTO organisations (id, slug, name, kind, quartier_id, slack_channel_id) VALUES
  (1, 'table-saint-michel', 'Table de Saint-Michel', 'table_de_quartier', 1, 'C0SM'),
  (2, 'table-cdn', 'Table de Côte-des-Neiges', 'table_de_quartier', 2, NULL),
  (3, 'table-verdun', 'Table de Verdun', 'table_de_quartier', 3, NULL),
  (4, 'fondation-exemple', 'Fondation Exemple', 'funder', NULL, NULL),
  (5, 'ville-exemple', 'Ville Exemple', 'public_institution', NULL, NULL),
  (6, 'coalition', 'Coalition des Tables', 'regional_partner', NULL, NULL);
INSERT INTO people (id, slack_user_id, display_name, organisation_id, role, answers_checkins, language) VALUES
  (1, 'UCOORD', 'Coordination', 6, 'coordinator', false, 'fr'),
  (2, 'UPART', 'Partenaire', 4, 'partner', false, NULL),
  (3, 'USM', 'Membre Saint-Michel', 1, 'table_member', true, 'en'),
  (4, 'UCDN', 'Membre CDN', 2, 'table_member', true, NULL);
INSERT INTO themes (id, slug, name_fr, name_en) VALUES
  (1, 'logement', 'Logement', 'Housing'),
  (2, 'securite-alimentaire', 'Sécurité alimentaire', 'Food security');
INSERT INTO initiatives (id, code, quartier_id, lead_organisation_id, title, summary, language, status, start_date, end_date) VALUES
  (1, 'SM-01', 1, 1, 'Épicerie solidaire', 'Une épicerie où la sécurité alimentaire passe par la dignité.', 'fr', 'active', '2016-01-01', NULL),
  (2, 'SM-02', 1, 1, 'Comité logement', 'Des locataires défendent leurs logements.', 'fr', 'active', '2017-01-01', NULL),
  (3, 'CDN-01', 2, 2, 'Housing clinic', 'Tenants get help with their housing rights.', 'en', 'completed', '2015-01-01', '2020-12-31'),
  (4, 'VER-01', 3, 3, 'Cuisines collectives', 'Cuisiner ensemble.', 'fr', 'planned', '2025-01-01', NULL),
  (5, 'REG-01', NULL, 6, 'Observatoire régional', 'Des données partagées.', 'fr', 'active', '2019-01-01', NULL);
INSERT INTO initiative_themes VALUES (1, 2), (2, 1), (3, 1), (4, 2);
INSERT INTO funding (code, initiative_id, funder_id, amount_cents, kind, support_description, period_start, period_end) VALUES
  ('F1', 1, 4, 100000000, 'financial', '', '2016-01-01', '2017-12-31'),
  ('F2', 2, 5,  50000000, 'financial', '', '2017-01-01', '2017-12-31'),
  ('F3', 3, 4, 200000000, 'financial', '', '2015-01-01', '2015-12-31'),
  ('F4', 1, 6,   1000000, 'non_financial', 'Accompagnement en évaluation', '2018-01-01', '2018-12-31'),
  ('F5', 5, 4,  30000000, 'financial', '', '2026-01-01', '2026-11-30');
INSERT INTO progress_notes (organisation_id, quartier_id, author_id, period, body, language, visibility, conditions) VALUES
  (1, 1, 3, '2026-08-01', 'L''épicerie solidaire a servi 300 familles; la sécurité alimentaire progresse.', 'fr', 'partnership', '{practices}'),
  (1, 1, 3, '2026-09-01', 'Tension au comité : note confidentielle sur le financement.', 'fr', 'coordinators', '{power_dynamics}'),
  (2, 2, 4, '2026-09-01', 'Tenants organised three housing meetings this month.', 'en', 'partnership', '{relationships,policies}'),
  (2, 2, 4, '2026-10-01', 'Les locataires préparent une assemblée sur le logement.', 'fr', 'coordinators', '{}');
SELECT setval(pg_get_serial_sequence(t, 'id'), 1000) FROM unnest(ARRAY['quartiers','organisations','people','themes','initiatives','funding','progress_notes']) t;
`

// WithFixture returns a Store on a fresh database holding Fixture.
func WithFixture(t testing.TB) *store.Store {
	t.Helper()
	st := New(t)
	if _, err := st.DB().ExecContext(context.Background(), Fixture); err != nil {
		t.Fatalf("load fixture: %v", err)
	}
	return st
}
