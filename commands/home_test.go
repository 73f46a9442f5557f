package commands_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/pic-montreal/relais/commands"
	"github.com/pic-montreal/relais/internal/blockkit"
)

// Opening the App Home publishes, for whoever opened it, who Relais knows
// them as, in their language, and the commands they may run.
func TestAppHomeForEachRole(t *testing.T) {
	rt, _ := newRouter(t)
	for _, tc := range []struct {
		user      string
		wants     []string
		forbidden []string
	}{
		{coordinator, []string{"Bonjour, Coordination", "coordination", "/pic membres", "/pic langue en"}, nil},
		{smMember, []string{"Hello, Membre Saint-Michel", "roundtable member", "/pic language fr"}, []string{"members"}},
		{guest, []string{"pas encore inscrit", "/pic quartier"}, []string{"membres"}},
	} {
		reply, err := rt.Event(ctx, commands.Event{ID: "Ev1", Type: "app_home_opened", User: tc.user, Tab: "home"})
		if err != nil || reply.Home == nil {
			t.Fatalf("%s: %+v %v", tc.user, reply, err)
		}
		if err := blockkit.Validate(reply.Home.Blocks.BlockSet); err != nil {
			t.Errorf("%s: %v", tc.user, err)
		}
		b, _ := json.Marshal(reply.Home)
		shows := strings.NewReplacer(`\u003c`, "<", `\u003e`, ">", `\u0026`, "&").Replace(string(b))
		if !strings.Contains(shows, `"type":"home"`) {
			t.Errorf("%s: not a home view: %s", tc.user, shows)
		}
		for _, w := range tc.wants {
			if !strings.Contains(shows, w) {
				t.Errorf("%s: home lacks %q: %s", tc.user, w, shows)
			}
		}
		for _, f := range tc.forbidden {
			if strings.Contains(shows, "/pic "+f) {
				t.Errorf("%s: home offers %q", tc.user, f)
			}
		}
	}
	// The Messages tab opening publishes nothing.
	if reply, err := rt.Event(ctx, commands.Event{ID: "Ev2", Type: "app_home_opened", User: coordinator, Tab: "messages"}); err != nil || reply.Home != nil {
		t.Errorf("messages tab: %+v %v", reply, err)
	}
	// Events Relais does not handle do nothing.
	if reply, err := rt.Event(ctx, commands.Event{ID: "Ev3", Type: "reaction_added", User: coordinator}); err != nil || reply.Home != nil {
		t.Errorf("unknown event: %+v %v", reply, err)
	}
}
