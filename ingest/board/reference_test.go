package board_test

// This file is the reference model: a plain, slow computation of every
// metric in the board rules (rules.md), straight from a prefix of the
// journal and a "now". It is written from the rules alone, not from the
// board's code, and is meant to be read and trusted; truth_test.go compares
// the board with it.
//
// Where the rules leave room, the model reads them as follows:
//
//   - Chat kinds are the arrival kinds plus ChatWrappedUp, Feedback,
//     CallEvent and VisitorUpdated. Only events of a chat kind that resolve to
//     a chat (ChatID, else a visitor key) touch chats, agents named in chats,
//     or ratings.
//   - A chat that has seen only non-arrival kinds (a wrap-up or feedback of a
//     chat never seen) is "ended" on the board but has not arrived. Its first
//     arrival-kind event counts its arrival and is then applied as to a fresh
//     chat: a request makes it waiting, an answer makes it active (answered),
//     an end decides answered/abandoned. So the invariant holds.
//   - "The first agent message At" and "the first visitor message At" are the
//     earliest non-zero At of such messages over every event of the chat so
//     far; Chat.StartedAt / EndedAt are the first non-zero ones seen.
//   - A Jivo ChatUpdated/ChatAssigned answers when it has no visitor message
//     or has an agent message; a ChatUpdated/ChatAssigned of another source
//     answers when it has an agent message. Otherwise, with no earlier state,
//     it starts the chat waiting (and its ReceivedAt is a waiting-since).
//   - An abandoned chat's wait (hence short or not) is decided with what is
//     known when its ChatEnded is applied (the outcome is decided once). The
//     receipt-clock fallback (ReceivedAt(end) - waitingSince) applies to any
//     source with a waitingSince, as for answers; the Chatlio vendor-clock
//     figure needs both Chat.StartedAt and Chat.EndedAt.
//   - An answered chat's wait is recomputed from everything known so far
//     (rules 1 > 2 > 3), at its original placement.
//   - Polls: the polled queue of a source is the visitors listed waiting by
//     its latest VisitorsSnapshot; a visitor's "since" is the ReceivedAt of
//     the first poll of the unbroken run of polls listing them waiting. A
//     polled visitor leaves the polled queue (it is the chat now) once a
//     webhook chat of that visitor appeared at or after that since, or while
//     a webhook chat of theirs is waiting. The visitor of a chat is the
//     Visitor.Key() of its first event.
//   - Agents are keyed by (source, id), else (source, "name:"+name). Presence
//     is the Status of the AgentStatusChanged / AgentsSnapshot naming them
//     that is placed latest (place; a snapshot at its receipt), the last in
//     journal order among those placed alike ("" reads as unknown). An agent is "last listed by an agents
//     snapshot" when the latest AgentsSnapshot of their source lists them.
//   - The agents a chat names are all its events named, except that a
//     transfer replaces them.
//   - A chat answered by its end (no answering event before) has no answer
//     receipt: its wait is the vendor's figure or unknown, not the receipt
//     of the end minus the waiting-since (that would be the whole chat).
//   - LongestWait is never negative (a now before the wait began gives 0).
//   - Events from browsers (Untrusted) follow reference_browser_test.go.

import (
	"encoding/json"
	"time"

	"github.com/chatdeck/chatdeck/ingest/board"
	"github.com/chatdeck/chatdeck/ingest/event"
)

// refKey is a chat's identity: source and chat id.
type refKey struct {
	src event.Source
	id  string
}

func (k refKey) String() string { return string(k.src) + "/" + k.id }

// refChat is everything the model decided about one chat.
type refChat struct {
	Key     refKey
	Visitor string // Visitor.Key() of its first event

	Arrived   bool
	ArrivalAt time.Time

	State   string // "", waiting, active, ended, missed
	Outcome string // "", answered, abandoned, short_abandoned
	// OutcomeAt is where the outcome is placed.
	OutcomeAt time.Time
	// WaitKnown and Wait: the answered chat's best wait known so far, or
	// the abandoned chat's wait as decided at its end.
	WaitKnown bool
	Wait      time.Duration

	// WaitingSince is the queue's clock (zero if unknown).
	WaitingSince time.Time

	Rating   event.Sentiment // good or bad, "" if none counted
	RatingAt time.Time

	Agents []event.Agent // the agents the chat names now

	// Facts gathered from its events.
	firstRecv       time.Time // ReceivedAt of its first event
	pollSince       time.Time // the poll's since, if the visitor was polled waiting at its first event
	firstWaitRecv   time.Time // ReceivedAt of its first request/unanswered (or waiting update)
	browserSince    time.Time // the waiting-since of the browser chat it took over (reference_browser_test.go)
	closedAt        time.Time // a browser chat's: the receipt of the jivo_onClose that ended it
	answerRecv      time.Time // ReceivedAt of the answering event
	vendorWait      time.Duration
	hasVendorWait   bool
	startedAt       time.Time // vendor clock
	endedAt         time.Time // vendor clock
	firstAgentMsg   time.Time // vendor clock
	firstVisitorMsg time.Time // vendor clock
}

// refPeriod is one period's numbers, with the board's JSON names.
type refPeriod struct {
	Arrivals         int64    `json:"arrivals"`
	Answered         int64    `json:"answered"`
	AnsweredInTarget int64    `json:"answered_within_target"`
	Abandoned        int64    `json:"abandoned"`
	ShortAbandoned   int64    `json:"short_abandoned"`
	ASASeconds       *float64 `json:"asa_seconds"`
	ServiceLevel     *float64 `json:"service_level"`
	AbandonmentRate  *float64 `json:"abandonment_rate"`
	CSATGood         int64    `json:"csat_good"`
	CSATBad          int64    `json:"csat_bad"`
	CSATShare        *float64 `json:"csat_share"`
}

// refMetrics is what the model says the board's Metrics(now) must be, with
// the board's JSON names, plus the per-chat and per-agent decisions.
type refMetrics struct {
	QueueLength        int       `json:"queue_length"`
	LongestWaitSeconds float64   `json:"longest_wait_seconds"`
	ActiveChats        int       `json:"active_chats"`
	AgentsOnline       int       `json:"agents_online"`
	AgentsAway         int       `json:"agents_away"`
	AgentsOffline      int       `json:"agents_offline"`
	AgentsUnknown      int       `json:"agents_unknown"`
	AgentsTotal        int       `json:"agents_total"`
	Utilisation        *float64  `json:"utilisation"`
	ChatsPerHour       int64     `json:"chats_per_hour"`
	Window             refPeriod `json:"window"`
	Today              refPeriod `json:"today"`

	// Chats lists every chat, in the order first seen.
	Chats []*refChat `json:"-"`
	// PolledQueue lists the polled-only queue entries: "source/visitor".
	PolledQueue []string `json:"-"`
	// AgentChats and AgentStatus are per agent, keyed "source/id".
	AgentChats  map[string]int               `json:"-"`
	AgentStatus map[string]event.AgentStatus `json:"-"`
}

// asMap is m as the JSON object the comparison reads.
func (m refMetrics) asMap() map[string]any {
	raw, err := json.Marshal(m)
	if err != nil {
		panic(err) // cannot happen: plain numbers
	}
	var out map[string]any
	if err := json.Unmarshal(raw, &out); err != nil {
		panic(err)
	}
	return out
}

// refConfig is cfg with the board's documented defaults filled in.
func refConfig(cfg board.Config) board.Config {
	d := board.DefaultConfig()
	if cfg.SLTarget <= 0 {
		cfg.SLTarget = d.SLTarget
	}
	if cfg.Window <= 0 {
		cfg.Window = d.Window
	}
	if cfg.ShortAbandon <= 0 {
		cfg.ShortAbandon = d.ShortAbandon
	}
	if cfg.Capacity <= 0 {
		cfg.Capacity = d.Capacity
	}
	if cfg.Location == nil {
		cfg.Location = time.UTC
	}
	return cfg
}

// place is where an event counts: the vendor's time when it is more than
// 15 minutes before receipt, else the receipt.
func place(ev *event.Event) time.Time {
	if !ev.OccurredAt.IsZero() && ev.ReceivedAt.Sub(ev.OccurredAt) > 15*time.Minute {
		return ev.OccurredAt
	}
	return ev.ReceivedAt
}

func isArrivalKind(k event.Kind) bool {
	switch k {
	case event.ChatRequested, event.ChatStarted, event.ChatAccepted, event.ChatTransferred,
		event.ChatUpdated, event.ChatAssigned, event.ChatEnded, event.VisitorUnanswered:
		return true
	}
	return false
}

func isChatKind(k event.Kind) bool {
	switch k {
	case event.ChatWrappedUp, event.Feedback, event.CallEvent, event.VisitorUpdated:
		return true
	}
	return isArrivalKind(k)
}

// chatKey is the chat an event is of, if any.
func chatKey(ev *event.Event) (refKey, bool) {
	if !isChatKind(ev.Kind) {
		return refKey{}, false
	}
	if ev.ChatID != "" {
		return refKey{ev.Source, ev.ChatID}, true
	}
	if k := ev.Visitor.Key(); k != "" {
		return refKey{ev.Source, "visitor-chat:" + k}, true
	}
	return refKey{}, false
}

// agentKey is an agent's identity, "" if it has none.
func agentKey(src event.Source, a event.Agent) string {
	switch {
	case a.ID != "":
		return string(src) + "/" + a.ID
	case a.Name != "":
		return string(src) + "/name:" + a.Name
	}
	return ""
}

func hasFrom(ev *event.Event, from event.Sender) bool {
	for _, m := range ev.Messages {
		if m.From == from {
			return true
		}
	}
	return false
}

// earliest is the earlier of a and b, zero counting as unknown.
func earliest(a, b time.Time) time.Time {
	if a.IsZero() || (!b.IsZero() && b.Before(a)) {
		return b
	}
	return a
}

// learn notes the facts ev tells about c.
func (c *refChat) learn(ev *event.Event) {
	if ev.Chat != nil {
		if ev.Chat.HasWait {
			c.vendorWait, c.hasVendorWait = ev.Chat.Wait, true // the last one wins
		}
		if c.startedAt.IsZero() {
			c.startedAt = ev.Chat.StartedAt
		}
		if c.endedAt.IsZero() {
			c.endedAt = ev.Chat.EndedAt
		}
	}
	for _, m := range ev.Messages {
		if m.At.IsZero() {
			continue
		}
		switch m.From {
		case event.FromAgent:
			c.firstAgentMsg = earliest(c.firstAgentMsg, m.At)
		case event.FromVisitor:
			c.firstVisitorMsg = earliest(c.firstVisitorMsg, m.At)
		}
	}
	switch {
	case len(ev.Agents) == 0:
	case ev.Kind == event.ChatTransferred || len(c.Agents) == 0:
		c.Agents = ev.Agents // a transfer replaces them
	default:
		for _, a := range ev.Agents { // others add to them
			seen := false
			for _, have := range c.Agents {
				seen = seen || agentKey(c.Key.src, have) == agentKey(c.Key.src, a)
			}
			if !seen {
				c.Agents = append(c.Agents, a)
			}
		}
	}
}

// waitingSinceNow is the chat's waiting-since from what is known so far.
func (c *refChat) waitingSinceNow() time.Time {
	return earliest(earliest(c.firstWaitRecv, c.pollSince), c.browserSince)
}

// answer makes a chat that is not yet answered or ended active.
func (c *refChat) answer(ev *event.Event) {
	if c.State != "" && c.State != "waiting" {
		return
	}
	c.State, c.Outcome, c.OutcomeAt, c.answerRecv = "active", "answered", place(ev), ev.ReceivedAt
}

// startWaiting makes a chat with no state waiting.
func (c *refChat) startWaiting() {
	if c.State == "" {
		c.State = "waiting"
	}
}

// updateAnswers says whether a ChatUpdated / ChatAssigned is an answer.
func updateAnswers(ev *event.Event) bool {
	if ev.Source == event.JivoChat && !hasFrom(ev, event.FromVisitor) {
		return true
	}
	return hasFrom(ev, event.FromAgent)
}

// apply walks one event of the chat.
func (c *refChat) apply(ev *event.Event, cfg board.Config) {
	c.learn(ev)
	if isArrivalKind(ev.Kind) && !c.Arrived {
		c.Arrived, c.ArrivalAt = true, place(ev)
		c.State = "" // a chat ended before it arrived starts afresh
	}
	switch ev.Kind {
	case event.ChatRequested, event.VisitorUnanswered:
		if c.firstWaitRecv.IsZero() {
			c.firstWaitRecv = ev.ReceivedAt
		}
		c.startWaiting()
	case event.ChatStarted, event.ChatAccepted, event.ChatTransferred:
		c.answer(ev)
	case event.ChatUpdated, event.ChatAssigned:
		if updateAnswers(ev) {
			c.answer(ev)
		} else if c.State == "" {
			if c.firstWaitRecv.IsZero() {
				c.firstWaitRecv = ev.ReceivedAt
			}
			c.startWaiting()
		}
	case event.ChatEnded:
		switch c.State {
		case "active":
			c.State = "ended"
		case "", "waiting":
			if len(ev.Agents) > 0 || hasFrom(ev, event.FromAgent) {
				c.State, c.Outcome, c.OutcomeAt = "ended", "answered", place(ev)
			} else {
				c.State, c.OutcomeAt = "missed", place(ev)
				c.WaitKnown, c.Wait = c.abandonWait(ev)
				c.Outcome = "abandoned"
				if c.WaitKnown && c.Wait < cfg.ShortAbandon {
					c.Outcome = "short_abandoned"
				}
			}
		}
	case event.ChatWrappedUp:
		switch {
		case c.State == "active":
			c.State = "ended"
		case c.State == "" && !c.Arrived:
			c.State = "ended"
		}
	case event.Feedback:
		if c.State == "" && !c.Arrived {
			c.State = "ended"
		}
	}
	if c.Rating == "" && ev.Rating != nil && (ev.Rating.Sentiment == event.Good || ev.Rating.Sentiment == event.Bad) {
		c.Rating, c.RatingAt = ev.Rating.Sentiment, place(ev)
	}
}

// abandonWait is the wait of a chat ended unanswered by end.
func (c *refChat) abandonWait(end *event.Event) (bool, time.Duration) {
	if c.hasVendorWait {
		return true, c.vendorWait
	}
	if c.Key.src == event.Chatlio && !c.startedAt.IsZero() && !c.endedAt.IsZero() && !c.endedAt.Before(c.startedAt) {
		return true, c.endedAt.Sub(c.startedAt)
	}
	if ws := c.waitingSinceNow(); !ws.IsZero() && !ws.After(end.ReceivedAt) {
		return true, end.ReceivedAt.Sub(ws)
	}
	return false, 0
}

// answerWait is the best wait known so far of an answered chat.
func (c *refChat) answerWait() (bool, time.Duration) {
	if c.hasVendorWait {
		return true, c.vendorWait
	}
	if c.Key.src == event.Chatlio {
		start := c.startedAt
		if start.IsZero() {
			start = c.firstVisitorMsg
		}
		if !start.IsZero() && !c.firstAgentMsg.IsZero() && !c.firstAgentMsg.Before(start) {
			return true, c.firstAgentMsg.Sub(start)
		}
	}
	if ws := c.waitingSinceNow(); !ws.IsZero() && !ws.After(c.answerRecv) {
		return true, c.answerRecv.Sub(ws)
	}
	return false, 0
}

// polled is a visitor a visitors poll lists as waiting.
type polled struct {
	visitor string
	since   time.Time
}

// referenceMetrics computes the metrics as of now from the events applied
// so far (evs, in journal order).
func referenceMetrics(cfg board.Config, evs []event.Event, now time.Time) refMetrics {
	cfg = refConfig(cfg)
	m := refMetrics{AgentChats: map[string]int{}, AgentStatus: map[string]event.AgentStatus{}}

	// Pass 1, in journal order: polls, presence, and which events are of
	// which chat (with the poll state when each chat first appeared).
	pollQueue := map[event.Source][]polled{}          // latest visitors poll per source
	lastSnapshot := map[event.Source]map[string]int{} // latest agents snapshot: agent -> OngoingChats
	var agentOrder []string
	known := map[string]bool{}
	know := func(k string) {
		if k != "" && !known[k] {
			known[k] = true
			agentOrder = append(agentOrder, k)
			m.AgentStatus[k] = event.AgentUnknown
		}
	}
	told := map[string]time.Time{} // the latest moment each agent's presence was told for
	tell := func(k string, s event.AgentStatus, at time.Time) {
		if at.Before(told[k]) {
			return
		}
		told[k] = at
		if s == "" {
			s = event.AgentUnknown
		}
		m.AgentStatus[k] = s
	}
	chats := map[refKey]*refChat{}
	browser := newRefBrowser()
	for i := range evs {
		ev := &evs[i]
		if ev.Untrusted {
			if c := browser.apply(ev, cfg); c != nil {
				m.Chats = append(m.Chats, c)
			}
			continue
		}
		switch ev.Kind {
		case event.AgentStatusChanged:
			for _, a := range ev.Agents {
				if k := agentKey(ev.Source, a); k != "" {
					know(k)
					tell(k, a.Status, place(ev))
				}
			}
			continue
		case event.AgentsSnapshot:
			listed := map[string]int{}
			for _, a := range ev.SnapshotAgents {
				if k := agentKey(ev.Source, a); k != "" {
					know(k)
					tell(k, a.Status, ev.ReceivedAt)
					listed[k] = a.OngoingChats
				}
			}
			for k := range lastSnapshot[ev.Source] {
				if _, still := listed[k]; !still {
					tell(k, event.AgentOffline, ev.ReceivedAt)
				}
			}
			lastSnapshot[ev.Source] = listed
			continue
		case event.VisitorsSnapshot:
			var next []polled
			for _, v := range ev.SnapshotVisitors {
				vk := v.Key()
				if vk == "" || !v.State.Waiting() {
					continue
				}
				p := polled{vk, ev.ReceivedAt}
				for _, old := range pollQueue[ev.Source] {
					if old.visitor == vk {
						p.since = old.since
					}
				}
				next = append(next, p)
			}
			pollQueue[ev.Source] = next
			continue
		}
		k, ok := chatKey(ev)
		if !ok {
			continue
		}
		c := chats[k]
		if c == nil {
			c = &refChat{Key: k, Visitor: ev.Visitor.Key(), firstRecv: ev.ReceivedAt}
			for _, p := range pollQueue[ev.Source] {
				if c.Visitor != "" && p.visitor == c.Visitor {
					c.pollSince = p.since
				}
			}
			chats[k] = c
			m.Chats = append(m.Chats, c)
		}
		fresh := isArrivalKind(ev.Kind) && !c.Arrived
		if fresh {
			browser.adopt(c, ev)
		}
		// Each chat's events are applied in journal order, as they come:
		// what a browser event may do depends on the visitor's chats then.
		browser.noteOpen(c, ev, true, fresh)
		c.apply(ev, cfg)
		browser.noteOpen(c, ev, false, fresh)
		for _, a := range ev.Agents {
			know(agentKey(ev.Source, a))
		}
	}

	// Pass 2: what each chat's events decided.
	for _, c := range m.Chats {
		c.WaitingSince = c.waitingSinceNow()
		if c.Outcome == "answered" {
			c.WaitKnown, c.Wait = c.answerWait()
		}
	}

	// The queue: waiting webhook chats, then polled visitors no webhook
	// chat has taken over.
	var waitStarts []time.Time
	for _, c := range m.Chats {
		switch c.State {
		case "waiting":
			waitStarts = append(waitStarts, c.WaitingSince)
		case "active":
			m.ActiveChats++
		}
	}
	for src, list := range pollQueue {
		for _, p := range list {
			taken := false
			for _, c := range m.Chats {
				if c.Key.src == src && c.Visitor == p.visitor && (!c.firstRecv.Before(p.since) || c.State == "waiting") {
					taken = true
				}
			}
			if !taken {
				waitStarts = append(waitStarts, p.since)
				m.PolledQueue = append(m.PolledQueue, string(src)+"/"+p.visitor)
			}
		}
	}
	m.QueueLength = len(waitStarts)
	if len(waitStarts) > 0 {
		first := waitStarts[0]
		for _, t := range waitStarts {
			first = earliest(first, t)
		}
		if w := now.Sub(first); w > 0 {
			m.LongestWaitSeconds = w.Seconds()
		}
	}

	// Agents: presence, and their chats.
	for _, c := range m.Chats {
		if c.State != "active" {
			continue
		}
		for _, a := range c.Agents {
			if k := agentKey(c.Key.src, a); k != "" {
				m.AgentChats[k]++
			}
		}
	}
	for _, listed := range lastSnapshot {
		for k, n := range listed {
			m.AgentChats[k] = n // the vendor's own count wins
		}
	}
	serving := 0
	for _, k := range agentOrder {
		switch m.AgentStatus[k] {
		case event.AgentOnline:
			m.AgentsOnline++
			serving++
		case event.AgentAway:
			m.AgentsAway++
		case event.AgentOffline:
			m.AgentsOffline++
		default:
			m.AgentsUnknown++
		}
		if m.AgentStatus[k] != event.AgentOnline && m.AgentChats[k] > 0 {
			serving++
		}
	}
	m.AgentsTotal = len(agentOrder)
	if serving > 0 {
		u := float64(m.ActiveChats) / float64(cfg.Capacity*serving)
		m.Utilisation = &u
	}

	// Periods.
	inWindow := func(t time.Time) bool { return t.After(now.Add(-cfg.Window)) && !t.After(now) }
	local := now.In(cfg.Location)
	midnight := time.Date(local.Year(), local.Month(), local.Day(), 0, 0, 0, 0, cfg.Location)
	inToday := func(t time.Time) bool { return !t.Before(midnight) && !t.After(now) }
	for _, c := range m.Chats {
		if c.Arrived && c.ArrivalAt.After(now.Add(-time.Hour)) && !c.ArrivalAt.After(now) {
			m.ChatsPerHour++
		}
	}
	m.Window = refSum(m.Chats, inWindow, cfg)
	m.Today = refSum(m.Chats, inToday, cfg)
	return m
}

// refSum adds up the chats' arrivals, outcomes and ratings placed in a
// period.
func refSum(chats []*refChat, in func(time.Time) bool, cfg board.Config) refPeriod {
	var p refPeriod
	var known int64
	var sum time.Duration
	for _, c := range chats {
		if c.Arrived && in(c.ArrivalAt) {
			p.Arrivals++
		}
		if c.Outcome != "" && in(c.OutcomeAt) {
			switch c.Outcome {
			case "answered":
				p.Answered++
				if c.WaitKnown {
					known++
					sum += c.Wait
					if c.Wait <= cfg.SLTarget {
						p.AnsweredInTarget++
					}
				}
			case "abandoned":
				p.Abandoned++
			case "short_abandoned":
				p.ShortAbandoned++
			}
		}
		if c.Rating != "" && in(c.RatingAt) {
			if c.Rating == event.Good {
				p.CSATGood++
			} else {
				p.CSATBad++
			}
		}
	}
	p.ASASeconds = refRatio(sum.Seconds(), float64(known))
	p.ServiceLevel = refRatio(float64(p.AnsweredInTarget), float64(known+p.Abandoned))
	p.AbandonmentRate = refRatio(float64(p.Abandoned), float64(p.Answered+p.Abandoned))
	p.CSATShare = refRatio(float64(p.CSATGood), float64(p.CSATGood+p.CSATBad))
	return p
}

// refRatio is a/b, nil when b is 0.
func refRatio(a, b float64) *float64 {
	if b == 0 {
		return nil
	}
	r := a / b
	return &r
}
