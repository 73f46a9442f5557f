package main

import (
	"os"
	"regexp"
	"strings"
	"testing"
)

// The manifest and README's install steps name every scope and event Relais
// uses; an installed workspace only gets what the manifest asks for.
func TestManifestNamesWhatRelaisUses(t *testing.T) {
	manifest, err := os.ReadFile("../../slack-app-manifest.yaml")
	if err != nil {
		t.Fatal(err)
	}
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	scopes := []string{"commands", "chat:write", "users:read", "users:read.email", "im:write", "im:history",
		"files:write", "files:read", "channels:read", "groups:read", "channels:history", "groups:history"}
	events := []string{"message.im", "app_home_opened", "member_joined_channel"}
	for _, want := range append(scopes, events...) {
		if !regexp.MustCompile(`(?m)^\s+- ` + regexp.QuoteMeta(want) + `\s`).Match(manifest) {
			t.Errorf("the manifest does not ask for %s", want)
		}
		if !strings.Contains(string(readme), "`"+want+"`") {
			t.Errorf("README's install steps do not name %s", want)
		}
	}
	for _, want := range []string{"should_escape: true", "home_tab_enabled: true", "messages_tab_read_only_enabled: false"} {
		if !strings.Contains(string(manifest), want) {
			t.Errorf("the manifest lacks %q", want)
		}
	}
}
