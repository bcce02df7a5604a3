package board

import (
	"slices"
	"time"

	"github.com/chatdeck/chatdeck/ingest/event"
)

// QueueEntry is one waiting visitor.
type QueueEntry struct {
	Source       event.Source `json:"source"`
	ID           string       `json:"id"` // the visitor's id (the chat's when the visitor has none)
	ChatID       string       `json:"chat_id"`
	Name         string       `json:"name,omitempty"`
	Email        string       `json:"email,omitempty"`
	Department   string       `json:"department,omitempty"`
	WaitingSince time.Time    `json:"waiting_since"`
	WaitSeconds  float64      `json:"wait_seconds"`
	FirstMessage string       `json:"first_message,omitempty"`
	Unanswered   bool         `json:"unanswered,omitempty"`
	FromPoll     bool         `json:"from_poll,omitempty"`
	FromBrowser  bool         `json:"from_browser,omitempty"` // known only from the visitor's browser (untrusted)
}

// QueueLen is the number of waiting visitors.
func (b *Board) QueueLen() int { return len(b.waiting) }

// Queue returns waiting visitors, longest wait first, from offset, at most
// limit (all if limit < 0). It costs O(limit), not O(queue).
func (b *Board) Queue(now time.Time, offset, limit int) []QueueEntry {
	if offset < 0 {
		offset = 0
	}
	if offset > len(b.waiting) {
		offset = len(b.waiting)
	}
	end := len(b.waiting)
	if limit >= 0 && offset+limit < end {
		end = offset + limit
	}
	out := make([]QueueEntry, 0, end-offset)
	for _, c := range b.waiting[offset:end] {
		out = append(out, queueEntry(c, now))
	}
	return out
}

func queueEntry(c *Chat, now time.Time) QueueEntry {
	e := QueueEntry{
		Source: c.Source, ID: c.Visitor.Key(), ChatID: c.ID, Name: visitorLabel(c.Visitor),
		Department: c.Department, WaitingSince: c.RequestedAt,
		FirstMessage: c.FirstMessage(), Unanswered: c.Unanswered, FromPoll: c.FromPoll,
		FromBrowser: c.FromBrowser,
	}
	if c.Visitor != nil {
		e.Email = c.Visitor.Email
	}
	if e.ID == "" {
		e.ID = c.ID
	}
	if w := now.Sub(c.RequestedAt); w > 0 {
		e.WaitSeconds = w.Seconds()
	}
	return e
}

// QueueWhere returns how many waiting visitors keep accepts and, longest
// wait first, those from offset among them, at most limit (all if limit <
// 0). It calls keep once per waiting visitor and keeps only the entries it
// returns.
func (b *Board) QueueWhere(now time.Time, keep func(*QueueEntry) bool, offset, limit int) (total int, page []QueueEntry) {
	if keep == nil {
		return len(b.waiting), b.Queue(now, offset, limit)
	}
	offset = max(offset, 0)
	for _, c := range b.waiting {
		e := queueEntry(c, now)
		if !keep(&e) {
			continue
		}
		if total >= offset && (limit < 0 || len(page) < limit) {
			page = append(page, e)
		}
		total++
	}
	return total, page
}

// Agents returns every agent with their active chat counts: online first,
// then away, then the rest, by name within each (then by source and id).
func (b *Board) Agents() []Agent {
	out := make([]Agent, 0, len(b.agents))
	b.agentOrder.each(0, func(a *Agent) bool {
		out = append(out, b.agentView(a))
		return true
	})
	return out
}

// agentView is a copy of a with its active chats and capacity.
func (b *Board) agentView(a *Agent) Agent {
	v := *a
	v.spans, v.work = nil, nil // the board's, not the copy's
	v.Chats = agentChats(a, b.load[a.k])
	v.Capacity = b.cfg.Capacity
	return v
}

// agentsWithHistory is Agents with what each did today and in the
// window, as of now.
func (b *Board) agentsWithHistory(now time.Time) []Agent {
	out := make([]Agent, 0, len(b.agents))
	midnight, from := b.midnight(now), now.Add(-b.cfg.Window)
	b.agentOrder.each(0, func(a *Agent) bool {
		v := b.agentView(a)
		today, window := agentPeriod(a, midnight, now), agentPeriod(a, from, now)
		v.Today, v.Window = &today, &window
		out = append(out, v)
		return true
	})
	return out
}

// AgentCount is the number of agents the board knows.
func (b *Board) AgentCount() int { return len(b.agents) }

// AgentsPage returns agents in the order of Agents from offset, at most
// limit (all if limit < 0). It costs O(limit), not O(agents).
func (b *Board) AgentsPage(offset, limit int) []Agent {
	_, out := b.AgentsWhere(nil, offset, limit)
	return out
}

// AgentsWhere returns how many agents keep accepts (all if keep is nil)
// and, in the order of Agents, those from offset among them, at most limit
// (all if limit < 0). Without keep it costs O(limit); with it, one call of
// keep per agent, and only the agents returned are copied out.
func (b *Board) AgentsWhere(keep func(*Agent) bool, offset, limit int) (total int, page []Agent) {
	offset = max(offset, 0)
	if keep == nil {
		total = len(b.agents)
		page = make([]Agent, 0, pageCap(total, offset, limit))
		b.agentOrder.each(offset, func(a *Agent) bool {
			if limit >= 0 && len(page) >= limit {
				return false
			}
			page = append(page, b.agentView(a))
			return true
		})
		return total, page
	}
	var v Agent
	b.agentOrder.each(0, func(a *Agent) bool {
		v = b.agentView(a)
		if !keep(&v) {
			return true
		}
		if total >= offset && (limit < 0 || len(page) < limit) {
			page = append(page, v)
		}
		total++
		return true
	})
	return total, page
}

// AgentsOverCapacity returns the agents in more active chats than the
// capacity allows, in the order of Agents. It costs O(those agents).
func (b *Board) AgentsOverCapacity() []Agent {
	if len(b.overCap) == 0 {
		return nil
	}
	list := make([]*Agent, 0, len(b.overCap))
	for _, a := range b.overCap {
		list = append(list, a)
	}
	slices.SortFunc(list, compareAgents)
	out := make([]Agent, len(list))
	for i, a := range list {
		out[i] = b.agentView(a)
	}
	return out
}

// pageCap is the capacity a page of at most limit rows from offset of
// total needs.
func pageCap(total, offset, limit int) int {
	n := max(total-offset, 0)
	if limit >= 0 {
		n = min(n, limit)
	}
	return n
}

// eachChat calls fn with the chats on the board in the order of Chats from
// offset on, until fn returns false.
func (b *Board) eachChat(offset int, fn func(*Chat) bool) {
	offset = max(offset, 0)
	for g := range b.byState {
		list := &b.byState[g]
		if offset >= list.Len() {
			offset -= list.Len()
			continue
		}
		more := true
		list.eachBack(offset, func(e chatEntry) bool {
			more = fn(e.c)
			return more
		})
		if !more {
			return
		}
		offset = 0
	}
}

// Chats returns every chat on the board: active first, then waiting, then
// ended and missed, most recently updated first within each (then by id
// and source).
func (b *Board) Chats() []Chat {
	out := make([]Chat, 0, b.chats.len())
	b.eachChat(0, func(c *Chat) bool {
		out = append(out, chatCopy(c))
		return true
	})
	return out
}

// chatCopy is a copy of c that later Apply calls do not change, so that it
// can be read (encoded) after the board's owner lets go of it: the board
// changes a chat's Info in place, and otherwise only ever replaces what a
// chat points to, or appends beyond what a copy sees.
func chatCopy(c *Chat) Chat {
	out := *c
	out.LastVisitorMessageAt = lastVisitorMessageAt(c.Messages)
	if out.Visitor == nil {
		out.Visitor = &event.Visitor{}
	}
	if c.Info != nil {
		info := *c.Info
		out.Info = &info
	}
	return out
}

// ChatCount is the number of chats on the board, ended ones included.
func (b *Board) ChatCount() int { return b.chats.len() }

// Chat returns one chat by source and id.
func (b *Board) Chat(source event.Source, id string) (Chat, bool) {
	src, ok := b.srcs.lookup(source)
	if !ok {
		return Chat{}, false
	}
	c := b.chats.get(key{src, id})
	if c == nil {
		return Chat{}, false
	}
	return chatCopy(c), true
}

// OfflineMessages returns up to n offline messages, newest first.
func (b *Board) OfflineMessages(n int) []OfflineItem { return b.offline.newest(n) }

// Inbox returns up to n inbox entries, newest first.
func (b *Board) Inbox(n int) []InboxItem { return b.inbox.newest(n) }

// FeedLen is how many items Feed calls its function with (unless stopped):
// len(OfflineMessages(-1)) + len(Inbox(-1)).
func (b *Board) FeedLen() int { return b.offline.len() + b.inbox.len() }

// FeedItem is an offline message or an inbox entry.
type FeedItem struct {
	// IsOffline says which of the two is set.
	IsOffline bool
	Offline   OfflineItem
	Inbox     InboxItem
}

// At is when the item arrived.
func (f *FeedItem) At() time.Time {
	if f.IsOffline {
		return f.Offline.At
	}
	return f.Inbox.At
}

// Feed calls fn with the offline messages and the inbox entries together,
// newest first, until fn returns false: the order of a stable sort by time
// of OfflineMessages(-1) followed by Inbox(-1). Items arrive in time order
// (the board's clock), so it merges the two without sorting and costs
// O(items read); only if an item arrived out of order does it sort all
// (at most 2×InboxSize).
func (b *Board) Feed(fn func(*FeedItem) bool) {
	off, inb := b.offline.items, b.inbox.items
	offEnd, inbEnd := len(off)-b.offline.len(), len(inb)-b.inbox.len() // the oldest items shown
	if b.offline.disorder > 0 || b.inbox.disorder > 0 {
		all := make([]FeedItem, 0, b.FeedLen())
		for i := len(off) - 1; i >= offEnd; i-- {
			all = append(all, FeedItem{IsOffline: true, Offline: off[i]})
		}
		for i := len(inb) - 1; i >= inbEnd; i-- {
			all = append(all, FeedItem{Inbox: inb[i]})
		}
		slices.SortStableFunc(all, func(x, y FeedItem) int { return y.At().Compare(x.At()) })
		for i := range all {
			if !fn(&all[i]) {
				return
			}
		}
		return
	}
	i, j := len(off)-1, len(inb)-1
	var item FeedItem
	for i >= offEnd || j >= inbEnd {
		if j < inbEnd || (i >= offEnd && !off[i].At.Before(inb[j].At)) {
			item = FeedItem{IsOffline: true, Offline: off[i]}
			i--
		} else {
			item = FeedItem{Inbox: inb[j]}
			j--
		}
		if !fn(&item) {
			return
		}
	}
}

// Sources returns the freshness of every source seen.
func (b *Board) Sources() map[event.Source]SourceState {
	out := make(map[event.Source]SourceState, len(b.sources))
	for k, s := range b.sources {
		out[k] = *s
	}
	return out
}

// View is the whole board as one JSON object (GET /v1/board).
type View struct {
	Cursor          int64                        `json:"cursor,string"`
	At              time.Time                    `json:"at"`
	Queue           []QueueEntry                 `json:"queue"`
	Agents          []Agent                      `json:"agents"`
	Chats           []Chat                       `json:"chats"`
	OfflineMessages []OfflineItem                `json:"offline_messages"`
	Inbox           []InboxItem                  `json:"inbox"`
	Metrics         Metrics                      `json:"metrics"`
	Sources         map[event.Source]SourceState `json:"sources"`
	// StatusOptions lists, per source, the statuses agents can be set to.
	StatusOptions map[event.Source][]string `json:"status_options"`
	// Trend is the last hour, a point a minute (Board.Trend).
	Trend []TrendPoint `json:"trend"`
	// Departments is the floor by department (Board.Departments); empty
	// where chats carry no department.
	Departments []DepartmentStats `json:"departments"`
}

// View returns the whole board as of now. What it returns does not change
// as the board applies more events.
func (b *Board) View(now time.Time) View {
	v := View{
		Cursor:          b.seq,
		At:              now,
		Queue:           b.Queue(now, 0, -1),
		Agents:          b.agentsWithHistory(now),
		Chats:           b.Chats(),
		OfflineMessages: b.OfflineMessages(-1),
		Inbox:           b.Inbox(-1),
		Metrics:         b.Metrics(now),
		Sources:         b.Sources(),
		StatusOptions:   map[event.Source][]string{},
		Trend:           b.Trend(now, time.Hour),
		Departments:     b.Departments(now),
	}
	for src := range b.statuses {
		v.StatusOptions[src] = b.StatusOptions(src)
	}
	return v
}

// ChatSummary is a chat without its transcript: what a list row needs.
type ChatSummary struct {
	Source               event.Source `json:"source"`
	ID                   string       `json:"id"`
	State                ChatState    `json:"state"`
	Visitor              string       `json:"visitor"`
	VisitorID            string       `json:"visitor_id,omitempty"`
	Agents               []string     `json:"agents,omitempty"`
	Department           string       `json:"department,omitempty"`
	RequestedAt          time.Time    `json:"requested_at,omitzero"`
	UpdatedAt            time.Time    `json:"updated_at"`
	LastVisitorMessageAt time.Time    `json:"last_visitor_message_at,omitzero"`
	Messages             int          `json:"messages"`
	LastMessage          string       `json:"last_message,omitempty"`
	Rating               string       `json:"rating,omitempty"`
}

// ChatSummaries returns every chat as a summary, in the order of Chats.
func (b *Board) ChatSummaries() []ChatSummary {
	_, out := b.ChatSummariesWhere(nil, 0, -1)
	return out
}

// ChatSummariesPage returns chat summaries in the order of Chats from
// offset, at most limit (all if limit < 0). It costs O(limit), not
// O(chats).
func (b *Board) ChatSummariesPage(offset, limit int) []ChatSummary {
	_, out := b.ChatSummariesWhere(nil, offset, limit)
	return out
}

// ChatSummariesWhere returns how many chats keep accepts (all if keep is
// nil) and, in the order of Chats, the summaries of those from offset
// among them, at most limit (all if limit < 0). Without keep it costs
// O(limit); with it, one summary and one call of keep per chat, and only
// the summaries returned are kept.
func (b *Board) ChatSummariesWhere(keep func(*ChatSummary) bool, offset, limit int) (total int, page []ChatSummary) {
	offset = max(offset, 0)
	if keep == nil {
		total = b.chats.len()
		page = make([]ChatSummary, 0, pageCap(total, offset, limit))
		b.eachChat(offset, func(c *Chat) bool {
			if limit >= 0 && len(page) >= limit {
				return false
			}
			page = append(page, b.summary(c, nil))
			return true
		})
		return total, page
	}
	var scratch []string
	b.eachChat(0, func(c *Chat) bool {
		s := b.summary(c, scratch[:0])
		if s.Agents != nil {
			scratch = s.Agents
		}
		if !keep(&s) {
			return true
		}
		if total >= offset && (limit < 0 || len(page) < limit) {
			s.Agents = slices.Clone(s.Agents)
			page = append(page, s)
		}
		total++
		return true
	})
	return total, page
}

// summary is c's summary; the agents' names are appended to agents.
func (b *Board) summary(c *Chat, agents []string) ChatSummary {
	s := ChatSummary{Source: c.Source, ID: c.ID, State: c.State, Visitor: visitorLabel(c.Visitor),
		VisitorID: c.Visitor.Key(), Department: c.Department, RequestedAt: c.RequestedAt, UpdatedAt: c.UpdatedAt,
		LastVisitorMessageAt: lastVisitorMessageAt(c.Messages), Messages: len(c.Messages)}
	for _, a := range c.Agents {
		name := a.Name
		if name == "" {
			name = b.AgentName(c.Source, a.ID)
		}
		agents = append(agents, name)
	}
	if len(agents) > 0 {
		s.Agents = agents
	}
	for i := len(c.Messages) - 1; i >= 0; i-- {
		if c.Messages[i].From != event.FromSystem && c.Messages[i].Text != "" {
			s.LastMessage = c.Messages[i].Text
			break
		}
	}
	if c.Rating != nil {
		s.Rating = c.Rating.Value
	}
	return s
}

// AgentName returns an agent's name as the board knows it, else the id.
func (b *Board) AgentName(source event.Source, id string) string {
	if src, ok := b.srcs.lookup(source); ok {
		if ag := b.findAgent(src, id); ag != nil && ag.Name != "" {
			return ag.Name
		}
	}
	return id
}
