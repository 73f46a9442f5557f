// Package console runs Relais' commands in a terminal: it reads one command a
// line, calls the same commands.Handler as the Slack transports, and renders
// the Block Kit replies as text, numbering buttons so that typing a number
// clicks one. Piped input runs as a script, with no prompt.
package console
