package board

import (
	"sort"
	"strings"
	"time"

	"github.com/chatdeck/chatdeck/ingest/event"
)

// ChatState is where a chat is in its life.
type ChatState string

// Chat states.
const (
	Waiting ChatState = "waiting" // the visitor waits for an agent
	Active  ChatState = "active"  // an agent is chatting with the visitor
	Ended   ChatState = "ended"   // the chat ended after an agent answered
	Missed  ChatState = "missed"  // the chat ended without an agent answering
)

// Chat is one conversation as the board knows it.
type Chat struct {
	Source event.Source `json:"source"`
	ID     string       `json:"id"`
	State  ChatState    `json:"state"`
	// Visitor is what the vendors said of the chat's visitor; nil if
	// nothing yet in the board's own chats, never nil in the copies it
	// hands out. It is shared, not copied: neither the board nor the
	// holder of a copy may write to it.
	Visitor    *event.Visitor  `json:"visitor"`
	Department string          `json:"department,omitempty"`
	Agents     []event.Agent   `json:"agents,omitempty"`
	Messages   []event.Message `json:"messages,omitempty"`
	Rating     *event.Rating   `json:"rating,omitempty"`
	WrapUp     *event.WrapUp   `json:"wrap_up,omitempty"`
	Info       *event.ChatInfo `json:"info,omitempty"`
	Call       *event.Call     `json:"call,omitempty"`
	Unanswered bool            `json:"unanswered,omitempty"` // the vendor said nobody answered in time
	FromPoll   bool            `json:"from_poll,omitempty"`  // known only from a visitors poll, not a webhook
	// RequestedAt is when the visitor started waiting; zero if unknown.
	RequestedAt time.Time `json:"requested_at,omitzero"`
	AnsweredAt  time.Time `json:"answered_at,omitzero"`
	EndedAt     time.Time `json:"ended_at,omitzero"`
	// LastVisitorMessageAt is when the visitor last wrote, if known. It is
	// set in the copies the board hands out (Chat, Chats, View), read from
	// the transcript then: the board's own chats do not keep it, as most
	// of the events that would change it are never looked at.
	LastVisitorMessageAt time.Time `json:"last_visitor_message_at,omitzero"`
	UpdatedAt            time.Time `json:"updated_at"`

	counted   bool // its answered/abandoned outcome is in the log
	csat      bool // its rating is in the log
	waitIndex int  // position in Board.waiting, -1 when not waiting
	// The board's indexes (index.go): whether the board holds the chat,
	// whether Board.ended lists it, and the group and time its place in
	// the Chats order was found with.
	onBoard bool
	k       key    // its key in Board.chats, while on the board
	kHash   uint64 // the hash of k in Board.chats
	openKey string // the visitor key Board.open has the chat under, if any
	// visitorKnows is Visitor.Known() (setVisitor).
	visitorKnows uint64
	inEnded      bool
	endedPos     int // where in Board.ended, counting entries trimmed from its front
	ordGroup     int8
	ordAt        time.Time
}

func (c *Chat) tableKey() key { return c.k }

// FirstMessage is the visitor's first message, if any.
func (c *Chat) FirstMessage() string {
	for _, m := range c.Messages {
		if m.From == event.FromVisitor && m.Text != "" {
			return m.Text
		}
	}
	return ""
}

// chat returns the chat for ev, creating it (as waiting, from ev's time)
// if the board has not seen it.
func (b *Board) chat(ev *event.Event) *Chat {
	k := b.key(ev.Source, ev.ChatID)
	c, h := b.chats.lookup(k)
	if c == nil {
		c = &Chat{Source: ev.Source, ID: ev.ChatID, waitIndex: -1, UpdatedAt: ev.ReceivedAt}
		c.k, c.kHash = k, h
		b.chats.putHashed(h, k, c)
		b.list(c)
		b.outcomes.add(ev.ReceivedAt, outcome{arrivals: 1})
	}
	b.merge(c, ev)
	return c
}

// merge copies what ev says about the chat onto it.
func (b *Board) merge(c *Chat, ev *event.Event) {
	if ev.ReceivedAt.After(c.UpdatedAt) {
		c.UpdatedAt = ev.ReceivedAt
		b.reindex(c, c.State)
	}
	if v := ev.Visitor; v != nil {
		known := ev.VisitorKnows
		if known == 0 {
			known = v.Known()
		}
		setVisitor(c, v, known)
	}
	if vkey := c.Visitor.Key(); vkey != "" && vkey != c.openKey && (c.State == Waiting || c.State == Active || c.State == "") {
		// (c.openKey == vkey: the open index has c under that key already.)
		vk := b.key(c.Source, vkey)
		if prev := b.open[vk]; prev != c {
			if prev != nil && prev.FromPoll {
				b.drop(prev)
			}
		}
		b.setOpen(vk, c)
	}
	if ev.Department != nil && ev.Department.Label() != "" {
		c.Department = ev.Department.Label()
	}
	if ev.Chat != nil {
		if c.Info == nil {
			c.Info = &event.ChatInfo{}
		}
		mergeInfo(c.Info, ev.Chat)
	}
	if ev.Rating != nil {
		c.Rating = ev.Rating
	}
	if ev.WrapUp != nil {
		c.WrapUp = ev.WrapUp
	}
	if ev.Call != nil {
		c.Call = ev.Call
	}
	if len(ev.Messages) > 0 {
		c.Messages = mergeMessages(c.Messages, ev.Messages, ev.ReceivedAt, ev.MessagesTimed)
	}
}

// mergeMessages folds new messages into a transcript. A transcript that
// holds at least as many messages as the chat has is the whole chat and
// replaces it; otherwise new messages are appended. Messages without a time
// take the receipt time.
//
// A replacing transcript whose messages all have a time is kept as it is,
// not copied (capped, so that a later append copies it): the board never
// writes into a transcript it holds.
//
// timed says every message of add has a time (Event.MessagesTimed), so
// that they need not be checked.
func mergeMessages(have, add []event.Message, at time.Time, timed bool) []event.Message {
	stamp := false
	for i := 0; i < len(add) && !timed; i++ {
		if add[i].At.IsZero() && add[i].Clock == "" {
			stamp = true
			break
		}
	}
	if len(add) >= len(have) && !stamp {
		return add[:len(add):len(add)]
	}
	var out []event.Message
	if len(add) >= len(have) {
		out = make([]event.Message, 0, len(add))
	} else {
		out = have
	}
	for _, m := range add {
		if m.At.IsZero() && m.Clock == "" {
			m.At = at
		}
		out = append(out, m)
	}
	return out
}

// setVisitor folds what v says of the chat's visitor into c. The board
// never writes to a visitor it holds (it shares them with the events and
// with the copies it hands out): a visitor that knows at least the fields
// the chat's knew takes its place (most do: vendors send the whole visitor
// every time), and any other is merged with it into a new one. The chat
// keeps which fields its visitor knows, so that this reads v alone; known
// is v.Known() (which the decoder noted in the event).
func setVisitor(c *Chat, v *event.Visitor, known uint64) {
	if c.Visitor == nil || known&c.visitorKnows == c.visitorKnows {
		c.Visitor, c.visitorKnows = v, known
		return
	}
	merged := *c.Visitor
	mergeVisitor(&merged, v)
	c.Visitor = &merged
	c.visitorKnows |= known
}

// mergeVisitor sets every field of dst that src knows.
func mergeVisitor(dst *event.Visitor, src *event.Visitor) {
	set := func(d *string, s string) {
		if s != "" {
			*d = s
		}
	}
	set(&dst.ID, src.ID)
	set(&dst.Number, src.Number)
	set(&dst.UserToken, src.UserToken)
	set(&dst.Name, src.Name)
	set(&dst.Email, src.Email)
	set(&dst.Phone, src.Phone)
	set(&dst.Company, src.Company)
	set(&dst.StatusName, src.StatusName)
	set(&dst.IP, src.IP)
	set(&dst.Location, src.Location)
	set(&dst.Browser, src.Browser)
	set(&dst.OS, src.OS)
	set(&dst.Language, src.Language)
	set(&dst.TimeZone, src.TimeZone)
	set(&dst.CurrentPage, src.CurrentPage)
	set(&dst.Referrer, src.Referrer)
	set(&dst.LandingPage, src.LandingPage)
	set(&dst.SearchEngine, src.SearchEngine)
	set(&dst.Keywords, src.Keywords)
	set(&dst.ChatID, src.ChatID)
	set(&dst.Description, src.Description)
	if src.State != event.VisitorStateUnknown {
		dst.State = src.State
	}
	if src.Department != nil {
		dst.Department = src.Department
	}
	if src.Visits != 0 {
		dst.Visits = src.Visits
	}
	if src.Chats != 0 {
		dst.Chats = src.Chats
	}
	if src.PageViews != 0 {
		dst.PageViews = src.PageViews
	}
	if !src.FirstVisit.IsZero() {
		dst.FirstVisit = src.FirstVisit
	}
	if !src.VisitTime.IsZero() {
		dst.VisitTime = src.VisitTime
	}
	if len(src.Fields) > 0 {
		dst.Fields = src.Fields
	}
	if len(src.Variables) > 0 {
		dst.Variables = src.Variables
	}
}

func mergeInfo(dst, src *event.ChatInfo) {
	if !src.StartedAt.IsZero() {
		dst.StartedAt = src.StartedAt
	}
	if !src.EndedAt.IsZero() {
		dst.EndedAt = src.EndedAt
	}
	if src.HasWait {
		dst.Wait, dst.HasWait = src.Wait, true
	}
	if src.Comment != "" {
		dst.Comment = src.Comment
	}
	if len(src.Attachments) > 0 {
		dst.Attachments = src.Attachments
	}
	if src.ArchiveURL != "" {
		dst.ArchiveURL = src.ArchiveURL
	}
	if src.Blacklisted {
		dst.Blacklisted = true
	}
	if len(src.Tags) > 0 {
		dst.Tags = src.Tags
	}
}

func (b *Board) setAgents(c *Chat, ev *event.Event, replace bool) {
	if len(ev.Agents) == 0 {
		return
	}
	loaded := c.onBoard && c.State == Active
	changed := replace || len(c.Agents) == 0
	if !changed {
		for _, a := range ev.Agents {
			if !hasAgent(c.Agents, a) {
				changed = true
			}
		}
	}
	if changed && loaded {
		b.addLoad(c, -1)
	}
	if replace || len(c.Agents) == 0 {
		c.Agents = ev.Agents[:len(ev.Agents):len(ev.Agents)] // kept, never written to (see Apply)
	} else {
		for _, a := range ev.Agents {
			if !hasAgent(c.Agents, a) {
				c.Agents = append(c.Agents, a)
			}
		}
	}
	for _, a := range ev.Agents {
		b.seeAgent(ev.Source, a, ev.ReceivedAt)
	}
	if changed && loaded {
		b.addLoad(c, 1)
	}
}

func hasAgent(list []event.Agent, a event.Agent) bool {
	for _, x := range list {
		if (a.ID != "" && x.ID == a.ID) || (a.ID == "" && x.Name == a.Name) {
			return true
		}
	}
	return false
}

func (b *Board) chatRequested(ev *event.Event) {
	c := b.chat(ev)
	if c.State == "" {
		c.RequestedAt = ev.ReceivedAt
		b.setState(c, Waiting)
	}
	b.setAgents(c, ev, false)
}

func (b *Board) chatAnswered(ev *event.Event) {
	c := b.chat(ev)
	b.setAgents(c, ev, ev.Kind == event.ChatTransferred)
	switch c.State {
	case "", Waiting:
		c.AnsweredAt = ev.ReceivedAt
		b.setState(c, Active)
		b.countAnswer(c, ev.ReceivedAt)
	case Ended, Missed: // a late start after the end: the end stands
	}
	b.remember(c)
}

func (b *Board) chatUpdated(ev *event.Event) {
	c := b.chat(ev)
	b.setAgents(c, ev, false)
	switch {
	case c.State == "" && !hasFrom(ev.Messages, event.FromVisitor):
		// Jivo only updates chats an agent has accepted.
		c.AnsweredAt = ev.ReceivedAt
		b.setState(c, Active)
		b.countAnswer(c, ev.ReceivedAt)
	case (c.State == "" || c.State == Waiting) && hasFrom(c.Messages, event.FromAgent):
		// A transcript so far (Chatlio) in which an agent has answered.
		if c.RequestedAt.IsZero() {
			c.RequestedAt = firstMessageAt(c.Messages, event.FromVisitor)
		}
		c.AnsweredAt = firstMessageAt(c.Messages, event.FromAgent)
		messageWait(c)
		b.setState(c, Active)
		b.countAnswer(c, ev.ReceivedAt)
	case c.State == "":
		// A transcript so far with no answer yet: the visitor waits.
		c.RequestedAt = firstMessageAt(c.Messages, event.FromVisitor)
		if c.RequestedAt.IsZero() {
			c.RequestedAt = ev.ReceivedAt
		}
		b.setState(c, Waiting)
	}
}

func (b *Board) chatEnded(ev *event.Event) {
	c := b.chat(ev)
	b.setAgents(c, ev, false)
	if c.State == Ended || c.State == Missed {
		b.countRating(c, ev.ReceivedAt)
		b.remember(c)
		return
	}
	end := ev.ReceivedAt
	if c.Info != nil && !c.Info.EndedAt.IsZero() {
		c.EndedAt = c.Info.EndedAt
	} else {
		c.EndedAt = end
	}
	if c.RequestedAt.IsZero() {
		c.RequestedAt = firstOf(c.Info, c.Messages, event.FromVisitor)
	}
	answered := c.State == Active || len(c.Agents) > 0 || hasFrom(c.Messages, event.FromAgent)
	if answered && c.AnsweredAt.IsZero() {
		if t := firstMessageAt(c.Messages, event.FromAgent); !t.IsZero() {
			c.AnsweredAt = t
			messageWait(c)
		} else if c.Info != nil && !c.Info.StartedAt.IsZero() {
			c.AnsweredAt = c.Info.StartedAt
		}
	}
	if answered {
		b.countAnswer(c, end)
		b.setState(c, Ended)
	} else {
		b.countAbandon(c, end)
		b.setState(c, Missed)
	}
	b.countRating(c, end)
	b.remember(c)
}

func (b *Board) chatWrappedUp(ev *event.Event) {
	c := b.chat(ev)
	if c.State == "" || c.State == Waiting || c.State == Active {
		if c.EndedAt.IsZero() {
			c.EndedAt = ev.ReceivedAt
		}
		b.setState(c, Ended)
	}
}

func (b *Board) visitorUnanswered(ev *event.Event) {
	c := b.chat(ev)
	c.Unanswered = true
	if c.State == "" {
		c.RequestedAt = ev.ReceivedAt
		b.setState(c, Waiting)
	}
	b.inbox.push(InboxItem{Type: InboxUnanswered, Source: ev.Source, At: ev.ReceivedAt, Seq: ev.Seq,
		ChatID: c.ID, Visitor: visitorLabel(c.Visitor), Text: c.FirstMessage()})
}

func (b *Board) feedback(ev *event.Event) {
	c := b.chat(ev)
	if c.State == "" {
		// Feedback comes after a chat: one the board did not see start.
		c.EndedAt = ev.ReceivedAt
		b.setState(c, Ended)
		c.counted = true
	}
	b.countRating(c, ev.ReceivedAt)
	b.remember(c)
	text := ""
	if ev.Rating != nil {
		text = ev.Rating.Comment
	}
	b.inbox.push(InboxItem{Type: InboxFeedback, Source: ev.Source, At: ev.ReceivedAt, Seq: ev.Seq,
		ChatID: c.ID, Visitor: visitorLabel(c.Visitor), Text: text, Rating: ev.Rating})
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

// setState moves a chat to s, keeping the waiting queue and indexes right.
func (b *Board) setState(c *Chat, s ChatState) {
	if c.State == s {
		return
	}
	if c.State == Waiting {
		b.unqueue(c)
	}
	was := c.State
	c.State = s
	switch s {
	case Waiting:
		b.enqueue(c)
	case Ended, Missed:
		b.unsetOpen(b.key(c.Source, c.Visitor.Key()), c)
		b.pushEnded(c)
	}
	b.reindex(c, was)
}

func (b *Board) enqueue(c *Chat) {
	i := sort.Search(len(b.waiting), func(i int) bool { return b.waiting[i].RequestedAt.After(c.RequestedAt) })
	b.waiting = append(b.waiting, nil)
	copy(b.waiting[i+1:], b.waiting[i:])
	b.waiting[i] = c
	for j := i; j < len(b.waiting); j++ {
		b.waiting[j].waitIndex = j
	}
}

func (b *Board) unqueue(c *Chat) {
	i := c.waitIndex
	if i < 0 || i >= len(b.waiting) || b.waiting[i] != c {
		return
	}
	copy(b.waiting[i:], b.waiting[i+1:])
	b.waiting[len(b.waiting)-1] = nil
	b.waiting = b.waiting[:len(b.waiting)-1]
	for j := i; j < len(b.waiting); j++ {
		b.waiting[j].waitIndex = j
	}
	c.waitIndex = -1
}

// drop removes a chat from the board without counting anything.
func (b *Board) drop(c *Chat) {
	if c.State == Waiting {
		b.unqueue(c)
	}
	b.unsetOpen(b.key(c.Source, c.Visitor.Key()), c)
	b.forget(b.key(c.Source, c.ID))
}

// setOpen makes c the open chat of the visitor under vk.
func (b *Board) setOpen(vk key, c *Chat) {
	if prev := b.open[vk]; prev != nil && prev != c && prev.openKey == vk.id {
		prev.openKey = ""
	}
	b.open[vk] = c
	if vk.src == b.srcs.code(c.Source) {
		c.openKey = vk.id
	}
}

// unsetOpen takes c out of the open index under vk, if it is there.
func (b *Board) unsetOpen(vk key, c *Chat) {
	if b.open[vk] == c {
		delete(b.open, vk)
		if c.openKey == vk.id {
			c.openKey = ""
		}
	}
}

// countAnswer logs the chat's answer once, with its wait when known: the
// vendor's own figure, else answered minus requested.
func (b *Board) countAnswer(c *Chat, at time.Time) {
	if c.counted || c.FromPoll {
		return
	}
	c.counted = true
	o := outcome{answered: 1}
	if w, ok := c.wait(); ok {
		o.answeredKnown = 1
		o.waitSum = w
		if w <= b.cfg.SLTarget {
			o.withinTarget = 1
		}
	}
	b.outcomes.add(at, o)
}

// countAbandon logs a chat that ended unanswered.
func (b *Board) countAbandon(c *Chat, at time.Time) {
	if c.counted || c.FromPoll {
		return
	}
	c.counted = true
	w, ok := c.wait()
	if !ok && !c.RequestedAt.IsZero() && !c.EndedAt.Before(c.RequestedAt) {
		w, ok = c.EndedAt.Sub(c.RequestedAt), true
	}
	if ok && w < b.cfg.ShortAbandon {
		b.outcomes.add(at, outcome{shortAbandoned: 1})
		return
	}
	b.outcomes.add(at, outcome{abandoned: 1})
}

func (b *Board) countRating(c *Chat, at time.Time) {
	if c.csat || c.Rating == nil {
		return
	}
	switch c.Rating.Sentiment {
	case event.Good:
		b.outcomes.add(at, outcome{good: 1})
	case event.Bad:
		b.outcomes.add(at, outcome{bad: 1})
	default:
		return
	}
	c.csat = true
}

// wait is how long the visitor waited for an answer, if known.
func (c *Chat) wait() (time.Duration, bool) {
	if c.Info != nil && c.Info.HasWait {
		return c.Info.Wait, true
	}
	if !c.RequestedAt.IsZero() && !c.AnsweredAt.IsZero() && !c.AnsweredAt.Before(c.RequestedAt) {
		return c.AnsweredAt.Sub(c.RequestedAt), true
	}
	return 0, false
}

func hasFrom(msgs []event.Message, from event.Sender) bool {
	for _, m := range msgs {
		if m.From == from {
			return true
		}
	}
	return false
}

// lastVisitorMessageAt is when the visitor last wrote in msgs; zero if
// they did not.
func lastVisitorMessageAt(msgs []event.Message) time.Time {
	for i := len(msgs) - 1; i >= 0; i-- {
		if msgs[i].From == event.FromVisitor {
			return msgs[i].At
		}
	}
	return time.Time{}
}

func firstMessageAt(msgs []event.Message, from event.Sender) time.Time {
	for _, m := range msgs {
		if m.From == from && !m.At.IsZero() {
			return m.At
		}
	}
	return time.Time{}
}

func firstOf(info *event.ChatInfo, msgs []event.Message, from event.Sender) time.Time {
	if info != nil && !info.StartedAt.IsZero() {
		return info.StartedAt
	}
	return firstMessageAt(msgs, from)
}

func visitorLabel(v *event.Visitor) string {
	if v == nil {
		return ""
	}
	for _, s := range []string{v.Name, v.Email, v.Phone, v.ID} {
		if s != "" {
			return s
		}
	}
	return ""
}

// messageWait sets a chat's wait from its transcript when the vendor gave
// none: first agent message − first visitor message, both on the vendor's
// clock (mixing it with chatdeck's receipt times would skew the wait by
// the clocks' difference).
func messageWait(c *Chat) {
	v, a := firstMessageAt(c.Messages, event.FromVisitor), firstMessageAt(c.Messages, event.FromAgent)
	if v.IsZero() || a.IsZero() || a.Before(v) || (c.Info != nil && c.Info.HasWait) {
		return
	}
	if c.Info == nil {
		c.Info = &event.ChatInfo{}
	}
	c.Info.Wait, c.Info.HasWait = a.Sub(v), true
}
