package tui

import (
	"strconv"
	"strings"
	"time"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/chatdeck/chatdeck/ingest/board"
	"github.com/chatdeck/chatdeck/ingest/event"
)

// inboxRow is an offline message or an inbox entry: its row, and the item
// for its details.
type inboxRow struct {
	At     time.Time
	Type   string
	Source event.Source
	Who    string
	Text   string
	Item   board.FeedItem
}

// inboxRowOf is the inbox pane's row for an offline message or an inbox
// entry.
func inboxRowOf(it *board.FeedItem) inboxRow {
	if it.IsOffline {
		o := &it.Offline
		return inboxRow{At: o.At, Type: "offline", Source: o.Source, Who: nameOr(o.Name, o.Email), Text: o.Text, Item: *it}
	}
	i := &it.Inbox
	text := i.Text
	if i.Type == board.InboxFeedback && i.Rating != nil && i.Rating.Value != "" {
		text = "[" + i.Rating.Value + "] " + text
	}
	if i.Type == board.InboxUnrecognised && i.VendorEvent != "" {
		text = i.VendorEvent + ": " + text
	}
	return inboxRow{At: i.At, Type: string(i.Type), Source: i.Source, Who: i.Visitor, Text: text, Item: *it}
}

// inboxPane is the offline messages and the inbox, newest first. The
// selected item's details (inboxdetail.go) are drawn beside the list in
// the wide layouts, and over it on enter.
type inboxPane struct {
	List[inboxRow]
	filter string
	count  int
	full   detailView
}

func newInboxPane(c *Context) Pane {
	p := &inboxPane{}
	p.Context = c
	p.full.Context = c
	p.full.lines = p.detailLines
	p.Empty = "  nothing in the inbox"
	p.Place = "the inbox"
	p.Ident = func(r *inboxRow) string {
		return identity(r.Source, strconv.FormatInt(r.At.UnixNano(), 36)+"\x00"+r.Type+"\x00"+r.Who)
	}
	p.Label = func(r *inboxRow) string { return r.Type + " from " + nameOr(r.Who, string(r.Source)) }
	p.Columns = []Column[inboxRow]{
		{Title: "WHEN", Width: 9, Cell: func(r *inboxRow) Cell { return Cell{Text: r.At.In(p.Now.Location()).Format("15:04:05")} },
			Desc: true, Cmp: func(a, b *inboxRow) int { return a.At.Compare(b.At) }},
		{Title: "TYPE", Width: 13, Cell: func(r *inboxRow) Cell {
			st := &p.Theme.Bold
			switch r.Type {
			case string(board.InboxUnanswered):
				st = &p.Theme.Alert
			case string(board.InboxUnrecognised):
				st = &p.Theme.Warn
			}
			return Cell{Text: r.Type, Style: st}
		}, Cmp: func(a, b *inboxRow) int { return cmpText(a.Type, b.Type) }},
		{Title: "SOURCE", Width: 9, Cell: func(r *inboxRow) Cell { return Cell{Text: string(r.Source)} },
			Cmp: func(a, b *inboxRow) int { return cmpText(string(a.Source), string(b.Source)) }},
		{Title: "FROM", Width: 18, Cell: func(r *inboxRow) Cell { return Cell{Text: r.Who} },
			Cmp: func(a, b *inboxRow) int { return cmpText(a.Who, b.Who) }},
		{Title: "TEXT", Cell: func(r *inboxRow) Cell { return Cell{Text: r.Text} },
			Cmp: func(a, b *inboxRow) int { return cmpText(a.Text, b.Text) }},
	}
	return p
}

func (p *inboxPane) ID() string    { return "inbox" }
func (p *inboxPane) Title() string { return "Inbox" }

func (p *inboxPane) Count() (int, bool) { return p.count, true }

// feedPage reads the inbox rows filter keeps: how many, and those from
// offset, at most limit. Without a filter it reads only the page.
func feedPage(b *board.Board, filter string, offset, limit int) (int, []inboxRow) {
	var page []inboxRow
	total, i := 0, 0
	if filter == "" {
		total = b.FeedLen()
	}
	b.Feed(func(it *board.FeedItem) bool {
		var r inboxRow
		if filter != "" {
			if r = inboxRowOf(it); !matches(filter, r.Type, r.Who, r.Text, string(r.Source)) {
				return true
			}
			total++
		}
		if i >= offset && len(page) < limit {
			if filter == "" {
				r = inboxRowOf(it)
			}
			page = append(page, r)
		}
		i++
		return filter != "" || i < offset+limit
	})
	return total, page
}

func (p *inboxPane) Load(b *board.Board, focused bool) {
	filter := strings.ToLower(p.filter)
	p.stamp = newStamp(b, p.Now, filter, "")
	if !focused {
		p.count, _ = feedPage(b, filter, 0, 0)
		return
	}
	p.List.Load(func(offset, limit int) (int, []inboxRow) { return feedPage(b, filter, offset, limit) },
		func(visit func(*inboxRow)) {
			b.Feed(func(it *board.FeedItem) bool {
				if r := inboxRowOf(it); matches(filter, r.Type, r.Who, r.Text, string(r.Source)) {
					visit(&r)
				}
				return true
			})
		})
	p.count = p.Total()
}

func (p *inboxPane) Update(msg tea.Msg) (bool, intent) {
	k, isKey := msg.(tea.KeyPressMsg)
	if p.full.open {
		if isKey && key.Matches(k, p.Keys.Copy) {
			return true, p.copySelected(true)
		}
		return p.full.Update(msg), nil
	}
	if isKey {
		switch {
		case key.Matches(k, p.Keys.Open):
			if _, ok := p.Selected(); ok {
				p.full.Open()
			}
			return true, nil
		case key.Matches(k, p.Keys.Copy):
			return true, p.copySelected(false)
		}
		if handled, do := listKeys(k, &p.Keys, p); handled {
			return true, do
		}
	}
	return p.List.Update(msg), nil
}

// copySelected copies the selected item: in the list the visitor's email
// when known, else the message; opened, the whole message.
func (p *inboxPane) copySelected(whole bool) intent {
	r, ok := p.Selected()
	if !ok {
		return notice{text: "nothing selected to copy", isErr: true}
	}
	if email := inboxEmail(r); email != "" && !whole {
		return copyText{text: email, what: email}
	}
	text := inboxText(r)
	if text == "" {
		return notice{text: "the " + r.Type + " has no text to copy", isErr: true}
	}
	return copyText{text: text, what: "the " + r.Type + " message from " + nameOr(r.Who, string(r.Source))}
}

// Detail is the selected item's details (Detailer).
func (p *inboxPane) Detail(w, h int) string {
	if _, ok := p.Selected(); !ok {
		return ""
	}
	return detailBox(p.detailLines(w), w, h)
}

// SetSize sizes the list and the full view alike.
func (p *inboxPane) SetSize(w, h int) {
	p.List.SetSize(w, h)
	p.full.SetSize(w, h)
}

func (p *inboxPane) View() string {
	if p.full.open {
		return p.full.View()
	}
	return p.List.View()
}

func (p *inboxPane) SetFilter(f string) { p.filter = f; p.Reset() }
func (p *inboxPane) Filter() string     { return p.filter }
func (p *inboxPane) Chips() []string    { return append(filterChips(p.filter), p.sortChip()...) }

func (p *inboxPane) Status() string {
	if p.full.open {
		return p.full.Position()
	}
	return p.Position()
}

func (p *inboxPane) ShortHelp() []key.Binding {
	k := &p.Keys
	if p.full.open {
		return []key.Binding{renamed(k.Copy, "copy message"), renamed(k.Back, "list")}
	}
	return []key.Binding{renamed(k.Open, "read"), k.Copy, k.Filter, k.Sort}
}

func (p *inboxPane) FullHelp() [][]key.Binding {
	k := &p.Keys
	return [][]key.Binding{p.navHelp(), {renamed(k.Open, "read"), k.Copy, k.Filter, k.Back}, p.sortHelp()}
}
