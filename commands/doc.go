// Package commands is Relais' slash-command registry. Each command is declared
// as data (French and English verbs, usage, example, who may run it, handler)
// and help is generated from the declarations. Handlers map a Request to a Reply
// built with slack-go's Block Kit types and open no connection to Slack.
package commands
