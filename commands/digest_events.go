package commands

import (
	"context"
	"slices"
)

// DigestJoins is what a DigestPublisher may also do (*jobs.Jobs): post at
// once the digests that wait for Relais to be invited to channel.
type DigestJoins interface {
	DigestChannelJoined(ctx context.Context, channel string) error
}

// digestEvents declares the events publishing the digest listens to.
func (rt *Router) digestEvents() []EventDef {
	return []EventDef{{Type: "member_joined_channel", Run: rt.memberJoinedChannel}}
}

// memberJoinedChannel runs the digests waiting for Relais in a digest
// channel someone just joined. The event does not say whether the one who
// joined is Relais, and need not: with Relais still out, the digest waits
// its next hourly try again, and coordinators are not alerted twice. The
// event's channel only picks which digests to try; what is posted and where
// comes from Relais' own records.
func (rt *Router) memberJoinedChannel(ctx context.Context, ev Event) (EventReply, error) {
	joins, ok := rt.opts.Digests.(DigestJoins)
	if !ok || ev.Channel == "" || !slices.Contains(rt.opts.Digests.DigestChannelIDs(), ev.Channel) {
		return EventReply{}, nil
	}
	return EventReply{}, joins.DigestChannelJoined(ctx, ev.Channel)
}
