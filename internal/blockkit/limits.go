package blockkit

// Slack's Block Kit limits, from the "Blocks" and element reference pages.
const (
	MaxMessageBlocks   = 50
	MaxViewBlocks      = 100 // modals and the App Home tab
	MaxHeaderText      = 150
	MaxSectionText     = 3000
	MaxFields          = 10
	MaxFieldText       = 2000
	MaxTextObject      = 3000 // any other text object (context elements…)
	MaxContextElements = 10
	MaxActionsElements = 25
	MaxButtonText      = 75
	MaxButtonValue     = 2000
	MaxButtonURL       = 3000
	MaxActionID        = 255
	MaxBlockID         = 255
	MaxMessageText     = 40000

	// MaxBlocksText is Relais' budget for all the text of one message's
	// blocks. Slack refuses a message with msg_blocks_too_long past an
	// undocumented total: reports put it near 12,000 characters "with a buffer
	// for block containers", and one saw a refusal at 11,341 counted
	// characters, so we stay well below.
	MaxBlocksText = 10000
)

// CutNotice is the context line Fit adds when it has to cut a reply and the
// caller passed no notice of its own. Callers should pass a translated one.
const CutNotice = "_Liste coupée : un message Slack ne peut pas tout contenir. / List cut: a Slack message cannot hold it all._"

// fallbackText is the notification text of a message that has no text and no
// block to derive one from.
const fallbackText = "Relais"
