package board

import (
	"sort"
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
	// FromBrowser: known only from the visitor's browser (browser.go).
	FromBrowser bool `json:"from_browser,omitempty"`
	// KeyedByVisitor: its events carried no chat id, so the chat is its
	// visitor's (ID is "visitor-chat:" and the visitor's key).
	KeyedByVisitor bool `json:"keyed_by_visitor,omitempty"`
	// RequestedAt is when the visitor started waiting, on chatdeck's
	// clock (the receipt of the request, or of the poll that first listed
	// them); zero if unknown. AnsweredAt is the receipt of the event that
	// answered it (zero if none did before the end); EndedAt when it
	// ended (the receipt, or the vendor's time for a late payload).
	RequestedAt time.Time `json:"requested_at,omitzero"`
	AnsweredAt  time.Time `json:"answered_at,omitzero"`
	EndedAt     time.Time `json:"ended_at,omitzero"`
	// LastVisitorMessageAt is when the visitor last wrote, if known. It is
	// set in the copies the board hands out (Chat, Chats, View), read from
	// the transcript then: the board's own chats do not keep it, as most
	// of the events that would change it are never looked at.
	LastVisitorMessageAt time.Time `json:"last_visitor_message_at,omitzero"`
	UpdatedAt            time.Time `json:"updated_at"`

	tally     tally        // what it added to the outcome log (outcomes.go)
	work      []*agentWork // what its agents are credited with (agentstats.go)
	workSeen  workSeen     // ... worked out from this
	waitIndex int          // position in Board.waiting, -1 when not waiting
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

// chat returns the chat for ev, creating it if the board has not seen it
// (with no state: the caller decides it, and whether it is an arrival). An
// event with no chat id is the chat of its visitor, keyed "visitor-chat:"
// and the visitor's key; with neither, chat returns nil.
func (b *Board) chat(ev *event.Event) *Chat {
	id, byVisitor := ev.ChatID, false
	if id == "" {
		vk := ev.Visitor.Key()
		if vk == "" {
			return nil
		}
		id, byVisitor = visitorChatPrefix+vk, true
	}
	k := b.key(ev.Source, id)
	c, h := b.chats.lookup(k)
	if c == nil {
		c = &Chat{Source: ev.Source, ID: id, KeyedByVisitor: byVisitor, waitIndex: -1, UpdatedAt: ev.ReceivedAt}
		c.k, c.kHash = k, h
		b.chats.putHashed(h, k, c)
		b.list(c)
	}
	b.merge(c, ev)
	return c
}

// visitorChatPrefix starts the id of a chat that its events named only by
// its visitor.
const visitorChatPrefix = "visitor-chat:"

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
	b.noteOpen(c)
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

// noteOpen lists c, waiting or active (or not yet either), as its
// visitor's open chat.
func (b *Board) noteOpen(c *Chat) {
	vkey := c.Visitor.Key()
	// (c.openKey == vkey: the open index has c under that key already.)
	if vkey == "" || vkey == c.openKey || (c.State != Waiting && c.State != Active && c.State != "") {
		return
	}
	vk := b.key(c.Source, vkey)
	b.adoptBrowser(vk, c)
	if prev := b.open[vk]; prev != c && prev != nil && prev.FromPoll {
		// The webhook's chat takes the polled entry's place, and the
		// wait began when chatdeck first heard of it: the poll.
		if !prev.RequestedAt.IsZero() && (c.RequestedAt.IsZero() || prev.RequestedAt.Before(c.RequestedAt)) {
			c.RequestedAt = prev.RequestedAt
			if c.State == Waiting {
				b.unqueue(c)
				b.enqueue(c)
			}
		}
		b.drop(prev)
	}
	b.setOpen(vk, c)
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
		b.seeAgent(ev.Source, a, place(ev))
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
	case Waiting, Active:
		if c.inEnded {
			// A provisional end (lifecycle.go) taken back.
			b.takeEnded(c)
			b.noteOpen(c)
		}
		if s == Waiting {
			b.enqueue(c)
		}
	case Ended, Missed:
		b.unsetOpen(b.key(c.Source, c.Visitor.Key()), c)
		if !c.inEnded {
			b.pushEnded(c)
		}
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
