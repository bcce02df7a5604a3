package board

import (
	"strings"
	"time"

	"github.com/chatdeck/chatdeck/ingest/event"
)

// A chat's life: waiting (a visitor asked), active (an agent answered),
// then ended, or missed when it ended unanswered. Each handler below takes
// one kind of event; what each adds to the counts is in outcomes.go, and
// the rules both follow are in docs/METRICS.md.
//
// Events come in any order a vendor sends them. A wrap-up or feedback for
// a chat the board has not seen puts it on the board as ended, but
// "provisional": it has not arrived and has no outcome, and the first event
// that says how it went (a request, an answer, the end) takes it on from
// there as if it were new.

// lateAfter is how far a vendor's time for an event may lie before its
// receipt and still be counted at the receipt: beyond it the payload is a
// replay, a late retry or a backfill, counted when it happened.
const lateAfter = 15 * time.Minute

// place is when what ev decides is counted: its receipt, or the vendor's
// own time for it when that is more than lateAfter earlier. (Within the
// tolerance the receipt, so that counts are in journal order.)
func place(ev *event.Event) time.Time {
	if !ev.OccurredAt.IsZero() && ev.ReceivedAt.Sub(ev.OccurredAt) > lateAfter {
		return ev.OccurredAt
	}
	return ev.ReceivedAt
}

// chatOf returns the chat ev is about, or puts ev in the inbox as
// incomplete and returns nil when it names neither a chat nor a visitor.
func (b *Board) chatOf(ev *event.Event) *Chat {
	c := b.chat(ev)
	if c == nil {
		b.incomplete(ev, "no chat id and no visitor to place it by")
	}
	return c
}

// incomplete puts ev in the inbox as kept but not placeable, saying why.
func (b *Board) incomplete(ev *event.Event, why string) {
	b.inbox.push(InboxItem{Type: InboxIncomplete, Source: ev.Source, At: ev.ReceivedAt, Seq: ev.Seq,
		VendorEvent: ev.VendorEvent, Text: preview(withNotes(ev, why), 200)})
}

// withNotes is text followed by what the decoder noted of ev.
func withNotes(ev *event.Event, text string) string {
	if len(ev.Notes) == 0 {
		return text
	}
	return strings.Join(ev.Notes, "; ") + ": " + text
}

// stateOf is c's state as the handlers decide by: a provisional chat is
// one not yet begun.
func stateOf(c *Chat) ChatState {
	if c.tally.provisional {
		return ""
	}
	return c.State
}

// begin moves c, not yet begun, to s: a provisional chat leaves its
// provisional end.
func (b *Board) begin(c *Chat, s ChatState) {
	c.tally.provisional = false
	b.setState(c, s)
}

// wait starts the visitor's wait at ev (unless it began earlier).
func (b *Board) wait(c *Chat, ev *event.Event) {
	if c.RequestedAt.IsZero() {
		c.RequestedAt = ev.ReceivedAt
	}
	b.begin(c, Waiting)
}

// answer makes c active at ev and counts its answer.
func (b *Board) answer(c *Chat, ev *event.Event) {
	c.AnsweredAt = ev.ReceivedAt
	b.begin(c, Active)
	b.countAnswer(c, place(ev))
}

func (b *Board) chatRequested(ev *event.Event) {
	c := b.chatOf(ev)
	if c == nil {
		return
	}
	b.arrive(c, ev)
	if stateOf(c) == "" {
		b.wait(c, ev)
	}
	b.setAgents(c, ev, false)
	b.done(c)
}

func (b *Board) chatAnswered(ev *event.Event) {
	c := b.chatOf(ev)
	if c == nil {
		return
	}
	b.arrive(c, ev)
	b.setAgents(c, ev, ev.Kind == event.ChatTransferred)
	switch stateOf(c) {
	case "", Waiting:
		b.answer(c, ev)
	case Ended, Missed: // a late start after the end: the end stands
	}
	b.remember(c)
	b.done(c)
}

func (b *Board) chatUpdated(ev *event.Event) {
	c := b.chatOf(ev)
	if c == nil {
		return
	}
	b.arrive(c, ev)
	b.setAgents(c, ev, false)
	switch st := stateOf(c); {
	case st == "" && !hasFrom(ev.Messages, event.FromVisitor),
		st == Waiting && ev.Source == event.JivoChat && !hasFrom(ev.Messages, event.FromVisitor):
		// Jivo only updates chats an agent has accepted.
		b.answer(c, ev)
	case (st == "" || st == Waiting) && hasFrom(c.Messages, event.FromAgent):
		// A transcript so far (Chatlio) in which an agent has answered.
		b.answer(c, ev)
	case st == "":
		// A transcript so far with no answer yet: the visitor waits.
		b.wait(c, ev)
	}
	b.done(c)
}

func (b *Board) chatEnded(ev *event.Event) {
	c := b.chatOf(ev)
	if c == nil {
		return
	}
	b.arrive(c, ev)
	b.setAgents(c, ev, false)
	at := place(ev)
	if st := stateOf(c); st != Ended && st != Missed {
		c.tally.endRecv, c.EndedAt = ev.ReceivedAt, at
		if st == Active || len(c.Agents) > 0 || hasFrom(c.Messages, event.FromAgent) {
			b.countAnswer(c, at)
			b.begin(c, Ended)
		} else {
			b.countAbandon(c, at)
			b.begin(c, Missed)
		}
	}
	b.countRating(c, at)
	b.remember(c)
	b.done(c)
}

// chatWrappedUp: the agent filed the form, so an active chat is over (its
// answer is counted already). A wrap-up decides no outcome: of a waiting
// chat it changes nothing, and a chat first seen by its wrap-up is
// provisional until an event says how it went.
func (b *Board) chatWrappedUp(ev *event.Event) {
	c := b.chatOf(ev)
	if c == nil {
		return
	}
	switch c.State {
	case Active:
		c.tally.endRecv, c.EndedAt = ev.ReceivedAt, place(ev)
		b.setState(c, Ended)
	case "":
		c.tally.provisional, c.EndedAt = true, place(ev)
		b.setState(c, Ended)
	}
	b.done(c)
}

func (b *Board) visitorUnanswered(ev *event.Event) {
	c := b.chatOf(ev)
	if c == nil {
		return
	}
	b.arrive(c, ev)
	c.Unanswered = true
	if stateOf(c) == "" {
		b.wait(c, ev)
	}
	b.inbox.push(InboxItem{Type: InboxUnanswered, Source: ev.Source, At: ev.ReceivedAt, Seq: ev.Seq,
		ChatID: c.ID, Visitor: visitorLabel(c.Visitor), Text: c.FirstMessage()})
	b.done(c)
}

// feedback counts the rating; a chat first seen by its feedback is
// provisional, as with a wrap-up.
func (b *Board) feedback(ev *event.Event) {
	text := ""
	if ev.Rating != nil {
		text = ev.Rating.Comment
	}
	item := InboxItem{Type: InboxFeedback, Source: ev.Source, At: ev.ReceivedAt, Seq: ev.Seq,
		ChatID: ev.ChatID, Visitor: visitorLabel(ev.Visitor), Text: text, Rating: ev.Rating}
	if c := b.chatOf(ev); c != nil {
		if c.State == "" {
			c.tally.provisional, c.EndedAt = true, place(ev)
			b.setState(c, Ended)
		}
		b.countRating(c, place(ev))
		b.remember(c)
		b.done(c)
		item.ChatID, item.Visitor = c.ID, visitorLabel(c.Visitor)
	}
	b.inbox.push(item)
}

func (b *Board) callEvent(ev *event.Event) {
	item := InboxItem{Type: InboxCall, Source: ev.Source, At: ev.ReceivedAt, Seq: ev.Seq, ChatID: ev.ChatID,
		Visitor: visitorLabel(ev.Visitor)}
	if ev.Call != nil {
		item.Text = strings.TrimSpace(ev.Call.Type + " call " + ev.Call.Status + " " + ev.Call.Phone)
	}
	b.inbox.push(item)
	if ev.ChatID != "" {
		if c := b.chats.get(b.key(ev.Source, ev.ChatID)); c != nil {
			b.merge(c, ev)
		}
	}
}

func (b *Board) visitorUpdated(ev *event.Event) {
	if ev.Visitor == nil || ev.Visitor.Key() == "" {
		return
	}
	if c := b.open[b.key(ev.Source, ev.Visitor.Key())]; c != nil {
		b.merge(c, ev)
	}
}
