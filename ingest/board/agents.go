package board

import (
	"strings"
	"time"

	"github.com/chatdeck/chatdeck/ingest/event"
)

// Agent is an agent as the board knows them.
type Agent struct {
	Source     event.Source      `json:"source"`
	ID         string            `json:"id"`
	Name       string            `json:"name"`
	Email      string            `json:"email,omitempty"`
	Status     event.AgentStatus `json:"status"`
	StatusName string            `json:"status_name,omitempty"`
	// Since is when the agent entered the current status; zero if unknown.
	Since time.Time `json:"since,omitzero"`
	// StatusAt is the moment the current status was last told for: a
	// status told late, for a moment before it (a replay, a backfill),
	// goes into the agent's history but is not their status now.
	StatusAt time.Time `json:"status_at,omitzero"`
	// LastSeenAt is when a chat event last named the agent.
	LastSeenAt time.Time `json:"last_seen_at,omitzero"`
	// OngoingChats is the vendor's own count (from polling), -1 if unknown.
	OngoingChats int `json:"ongoing_chats"`
	// Chats is how many chats the agent holds: the vendor's own count
	// when the last poll listed them, else the active chats on the board
	// that name them.
	Chats int `json:"chats"`
	// Capacity is how many chats the agent can hold.
	Capacity int `json:"capacity"`
	// Today and Window are what the agent did since midnight and in the
	// rolling window (AgentPeriod); in View only.
	Today  *AgentPeriod `json:"today,omitempty"`
	Window *AgentPeriod `json:"window,omitempty"`

	fromPoll bool
	// The agent's history (agentstats.go): status changes in time order,
	// and the chats they took.
	spans []statusSpan
	work  []*agentWork
	// The board's bookkeeping: the agent's key, and the sort key its
	// place in the Agents order was found with.
	k         key
	ordRank   int8
	ordName   string // ordNameOf, lower-cased
	ordNameOf string
}

// agent returns the agent a, creating it with status unknown, and notes
// their name and email.
func (b *Board) agent(source event.Source, a event.Agent) *Agent {
	id := a.ID
	if id == "" {
		id = a.Name
	}
	if id == "" {
		return nil
	}
	src := b.srcs.code(source)
	ag := b.findAgent(src, id)
	if ag == nil {
		ag = &Agent{Source: source, ID: id, Status: event.AgentUnknown, OngoingChats: -1}
		b.putAgent(agentKey(src, id), ag)
	}
	if a.Email != "" {
		ag.Email = a.Email
	}
	if a.Name != "" && a.Name != ag.Name {
		ag.Name = a.Name
		b.reindexAgent(ag, ag.Status)
	}
	return ag
}

// seeAgent notes an agent named in a chat event at at. A chat says nothing
// of presence: an agent known only from chats keeps the status unknown
// (Chatlio and Jivo send no presence at all), with when they were last
// seen in one.
func (b *Board) seeAgent(source event.Source, a event.Agent, at time.Time) {
	if ag := b.agent(source, a); ag != nil && at.After(ag.LastSeenAt) {
		ag.LastSeenAt = at
	}
}

// agentStatus applies a presence event: a Comm100 status webhook or the
// outcome of chatdeck's own status change.
func (b *Board) agentStatus(ev *event.Event) {
	at := place(ev)
	placed := false
	for _, a := range ev.Agents {
		if ag := b.agent(ev.Source, a); ag != nil {
			b.setStatus(ag, a.Status, a.StatusName, at)
			placed = true
		}
	}
	if !placed {
		b.incomplete(ev, "a status event naming no agent")
	}
}

func (b *Board) setStatus(ag *Agent, s event.AgentStatus, name string, at time.Time) {
	if s == "" {
		s = event.AgentUnknown
	}
	ag.noteStatus(s, name, at)
	b.observeStatus(ag, s, name, at)
	if at.Before(ag.StatusAt) {
		return
	}
	ag.StatusAt = at
	if ag.Status != s || !strings.EqualFold(ag.StatusName, name) {
		ag.Since = at
	}
	was := ag.Status
	ag.Status, ag.StatusName = s, name
	b.reindexAgent(ag, was)
}

// agentsSnapshot replaces what the board knows of a source's agents with a
// poll: agents in it get their status, name and chat count; agents that an
// earlier poll listed and this one does not are offline, their chats
// counted by the board again.
func (b *Board) agentsSnapshot(ev *event.Event) {
	if len(ev.SnapshotStatuses) > 0 {
		b.statuses[ev.Source] = ev.SnapshotStatuses
	}
	seen := make(map[key]bool, len(ev.SnapshotAgents))
	for _, a := range ev.SnapshotAgents {
		ag := b.agent(ev.Source, a)
		if ag == nil {
			continue
		}
		seen[ag.k] = true
		ag.fromPoll = true
		if ag.OngoingChats != a.OngoingChats {
			ag.OngoingChats = a.OngoingChats
			b.checkCapacity(ag.k)
		}
		b.setStatus(ag, a.Status, a.StatusName, ev.ReceivedAt)
	}
	src := b.srcs.code(ev.Source)
	for k, ag := range b.agents {
		if k.src != src || !ag.fromPoll || seen[k] {
			continue
		}
		// Told again each poll, as the listed agents are: a status told
		// late for a moment before this poll is not their status now.
		b.setStatus(ag, event.AgentOffline, "", ev.ReceivedAt)
		if ag.OngoingChats >= 0 {
			ag.OngoingChats = -1 // no longer listed: the board's own count again
			b.checkCapacity(k)
		}
	}
}

// visitorsSnapshot puts the visitors a poll says are waiting in the queue
// (unless a webhook already has their chat), and takes out those polled
// before who no longer wait. Polled entries are not counted in metrics:
// their outcome is not known.
func (b *Board) visitorsSnapshot(ev *event.Event) {
	waiting := make(map[key]bool)
	for i := range ev.SnapshotVisitors {
		v := &ev.SnapshotVisitors[i]
		if v.ID == "" || !v.State.Waiting() {
			continue
		}
		vk := b.key(ev.Source, v.ID)
		waiting[vk] = true
		// A copy: the chat must not keep the whole poll's list alive.
		own := *v
		if c := b.open[vk]; c != nil {
			setVisitor(c, &own, own.Known())
			continue
		}
		c := &Chat{Source: ev.Source, ID: "visitor:" + v.ID, FromPoll: true, waitIndex: -1,
			RequestedAt: ev.ReceivedAt, UpdatedAt: ev.ReceivedAt}
		setVisitor(c, &own, own.Known())
		if v.Department != nil {
			c.Department = v.Department.Label()
		}
		b.putChat(b.key(c.Source, c.ID), c)
		b.setOpen(vk, c)
		b.setState(c, Waiting)
	}
	src := b.srcs.code(ev.Source)
	for vk, c := range b.open {
		if vk.src == src && c.FromPoll && !waiting[vk] {
			b.drop(c)
		}
	}
}

// History is what the board remembers of one visitor's chats.
type History struct {
	Chats      int       `json:"chats"`
	LastChatAt time.Time `json:"last_chat_at,omitzero"`
	LastRating string    `json:"last_rating,omitempty"`
	LastAgent  string    `json:"last_agent,omitempty"`

	lastChat string
	k        key // the board's key for it
	heapAt   int // its place in Board.expiries
}

func (h *History) tableKey() key { return h.k }

// remember updates the history of the chat's visitor, under each of the
// visitor's identities (id, and Jivo's user token).
func (b *Board) remember(c *Chat) {
	ids, n := visitorIDs(c.Visitor)
	for _, id := range ids[:n] {
		k := b.key(c.Source, id)
		h, hash := b.history.lookup(k)
		if h == nil {
			h = &History{k: k, LastChatAt: c.UpdatedAt}
			b.history.putHashed(hash, k, h)
			b.expiries.add(h)
		}
		if h.lastChat != c.ID {
			h.Chats++
			h.lastChat = c.ID
		}
		if h.LastChatAt != c.UpdatedAt {
			h.LastChatAt = c.UpdatedAt
			b.expiries.moved(h)
		}
		if n := len(c.Agents); n > 0 {
			a := c.Agents[n-1]
			h.LastAgent = a.Name
			if h.LastAgent == "" {
				h.LastAgent = a.ID
			}
		}
		if c.Rating != nil && c.Rating.Value != "" {
			h.LastRating = c.Rating.Value
		}
	}
}

// visitorIDs returns the keys a visitor's history is kept under: ids[:n].
func visitorIDs(v *event.Visitor) (ids [2]string, n int) {
	if v == nil {
		return ids, 0
	}
	k := v.Key()
	if k != "" {
		ids[n] = k
		n++
	}
	if v.UserToken != "" && (len(k) != len("token:")+len(v.UserToken) || k[:len("token:")] != "token:" || k[len("token:"):] != v.UserToken) {
		ids[n] = "token:" + v.UserToken
		n++
	}
	return ids, n
}

// VisitorHistory returns what the board knows of a visitor's earlier chats,
// looked up by the visitor's id, else by the user token. The chat excluded
// (the one being accepted now) is not counted. ok is false for a visitor
// with no history.
func (b *Board) VisitorHistory(source event.Source, v *event.Visitor, excludeChat string) (History, bool) {
	if v == nil {
		return History{}, false
	}
	src, ok := b.srcs.lookup(source)
	if !ok {
		return History{}, false
	}
	ids, n := visitorIDs(v)
	for _, id := range ids[:n] {
		h := b.history.get(key{src, id})
		if h == nil {
			continue
		}
		out := *h
		out.k, out.heapAt = key{}, 0
		if h.lastChat == excludeChat {
			out.Chats--
		}
		if out.Chats <= 0 {
			return History{}, false
		}
		return out, true
	}
	return History{}, false
}

// StatusOptions returns the statuses a source's agents can be set to, as
// its last agents snapshot listed them (nil before any).
func (b *Board) StatusOptions(source event.Source) []string {
	return append([]string(nil), b.statuses[source]...)
}
