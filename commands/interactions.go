package commands

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/pic-montreal/relais/internal/store"
)

// Interaction is a button Relais puts in messages, declared as data beside
// the commands: the action_id it answers to and its handler.
type Interaction struct {
	// ActionID is the button's action_id; with Prefix, every action_id that
	// starts with it (buttons of one kind in one block must differ).
	ActionID string
	Prefix   bool
	Run      func(ctx context.Context, act ActionInvocation) Reply
}

func (i Interaction) matches(actionID string) bool {
	if i.Prefix {
		return strings.HasPrefix(actionID, i.ActionID)
	}
	return actionID == i.ActionID
}

// ViewDef is a modal Relais opens, declared by its callback_id.
type ViewDef struct {
	CallbackID string
	Submit     func(ctx context.Context, sub ViewSubmission) SubmissionReply
}

// EventDef handles one Events API event type.
type EventDef struct {
	Type string
	Run  func(ctx context.Context, ev Event) (EventReply, error)
}

// interactions declares every button Relais emits.
func (rt *Router) interactions() []Interaction {
	return append([]Interaction{
		{ActionID: ActionPage, Prefix: true, Run: rt.page},
		{ActionID: ActionShare, Run: rt.share},
		{ActionID: ActionSuiviEdit, Run: rt.suiviButton("modifier")},
		{ActionID: ActionSuiviPause, Run: rt.suiviButton("pause")},
		{ActionID: ActionSuiviResume, Run: rt.suiviButton("reprendre")},
		{ActionID: ActionSuiviRun, Run: rt.suiviButton("lancer")},
		{ActionID: ActionChoose, Prefix: true, Run: rt.choose},
	}, append(append(rt.checkinButtons(), rt.threadButtons()...), rt.digestButtons()...)...)
}

// views declares every modal Relais opens.
func (rt *Router) views() []ViewDef {
	return []ViewDef{
		{CallbackID: ViewSchedule, Submit: rt.submitSchedule},
		{CallbackID: ViewAnswer, Submit: rt.submitAnswer},
	}
}

// events declares the events Relais handles; others are acknowledged and
// dropped.
func (rt *Router) events() []EventDef {
	return append([]EventDef{
		{Type: "app_home_opened", Run: rt.homeOpened},
		{Type: "message", Run: rt.dmMessage},
	}, rt.digestEvents()...)
}

// Submit answers a modal's submission. A view Relais does not know (an old
// version's, or a forged callback_id) is closed.
func (rt *Router) Submit(ctx context.Context, sub ViewSubmission) SubmissionReply {
	for _, v := range rt.modals {
		if v.CallbackID == sub.CallbackID {
			return v.Submit(ctx, sub)
		}
	}
	rt.opts.Logger.WarnContext(ctx, "view submission of an unknown view", "callback_id", sub.CallbackID,
		"user", sub.Caller.SlackUserID)
	return SubmissionReply{}
}

// Event handles an event with its declaration; unknown types do nothing.
func (rt *Router) Event(ctx context.Context, ev Event) (EventReply, error) {
	for _, d := range rt.eventDefs {
		if d.Type == ev.Type {
			return d.Run(ctx, ev)
		}
	}
	return EventReply{}, nil
}

// errDuplicate ends the transaction of an event already processed.
var errDuplicate = errors.New("event already processed")

// once runs fn in one transaction with the record that ev was processed, so
// the two commit together: a crash before the commit leaves neither (Slack's
// retry is then processed), and a retry after it changes nothing. It
// reports whether fn ran.
func (rt *Router) once(ctx context.Context, ev Event, actor store.Actor, fn func(tx *store.Tx) error) (bool, error) {
	err := rt.store.InTx(ctx, actor, func(tx *store.Tx) error {
		first, err := tx.MarkEventProcessed(ctx, ev.ID, ev.TeamID, ev.Type)
		if err != nil {
			return err
		}
		if !first {
			return errDuplicate
		}
		return fn(tx)
	})
	switch {
	case errors.Is(err, errDuplicate):
		rt.opts.Logger.DebugContext(ctx, "duplicate event ignored", "event_id", ev.ID)
		return false, nil
	case err != nil:
		return false, fmt.Errorf("event %s (%s): %w", ev.ID, ev.Type, err)
	}
	return true, nil
}

// eventActor is who an event's writes are attributed to.
func eventActor(ev Event) store.Actor {
	if ev.User != "" {
		return store.SlackActor(ev.User)
	}
	return store.Actor("slack:event")
}
