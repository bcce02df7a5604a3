package tui

import (
	"fmt"
	"strings"
	"time"

	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/chatdeck/chatdeck/ingest/board"
	"github.com/chatdeck/chatdeck/ingest/event"
	"github.com/chatdeck/chatdeck/ingest/stream"
)

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
		return m.renderHelp()
	}
	rows := make([]string, 0, m.height)
	numbers := m.headerNumbers()
	body := m.body()
	if cn, remote := m.connection(); remote && !cn.Connected {
		// Stale, and unmistakably so: a banner instead of the numbers, the
		// rows greyed, while the clock goes on.
		numbers = m.theme.Alert.Reverse(true).Render(fit(fmt.Sprintf(" SERVER UNREACHABLE since %s: the board below is stale. Reconnecting (attempt %d)… %s",
			cn.Since.In(m.now.Location()).Format("15:04:05"), cn.Attempt, cn.Err), m.width))
		for i, r := range body {
			body[i] = m.theme.Dim.Render(ansi.Strip(r))
		}
	}
	rows = append(rows, m.headerSources(), numbers, m.tabs(), m.columns())
	h := m.bodyHeight()
	for i := range h {
		if i < len(body) {
			rows = append(rows, body[i])
		} else {
			rows = append(rows, "")
		}
	}
	rows = append(rows, m.statusLine(), m.help.ShortHelpView(m.keys.ShortHelp()))
	for i, r := range rows {
		rows[i] = fit(r, m.width)
	}
	return strings.Join(rows, "\n")
}

// fit cuts or pads a line to exactly w cells.
func fit(s string, w int) string {
	if lipgloss.Width(s) > w {
		s = ansi.Truncate(s, w, "…")
	}
	if pad := w - lipgloss.Width(s); pad > 0 {
		s += strings.Repeat(" ", pad)
	}
	return s
}

// cell cuts or pads plain text to w cells.
// roughAgo is d in its largest unit, at most 3 characters ("45s", "12m",
// "3h", "20d"), for narrow columns.
func roughAgo(d time.Duration) string {
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%ds", max(int(d.Seconds()), 0))
	case d < time.Hour:
		return fmt.Sprintf("%dm", int(d.Minutes()))
	case d < 24*time.Hour:
		return fmt.Sprintf("%dh", int(d.Hours()))
	}
	return fmt.Sprintf("%dd", int(d.Hours()/24))
}

func cell(s string, w int) string {
	s = strings.Map(func(r rune) rune {
		if r == '\n' || r == '\r' || r == '\t' {
			return ' '
		}
		return r
	}, s)
	if w < 2 {
		return fit(s, w)
	}
	return fit(s, w-1) + " "
}

func (m Model) headerSources() string {
	t := m.theme
	parts := []string{t.Title.Render("chatdeck")}
	if m.opt.Mode != "" {
		parts = append(parts, t.Info.Render(m.opt.Mode))
	}
	var last time.Time
	for _, src := range []event.Source{event.Comm100, event.Chatlio, event.JivoChat} {
		if s, ok := m.snap.sources[src]; ok && s.LastEventAt.After(last) {
			last = s.LastEventAt
		}
	}
	if cn, remote := m.connection(); remote {
		if cn.Connected {
			parts = append(parts, t.OK.Render("●")+" server "+cn.Server)
		} else {
			parts = append(parts, t.Alert.Render("✗ server "+cn.Server+" gone "+ago(cn.Since, m.now)))
		}
	}
	hook := "webhooks"
	if m.opt.Listen != "" && m.width >= 120 {
		hook += " on " + m.opt.Listen
	}
	if last.IsZero() {
		parts = append(parts, t.Dim.Render("● "+hook+": none yet"))
	} else {
		parts = append(parts, t.OK.Render("●")+" "+hook+": last "+ago(last, m.now))
	}
	if p, ok := m.snap.polls[event.Comm100]; ok {
		switch {
		case p.LastError != "":
			since := "never ok"
			if !p.LastOKAt.IsZero() {
				since = "stale " + ago(p.LastOKAt, m.now)
			}
			parts = append(parts, t.Alert.Render("● comm100 API "+since+": "+p.LastError))
		default:
			parts = append(parts, t.OK.Render("●")+" comm100 API "+ago(p.LastOKAt, m.now))
		}
	} else if m.opt.Mode != "attach" {
		parts = append(parts, t.Dim.Render("● comm100 API: not configured"))
	}
	left := strings.Join(parts, "  ")
	clock := m.now.Format("15:04:05")
	if room := m.width - len(clock) - 1; lipgloss.Width(left) > room {
		left = ansi.Truncate(left, max(room, 0), "…")
	}
	gap := max(m.width-lipgloss.Width(left)-len(clock), 1)
	return left + strings.Repeat(" ", gap) + t.Bold.Render(clock)
}

func (m Model) headerNumbers() string {
	t, mt, a := m.theme, m.snap.metrics, m.opt.Alerts
	wait := time.Duration(mt.LongestWaitSeconds * float64(time.Second))
	waitStyle := t.OK
	switch {
	case a.WaitAlert > 0 && wait >= a.WaitAlert:
		waitStyle = t.Alert
	case a.WaitWarn > 0 && wait >= a.WaitWarn:
		waitStyle = t.Warn
	}
	slStyle := t.Bold
	if sl := mt.Window.ServiceLevel; sl != nil {
		slStyle = t.OK
		if *sl < a.ServiceLevel {
			slStyle = t.Alert
		} else if *sl < a.ServiceLevel+(1-a.ServiceLevel)/2 {
			slStyle = t.Warn
		}
	}
	utilStyle := t.Bold
	if u := mt.Utilisation; u != nil && *u >= 0.9 {
		utilStyle = t.Alert
	} else if u != nil && *u >= 0.75 {
		utilStyle = t.Warn
	}
	qStyle := t.Bold
	if mt.QueueLength > 0 && mt.AgentsOnline == 0 {
		qStyle = t.Alert
	}
	chips := []string{
		"Queue " + qStyle.Render(fmt.Sprint(mt.QueueLength)),
		"Wait " + waitStyle.Render(dur(wait)),
		"SL " + slStyle.Render(pct(mt.Window.ServiceLevel)) + t.Dim.Render("/"+fmt.Sprintf("%.0fs", mt.SLTargetSeconds)),
		"ASA " + t.Bold.Render(secs(mt.Window.ASASeconds)),
		"Active " + t.Bold.Render(fmt.Sprint(mt.ActiveChats)),
		"Agents " + t.OK.Render(fmt.Sprint(mt.AgentsOnline)) + "/" + t.Warn.Render(fmt.Sprint(mt.AgentsAway)) + "/" + fmt.Sprint(mt.AgentsTotal),
		"Util " + utilStyle.Render(pct(mt.Utilisation)),
		"CSAT " + t.Bold.Render(pct(mt.Window.CSATShare)),
		"Aband " + t.Bold.Render(pct(mt.Window.AbandonmentRate)),
		"Today " + t.Dim.Render(fmt.Sprintf("%d chats, SL %s", mt.Today.Answered+mt.Today.Abandoned, pct(mt.Today.ServiceLevel))),
	}
	out := ""
	for _, c := range chips {
		if out != "" && lipgloss.Width(out)+2+lipgloss.Width(c) > m.width {
			break
		}
		if out != "" {
			out += "  "
		}
		out += c
	}
	return out
}

func (m Model) tabs() string {
	t, mt := m.theme, m.snap.metrics
	counts := [paneCount]string{fmt.Sprint(mt.QueueLength), fmt.Sprint(mt.AgentsTotal), fmt.Sprint(mt.ActiveChats), "", fmt.Sprint(m.snap.inboxCount)}
	var parts []string
	for i := range paneCount {
		label := fmt.Sprintf(" %d %s", i+1, paneNames[i])
		if counts[i] != "" {
			label += " " + counts[i]
		}
		label += " "
		if i == m.pane {
			parts = append(parts, t.TabActive.Render(label))
		} else {
			parts = append(parts, t.Tab.Render(label))
		}
	}
	out := strings.Join(parts, "")
	if m.dept != "" {
		out += "  " + t.Info.Render("dept: "+m.dept)
	}
	if f := m.filter[m.pane]; f != "" {
		out += "  " + t.Info.Render("filter: "+f)
	}
	return out
}

// column widths, by pane.
func (m Model) columns() string {
	t := m.theme
	var h string
	switch m.pane {
	case paneQueue:
		h = cell("WAIT", 8) + cell("SOURCE", 9) + cell("VISITOR", 20) + cell("DEPARTMENT", 13) + "FIRST MESSAGE"
	case paneAgents:
		h = cell("STATUS", 13) + cell("NAME", 20) + cell("FOR", 9) + cell("CHATS", 7) + cell("SOURCE", 9) + "ID"
	case paneChats:
		h = cell("STATE", 8) + cell("SOURCE", 9) + cell("VISITOR", 18) + cell("AGENT", 14) + cell("SILENT", 8) + cell("DEPARTMENT", 12) + "LAST MESSAGE"
	case paneTranscript:
		return t.Bold.Render(m.snap.chatTitle)
	case paneInbox:
		h = cell("WHEN", 9) + cell("TYPE", 13) + cell("SOURCE", 9) + cell("FROM", 18) + "TEXT"
	}
	return t.Header.Render(h)
}

func (m Model) body() []string {
	t := m.theme
	sel := m.cursor[m.pane] - m.offset[m.pane]
	var rows []string
	mark := func(i int, s string) string {
		if i == sel && m.pane != paneTranscript {
			return t.Selected.Render(fit(ansi.Strip(s), m.width))
		}
		return s
	}
	switch m.pane {
	case paneQueue:
		if len(m.snap.queue) == 0 {
			return []string{t.Dim.Render("  nobody is waiting")}
		}
		for i, e := range m.snap.queue {
			wait := time.Duration(e.WaitSeconds * float64(time.Second))
			ws := t.OK
			if a := m.opt.Alerts; a.WaitAlert > 0 && wait >= a.WaitAlert {
				ws = t.Alert
			} else if a.WaitWarn > 0 && wait >= a.WaitWarn {
				ws = t.Warn
			}
			name := nameOr(e.Name, e.ID)
			if e.Unanswered {
				name = "! " + name
			}
			row := ws.Render(cell(dur(wait), 8)) + cell(string(e.Source), 9) + cell(name, 20) + cell(e.Department, 13) + cell(e.FirstMessage, m.width-50)
			rows = append(rows, mark(i, row))
		}
	case paneAgents:
		if len(m.snap.agents) == 0 {
			return []string{t.Dim.Render("  no agents known yet")}
		}
		for i, a := range m.snap.agents {
			status := nameOr(a.StatusName, string(a.Status))
			st := t.Dim
			switch a.Status {
			case event.AgentOnline:
				st = t.OK
			case event.AgentAway:
				st = t.Warn
			}
			statusCell := st.Render(cell(strings.ToLower(status), 13))
			if p, ok := m.pending[a.ID]; ok {
				statusCell = t.Pending.Render(cell("→ "+p+"…", 13))
			}
			sinceCell := cell("", 9)
			switch {
			case a.Status == event.AgentUnknown && !a.LastSeenAt.IsZero():
				// No presence source speaks for them: when a chat last did.
				sinceCell = t.Dim.Render(cell("seen "+roughAgo(m.now.Sub(a.LastSeenAt)), 9))
			case !a.Since.IsZero():
				sinceCell = cell(dur(m.now.Sub(a.Since)), 9)
			}
			chats := fmt.Sprintf("%d/%d", a.Chats, a.Capacity)
			cs := t.Bold
			if a.Chats > a.Capacity {
				cs = t.Alert
			}
			row := statusCell + cell(nameOr(a.Name, a.ID), 20) + sinceCell + cs.Render(cell(chats, 7)) + cell(string(a.Source), 9) + cell(a.ID, m.width-58)
			rows = append(rows, mark(i, row))
		}
	case paneChats:
		if len(m.snap.chats) == 0 {
			return []string{t.Dim.Render("  no chats yet")}
		}
		for i, c := range m.snap.chats {
			st := t.Dim
			switch c.State {
			case board.Active:
				st = t.OK
			case board.Waiting:
				st = t.Warn
			case board.Missed:
				st = t.Alert
			}
			silent := ""
			if c.State == board.Active && !c.LastVisitorMessageAt.IsZero() {
				silent = dur(m.now.Sub(c.LastVisitorMessageAt))
			}
			row := st.Render(cell(string(c.State), 8)) + cell(string(c.Source), 9) + cell(c.Visitor, 18) +
				cell(strings.Join(c.Agents, ","), 14) + cell(silent, 8) + cell(c.Department, 12) + cell(c.LastMessage, m.width-69)
			rows = append(rows, mark(i, row))
		}
	case paneTranscript:
		q := strings.ToLower(m.search)
		for _, l := range m.snap.transcript {
			s := l.text
			switch l.from {
			case event.FromAgent:
				s = t.Info.Render(s)
			case event.FromSystem:
				s = t.Dim.Render(s)
			}
			if q != "" && strings.Contains(strings.ToLower(l.text), q) {
				s = t.Selected.Render(l.text)
			}
			rows = append(rows, s)
		}
		if len(rows) == 0 && m.openChat.ID != "" {
			rows = append(rows, t.Dim.Render("  no messages yet"))
		}
	case paneInbox:
		if len(m.snap.inbox) == 0 {
			return []string{t.Dim.Render("  nothing in the inbox")}
		}
		for i, r := range m.snap.inbox {
			ts := t.Bold
			switch r.Type {
			case string(board.InboxUnanswered):
				ts = t.Alert
			case string(board.InboxUnrecognised):
				ts = t.Warn
			}
			row := cell(r.At.In(m.now.Location()).Format("15:04:05"), 9) + ts.Render(cell(r.Type, 13)) + cell(string(r.Source), 9) + cell(r.Who, 18) + cell(r.Text, m.width-49)
			rows = append(rows, mark(i, row))
		}
	}
	return rows
}

func (m Model) statusLine() string {
	t := m.theme
	switch m.mode {
	case inputFilter, inputTag:
		label := "/"
		if m.mode == inputTag {
			label = "tag " + m.tagFor.Label + ": "
		}
		return label + m.input.View()
	case inputStatus:
		var b strings.Builder
		b.WriteString("status for " + m.pickFor.Label + ": ")
		for i, o := range m.snap.statusOptions {
			if i == m.pick {
				b.WriteString(t.Selected.Render(" " + o + " "))
			} else {
				b.WriteString(" " + o + " ")
			}
		}
		b.WriteString(t.Dim.Render("  (j/k, enter, esc)"))
		return b.String()
	}
	if m.flash != "" {
		if m.flashErr {
			return t.FlashError.Render(m.flash)
		}
		return t.Flash.Render(m.flash)
	}
	if m.snap.total > 0 && m.pane != paneTranscript {
		return t.Dim.Render(fmt.Sprintf("%d/%d", m.cursor[m.pane]+1, m.snap.total))
	}
	return ""
}

func (m Model) renderHelp() string {
	t := m.theme
	out := t.Title.Render("chatdeck keys") + t.Dim.Render("  (remap any in the config file's [keys] table; ? or esc closes)") + "\n\n"
	out += m.help.FullHelpView(m.keys.FullHelp())
	lines := strings.Split(out, "\n")
	for len(lines) < m.height {
		lines = append(lines, "")
	}
	for i := range lines {
		lines[i] = fit(lines[i], m.width)
	}
	return strings.Join(lines[:m.height], "\n")
}

// click selects the row (or tab) under the pointer.
func (m Model) click(x, y int) Model {
	switch {
	case y == 2:
		pos := 0
		for i := range paneCount {
			w := lipgloss.Width(fmt.Sprintf(" %d %s  ", i+1, paneNames[i])) + 2
			if x >= pos && x < pos+w {
				m.setPane(i)
				return m
			}
			pos += w
		}
	case y >= 4 && y < 4+m.bodyHeight() && m.pane != paneTranscript:
		m.cursor[m.pane] = m.offset[m.pane] + y - 4
		m.refresh()
	}
	return m
}

func transcriptTitle(c board.Chat, b *board.Board) string {
	agents := make([]string, 0, len(c.Agents))
	for _, a := range c.Agents {
		agents = append(agents, nameOr(a.Name, b.AgentName(c.Source, a.ID)))
	}
	title := fmt.Sprintf("%s chat %s · %s · %s", c.Source, c.ID, nameOr(c.Visitor.Name, c.Visitor.Key()), c.State)
	if len(agents) > 0 {
		title += " · with " + strings.Join(agents, ", ")
	}
	if c.Department != "" {
		title += " · " + c.Department
	}
	if c.Rating != nil && c.Rating.Value != "" {
		title += " · rated " + c.Rating.Value
	}
	return title
}

// transcriptLines renders a chat's messages, wrapped to width, each line
// with its speaker and time.
func transcriptLines(c board.Chat, width int, loc *time.Location) []line {
	var out []line
	for _, msg := range c.Messages {
		clock := msg.Clock
		if !msg.At.IsZero() {
			clock = msg.At.In(loc).Format("15:04:05")
		}
		who := msg.Name
		if who == "" {
			who = string(msg.From)
		}
		prefix := fmt.Sprintf("[%8s] %s: ", clock, who)
		if msg.From == event.FromSystem {
			prefix = fmt.Sprintf("[%8s] ", clock)
		}
		text := msg.Text
		if text == "" {
			text = "(no text)"
		}
		wrapped := ansi.Wordwrap(prefix+text, max(width-2, 20), " ")
		for i, l := range strings.Split(wrapped, "\n") {
			if i > 0 {
				l = strings.Repeat(" ", 11) + l
			}
			out = append(out, line{text: l, from: msg.From})
		}
	}
	return out
}

// dur prints a duration for a clock column: 45s, 3m05s, 2h03m.
func dur(d time.Duration) string {
	if d < 0 {
		d = 0
	}
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%ds", int(d.Seconds()))
	case d < time.Hour:
		return fmt.Sprintf("%dm%02ds", int(d.Minutes()), int(d.Seconds())%60)
	case d < 100*time.Hour:
		return fmt.Sprintf("%dh%02dm", int(d.Hours()), int(d.Minutes())%60)
	}
	return fmt.Sprintf("%dd", int(d.Hours()/24))
}

func ago(t, now time.Time) string {
	if t.IsZero() {
		return "never"
	}
	return dur(now.Sub(t)) + " ago"
}

// pct prints a ratio as a percentage, or – when undefined.
func pct(r *float64) string {
	if r == nil {
		return "–"
	}
	return fmt.Sprintf("%.0f%%", *r*100)
}

func secs(s *float64) string {
	if s == nil {
		return "–"
	}
	return dur(time.Duration(*s * float64(time.Second)))
}

// connection returns the remote connection's state, when the source is a
// remote replica.
func (m Model) connection() (stream.Conn, bool) {
	c, ok := m.opt.Source.(interface{ Connection() stream.Conn })
	if !ok {
		return stream.Conn{}, false
	}
	return c.Connection(), true
}
