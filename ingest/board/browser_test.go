package board_test

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/chatdeck/chatdeck/ingest/board"
	"github.com/chatdeck/chatdeck/ingest/event"
)

// browserEv is an event from visitor number n's browser, as the decoder
// makes it of the callback name.
func browserEv(callback, n string, at time.Time) event.Event {
	kinds := map[string]event.Kind{
		"jivo_onMessageSent": event.ChatRequested, "jivo_onAccept": event.ChatAccepted, "jivo_onClose": event.ChatEnded,
		"jivo_onIntroduction": event.VisitorUpdated, "jivo_onCallStart": event.CallEvent,
	}
	return event.Event{Source: event.JivoChat, Kind: kinds[callback], VendorEvent: callback, Untrusted: true,
		Visitor: &event.Visitor{ID: n, Number: n}, ReceivedAt: at}
}

// jivoHook is a JivoChat webhook of chat chat and visitor number n, as the
// decoder makes it.
func jivoHook(kind event.Kind, chat, n string, at time.Time) event.Event {
	ev := event.Event{Source: event.JivoChat, Kind: kind, ChatID: chat, Visitor: &event.Visitor{ID: n, Number: n}, ReceivedAt: at}
	if kind == event.ChatAccepted || kind == event.ChatEnded {
		ev.Agents = []event.Agent{{ID: "7", Name: "Thomas"}}
	}
	return ev
}

// TestBrowserWaitAnsweredByWebhook: jivo_onMessageSent queues the visitor,
// the chat_accepted webhook of the same visitor number answers that wait,
// receipt to receipt, counted once.
func TestBrowserWaitAnsweredByWebhook(t *testing.T) {
	evs := []event.Event{
		browserEv("jivo_onMessageSent", "2846", ruleClock(10, 0, 0)),
		jivoHook(event.ChatAccepted, "2302", "2846", ruleClock(10, 0, 20)),
		jivoHook(event.ChatEnded, "2302", "2846", ruleClock(10, 5, 0)),
	}
	checkRule(t, evs, []ruleStep{
		{1, ruleClock(10, 0, 12), expect{"queue_length": 1.0, "longest_wait_seconds": 12.0, "today.arrivals": 1.0, "today.answered": 0.0}},
		{2, ruleClock(10, 0, 30), expect{"queue_length": 0.0, "active_chats": 1.0, "today.arrivals": 1.0, "today.answered": 1.0,
			"today.asa_seconds": 20.0, "today.service_level": 1.0}},
		{3, ruleClock(10, 6, 0), expect{"active_chats": 0.0, "today.arrivals": 1.0, "today.answered": 1.0, "today.asa_seconds": 20.0}},
	})
	b := board.New(board.DefaultConfig())
	b.Apply(&evs[0])
	q := b.Queue(ruleClock(10, 0, 5), 0, -1)
	if len(q) != 1 || q[0].ChatID != "browser:2846" || q[0].ID != "2846" || !q[0].FromBrowser || q[0].WaitSeconds != 5 {
		t.Fatalf("queue = %+v, want visitor 2846 waiting 5 s from the browser", q)
	}
	b.Apply(&evs[1])
	if c, ok := b.Chat(event.JivoChat, "2302"); !ok || c.State != board.Active || !c.RequestedAt.Equal(ruleClock(10, 0, 0)) {
		t.Fatalf("webhook chat = %+v, want active, waiting since the browser's event", c)
	}
	if _, ok := b.Chat(event.JivoChat, "browser:2846"); ok {
		t.Error("the browser chat is still on the board after the webhook took it over")
	}
}

// TestBrowserAcceptAnswers: jivo_onAccept answers the wait; the webhook
// that follows carries it on without counting it again.
func TestBrowserAcceptAnswers(t *testing.T) {
	evs := []event.Event{
		browserEv("jivo_onMessageSent", "5", ruleClock(10, 0, 0)),
		browserEv("jivo_onAccept", "5", ruleClock(10, 0, 40)),
		jivoHook(event.ChatAccepted, "77", "5", ruleClock(10, 0, 45)),
		jivoHook(event.ChatEnded, "77", "5", ruleClock(10, 9, 0)),
	}
	checkRule(t, evs, []ruleStep{
		{2, ruleClock(10, 1, 0), expect{"queue_length": 0.0, "active_chats": 1.0, "today.answered": 1.0, "today.asa_seconds": 40.0,
			"today.answered_within_target": 0.0, "today.service_level": 0.0}},
		{3, ruleClock(10, 1, 0), expect{"active_chats": 1.0, "today.arrivals": 1.0, "today.answered": 1.0, "today.asa_seconds": 40.0}},
		{4, ruleClock(10, 10, 0), expect{"active_chats": 0.0, "today.arrivals": 1.0, "today.answered": 1.0, "today.asa_seconds": 40.0}},
	})
}

// TestBrowserCloseAbandons: jivo_onClose without an answer is a short
// abandon under 5 s and an abandon after; a webhook chat of that visitor
// within 15 minutes takes the abandon back (the webhook has the last word),
// and one later is a chat of its own.
func TestBrowserCloseAbandons(t *testing.T) {
	evs := []event.Event{
		browserEv("jivo_onMessageSent", "1", ruleClock(10, 0, 0)),
		browserEv("jivo_onClose", "1", ruleClock(10, 0, 3)),
		browserEv("jivo_onMessageSent", "2", ruleClock(10, 1, 0)),
		browserEv("jivo_onClose", "2", ruleClock(10, 2, 0)),
		jivoHook(event.ChatAccepted, "20", "2", ruleClock(10, 2, 30)),
		browserEv("jivo_onMessageSent", "3", ruleClock(10, 3, 0)),
		browserEv("jivo_onClose", "3", ruleClock(10, 4, 0)),
		jivoHook(event.ChatAccepted, "30", "3", ruleClock(10, 30, 0)),
	}
	checkRule(t, evs, []ruleStep{
		{2, ruleClock(10, 0, 10), expect{"queue_length": 0.0, "today.arrivals": 1.0, "today.short_abandoned": 1.0, "today.abandoned": 0.0}},
		{4, ruleClock(10, 2, 10), expect{"today.arrivals": 2.0, "today.short_abandoned": 1.0, "today.abandoned": 1.0,
			"today.abandonment_rate": 1.0}},
		{5, ruleClock(10, 2, 40), expect{"today.arrivals": 2.0, "today.abandoned": 0.0, "today.answered": 1.0,
			"today.asa_seconds": 90.0, "active_chats": 1.0}},
		{8, ruleClock(10, 31, 0), expect{"today.arrivals": 4.0, "today.abandoned": 1.0, "today.answered": 2.0,
			"today.asa_seconds": 90.0, "active_chats": 2.0}},
	})
}

// TestBrowserUntrustedRules: a browser event never moves a chat a webhook
// spoke of, an agent, or another visitor.
func TestBrowserUntrustedRules(t *testing.T) {
	forged := browserEv("jivo_onAccept", "9", ruleClock(10, 0, 12))
	forged.Agents = []event.Agent{{ID: "666", Name: "Mallory"}} // (the decoder sets none; the board must not read them)
	evs := []event.Event{
		jivoHook(event.ChatAccepted, "90", "8", ruleClock(10, 0, 0)),
		browserEv("jivo_onMessageSent", "8", ruleClock(10, 0, 5)), // late: the webhook spoke already
		browserEv("jivo_onClose", "8", ruleClock(10, 0, 6)),
		browserEv("jivo_onMessageSent", "9", ruleClock(10, 0, 10)),
		forged,
		browserEv("jivo_onClose", "10", ruleClock(10, 0, 20)),
		jivoHook(event.ChatEnded, "90", "8", ruleClock(10, 1, 0)),
		browserEv("jivo_onAccept", "8", ruleClock(10, 1, 5)),
	}
	checkRule(t, evs, []ruleStep{
		{3, ruleClock(10, 0, 7), expect{"queue_length": 0.0, "active_chats": 1.0, "today.arrivals": 1.0, "today.answered": 1.0,
			"today.abandoned": 0.0, "today.short_abandoned": 0.0}},
		{6, ruleClock(10, 0, 30), expect{"queue_length": 0.0, "active_chats": 2.0, "agents_total": 1.0, "today.arrivals": 2.0,
			"today.answered": 2.0, "today.abandoned": 0.0, "today.asa_seconds": 2.0}},
		{8, ruleClock(10, 1, 10), expect{"active_chats": 1.0, "today.answered": 2.0, "today.abandoned": 0.0}},
	})
	b := board.New(board.DefaultConfig())
	for i := range evs {
		b.Apply(&evs[i])
	}
	for _, a := range b.Agents() {
		if a.ID == "666" {
			t.Errorf("a browser event named agent %+v", a)
		}
	}
	if c, ok := b.Chat(event.JivoChat, "90"); !ok || c.State != board.Ended {
		t.Errorf("webhook chat 90 = %+v, want ended by its webhook, not moved by the browser", c)
	}
}

// TestBrowserIntroduction: the contact form's details show on the
// visitor: on the browser chat, and on a webhook chat only where the
// webhook said nothing.
func TestBrowserIntroduction(t *testing.T) {
	intro := browserEv("jivo_onIntroduction", "4", ruleClock(10, 0, 5))
	intro.Visitor = &event.Visitor{ID: "4", Number: "4", Name: "John Smith", Email: "email@example.com", Phone: "+14084987855"}
	hook := jivoHook(event.ChatAccepted, "40", "4", ruleClock(10, 0, 9))
	hook.Visitor.Name = "J. Smith (CRM)"
	b := board.New(board.DefaultConfig())
	for _, ev := range []event.Event{browserEv("jivo_onMessageSent", "4", ruleClock(10, 0, 0)), intro} {
		b.Apply(&ev)
	}
	q := b.Queue(ruleClock(10, 0, 6), 0, -1)
	if len(q) != 1 || q[0].Name != "John Smith" || q[0].Email != "email@example.com" {
		t.Fatalf("queue = %+v, want John Smith with his email", q)
	}
	b.Apply(&hook)
	c, _ := b.Chat(event.JivoChat, "40")
	if c.Visitor.Name != "J. Smith (CRM)" || c.Visitor.Email != "email@example.com" || c.Visitor.Phone != "+14084987855" {
		t.Errorf("webhook chat's visitor = %+v, want the webhook's name and the form's email and phone", c.Visitor)
	}
}

// TestTruthBrowserWorlds compares the board with the reference model
// after every event of random JivoChat worlds where browsers and webhooks
// speak of the same visitors in every order the rules allow.
func TestTruthBrowserWorlds(t *testing.T) {
	for seed := uint64(1); seed <= 60; seed++ {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			evs := browserWorld(seed)
			tc := newTruthChecker(t, fmt.Sprintf("browser world %d", seed))
			for i := range evs {
				tc.b.Apply(&evs[i])
				tc.check(evs[:i+1], evs[i].ReceivedAt)
				tc.check(evs[:i+1], evs[i].ReceivedAt.Add(7*time.Second))
			}
			tc.check(evs, evs[len(evs)-1].ReceivedAt.Add(40*time.Minute))
			tc.done()
		})
	}
}

// browserWorld is a seeded mix of visitors: each sends browser events and
// webhooks in a random plausible order (some forged, some late).
func browserWorld(seed uint64) []event.Event {
	r := rand.New(rand.NewPCG(seed, seed*7919))
	type visitor struct {
		n    string
		evs  []event.Event
		next int
	}
	var vs []*visitor
	chat := 0
	for i := range 6 + r.IntN(6) {
		v := &visitor{n: fmt.Sprint(100 + i%5)} // numbers repeat: a visitor comes back
		for range 1 + r.IntN(2) {
			chat++
			id := fmt.Sprint(chat)
			var script []event.Event
			if r.IntN(5) > 0 {
				script = append(script, browserEv("jivo_onMessageSent", v.n, time.Time{}))
			}
			switch r.IntN(6) {
			case 0:
				script = append(script, browserEv("jivo_onClose", v.n, time.Time{}))
			case 1:
				script = append(script, browserEv("jivo_onAccept", v.n, time.Time{}), jivoHook(event.ChatAccepted, id, v.n, time.Time{}))
			case 2:
				script = append(script, browserEv("jivo_onClose", v.n, time.Time{}), jivoHook(event.ChatAccepted, id, v.n, time.Time{}))
			case 3:
				script = append(script, browserEv("jivo_onAccept", v.n, time.Time{}))
			default:
				script = append(script, jivoHook(event.ChatAccepted, id, v.n, time.Time{}))
			}
			if r.IntN(3) > 0 {
				script = append(script, jivoHook(event.ChatEnded, id, v.n, time.Time{}))
			}
			if r.IntN(4) == 0 { // forged or late browser noise
				noise := []string{"jivo_onAccept", "jivo_onClose", "jivo_onMessageSent", "jivo_onIntroduction"}[r.IntN(4)]
				at := r.IntN(len(script) + 1)
				script = append(script[:at], append([]event.Event{browserEv(noise, v.n, time.Time{})}, script[at:]...)...)
			}
			v.evs = append(v.evs, script...)
		}
		vs = append(vs, v)
	}
	var out []event.Event
	for {
		var open []*visitor
		for _, v := range vs {
			if v.next < len(v.evs) {
				open = append(open, v)
			}
		}
		if len(open) == 0 {
			break
		}
		v := open[r.IntN(len(open))]
		out = append(out, v.evs[v.next])
		v.next++
	}
	at := time.Date(2025, 6, 10, 9, 0, 0, 0, time.UTC)
	for i := range out {
		gap := time.Duration(1+r.IntN(12000)) * time.Millisecond
		if r.IntN(15) == 0 {
			gap = time.Duration(5+r.IntN(20)) * time.Minute // around the 15-minute reclaim
		}
		at = at.Add(gap)
		out[i].ReceivedAt = at
		out[i].Seq = int64(i + 1)
	}
	return out
}
