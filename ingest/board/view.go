package board

import (
	"sort"
	"strings"
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
		e := QueueEntry{
			Source: c.Source, ID: c.Visitor.Key(), ChatID: c.ID, Name: visitorLabel(&c.Visitor),
			Email: c.Visitor.Email, Department: c.Department, WaitingSince: c.RequestedAt,
			FirstMessage: c.FirstMessage(), Unanswered: c.Unanswered, FromPoll: c.FromPoll,
		}
		if e.ID == "" {
			e.ID = c.ID
		}
		if w := now.Sub(c.RequestedAt); w > 0 {
			e.WaitSeconds = w.Seconds()
		}
		out = append(out, e)
	}
	return out
}

// Agents returns every agent with their active chat counts: online first,
// then away, then the rest, by name within each.
func (b *Board) Agents() []Agent {
	load := map[key]int{}
	for _, c := range b.chats {
		if c.State != Active {
			continue
		}
		for _, a := range c.Agents {
			id := a.ID
			if id == "" {
				id = a.Name
			}
			load[agentKey(c.Source, id)]++
		}
	}
	out := make([]Agent, 0, len(b.agents))
	for k, a := range b.agents {
		v := *a
		v.Chats = load[k]
		v.Capacity = b.cfg.Capacity
		out = append(out, v)
	}
	rank := map[event.AgentStatus]int{event.AgentOnline: 0, event.AgentAway: 1, event.AgentUnknown: 2, event.AgentOffline: 3}
	sort.Slice(out, func(i, j int) bool {
		if ri, rj := rank[out[i].Status], rank[out[j].Status]; ri != rj {
			return ri < rj
		}
		ni, nj := strings.ToLower(out[i].Name), strings.ToLower(out[j].Name)
		if ni != nj {
			return ni < nj
		}
		if out[i].Source != out[j].Source {
			return out[i].Source < out[j].Source
		}
		return out[i].ID < out[j].ID
	})
	return out
}

// Chats returns every chat on the board: active first, then waiting, then
// ended and missed, most recently updated first within each.
func (b *Board) Chats() []Chat {
	out := make([]Chat, 0, len(b.chats))
	for _, c := range b.chats {
		out = append(out, *c)
	}
	rank := map[ChatState]int{Active: 0, Waiting: 1, Ended: 2, Missed: 2}
	sort.Slice(out, func(i, j int) bool {
		if ri, rj := rank[out[i].State], rank[out[j].State]; ri != rj {
			return ri < rj
		}
		if !out[i].UpdatedAt.Equal(out[j].UpdatedAt) {
			return out[i].UpdatedAt.After(out[j].UpdatedAt)
		}
		return out[i].ID < out[j].ID
	})
	return out
}

// Chat returns one chat by source and id.
func (b *Board) Chat(source event.Source, id string) (Chat, bool) {
	c := b.chats[key{source, id}]
	if c == nil {
		return Chat{}, false
	}
	return *c, true
}

// OfflineMessages returns up to n offline messages, newest first.
func (b *Board) OfflineMessages(n int) []OfflineItem { return b.offline.newest(n) }

// Inbox returns up to n inbox entries, newest first.
func (b *Board) Inbox(n int) []InboxItem { return b.inbox.newest(n) }

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
}

// View returns the whole board as of now.
func (b *Board) View(now time.Time) View {
	v := View{
		Cursor:          b.seq,
		At:              now,
		Queue:           b.Queue(now, 0, -1),
		Agents:          b.Agents(),
		Chats:           b.Chats(),
		OfflineMessages: b.OfflineMessages(-1),
		Inbox:           b.Inbox(-1),
		Metrics:         b.Metrics(now),
		Sources:         b.Sources(),
		StatusOptions:   map[event.Source][]string{},
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
	out := make([]ChatSummary, 0, len(b.chats))
	rank := map[ChatState]int{Active: 0, Waiting: 1, Ended: 2, Missed: 2}
	for _, c := range b.chats {
		s := ChatSummary{Source: c.Source, ID: c.ID, State: c.State, Visitor: visitorLabel(&c.Visitor),
			VisitorID: c.Visitor.Key(), Department: c.Department, RequestedAt: c.RequestedAt, UpdatedAt: c.UpdatedAt,
			LastVisitorMessageAt: c.LastVisitorMessageAt, Messages: len(c.Messages)}
		for _, a := range c.Agents {
			name := a.Name
			if name == "" {
				name = b.AgentName(c.Source, a.ID)
			}
			s.Agents = append(s.Agents, name)
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
		out = append(out, s)
	}
	sort.Slice(out, func(i, j int) bool {
		if ri, rj := rank[out[i].State], rank[out[j].State]; ri != rj {
			return ri < rj
		}
		if !out[i].UpdatedAt.Equal(out[j].UpdatedAt) {
			return out[i].UpdatedAt.After(out[j].UpdatedAt)
		}
		return out[i].ID < out[j].ID
	})
	return out
}

// AgentName returns an agent's name as the board knows it, else the id.
func (b *Board) AgentName(source event.Source, id string) string {
	if ag := b.agents[agentKey(source, id)]; ag != nil && ag.Name != "" {
		return ag.Name
	}
	return id
}
