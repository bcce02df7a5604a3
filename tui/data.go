package tui

import (
	"sort"
	"strings"
	"time"

	"github.com/chatdeck/chatdeck/ingest/board"
	"github.com/chatdeck/chatdeck/ingest/event"
)

// snapshot is what the dashboard copied from the board for the frame: the
// headline numbers, and only the rows of the current pane that show.
type snapshot struct {
	cursor        int64
	metrics       board.Metrics
	sources       map[event.Source]board.SourceState
	polls         map[event.Source]board.PollState
	statusOptions []string
	total         int // rows in the current pane, after filters
	queue         []board.QueueEntry
	agents        []board.Agent
	chats         []board.ChatSummary
	transcript    []line
	chatTitle     string
	inbox         []inboxRow
	inboxCount    int
	overCapacity  []string
}

// line is one rendered transcript line.
type line struct {
	text string
	from event.Sender
}

// inboxRow is an offline message or an inbox entry.
type inboxRow struct {
	At     time.Time
	Type   string
	Source event.Source
	Who    string
	Text   string
}

// bodyHeight is the number of rows a pane has on screen.
func (m Model) bodyHeight() int { return max(m.height-6, 1) }

// refresh copies the frame's data from the board. Without a filter it
// asks the board only for the rows on screen (O(rows shown), whatever the
// board holds); with one, the board tests every row of the pane but hands
// back only those on screen. Nothing is sorted here: the board keeps its
// lists in order.
func (m *Model) refresh() {
	if m.opt.Source == nil {
		return
	}
	h := m.bodyHeight()
	p := m.pane
	filter := strings.ToLower(m.filter[p])
	var s snapshot
	m.opt.Source.Read(func(b *board.Board) {
		s.cursor = b.Cursor()
		s.metrics = b.Metrics(m.now)
		s.sources = b.Sources()
		s.statusOptions = b.StatusOptions(event.Comm100)
		s.inboxCount = b.FeedLen()
		for _, a := range b.AgentsOverCapacity() {
			s.overCapacity = append(s.overCapacity, nameOr(a.Name, a.ID))
		}
		switch p {
		case paneQueue:
			if filter == "" && m.dept == "" {
				s.total = b.QueueLen()
				m.window(s.total, h)
				s.queue = b.Queue(m.now, m.offset[p], h)
				return
			}
			keep := func(e *board.QueueEntry) bool {
				return m.deptOK(e.Department) && matches(filter, e.Name, e.Email, e.Department, e.FirstMessage, string(e.Source), e.ID)
			}
			s.total, s.queue = b.QueueWhere(m.now, keep, m.offset[p], h)
			if m.paged(s.total, h) {
				_, s.queue = b.QueueWhere(m.now, keep, m.offset[p], h)
			}
		case paneAgents:
			if filter == "" {
				s.total = b.AgentCount()
				m.window(s.total, h)
				s.agents = b.AgentsPage(m.offset[p], h)
				return
			}
			keep := func(a *board.Agent) bool {
				return matches(filter, a.Name, a.Email, a.StatusName, string(a.Status), string(a.Source), a.ID)
			}
			s.total, s.agents = b.AgentsWhere(keep, m.offset[p], h)
			if m.paged(s.total, h) {
				_, s.agents = b.AgentsWhere(keep, m.offset[p], h)
			}
		case paneChats:
			if filter == "" && m.dept == "" {
				s.total = b.ChatCount()
				m.window(s.total, h)
				s.chats = b.ChatSummariesPage(m.offset[p], h)
				return
			}
			keep := func(c *board.ChatSummary) bool {
				return m.deptOK(c.Department) && matches(filter, c.Visitor, strings.Join(c.Agents, " "), c.Department,
					string(c.State), string(c.Source), c.LastMessage, c.ID)
			}
			s.total, s.chats = b.ChatSummariesWhere(keep, m.offset[p], h)
			if m.paged(s.total, h) {
				_, s.chats = b.ChatSummariesWhere(keep, m.offset[p], h)
			}
		case paneTranscript:
			c, ok := b.Chat(m.openChat.Source, m.openChat.ID)
			if !ok {
				s.chatTitle = "no chat open: select one in Chats (3) or Queue (1) and press enter"
				return
			}
			s.chatTitle = transcriptTitle(c, b)
			lines := transcriptLines(c, m.width, m.now.Location())
			s.total = len(lines)
			m.windowScroll(s.total, h)
			s.transcript = lines[m.offset[p]:min(m.offset[p]+h, len(lines))]
		case paneInbox:
			page := func() {
				s.inbox = s.inbox[:0]
				i, from := 0, m.offset[p]
				b.Feed(func(it *board.FeedItem) bool {
					if filter != "" {
						if r := inboxRowOf(it); !matches(filter, r.Type, r.Who, r.Text, string(r.Source)) {
							return true
						}
					}
					if i >= from {
						s.inbox = append(s.inbox, inboxRowOf(it))
					}
					i++
					return i < from+h
				})
			}
			if filter == "" {
				s.total = b.FeedLen()
				m.window(s.total, h)
				page()
				return
			}
			b.Feed(func(it *board.FeedItem) bool {
				if r := inboxRowOf(it); matches(filter, r.Type, r.Who, r.Text, string(r.Source)) {
					s.total++
				}
				return true
			})
			m.window(s.total, h)
			page()
		}
	})
	s.polls = m.opt.Source.Polls()
	m.snap = s
}

// window clamps the pane's cursor to its rows and scrolls to keep it shown.
func (m *Model) window(total, h int) {
	p := m.pane
	m.cursor[p] = min(max(m.cursor[p], 0), max(total-1, 0))
	if m.cursor[p] < m.offset[p] {
		m.offset[p] = m.cursor[p]
	}
	if m.cursor[p] >= m.offset[p]+h {
		m.offset[p] = m.cursor[p] - h + 1
	}
	m.offset[p] = min(max(m.offset[p], 0), max(total-1, 0))
}

// paged is window for a page read before the window was known: it
// reports whether the window moved, so that the page must be read again.
func (m *Model) paged(total, h int) bool {
	from := m.offset[m.pane]
	m.window(total, h)
	return m.offset[m.pane] != from
}

// windowScroll is window for the transcript, where the cursor is the top
// line shown.
func (m *Model) windowScroll(total, h int) {
	p := m.pane
	m.cursor[p] = min(max(m.cursor[p], 0), max(total-h, 0))
	m.offset[p] = m.cursor[p]
}

func (m Model) deptOK(d string) bool { return m.dept == "" || strings.EqualFold(d, m.dept) }

func matches(filter string, fields ...string) bool {
	if filter == "" {
		return true
	}
	for _, f := range fields {
		if strings.Contains(strings.ToLower(f), filter) {
			return true
		}
	}
	return false
}

func nameOr(name, id string) string {
	if name != "" {
		return name
	}
	return id
}

// inboxRowOf is the inbox pane's row for an offline message or an inbox
// entry.
func inboxRowOf(it *board.FeedItem) inboxRow {
	if it.IsOffline {
		o := &it.Offline
		return inboxRow{At: o.At, Type: "offline", Source: o.Source, Who: nameOr(o.Name, o.Email), Text: o.Text}
	}
	i := &it.Inbox
	text := i.Text
	if i.Type == board.InboxFeedback && i.Rating != nil && i.Rating.Value != "" {
		text = "[" + i.Rating.Value + "] " + text
	}
	if i.Type == board.InboxUnrecognised && i.VendorEvent != "" {
		text = i.VendorEvent + ": " + text
	}
	return inboxRow{At: i.At, Type: string(i.Type), Source: i.Source, Who: i.Visitor, Text: text}
}

// move moves the current pane's cursor by d rows.
func (m *Model) move(d int) {
	p := m.pane
	m.cursor[p] += d
	if m.cursor[p] < 0 {
		m.cursor[p] = 0
	}
	m.refresh()
}

// selectedAgent is the agent under the cursor in the Agents pane.
func (m Model) selectedAgent() (rowRef, bool) {
	if m.pane != paneAgents {
		return rowRef{}, false
	}
	i := m.cursor[paneAgents] - m.offset[paneAgents]
	if i < 0 || i >= len(m.snap.agents) {
		return rowRef{}, false
	}
	a := m.snap.agents[i]
	return rowRef{Source: a.Source, ID: a.ID, Label: nameOr(a.Name, a.ID)}, true
}

// selectedVisitor is the visitor under the cursor in the Queue or Chats pane.
func (m Model) selectedVisitor() (rowRef, bool) {
	p := m.pane
	i := m.cursor[p] - m.offset[p]
	switch {
	case p == paneQueue && i >= 0 && i < len(m.snap.queue):
		e := m.snap.queue[i]
		return rowRef{Source: e.Source, ID: e.ID, Label: nameOr(e.Name, e.ID)}, true
	case p == paneChats && i >= 0 && i < len(m.snap.chats) && m.snap.chats[i].VisitorID != "":
		c := m.snap.chats[i]
		return rowRef{Source: c.Source, ID: c.VisitorID, Label: nameOr(c.Visitor, c.VisitorID)}, true
	}
	return rowRef{}, false
}

// open opens the selected chat's transcript.
func (m *Model) open() {
	p := m.pane
	i := m.cursor[p] - m.offset[p]
	switch {
	case p == paneQueue && i >= 0 && i < len(m.snap.queue):
		e := m.snap.queue[i]
		m.openChat = rowRef{Source: e.Source, ID: e.ChatID, Label: e.Name}
	case p == paneChats && i >= 0 && i < len(m.snap.chats):
		c := m.snap.chats[i]
		m.openChat = rowRef{Source: c.Source, ID: c.ID, Label: c.Visitor}
	default:
		return
	}
	m.cursor[paneTranscript], m.offset[paneTranscript] = 0, 0
	m.search = ""
	m.setPane(paneTranscript)
}

// nextMatch scrolls the transcript to the next line with the search text.
func (m *Model) nextMatch() {
	if m.search == "" {
		return
	}
	var lines []line
	m.opt.Source.Read(func(b *board.Board) {
		if c, ok := b.Chat(m.openChat.Source, m.openChat.ID); ok {
			lines = transcriptLines(c, m.width, m.now.Location())
		}
	})
	q := strings.ToLower(m.search)
	n := len(lines)
	for k := 1; k <= n; k++ {
		i := (m.cursor[paneTranscript] + k) % n
		if strings.Contains(strings.ToLower(lines[i].text), q) {
			m.cursor[paneTranscript] = i
			m.refresh()
			return
		}
	}
	m.setFlash("no match for "+m.search, true)
}

// cycleDepartment steps the department filter through the departments on
// the board, then back to all.
func (m *Model) cycleDepartment() {
	seen := map[string]bool{}
	m.opt.Source.Read(func(b *board.Board) {
		for _, e := range b.Queue(m.now, 0, -1) {
			seen[e.Department] = true
		}
		for _, c := range b.ChatSummaries() {
			seen[c.Department] = true
		}
	})
	delete(seen, "")
	depts := make([]string, 0, len(seen))
	for d := range seen {
		depts = append(depts, d)
	}
	sort.Strings(depts)
	next := ""
	for i, d := range depts {
		if d == m.dept && i+1 < len(depts) {
			next = depts[i+1]
		}
	}
	if m.dept == "" && len(depts) > 0 {
		next = depts[0]
	}
	m.dept = next
	m.cursor[m.pane], m.offset[m.pane] = 0, 0
	if next == "" {
		m.setFlash("department: all", false)
	} else {
		m.setFlash("department: "+next, false)
	}
	m.refresh()
}
