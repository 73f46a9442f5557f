package config

import (
	"reflect"
	"testing"
)

func TestDigestChannels(t *testing.T) {
	c, err := Load(envOf(map[string]string{EnvDigestChannels: " C123:fr:partnership, G456:EN:coordinators "}))
	if err != nil {
		t.Fatal(err)
	}
	want := []DigestChannel{{"C123", "fr", "partnership"}, {"G456", "en", "coordinators"}}
	if !reflect.DeepEqual(c.DigestChannels, want) {
		t.Errorf("got %+v, want %+v", c.DigestChannels, want)
	}
	for v, msg := range map[string]string{
		"C123:fr":                                  `RELAIS_DIGEST_CHANNELS: "C123:fr" is not channel:language:audience (e.g. C0123ABCD:fr:partnership)`,
		"#digest:fr:partnership":                   `RELAIS_DIGEST_CHANNELS: "#digest" is not a channel id (want C… or G…, from the channel's details)`,
		"C123:de:partnership":                      `RELAIS_DIGEST_CHANNELS: "C123:de:partnership": language "de" is not fr or en`,
		"C123:fr:everyone":                         `RELAIS_DIGEST_CHANNELS: "C123:fr:everyone": audience "everyone" is not partnership or coordinators`,
		"C123:fr:partnership,C123:en:coordinators": "RELAIS_DIGEST_CHANNELS: channel C123 is listed twice",
	} {
		if _, err := Load(envOf(map[string]string{EnvDigestChannels: v})); err == nil || err.Error() != msg {
			t.Errorf("%q: got %v, want %s", v, err, msg)
		}
	}
}
