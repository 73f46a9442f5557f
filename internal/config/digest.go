package config

import (
	"strings"
)

// EnvDigestChannels lists the channels monthly digests are posted to.
const EnvDigestChannels = "RELAIS_DIGEST_CHANNELS"

// DigestChannel is one channel that receives the monthly digest, in its
// language, for its audience.
type DigestChannel struct {
	Channel  string // C… or G…
	Language string // fr or en
	Audience string // partnership or coordinators
}

// parseDigestChannels reads "C123:fr:partnership,C456:en:coordinators".
func parseDigestChannels(v string) ([]DigestChannel, error) {
	if v == "" {
		return nil, nil
	}
	var out []DigestChannel
	seen := map[string]bool{}
	for _, item := range strings.Split(v, ",") {
		item = strings.TrimSpace(item)
		parts := strings.Split(item, ":")
		if len(parts) != 3 {
			return nil, errorf(EnvDigestChannels, "%q is not channel:language:audience (e.g. C0123ABCD:fr:partnership)", item)
		}
		ch, lang, aud := strings.TrimSpace(parts[0]), strings.ToLower(strings.TrimSpace(parts[1])), strings.ToLower(strings.TrimSpace(parts[2]))
		if !isChannelID(ch) {
			return nil, errorf(EnvDigestChannels, "%q is not a channel id (want C… or G…, from the channel's details)", ch)
		}
		if lang != "fr" && lang != "en" {
			return nil, errorf(EnvDigestChannels, "%q: language %q is not fr or en", item, lang)
		}
		if aud != "partnership" && aud != "coordinators" {
			return nil, errorf(EnvDigestChannels, "%q: audience %q is not partnership or coordinators", item, aud)
		}
		if seen[ch] {
			return nil, errorf(EnvDigestChannels, "channel %s is listed twice", ch)
		}
		seen[ch] = true
		out = append(out, DigestChannel{Channel: ch, Language: lang, Audience: aud})
	}
	return out, nil
}
