// Package blockkit is the one place where Relais makes a reply fit Slack's
// Block Kit limits (see shared/docs/slack-platform.md).
//
// Handlers build blocks with the safe builders (Header, Section, Fields,
// Context, Button, Actions, Divider). Builders truncate display text on a rune
// boundary, never leaving half a <url|label> link or half an &amp; entity, but
// they do not escape: a handler composes mrkdwn itself and passes every piece
// of user- or data-provided text through Escape (or Link) first.
//
// Before a reply leaves, the transport passes it through Fit (one message,
// e.g. an ack, a response_url answer, a ReplaceOriginal page) or Split (a long
// digest posted as several messages or a thread). Both re-check every block,
// so blocks built by hand are covered too. Their policy, in one place:
//   - display text that is too long is truncated with "…";
//   - identifiers (action_id, button value, url) are never rewritten: a button
//     whose identifiers are too long is dropped, since a click carrying a cut
//     value would do the wrong thing; an over-long or duplicated block_id is
//     cleared (Slack then assigns one; Relais routes on action_id);
//   - blocks Slack would refuse as empty are dropped;
//   - Fit keeps at most 49 blocks plus a context block carrying the caller's
//     notice (the caller translates it) when the reply has to be cut; Split
//     never cuts, it spreads the blocks over as many messages as needed.
//
// Validate, ValidateMessage and ValidateView report, without repairing, every
// limit a payload breaks; tests across the project use them on handlers' replies.
//
// Lengths are counted in Unicode code points (runes), as slack-go does.
package blockkit
