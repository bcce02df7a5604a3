//go:build zzdiff

package olddecode

import (
	"strconv"
	"strings"

	"github.com/chatdeck/chatdeck/ingest/event"
)

// visitorCodes maps Comm100's webhook visitor status codes to states.
var visitorCodes = [...]event.VisitorState{
	0:  event.VisitorWaiting,
	1:  event.VisitorVoiceChatting,
	2:  event.VisitorChatting,
	3:  event.VisitorPreChat,
	4:  event.VisitorManuallyInvited,
	5:  event.VisitorAutoInvited,
	6:  event.VisitorOfflineMessage,
	7:  event.VisitorRefusedByAgent,
	8:  event.VisitorRefusedByVisitor,
	9:  event.VisitorChatEnded,
	10: event.VisitorInSite,
	11: event.VisitorOutOfSite,
}

// visitorNames maps Comm100's API status names (lower-cased) to states.
var visitorNames = map[string]event.VisitorState{
	"waitingforchat":          event.VisitorWaiting,
	"voicechatting":           event.VisitorVoiceChatting,
	"chatting":                event.VisitorChatting,
	"prechat":                 event.VisitorPreChat,
	"manuallyinvited":         event.VisitorManuallyInvited,
	"manuallyinvitedbywindow": event.VisitorManuallyInvited,
	"autoinvited":             event.VisitorAutoInvited,
	"offlinemessage":          event.VisitorOfflineMessage,
	"refusedbyoperator":       event.VisitorRefusedByAgent,
	"refusedbyagent":          event.VisitorRefusedByAgent,
	"refusedbyvisitor":        event.VisitorRefusedByVisitor,
	"chatended":               event.VisitorChatEnded,
	"insite":                  event.VisitorInSite,
	"outofsite":               event.VisitorOutOfSite,
	"transferring":            event.VisitorTransferring,
	"systemprocessing":        event.VisitorSystemProcessing,
}

// VisitorState maps a Comm100 visitor status, given as a webhook code (0–11,
// as a number or a numeric string) or as an API name ("waitingForChat", any
// case, with or without separators), to the one set of states. Unknown
// values map to VisitorStateUnknown.
func VisitorState(status string) event.VisitorState {
	s := strings.TrimSpace(status)
	if n, err := strconv.Atoi(s); err == nil {
		if n >= 0 && n < len(visitorCodes) {
			return visitorCodes[n]
		}
		return event.VisitorStateUnknown
	}
	key := strings.Map(func(r rune) rune {
		if r == '_' || r == '-' || r == ' ' {
			return -1
		}
		return r
	}, strings.ToLower(s))
	return visitorNames[key]
}

// AgentStatus maps a Comm100 status ("Online", "away", "login", "logout",
// a custom away status such as "Meeting") to an availability. Statuses are
// compared case-insensitively; a name that is not online or offline is a
// custom away status.
func AgentStatus(name string) event.AgentStatus {
	switch strings.ToLower(strings.TrimSpace(name)) {
	case "":
		return event.AgentUnknown
	case "online", "login", "available":
		return event.AgentOnline
	case "offline", "logout", "invisible":
		return event.AgentOffline
	default:
		return event.AgentAway
	}
}
