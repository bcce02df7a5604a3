package board_test

// The reference model's reading of events from visitors' browsers
// (Untrusted: the JivoChat JavaScript API), from the rules in
// docs/METRICS.md, not from the board's code:
//
//   - A visitor's "open chat" is the last of their chats (same source and
//     visitor key) that was waiting or active at one of its events (a new
//     chat from the start of its first event), until it is neither.
//   - jivo_onMessageSent (ChatRequested) of a visitor with no open chat
//     makes a browser chat "browser:N", waiting from its receipt and
//     arrived there; it is their open chat.
//   - jivo_onAccept (ChatAccepted) answers the visitor's open chat at its
//     receipt if that is a browser chat waiting; jivo_onClose (ChatEnded)
//     ends it missed at its receipt, abandoned or short abandoned by the
//     wait from its waiting-since to that receipt.
//   - Nothing else untrusted moves a number.
//   - A webhook chat that had begun and becomes its visitor's open chat
//     again (another chat of theirs had taken the place) takes back the
//     browser chat open then, or the latest one closed unanswered at most
//     15 minutes before: that browser chat counts nothing.
//   - A JivoChat webhook chat, at its first event of an arrival kind, takes
//     over the browser chat of its visitor that is open, or the latest one
//     if it was closed unanswered at most 15 minutes before: the browser
//     chat then counts nothing; the webhook chat has its arrival (where it
//     was placed), its waiting-since and, if jivo_onAccept answered it, its
//     answer (where it was placed, with its answer receipt) and is active.

import (
	"time"

	"github.com/chatdeck/chatdeck/ingest/board"
	"github.com/chatdeck/chatdeck/ingest/event"
)

// refBrowser is the model's state of visitors' browser chats.
type refBrowser struct {
	open   map[string]*refChat // "source/visitor" → the visitor's open chat
	latest map[string]*refChat // "source/visitor" → their latest browser chat
}

func newRefBrowser() *refBrowser {
	return &refBrowser{open: map[string]*refChat{}, latest: map[string]*refChat{}}
}

func refVisitor(src event.Source, visitor string) string { return string(src) + "/" + visitor }

// apply walks one untrusted event; it returns the browser chat it made,
// if it made one.
func (r *refBrowser) apply(ev *event.Event, cfg board.Config) *refChat {
	vk := ev.Visitor.Key()
	if vk == "" || ev.Visitor.Number == "" {
		return nil
	}
	who := refVisitor(ev.Source, vk)
	open := r.open[who]
	own := open != nil && open.Key.id == "browser:"+ev.Visitor.Number
	switch ev.Kind {
	case event.ChatRequested:
		if open != nil {
			return nil
		}
		c := &refChat{Key: refKey{ev.Source, "browser:" + ev.Visitor.Number}, Visitor: vk, firstRecv: ev.ReceivedAt,
			Arrived: true, ArrivalAt: ev.ReceivedAt, State: "waiting", firstWaitRecv: ev.ReceivedAt}
		r.open[who], r.latest[who] = c, c
		return c
	case event.ChatAccepted:
		if own && open.State == "waiting" {
			open.answer(ev)
		}
	case event.ChatEnded:
		if own && open.State == "waiting" {
			open.State, open.OutcomeAt, open.closedAt = "missed", ev.ReceivedAt, ev.ReceivedAt
			open.WaitKnown, open.Wait = open.abandonWait(ev)
			open.Outcome = "abandoned"
			if open.WaitKnown && open.Wait < cfg.ShortAbandon {
				open.Outcome = "short_abandoned"
			}
			delete(r.open, who)
		}
	}
	return nil
}

// adopt lets c, a chat at its first event of an arrival kind ev, take
// over its visitor's browser chat.
func (r *refBrowser) adopt(c *refChat, ev *event.Event) {
	if c.Key.src != event.JivoChat || c.Visitor == "" {
		return
	}
	who := refVisitor(c.Key.src, c.Visitor)
	prev := r.open[who]
	if prev == nil {
		prev = r.latest[who]
		if prev == nil || prev.State != "missed" || ev.ReceivedAt.Sub(prev.closedAt) > 15*time.Minute {
			return
		}
	}
	if prev != r.latest[who] || prev == c {
		return // the open chat is a webhook's
	}
	c.Arrived, c.ArrivalAt, c.browserSince = prev.Arrived, prev.ArrivalAt, prev.firstWaitRecv
	if prev.Outcome == "answered" {
		c.State, c.Outcome, c.OutcomeAt, c.answerRecv = "active", "answered", prev.OutcomeAt, prev.answerRecv
	}
	prev.Arrived, prev.Outcome, prev.State = false, "", ""
	delete(r.latest, who)
	if r.open[who] == prev {
		delete(r.open, who)
	}
}

// noteOpen keeps the visitor's open chat before (before true) and after
// an event ev of c. A chat of an arrival kind's event, or one arrived
// already, that is not over is its visitor's open chat from the start of
// the event (so a chat first seen at its end leaves the visitor with none).
// A webhook chat that had begun (not fresh: ev is not its first arrival)
// and becomes its visitor's open chat again takes back the browser chat
// open then, or the latest one closed within 15 minutes: it counts nothing.
func (r *refBrowser) noteOpen(c *refChat, ev *event.Event, before, fresh bool) {
	if c.Visitor == "" || !(isArrivalKind(ev.Kind) || c.Arrived) {
		return
	}
	who := refVisitor(c.Key.src, c.Visitor)
	switch {
	case c.State == "waiting" || c.State == "active" || (before && c.State == ""):
		if before && !fresh && r.open[who] != c && c.Key.src == event.JivoChat {
			prev := r.open[who]
			if prev == nil && r.latest[who] != nil && r.latest[who].State == "missed" &&
				ev.ReceivedAt.Sub(r.latest[who].closedAt) <= 15*time.Minute {
				prev = r.latest[who]
			}
			if prev != nil && prev == r.latest[who] {
				prev.Arrived, prev.Outcome, prev.State = false, "", ""
				delete(r.latest, who)
			}
		}
		r.open[who] = c
	case r.open[who] == c:
		delete(r.open, who)
	}
}
