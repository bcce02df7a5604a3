package tui

import (
	"fmt"
	"strings"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
)

// click focuses the tab, the wall's cell, or selects the row, under the
// pointer: the same rectangles the screen is drawn in.
func (m *Model) click(msg tea.MouseClickMsg) {
	l := &m.lay
	switch {
	case msg.Y == l.tabsY:
		if i := m.tabs.Hit(msg.X); i >= 0 {
			m.setFocus(i)
		}
	case l.kind == layoutWall:
		c := l.cellAt(msg.X, msg.Y)
		i := m.cellPane(c)
		if i < 0 {
			return
		}
		if i != m.focus {
			m.setFocus(i)
		}
		if r := l.cells[c]; msg.Y > r.y { // below the cell's title: the pane
			msg.X, msg.Y = msg.X-r.x, msg.Y-r.y-1
			if handled, _ := m.focused().Update(msg); handled {
				touch(m.focused())
				m.refresh()
			}
		}
	case l.pane.contains(msg.X, msg.Y):
		msg.X, msg.Y = msg.X-l.pane.x, msg.Y-l.pane.y
		if handled, _ := m.focused().Update(msg); handled {
			touch(m.focused())
			m.refresh()
		}
	}
}

// cellPane is the pane the wall's cell c shows, or -1 (none, or the
// details of the focused pane).
func (m *Model) cellPane(c int) int {
	switch {
	case c < 0:
		return -1
	case c < len(wallPanes):
		return m.paneByID(wallPanes[c])
	case m.wallCell(m.focus) < 0:
		return m.focus
	}
	return -1
}

// View renders the screen.
func (m Model) View() tea.View {
	v := tea.NewView(m.Render())
	v.AltScreen = true
	v.MouseMode = tea.MouseModeCellMotion
	v.WindowTitle = "chatdeck"
	return v
}

// Render returns the screen's text (View's content), for tests.
func (m Model) Render() string {
	if m.showHelp {
		return m.help.Screen(m.focused().Title()+" and everywhere", append(m.focused().FullHelp(), m.ctx.Keys.globalHelp()), m.serverLines())
	}
	l := &m.lay
	rows := make([]string, 0, l.height)
	m.header.snap = &m.snap
	m.kpi.snap = &m.snap
	rows = append(rows, m.header.Lines()...)
	m.tabs.Layout(m.panes, m.focus, m.chips())
	rows = append(rows, m.tabs.View())
	var body []string
	switch l.kind {
	case layoutWall:
		body = append(strings.Split(m.kpi.View(), "\n"), m.wall()...)
	case layoutSide:
		body = beside(lines(m.focused().View()), m.rule(l.paneH), lines(m.sidePanel(l.side.w, l.side.h)), l.pane.w, l.side.w)
	default:
		body = lines(m.focused().View())
	}
	if m.header.remote && !m.header.conn.Connected {
		// Stale, and unmistakably so: the rows greyed, while the clock goes on.
		for i, r := range body {
			body[i] = m.ctx.Theme.Dim.Render(ansi.Strip(r))
		}
	}
	for i, r := range rows {
		rows[i] = fit(r, l.width)
	}
	// The body's lines are each exactly the width already: the panes,
	// the band and the panels draw padded lines, and beside joins them.
	rows = append(rows, body...)
	rows = append(rows, fit(m.statusLine(), l.width), fit(m.help.Footer(m.focused().ShortHelp(), m.ctx.Keys.globalShort()), l.width))
	return strings.Join(rows, "\n")
}

func lines(s string) []string { return strings.Split(s, "\n") }

// beside puts two blocks of lines side by side, sep between them. The
// blocks' lines are each exactly lw and rw cells already (as the panes
// draw them); a missing line is blank.
func beside(left, sep, right []string, lw, rw int) []string {
	n := max(len(left), len(right))
	out := make([]string, n)
	for i := range out {
		a, b, s := strings.Repeat(" ", lw), strings.Repeat(" ", rw), " "
		if i < len(left) {
			a = left[i]
		}
		if i < len(right) {
			b = right[i]
		}
		if i < len(sep) {
			s = sep[i]
		}
		out[i] = a + s + b
	}
	return out
}

// rule is a vertical rule of h lines.
func (m *Model) rule(h int) []string {
	r := m.ctx.Theme.Dim.Render("│")
	out := make([]string, h)
	for i := range out {
		out[i] = r
	}
	return out
}

// wall is the wall's four cells, two by two.
func (m *Model) wall() []string {
	l := &m.lay
	cell := func(c int) []string {
		r := l.cells[c]
		if i := m.cellPane(c); i >= 0 {
			return append([]string{m.cellTitle(i, r.w)}, lines(m.panes[i].View())...)
		}
		title := m.ctx.Theme.Header.Render(fit(" details: "+m.focused().Title(), r.w))
		return append([]string{title}, lines(m.sidePanel(r.w, r.h-1))...)
	}
	top := beside(cell(0), m.rule(l.cells[0].h), cell(1), l.cells[0].w, l.cells[1].w)
	return append(top, beside(cell(2), m.rule(l.cells[2].h), cell(3), l.cells[2].w, l.cells[3].w)...)
}

// cellTitle is a wall cell's title line: the pane's number, title, count,
// position and filters; the focused one reversed and marked ▶, seen
// without colour too.
func (m *Model) cellTitle(i, w int) string {
	p := m.panes[i]
	label := fmt.Sprintf(" %d %s", i+1, p.Title())
	if n, ok := p.Count(); ok {
		label += fmt.Sprintf(" %d", n)
	}
	right := strings.Join(append([]string{p.Status()}, p.Chips()...), "  ") + " "
	t := &m.ctx.Theme
	if i == m.focus {
		label = "▶" + label[1:]
		return t.TabActive.Render(fit(label, max(w-len([]rune(right)), 0)) + right)
	}
	return t.Header.Render(fit(label, max(w-len([]rune(right)), 0)) + right)
}

// sidePanel is the focused pane's details in w x h: its selected row's,
// through Detailer, or what the pane is and its keys.
func (m *Model) sidePanel(w, h int) string {
	p := m.focused()
	say := "this pane has no details panel"
	if d, ok := p.(Detailer); ok {
		if s := d.Detail(w, h); s != "" {
			return strings.Join(padLines(lines(s), w, h), "\n")
		}
		say = "select a row to see its details here"
	}
	t := &m.ctx.Theme
	k := &m.ctx.Keys
	out := []string{t.Bold.Render(p.Title()), t.Dim.Render(say)}
	out = append(out, "", t.Dim.Render("keys here:"))
	for _, b := range p.ShortHelp() {
		if b.Enabled() {
			out = append(out, "  "+b.Help().Key+"  "+b.Help().Desc)
		}
	}
	for _, b := range []struct{ key, desc string }{{k.Zoom.Help().Key, "this pane alone, full screen"}, {k.Pause.Help().Key, "pause the screen while reading"}} {
		out = append(out, "  "+b.key+"  "+b.desc)
	}
	return strings.Join(padLines(out, w, h), "\n")
}

// chips are the filters and modes in force, shown after the tabs.
func (m *Model) chips() []string {
	var out []string
	if m.ctx.Dept != "" {
		chip := "dept: " + m.ctx.Dept
		switch _, ok := m.focused().(interface{ byDepartment() }); {
		case m.lay.kind == layoutWall:
			chip += " (not applied to agents, inbox, trends)"
		case !ok:
			chip += " (not applied here: " + strings.ToLower(m.focused().Title()) + " have no department)"
		}
		out = append(out, chip)
	}
	if m.zoomed {
		out = append(out, "zoomed ("+m.ctx.Keys.Zoom.Help().Key+" returns)")
	}
	if m.lay.kind == layoutWall {
		return out // each cell's title shows its own
	}
	return append(out, m.focused().Chips()...)
}

func (m Model) serverLines() []string {
	return serverLines(m.opt.Mode, m.opt.BaseURL, m.opt.TokenFile)
}

func (m Model) statusLine() string {
	t := &m.ctx.Theme
	switch {
	case m.prompt.active:
		return m.prompt.View()
	case m.picker.active:
		return m.picker.View()
	case m.flash != "" && m.flashErr:
		return t.FlashError.Render(m.flash)
	case m.flash != "":
		return t.Flash.Render(m.flash)
	}
	return t.Dim.Render(m.focused().Status())
}
