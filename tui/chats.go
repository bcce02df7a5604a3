package tui

import (
	"cmp"
	"slices"
	"strings"
	"time"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/chatdeck/chatdeck/ingest/board"
)

// chatsPane is every chat on the board: active first, then waiting, then
// ended and missed.
type chatsPane struct {
	List[board.ChatSummary]
	filter  string
	count   int
	preview chatPreview // the selected chat, for Detail
}

func newChatsPane(c *Context) Pane {
	p := &chatsPane{}
	p.Context = c
	p.Empty = "  no chats yet"
	p.Place = "the list of chats"
	p.Ident = func(c *board.ChatSummary) string { return identity(c.Source, c.ID) }
	p.Label = func(c *board.ChatSummary) string { return "the chat with " + nameOr(c.Visitor, c.ID) }
	p.Columns = []Column[board.ChatSummary]{
		{Title: "STATE", Width: 8, Cell: func(c *board.ChatSummary) Cell {
			st := &p.Theme.Dim
			switch c.State {
			case board.Active:
				st = &p.Theme.OK
			case board.Waiting:
				st = &p.Theme.Warn
			case board.Missed:
				st = &p.Theme.Alert
			}
			return Cell{Text: string(c.State), Style: st}
		}, Cmp: func(a, b *board.ChatSummary) int { return cmp.Compare(stateRank(a.State), stateRank(b.State)) }},
		{Title: "SOURCE", Width: 9, Cell: func(c *board.ChatSummary) Cell { return Cell{Text: string(c.Source)} },
			Cmp: func(a, b *board.ChatSummary) int { return cmpText(string(a.Source), string(b.Source)) }},
		{Title: "VISITOR", Width: 18, Cell: func(c *board.ChatSummary) Cell { return Cell{Text: c.Visitor} },
			Cmp: func(a, b *board.ChatSummary) int { return cmpText(a.Visitor, b.Visitor) }},
		{Title: "AGENT", Width: 14, Cell: func(c *board.ChatSummary) Cell { return Cell{Text: strings.Join(c.Agents, ",")} },
			Cmp: func(a, b *board.ChatSummary) int {
				return cmpText(strings.Join(a.Agents, ","), strings.Join(b.Agents, ","))
			}},
		{Title: "SILENT", Width: 8, Cell: func(c *board.ChatSummary) Cell {
			if c.State == board.Active && !c.LastVisitorMessageAt.IsZero() {
				return Cell{Text: dur(p.Now.Sub(c.LastVisitorMessageAt))}
			}
			return Cell{}
		}, Desc: true, Cmp: func(a, b *board.ChatSummary) int { return cmp.Compare(p.silent(a), p.silent(b)) }},
		{Title: "DEPARTMENT", Width: 12, Cell: func(c *board.ChatSummary) Cell { return Cell{Text: c.Department} },
			Cmp: func(a, b *board.ChatSummary) int { return cmpText(a.Department, b.Department) }},
		{Title: "LAST MESSAGE", Cell: func(c *board.ChatSummary) Cell { return Cell{Text: c.LastMessage} },
			Cmp: func(a, b *board.ChatSummary) int { return cmpText(a.LastMessage, b.LastMessage) }},
	}
	return p
}

// silent is how long an active chat's visitor has waited for a word since
// their last message; -1 for other chats.
func (p *chatsPane) silent(c *board.ChatSummary) time.Duration {
	if c.State != board.Active || c.LastVisitorMessageAt.IsZero() {
		return -1
	}
	return p.Now.Sub(c.LastVisitorMessageAt)
}

// stateRank orders chat states as the board lists chats.
func stateRank(s board.ChatState) int {
	switch s {
	case board.Active:
		return 0
	case board.Waiting:
		return 1
	case board.Ended:
		return 2
	}
	return 3
}

func (p *chatsPane) ID() string    { return "chats" }
func (p *chatsPane) Title() string { return "Chats" }

func (p *chatsPane) Count() (int, bool) { return p.count, true }

func (p *chatsPane) Load(b *board.Board, focused bool) {
	filter := strings.ToLower(p.filter)
	p.stamp = newStamp(b, p.Now, filter, p.Dept)
	fetch := func(offset, limit int) (int, []board.ChatSummary) { return b.ChatSummariesWhere(nil, offset, limit) }
	var keep func(c *board.ChatSummary) bool
	if filter != "" || p.Dept != "" {
		keep = func(c *board.ChatSummary) bool {
			return p.deptOK(c.Department) && matches(filter, c.Visitor, strings.Join(c.Agents, " "), c.Department,
				string(c.State), string(c.Source), c.LastMessage, c.ID)
		}
		fetch = func(offset, limit int) (int, []board.ChatSummary) { return b.ChatSummariesWhere(keep, offset, limit) }
	}
	scan := func(visit func(*board.ChatSummary)) {
		b.ChatSummariesWhere(func(c *board.ChatSummary) bool {
			if keep == nil || keep(c) {
				// The board lends the agents' names for the call only;
				// a sorted list keeps the row.
				own := *c
				own.Agents = slices.Clone(c.Agents)
				visit(&own)
			}
			return false
		}, 0, 0)
	}
	if focused {
		p.List.Load(fetch, scan)
		p.count = p.Total()
	} else {
		p.count, _ = fetch(0, 0)
	}
	p.preview.ok = false
	if c, ok := p.Selected(); ok && focused {
		p.preview.load(b, c.Source, c.ID)
	}
}

func (p *chatsPane) Update(msg tea.Msg) (bool, intent) {
	if k, ok := msg.(tea.KeyPressMsg); ok {
		switch {
		case key.Matches(k, p.Keys.Open):
			if c, ok := p.Selected(); ok {
				return true, openChat{chat: rowRef{Source: c.Source, ID: c.ID, Label: c.Visitor}}
			}
			return true, nil
		case key.Matches(k, p.Keys.Copy):
			c, ok := p.Selected()
			if !ok {
				return true, notice{text: "no chat selected to copy", isErr: true}
			}
			return true, copyChat(c.Source, c.ID, nameOr(c.Visitor, c.VisitorID), "")
		case key.Matches(k, p.Keys.Tag):
			if c, ok := p.Selected(); ok && c.VisitorID != "" {
				return true, tagVisitor{visitor: rowRef{Source: c.Source, ID: c.VisitorID, Label: nameOr(c.Visitor, c.VisitorID)}}
			}
			return false, nil
		}
		if handled, do := listKeys(k, &p.Keys, p); handled {
			return true, do
		}
	}
	return p.List.Update(msg), nil
}

func (p *chatsPane) byDepartment()      {}
func (p *chatsPane) SetFilter(f string) { p.filter = f; p.Reset() }
func (p *chatsPane) Filter() string     { return p.filter }
func (p *chatsPane) Status() string     { return p.Position() }
func (p *chatsPane) Chips() []string    { return append(filterChips(p.filter), p.sortChip()...) }

func (p *chatsPane) ShortHelp() []key.Binding {
	k := &p.Keys
	return []key.Binding{k.Open, k.Filter, k.Tag, k.Copy, k.Sort}
}

func (p *chatsPane) FullHelp() [][]key.Binding {
	k := &p.Keys
	return [][]key.Binding{p.navHelp(), {k.Open, k.Filter, k.Back, k.Tag, k.Copy}, p.sortHelp()}
}
