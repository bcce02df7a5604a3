package tui

import (
	"fmt"
	"strings"
	"time"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/chatdeck/chatdeck/ingest/board"
	"github.com/chatdeck/chatdeck/ingest/event"
)

// queuePane is the waiting visitors, longest wait first.
type queuePane struct {
	List[board.QueueEntry]
	filter  string
	count   int
	preview chatPreview // the selected visitor's chat, for Detail
}

func newQueuePane(c *Context) Pane {
	p := &queuePane{}
	p.Context = c
	p.Empty = "  nobody is waiting"
	p.Place = "the queue"
	p.Ident = func(e *board.QueueEntry) string { return identity(e.Source, e.ID) }
	p.Label = func(e *board.QueueEntry) string { return nameOr(e.Name, e.ID) }
	p.Columns = []Column[board.QueueEntry]{
		{Title: "WAIT", Width: 8, Cell: func(e *board.QueueEntry) Cell {
			w := p.queueWait(e)
			lv := waitLevel(p.Alerts, w)
			st := lv.style(&p.Theme, p.Theme.OK) // its colour; its mark is in the text
			return Cell{Text: dur(w) + lv.mark(), Style: &st}
		}, Desc: true, Cmp: func(a, b *board.QueueEntry) int {
			return b.WaitingSince.Compare(a.WaitingSince) // the longer wait, the earlier start
		}},
		{Title: "SOURCE", Width: 9, Cell: func(e *board.QueueEntry) Cell { return Cell{Text: string(e.Source)} },
			Cmp: func(a, b *board.QueueEntry) int { return cmpText(string(a.Source), string(b.Source)) }},
		{Title: "VISITOR", Width: 20, Cell: func(e *board.QueueEntry) Cell {
			name := nameOr(e.Name, e.ID)
			if e.Unanswered {
				name = "! " + name
			}
			return Cell{Text: name}
		}, Cmp: func(a, b *board.QueueEntry) int { return cmpText(nameOr(a.Name, a.ID), nameOr(b.Name, b.ID)) }},
		{Title: "DEPARTMENT", Width: 13, Cell: func(e *board.QueueEntry) Cell { return Cell{Text: e.Department} },
			Cmp: func(a, b *board.QueueEntry) int { return cmpText(a.Department, b.Department) }},
		{Title: "FIRST MESSAGE", Cell: func(e *board.QueueEntry) Cell { return Cell{Text: e.FirstMessage} },
			Cmp: func(a, b *board.QueueEntry) int { return cmpText(a.FirstMessage, b.FirstMessage) }},
	}
	return p
}

// queueWait is how long the visitor has waited, by the frame's clock (a
// sorted list's rows are read only when the board changes).
func (p *queuePane) queueWait(e *board.QueueEntry) time.Duration {
	return max(p.Now.Sub(e.WaitingSince), 0)
}

func (p *queuePane) ID() string    { return "queue" }
func (p *queuePane) Title() string { return "Queue" }

func (p *queuePane) Count() (int, bool) { return p.count, true }

func (p *queuePane) Load(b *board.Board, focused bool) {
	now, filter := p.Now, strings.ToLower(p.filter)
	p.stamp = newStamp(b, now, filter, p.Dept)
	fetch := func(offset, limit int) (int, []board.QueueEntry) { return b.QueueLen(), b.Queue(now, offset, limit) }
	var keep func(e *board.QueueEntry) bool
	if filter != "" || p.Dept != "" {
		keep = func(e *board.QueueEntry) bool {
			return p.deptOK(e.Department) && matches(filter, e.Name, e.Email, e.Department, e.FirstMessage, string(e.Source), e.ID)
		}
		fetch = func(offset, limit int) (int, []board.QueueEntry) { return b.QueueWhere(now, keep, offset, limit) }
	}
	scan := func(visit func(*board.QueueEntry)) {
		b.QueueWhere(now, func(e *board.QueueEntry) bool {
			if keep == nil || keep(e) {
				visit(e)
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
	if e, ok := p.Selected(); ok && focused {
		p.preview.load(b, e.Source, e.ChatID)
	}
}

func (p *queuePane) selectedVisitor() (rowRef, bool) {
	e, ok := p.Selected()
	if !ok {
		return rowRef{}, false
	}
	return rowRef{Source: e.Source, ID: e.ID, Label: nameOr(e.Name, e.ID)}, true
}

func (p *queuePane) Update(msg tea.Msg) (bool, intent) {
	if k, ok := msg.(tea.KeyPressMsg); ok {
		switch {
		case key.Matches(k, p.Keys.Open):
			if e, ok := p.Selected(); ok {
				return true, openChat{chat: rowRef{Source: e.Source, ID: e.ChatID, Label: e.Name}}
			}
			return true, nil
		case key.Matches(k, p.Keys.Copy):
			e, ok := p.Selected()
			if !ok {
				return true, notice{text: "nobody selected to copy", isErr: true}
			}
			return true, copyChat(e.Source, e.ChatID, nameOr(e.Name, e.ID), e.Email)
		case key.Matches(k, p.Keys.Tag):
			if v, ok := p.selectedVisitor(); ok {
				return true, tagVisitor{visitor: v}
			}
			return false, nil
		}
		if handled, do := listKeys(k, &p.Keys, p); handled {
			return true, do
		}
	}
	return p.List.Update(msg), nil
}

func (p *queuePane) byDepartment()      {}
func (p *queuePane) SetFilter(f string) { p.filter = f; p.Reset() }
func (p *queuePane) Filter() string     { return p.filter }
func (p *queuePane) Status() string     { return p.Position() }
func (p *queuePane) Chips() []string    { return append(filterChips(p.filter), p.sortChip()...) }

func (p *queuePane) ShortHelp() []key.Binding {
	k := &p.Keys
	return []key.Binding{k.Open, k.Filter, k.Tag, k.Copy, k.Sort}
}

func (p *queuePane) FullHelp() [][]key.Binding {
	k := &p.Keys
	return [][]key.Binding{p.navHelp(), {k.Open, k.Filter, k.Back, k.Tag, k.Copy}, p.sortHelp()}
}

// copyChat is the copy of a chat: its source and id, the visitor and
// their email when known.
func copyChat(src event.Source, chat, visitor, email string) intent {
	text := fmt.Sprintf("%s chat %s · %s", src, chat, visitor)
	if email != "" {
		text += " · " + email
	}
	return copyText{text: text, what: "chat " + chat}
}
