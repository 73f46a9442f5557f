package commands_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/pic-montreal/relais/commands"
)

// hostile is Slack syntax stored in data: a mention of everyone, a link, a
// user mention and an entity. Rendered right, each shows as typed.
const hostile = ` X <!channel> <https://evil.example|clic> <@U0EVIL> &amp;Z`

// live are the forms the hostile text takes when it is NOT escaped: in mrkdwn
// (section text, fields, context, the plain-text fallback) each would notify,
// link, or show "&Z" instead of what was stored. Escaped, "&amp;Z" becomes
// "&amp;amp;Z", which does not contain "&amp;Z".
var live = []string{"<!channel>", "<https://evil.example", "<@U0EVIL>", "&amp;Z"}

// Every text column a reply can show holds Slack syntax; every command's
// blocks and fallback text show it as typed, never live.
func TestStoredTextIsEscapedEverywhere(t *testing.T) {
	rt, st := newRouter(t)
	for i := range 10 { // past the 8 a quartier shows: "… and N more" names the quartier
		if err := st.ExecAsForTest(ctx, "test", fmt.Sprintf(`INSERT INTO initiatives (code, quartier_id,
			lead_organisation_id, title, start_date) VALUES ('SM-X%d', 1, 1, 'Projet %d', '2024-01-01')`, i, i)); err != nil {
			t.Fatal(err)
		}
	}
	for _, stmt := range []string{
		`UPDATE quartiers SET name = name || $1, borough = borough || $1`,
		`UPDATE organisations SET name = name || $1`,
		`UPDATE people SET display_name = display_name || $1`,
		`UPDATE themes SET name_fr = name_fr || $1, name_en = name_en || $1`,
		`UPDATE initiatives SET title = title || $1, summary = summary || $1`,
		`UPDATE funding SET support_description = support_description || $1 WHERE kind = 'non_financial'`,
		`UPDATE progress_notes SET body = $1 || ' logement ' || body || $1`,
	} {
		if err := st.ExecAsForTest(ctx, "test", stmt, hostile); err != nil {
			t.Fatalf("%s: %v", stmt, err)
		}
	}
	texts := []string{
		"aide", "quartier saint-michel", "quartier cote-des-neiges", "quartier verdun", "quartier zzzz", "quartier saint",
		"initiatives", "initiatives logement", "initiatives saint-michel", "initiatives fondation",
		"financement", "financement 2016", "financement saint-michel", "financement fondation", "financement logement",
		"chercher logement", "chercher clic", "chercher evil", "membres", "saint-michel",
	}
	checked := 0
	for _, text := range texts {
		for _, user := range []string{coordinator, smMember} {
			reply := run(t, rt, user, text)
			checked += checkEscaped(t, text, reply)
			for _, b := range buttons(reply) {
				if b.ActionID == commands.ActionShare || strings.HasPrefix(b.ActionID, commands.ActionPage) {
					r := rt.Action(ctx, commands.ActionInvocation{Caller: commands.Caller{SlackUserID: user},
						ActionID: b.ActionID, Value: b.Value, Surface: commands.SurfacePrivate})
					checked += checkEscaped(t, text+" → "+b.ActionID, r)
				}
			}
		}
	}
	// The data did reach the replies: the test can fail.
	if checked < 40 {
		t.Errorf("the hostile text showed in only %d places", checked)
	}
}

// checkEscaped fails when reply's fallback or mrkdwn shows live syntax, and
// returns how many of its texts show the stored syntax escaped.
func checkEscaped(t *testing.T, what string, reply commands.Reply) int {
	t.Helper()
	texts := append([]string{reply.Text}, mrkdwnTexts(t, reply)...)
	shown := 0
	for _, s := range texts {
		for _, l := range live {
			if strings.Contains(s, l) {
				t.Errorf("%q shows %q live in: %s", what, l, s)
			}
		}
		if strings.Contains(s, "&lt;!channel&gt;") {
			shown++
		}
	}
	return shown
}

// mrkdwnTexts lists every mrkdwn text object of reply's blocks.
func mrkdwnTexts(t *testing.T, reply commands.Reply) []string {
	t.Helper()
	b, err := json.Marshal(reply.Blocks)
	if err != nil {
		t.Fatal(err)
	}
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatal(err)
	}
	var out []string
	var walk func(any)
	walk = func(v any) {
		switch v := v.(type) {
		case map[string]any:
			if v["type"] == "mrkdwn" {
				if s, ok := v["text"].(string); ok {
					out = append(out, s)
				}
			}
			for _, e := range v {
				walk(e)
			}
		case []any:
			for _, e := range v {
				walk(e)
			}
		}
	}
	walk(v)
	return out
}
