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

// inboxRow is an offline message or an inbox entry.
type inboxRow struct {
	At     time.Time
	Type   string
	Source event.Source
	Who    string
	Text   string
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

// inboxPane is the offline messages and the inbox, newest first.
type inboxPane struct {
	List[inboxRow]
	filter string
	count  int
}

func newInboxPane(c *Context) Pane {
	p := &inboxPane{}
	p.Context = c
	p.Empty = "  nothing in the inbox"
	p.Place = "the inbox"
	p.Ident = func(r *inboxRow) string {
		return identity(r.Source, strconv.FormatInt(r.At.UnixNano(), 36)+"\x00"+r.Type+"\x00"+r.Who)
	}
	p.Label = func(r *inboxRow) string { return r.Type + " from " + nameOr(r.Who, string(r.Source)) }
	p.Columns = []Column[inboxRow]{
		{Title: "WHEN", Width: 9, Cell: func(r *inboxRow) Cell { return Cell{Text: r.At.In(p.Now.Location()).Format("15:04:05")} }},
		{Title: "TYPE", Width: 13, Cell: func(r *inboxRow) Cell {
			st := &p.Theme.Bold
			switch r.Type {
			case string(board.InboxUnanswered):
				st = &p.Theme.Alert
			case string(board.InboxUnrecognised):
				st = &p.Theme.Warn
			}
			return Cell{Text: r.Type, Style: st}
		}},
		{Title: "SOURCE", Width: 9, Cell: func(r *inboxRow) Cell { return Cell{Text: string(r.Source)} }},
		{Title: "FROM", Width: 18, Cell: func(r *inboxRow) Cell { return Cell{Text: r.Who} }},
		{Title: "TEXT", Cell: func(r *inboxRow) Cell { return Cell{Text: r.Text} }},
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
	if k, ok := msg.(tea.KeyPressMsg); ok {
		if handled, do := listKeys(k, &p.Keys, p); handled {
			return true, do
		}
	}
	return p.List.Update(msg), nil
}

func (p *inboxPane) SetFilter(f string) { p.filter = f; p.Reset() }
func (p *inboxPane) Filter() string     { return p.filter }
func (p *inboxPane) Status() string     { return p.Position() }
func (p *inboxPane) Chips() []string    { return filterChips(p.filter) }

func (p *inboxPane) ShortHelp() []key.Binding { return []key.Binding{p.Keys.Filter} }

func (p *inboxPane) FullHelp() [][]key.Binding {
	return [][]key.Binding{p.navHelp(), {p.Keys.Filter, p.Keys.Back}}
}
