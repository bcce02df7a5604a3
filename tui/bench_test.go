package tui

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"charm.land/bubbles/v2/table"

	"github.com/chatdeck/chatdeck/fixtures/traffic"
)

// Screen size of the render benchmark: a full screen of a large terminal.
const benchWidth, benchHeight = 200, 50

// bigSource is a board of 10,000 waiting visitors, 2,000 agents and 1,000
// active chats (the online agents within their capacity of 2), built once.
var bigSource = sync.OnceValue(func() *memSource {
	s := newMemSource()
	s.apply(traffic.Board(10_000, 2_000, 1_000, t0)...)
	return s
})

// BenchmarkRender renders a full screen of the queue pane and of the agents
// pane on the big board (zoomed: the one pane over the whole 200x50
// screen), and the wall of the same size (tiles, trends, departments, and
// the queue, agents and chats at once), side by side with bubbles/table
// rendering the same visible rows:
//
//   - chatdeck/frame: what each frame costs the dashboard: reading the
//     board (headline numbers, for the wall trends and departments, and
//     the rows shown) and View.
//   - chatdeck/view: View alone, from the rows read.
//   - queue-sorted, agents-sorted: the queue by source, the agents by
//     chats today. A sorted list reads and sorts every row (and every
//     agent's day) when the board has changed (resort), and reuses them
//     on the frames between (frame).
//   - table: table.Model's SetRows (which renders the rows) and View for
//     the same rows, given as strings already formatted (for the wall, a
//     table per list); the tables are built once, outside the loop.
//
// The target: chatdeck/frame takes no longer than table.
func BenchmarkRender(b *testing.B) {
	src := bigSource()
	for _, p := range []struct {
		name string
		pane int
		wall bool
		sort []string // the keys that choose a sort
	}{
		{"queue", 0, false, nil}, {"agents", 1, false, nil}, {"wall", 0, true, nil},
		{"queue-sorted", 0, false, []string{"S", "S"}},                 // by source
		{"agents-sorted", 1, false, []string{"S", "S", "S", "S", "S"}}, // by chats today: every agent's day read
	} {
		m := newModel(src, nil, benchWidth, benchHeight)
		if !p.wall {
			m = press(m, "z")
		}
		if got := m.lay.kind == layoutWall; got != p.wall {
			b.Fatalf("%s: layout %s", p.name, m.lay.kind)
		}
		m.setFocus(p.pane)
		m = press(m, p.sort...)
		// Scroll to the middle, so that a frame that read every row above
		// the window would show.
		m.move(5_000 / (1 + p.pane))
		if m.total() < 2_000 {
			b.Fatalf("%s pane has %d rows", p.name, m.total())
		}
		b.Run(p.name+"/chatdeck/frame", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				m.refresh()
				_ = m.View()
			}
		})
		if p.sort != nil {
			// A frame after the board changed: every row read and sorted.
			b.Run(p.name+"/chatdeck/resort", func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					m.queuePane().sorted.ok, m.agentsPane().sorted.ok = false, false
					m.refresh()
					_ = m.View()
				}
			})
		}
		if p.wall {
			// A frame after the board changed: the departments read
			// again (the frames of an unchanged board reuse them).
			b.Run(p.name+"/chatdeck/frame-changed", func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					m.kpi.depts.ok = false
					m.refresh()
					_ = m.View()
				}
			})
		}
		b.Run(p.name+"/chatdeck/view", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				_ = m.View()
			}
		})
		var tables []table.Model
		var rows [][]table.Row
		for i := range m.panes {
			if !m.shown(i) {
				continue
			}
			pane := m.panes[i]
			cols, r := tableRows(m, pane)
			_, h := paneSize(pane)
			if len(r) != h-1 {
				b.Fatalf("%s: %d table rows, want %d", pane.ID(), len(r), h-1)
			}
			w, _ := paneSize(pane)
			tables = append(tables, table.New(table.WithColumns(cols), table.WithHeight(h), table.WithWidth(w), table.WithFocused(true)))
			rows = append(rows, r)
		}
		b.Run(p.name+"/table", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				for i := range tables {
					tables[i].SetRows(rows[i])
					_ = tables[i].View()
				}
			}
		})
	}
}

// paneSize is the size the layout gave the pane.
func paneSize(p Pane) (w, h int) {
	switch p := p.(type) {
	case *queuePane:
		return p.Width, p.Height
	case *agentsPane:
		return p.Width, p.Height
	case *chatsPane:
		return p.Width, p.Height
	}
	return 0, 0
}

// tableRows is the rows the pane shows, as bubbles/table columns and rows
// of the same widths.
func tableRows(m Model, p Pane) ([]table.Column, []table.Row) {
	var cols []table.Column
	var rows []table.Row
	width, _ := paneSize(p)
	now := m.ctx.Now
	switch p := p.(type) {
	case *queuePane:
		cols = []table.Column{{Title: "WAIT", Width: 7}, {Title: "SOURCE", Width: 8}, {Title: "VISITOR", Width: 19},
			{Title: "DEPARTMENT", Width: 12}, {Title: "FIRST MESSAGE", Width: width - 50 - 8}}
		for _, e := range p.Rows() {
			wait := time.Duration(e.WaitSeconds * float64(time.Second))
			rows = append(rows, table.Row{dur(wait), string(e.Source), nameOr(e.Name, e.ID), e.Department, e.FirstMessage})
		}
	case *agentsPane:
		cols = []table.Column{{Title: "STATUS", Width: 12}, {Title: "NAME", Width: 16}, {Title: "FOR", Width: 8},
			{Title: "CHATS", Width: 6}, {Title: "TODAY", Width: 6}, {Title: "1ST RESP", Width: 9}, {Title: "CSAT", Width: 7},
			{Title: "SOURCE", Width: 8}, {Title: "ID", Width: max(width-72-21, 1)}}
		for _, a := range p.Rows() {
			since := ""
			if !a.Since.IsZero() {
				since = dur(now.Sub(a.Since))
			}
			t := today(&a)
			rows = append(rows, table.Row{strings.ToLower(nameOr(a.StatusName, string(a.Status))), nameOr(a.Name, a.ID), since,
				fmt.Sprintf("%d/%d", a.Chats, a.Capacity), fmt.Sprint(t.Chats), secs(t.FirstResponseMedian),
				fmt.Sprintf("+%d -%d", t.CSATGood, t.CSATBad), string(a.Source), a.ID})
		}
	case *chatsPane:
		cols = []table.Column{{Title: "STATE", Width: 7}, {Title: "SOURCE", Width: 8}, {Title: "VISITOR", Width: 17},
			{Title: "AGENT", Width: 13}, {Title: "SILENT", Width: 7}, {Title: "DEPARTMENT", Width: 11}, {Title: "LAST MESSAGE", Width: width - 69 - 14}}
		for _, c := range p.Rows() {
			silent := ""
			if !c.LastVisitorMessageAt.IsZero() {
				silent = dur(now.Sub(c.LastVisitorMessageAt))
			}
			rows = append(rows, table.Row{string(c.State), string(c.Source), c.Visitor, strings.Join(c.Agents, ","), silent, c.Department, c.LastMessage})
		}
	}
	return cols, rows
}

// BenchmarkRefreshScales reads a frame's rows from boards of growing
// size: the cost must not grow with the board.
func BenchmarkRefreshScales(b *testing.B) {
	for _, n := range []int{100, 10_000, 50_000} {
		s := newMemSource()
		s.apply(traffic.Board(n, n/5, n/10, t0)...)
		for _, p := range []string{"queue", "agents", "chats", "inbox"} {
			m := newModel(s, nil, benchWidth, benchHeight)
			m.setFocus(m.paneByID(p))
			m.move(n / 10)
			b.Run(fmt.Sprintf("rows=%d/%s", n, p), func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					m.refresh()
				}
			})
		}
	}
}

// BenchmarkIdleTick is what the dashboard does once a second when nothing
// happens: the clock tick's Update and a View of the big board.
func BenchmarkIdleTick(b *testing.B) {
	m := newModel(bigSource(), nil, benchWidth, benchHeight)
	b.ReportAllocs()
	for b.Loop() {
		next, _ := m.Update(tickMsg(t0))
		m = next.(Model)
		_ = m.View()
	}
}
