package decode

import (
	"strconv"
	"strings"

	"github.com/chatdeck/chatdeck/ingest/event"
)

// HintBrowser is the route hint of an event from a visitor's browser: the
// JivoChat JavaScript API's callbacks, posted by /browser/jivo.js to
// /browser/jivochat as {event, visitor_number, at, state?, contact?, call?}.
const HintBrowser = "browser"

// BrowserKinds maps the JivoChat widget callbacks chatdeck's script reports
// to kinds: the nearest normalised kind. The board reads these events by
// their kind only as far as an untrusted event may go (board/browser.go).
var BrowserKinds = map[string]event.Kind{
	"jivo_onMessageSent":  event.ChatRequested,  // the visitor's first message: they wait
	"jivo_onAccept":       event.ChatAccepted,   // an agent pressed Reply
	"jivo_onClose":        event.ChatEnded,      // the visitor closed the chat window
	"jivo_onOpen":         event.VisitorUpdated, // the chat window opened
	"jivo_onChangeState":  event.VisitorUpdated, // the widget's state ("chat", "call", "label", "chat/min")
	"jivo_onIntroduction": event.VisitorUpdated, // the visitor filled the contacts form
	"jivo_onCallStart":    event.CallEvent,
	"jivo_onCallEnd":      event.CallEvent,
}

// maxVisitorNumber is the longest visitor number taken: Jivo numbers its
// visitors 1, 2, 3, ...
const maxVisitorNumber = 19

// decodeJivoBrowser decodes a browser event. It is strict (an error in
// c.err refuses it): browser data can be forged, so only what the script
// sends is journalled. The browser's own clock ("at") is kept in the
// payload and never used: every wait is measured on chatdeck's receipts.
func decodeJivoBrowser(c *collector, root node) event.Event {
	name := strings.TrimSpace(c.s(root, "event"))
	ev := event.Event{VendorEvent: name, Untrusted: true}
	kind, ok := BrowserKinds[name]
	if !ok {
		c.refuse("event", "unknown browser event "+quote(name)+": want one of jivo_onMessageSent, jivo_onAccept, "+
			"jivo_onClose, jivo_onOpen, jivo_onChangeState, jivo_onIntroduction, jivo_onCallStart, jivo_onCallEnd")
		return ev
	}
	ev.Kind = kind
	number := strings.TrimSpace(c.s(root, "visitor_number"))
	if !validNumber(number) {
		c.refuse("visitor_number", "want the visitor number jivo_api.getVisitorNumber gives (digits), got "+quote(number))
		return ev
	}
	v := &event.Visitor{ID: number, Number: number}
	ev.Visitor = v
	if cn, ok := c.o(root, "contact"); ok {
		v.Name = c.s(cn, "name")
		v.Email = c.s(cn, "email")
		v.Phone = c.s(cn, "phone")
		v.Description = c.s(cn, "description")
	}
	if state := c.s(root, "state"); state != "" {
		v.StatusName = "widget " + state
	}
	if kind == event.CallEvent {
		call := &event.Call{Type: "browser", Status: "start"}
		if name == "jivo_onCallEnd" {
			call.Status = "end"
		}
		if cn, ok := c.o(root, "call"); ok {
			if r := c.s(cn, "result"); r == "fail" {
				call.Status = "error"
			}
			call.Reason = c.s(cn, "reason")
			call.Phone = c.s(cn, "phone")
		}
		ev.Call = call
	}
	return ev
}

// validNumber reports whether s is a Jivo visitor number: digits, not too
// many.
func validNumber(s string) bool {
	if s == "" || len(s) > maxVisitorNumber {
		return false
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

// refuse records a strict decoder's refusal of field (the first one wins).
func (c *collector) refuse(field, msg string) {
	if c.err == nil {
		c.err = &Error{Field: field, Msg: msg}
	}
	c.note(field + ": " + msg)
}

// quote is s quoted for a message, cut short.
func quote(s string) string {
	if r := []rune(s); len(r) > 60 {
		s = string(r[:60]) + "…"
	}
	return strconv.Quote(s)
}
