package board

import (
	"strings"
	"time"

	"github.com/chatdeck/chatdeck/ingest/event"
)

// Events from visitors' browsers (the JivoChat JavaScript API, Untrusted):
// Jivo's webhooks never say when a visitor started waiting, the widget
// does. Anyone can forge what a browser sends, so such an event moves only
// its own visitor's waiting state:
//
//   - jivo_onMessageSent (ChatRequested) puts the visitor, with no open
//     chat, in the queue as a chat of their own ("browser:" and the
//     visitor number), waiting from its receipt: an arrival.
//   - jivo_onAccept (ChatAccepted) answers that waiting chat at its
//     receipt; jivo_onClose (ChatEnded) ends it unanswered: abandoned, or
//     short abandoned by the usual rule, receipt to receipt.
//   - jivo_onIntroduction's contact shows on the visitor's open chat (a
//     webhook's chat only where the webhook said nothing of it).
//   - Calls go to the inbox; the rest changes nothing.
//
// A webhook chat of the same visitor number takes the browser's chat over
// (adoptBrowser, from noteOpen): the wait goes on from the browser's
// receipt, counted once. A webhook has the last word: a browser chat the
// visitor closed unanswered is taken back when a webhook chat of theirs
// comes within reclaimClosed, and never does a browser event touch a chat
// a webhook spoke of, an agent, or another visitor.

// browserPrefix starts the id of a chat known only from the browser.
const browserPrefix = "browser:"

// reclaimClosed is how long after a visitor closed the chat window
// unanswered a webhook chat of theirs still takes that wait over (the
// agent answered a visitor who had minimised the widget).
const reclaimClosed = 15 * time.Minute

// untrustedKind is what kindOf says of an untrusted event.
const untrustedKind event.Kind = "untrusted"

// kindOf is the kind Apply dispatches ev by: untrustedKind for an event
// from a browser, whatever its kind.
func kindOf(ev *event.Event) event.Kind {
	if ev.Untrusted {
		return untrustedKind
	}
	return ev.Kind
}

// browserEvent applies an untrusted event.
func (b *Board) browserEvent(ev *event.Event) {
	v := ev.Visitor
	if v == nil || v.Number == "" || v.Key() == "" {
		return
	}
	vk := b.key(ev.Source, v.Key())
	open := b.open[vk]
	own := open != nil && open.FromBrowser && open.onBoard
	switch ev.Kind {
	case event.ChatRequested:
		if open == nil {
			b.browserWait(ev, vk)
		}
	case event.ChatAccepted:
		if own && open.State == Waiting {
			b.merge(open, ev)
			b.answer(open, ev)
		}
	case event.ChatEnded:
		if own && open.State == Waiting {
			b.merge(open, ev)
			open.tally.endRecv, open.EndedAt = ev.ReceivedAt, ev.ReceivedAt
			b.countAbandon(open, ev.ReceivedAt)
			b.setState(open, Missed)
		}
	case event.VisitorUpdated:
		switch {
		case open == nil || v.Known()&contactFields == 0:
		case own:
			b.merge(open, ev)
		default:
			fillContact(open, v)
		}
	case event.CallEvent:
		item := InboxItem{Type: InboxCall, Source: ev.Source, At: ev.ReceivedAt, Seq: ev.Seq, Visitor: v.Number}
		if ev.Call != nil {
			item.Text = strings.TrimSpace("browser: call " + ev.Call.Status + " " + ev.Call.Reason)
		}
		b.inbox.push(item)
	}
}

// contactFields are the Visitor.Known bits of a contact: name, email,
// phone, description.
var contactFields = (&event.Visitor{Name: "x", Email: "x", Phone: "x", Description: "x"}).Known()

// browserWait puts the visitor of ev, who has no open chat, in the queue.
func (b *Board) browserWait(ev *event.Event, vk key) {
	id := browserPrefix + ev.Visitor.Number
	k := b.key(ev.Source, id)
	if old := b.chats.get(k); old != nil {
		// The visitor's earlier browser chat, over: it leaves the board,
		// what it counted stays.
		b.drop(old)
	}
	c := &Chat{Source: ev.Source, ID: id, FromBrowser: true, waitIndex: -1, RequestedAt: ev.ReceivedAt, UpdatedAt: ev.ReceivedAt}
	known := ev.VisitorKnows
	if known == 0 {
		known = ev.Visitor.Known()
	}
	setVisitor(c, ev.Visitor, known)
	b.putChat(k, c)
	b.setOpen(vk, c)
	b.arrive(c, ev)
	b.setState(c, Waiting)
}

// fillContact sets the contact fields c's visitor lacks from v, in a new
// visitor (the board never writes to one it holds).
func fillContact(c *Chat, v *event.Visitor) {
	if c.Visitor == nil {
		return
	}
	merged := *c.Visitor
	changed := false
	fill := func(d *string, s string) {
		if *d == "" && s != "" {
			*d, changed = s, true
		}
	}
	fill(&merged.Name, v.Name)
	fill(&merged.Email, v.Email)
	fill(&merged.Phone, v.Phone)
	fill(&merged.Description, v.Description)
	if changed {
		c.Visitor, c.visitorKnows = &merged, merged.Known()
	}
}

// adoptBrowser lets c, a webhook's chat of the visitor under vk, take over
// that visitor's browser chat: the one open, or one closed unanswered
// within reclaimClosed. c fresh (its first event is being applied) takes
// the wait on: its start, its arrival where it was counted, and its answer
// if jivo_onAccept answered it; a closed one's abandon is taken back. A c
// that had begun already keeps its own counts and the browser chat's are
// taken back. Either way the browser chat leaves the board.
func (b *Board) adoptBrowser(vk key, c *Chat) {
	if c.FromBrowser || c.FromPoll || c.Source != event.JivoChat {
		return
	}
	prev := b.open[vk]
	if prev == nil {
		prev = b.chats.get(b.key(c.Source, browserPrefix+vk.id))
		if prev == nil || !prev.FromBrowser || prev.State != Missed || c.UpdatedAt.Sub(prev.EndedAt) > reclaimClosed {
			return
		}
	}
	if prev == c || !prev.FromBrowser {
		return
	}
	if c.State != "" || c.tally.arrived || c.tally.outcome != noOutcome || c.tally.provisional {
		b.untally(prev, true)
		b.drop(prev)
		return
	}
	if prev.tally.outcome != answeredOutcome {
		b.untally(prev, false)
	}
	c.RequestedAt, c.tally.arrived = prev.RequestedAt, prev.tally.arrived
	if v := prev.Visitor; v != nil {
		fillContact(c, v)
	}
	answered := prev.tally.outcome == answeredOutcome
	if answered {
		c.tally, c.AnsweredAt = prev.tally, prev.AnsweredAt
	}
	b.drop(prev)
	if answered {
		b.setState(c, Active)
	}
}

// untally takes back what c added to the outcome log: its outcome, and
// its arrival too if arrival (placed at its RequestedAt, the receipt of
// the jivo_onMessageSent that brought it).
func (b *Board) untally(c *Chat, arrival bool) {
	if arrival && c.tally.arrived {
		b.outcomes.add(c.RequestedAt, outcome{arrivals: -1})
		c.tally.arrived = false
	}
	var o outcome
	switch c.tally.outcome {
	case answeredOutcome:
		o = b.waitOutcome(c.tally.wait, c.tally.waitKnown)
		o.answered = 1
	case abandonedOutcome:
		o.abandoned = 1
	case shortAbandonedOutcome:
		o.shortAbandoned = 1
	default:
		return
	}
	fix := outcome{}.minus(o)
	b.outcomes.add(c.tally.at, fix)
	b.deptLog(c.tally.dept).add(c.tally.at, fix)
	c.tally.outcome = noOutcome
}
