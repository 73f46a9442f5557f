// Package slackbot is the only package of Relais that talks to Slack.
//
// It receives slash commands, interactions and Events API deliveries either as
// signed HTTP requests ([NewHTTPHandler]) or over Socket Mode
// ([RunSocketMode]); both transports share the same conversion and dispatch
// code, so a command behaves the same whichever way it arrives.
//
// Slack wants every request acknowledged within 3 seconds. A command's
// [commands.Handler] runs in its own goroutine with a context detached from the
// request: if its reply is ready within Config.AckBudget the reply travels in
// the acknowledgement, otherwise the user sees a short "on its way" text and the
// reply is posted later to the request's response_url. Button clicks are always
// acknowledged at once and answered through response_url; a reply that opens a
// modal opens it on the request's trigger_id. A view submission is answered
// inside its acknowledgement (errors keep the modal open). An event is handed
// to the handler before it is acknowledged, so a failure leaves it for Slack
// to deliver again; the handler records the event id with its effect.
//
// Replies to requests (response_url posts, modals, the App Home, through
// [NewClient]) go through one small client that honours 429 Retry-After and
// logs an error when it gives up, so nothing is dropped silently. Web API calls
// are retried after 5xx and network errors too; a response_url post only when
// its connection could not be opened, since after a timeout or a 5xx Slack may
// already show it. What Relais sends on its own goes through [Sender], which
// never retries by itself (its caller, a delivery job, decides) and paces
// itself under Slack's limits.
//
// Nothing here logs tokens, the signing secret, request bodies or
// response_url paths (they are bearer capabilities).
package slackbot
