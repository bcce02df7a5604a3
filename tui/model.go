// Package tui is chatdeck's terminal dashboard (Bubble Tea v2): a header of
// sources and headline numbers, five panes (queue, agents, chats,
// transcript, inbox), and keys that change agents' status through Actions.
//
// It is built from components, as gh-dash and soft-serve are: the root
// Model owns the focus, the layout, the global keys and the routing, and
// reads the board once per frame; every component embeds a Common (the
// shared Context of theme, keys and clock, its own size and focus); the
// panes share one Pane interface and one generic List driven by a column
// spec; the transcript, the help, the status picker and the prompt are
// components of their own. It renders only what is visible, reads the
// board in batches (at most a few times a second however fast events
// arrive) and does no HTTP itself.
package tui

import (
	"context"
	"fmt"
	"sort"
	"time"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/chatdeck/chatdeck/ingest/actions"
	"github.com/chatdeck/chatdeck/ingest/board"
	"github.com/chatdeck/chatdeck/ingest/event"
	"github.com/chatdeck/chatdeck/ingest/stream"
)

// Source is where the dashboard reads the board: the local hub, or a
// remote replica.
type Source interface {
	Read(fn func(b *board.Board))
	Polls() map[event.Source]board.PollState
	// Changed is closed at the next change; take a new one after each.
	Changed() <-chan struct{}
}

// Options configures the dashboard.
type Options struct {
	Source  Source
	Actions actions.Actions // nil: status keys explain that no API is configured
	// Refresh polls the API now (the r key); nil if there is no poller.
	Refresh func(ctx context.Context) error
	// Listen is the address the webhook listener is on, for the header.
	Listen string
	// BaseURL is where the JSON API answers, and TokenFile where its token
	// is kept ("" when it was given by flag or environment): the help
	// screen shows both, for scripts and attach.
	BaseURL, TokenFile string
	// Mode is shown in the header ("demo", "live", "attach").
	Mode   string
	Keys   KeyMap
	Alerts Alerts
	// Now is the clock; time.Now if nil.
	Now func() time.Time
	// Context bounds the commands the model starts (actions, waits).
	Context context.Context
}

// newPanes are the panes, in tab order. Adding a pane is a file with its
// constructor and a line here.
var newPanes = []func(*Context) Pane{
	newQueuePane,
	newAgentsPane,
	newChatsPane,
	newTranscriptPane,
	newInboxPane,
}

// Model is the root model. Its components are shared by pointer: a copy of
// a Model is the same dashboard, not a second one.
type Model struct {
	opt  Options
	ctx  *Context
	dark bool
	lay  layout

	panes  []Pane
	focus  int
	header *header
	kpi    *kpiBand
	tabs   *tabBar
	help   *keyHelp
	prompt *prompt
	picker *picker

	showHelp bool
	flash    string
	flashErr bool
	flashAt  time.Time
	alerting map[string]bool // alerts currently raised
	notice   string          // what the last read did to the selection
	snap     snapshot
	zoomed   bool // the focused pane alone, whatever the size
	paused   bool // the screen's data frozen; the board goes on
}

// New returns the model.
func New(opt Options) Model {
	if opt.Now == nil {
		opt.Now = time.Now
	}
	if opt.Context == nil {
		opt.Context = context.Background()
	}
	if opt.Alerts == (Alerts{}) {
		opt.Alerts = DefaultAlerts()
	}
	if len(opt.Keys.Quit.Keys()) == 0 {
		opt.Keys = DefaultKeyMap()
	}
	c := &Context{Theme: NewTheme(true), Keys: opt.Keys, Alerts: opt.Alerts, Pending: map[string]string{}}
	m := Model{opt: opt, ctx: c, dark: true, alerting: map[string]bool{}}
	for _, np := range newPanes {
		m.panes = append(m.panes, np(c))
	}
	m.header = &header{mode: opt.Mode, listen: opt.Listen}
	m.header.Context = c
	m.kpi = &kpiBand{}
	m.kpi.Context = c
	m.tabs = &tabBar{}
	m.tabs.Context = c
	h := newKeyHelp(c)
	m.help = &h
	pr := newPrompt(c)
	m.prompt = &pr
	m.picker = &picker{}
	m.picker.Context = c
	c.Now = opt.Now()
	m.panes[0].SetFocused(true)
	m.resize(80, 24, 2, kpiRows(0)+1)
	m.refresh()
	return m
}

type (
	tickMsg    time.Time
	changedMsg struct{}
	actionMsg  struct {
		agent, label, status string
		out                  actions.Outcome
		err                  error
	}
	tagMsg struct {
		label string
		err   error
	}
	refreshMsg struct{ err error }
)

// Init starts the clock and the wait for changes, and asks the terminal
// for its background colour.
func (m Model) Init() tea.Cmd {
	return tea.Batch(m.tick(), m.waitChange(), tea.RequestBackgroundColor)
}

func (m Model) tick() tea.Cmd {
	return tea.Tick(time.Second, func(t time.Time) tea.Msg { return tickMsg(t) })
}

// waitChange waits for the next board change, then for a moment more so
// that a burst of events becomes one redraw.
func (m Model) waitChange() tea.Cmd {
	if m.opt.Source == nil {
		return nil
	}
	ch := m.opt.Source.Changed()
	ctx := m.opt.Context
	return func() tea.Msg {
		select {
		case <-ch:
		case <-ctx.Done():
			return nil
		}
		t := time.NewTimer(150 * time.Millisecond)
		defer t.Stop()
		select {
		case <-t.C:
		case <-ctx.Done():
			return nil
		}
		return changedMsg{}
	}
}

// resize computes the layout for the size, the header's height and the
// wall's band, and hands each component its part.
func (m *Model) resize(w, h, headerRows, bandRows int) {
	kind := kindFor(w, h, m.zoomed)
	if bandRows <= 0 {
		bandRows = m.kpi.bandRows()
	}
	m.header.compact = kind == layoutWall || m.zoomed
	m.lay = newLayout(kind, w, h, headerRows, bandRows)
	l := &m.lay
	m.header.SetSize(w, l.headerRows)
	m.kpi.SetSize(w, bandRows)
	m.tabs.SetSize(w, 1)
	m.help.SetSize(w, h)
	m.prompt.SetSize(w, 1)
	m.picker.SetSize(w, 1)
	for i, p := range m.panes {
		switch c := m.wallCell(i); {
		case kind != layoutWall:
			p.SetSize(l.pane.w, l.paneH)
		case c >= 0:
			p.SetSize(l.cells[c].w, l.cells[c].h-1)
		default: // shown in the details cell when focused
			p.SetSize(l.cells[3].w, l.cells[3].h-1)
		}
	}
}

// relayout lays the screen out again at its size (after a zoom, or a
// change of the header's or the band's height).
func (m *Model) relayout() {
	m.resize(m.lay.width, m.lay.height, m.lay.headerRows, m.lay.band.h)
}

// wallCell is the wall's cell that always shows pane i, or -1.
func (m *Model) wallCell(i int) int {
	for c, id := range wallPanes {
		if m.panes[i].ID() == id {
			return c
		}
	}
	return -1
}

// shown reports whether pane i is on screen in the layout.
func (m *Model) shown(i int) bool {
	return i == m.focus || (m.lay.kind == layoutWall && m.wallCell(i) >= 0)
}

// focused is the pane with the focus.
func (m *Model) focused() Pane { return m.panes[m.focus] }

// setFocus moves the focus to pane i.
func (m *Model) setFocus(i int) {
	m.focus = (i + len(m.panes)) % len(m.panes)
	for j, p := range m.panes {
		p.SetFocused(j == m.focus)
	}
	m.refresh()
}

// paneByID is the index of the pane with the id, or -1.
func (m *Model) paneByID(id string) int {
	for i, p := range m.panes {
		if p.ID() == id {
			return i
		}
	}
	return -1
}

// Update handles a message.
func (m Model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.resize(max(msg.Width, 20), max(msg.Height, 8), m.lay.headerRows, m.lay.band.h)
		m.refresh()
		return m, nil
	case tea.BackgroundColorMsg:
		m.dark = msg.IsDark()
		m.ctx.Theme = NewTheme(m.dark)
		m.help.SetDark(m.dark)
		return m, nil
	case tickMsg:
		if m.flash != "" && m.opt.Now().Sub(m.flashAt) > 6*time.Second {
			m.flash = ""
		}
		if m.paused {
			return m, m.tick()
		}
		m.ctx.Now = m.opt.Now()
		m.refresh()
		alert := m.checkAlerts()
		m.sayNotice()
		return m, tea.Batch(m.tick(), alert)
	case changedMsg:
		if m.paused {
			return m, m.waitChange()
		}
		m.ctx.Now = m.opt.Now()
		m.refresh()
		alert := m.checkAlerts()
		m.sayNotice()
		return m, tea.Batch(m.waitChange(), alert)
	case actionMsg:
		delete(m.ctx.Pending, msg.agent)
		if msg.err != nil {
			m.setFlash(fmt.Sprintf("✗ %s → %s failed: %v", msg.label, msg.status, msg.err), true)
		} else {
			shown := msg.status
			if msg.out.Agent != nil && msg.out.Agent.StatusName != "" {
				shown = msg.out.Agent.StatusName
			}
			m.setFlash(fmt.Sprintf("✓ %s is now %s", msg.label, shown), false)
		}
		m.refresh()
		return m, nil
	case tagMsg:
		if msg.err != nil {
			m.setFlash("✗ tagging "+msg.label+" failed: "+msg.err.Error(), true)
		} else {
			m.setFlash("✓ tagged "+msg.label, false)
		}
		return m, nil
	case refreshMsg:
		if msg.err != nil {
			m.setFlash("✗ refresh failed: "+msg.err.Error(), true)
		} else {
			m.setFlash("✓ refreshed", false)
		}
		m.read()
		return m, nil
	case tea.MouseWheelMsg:
		if handled, _ := m.focused().Update(msg); handled {
			touch(m.focused())
			m.refresh()
		}
		return m, nil
	case tea.MouseClickMsg:
		m.click(msg)
		return m, nil
	case tea.KeyPressMsg:
		return m.key(msg)
	}
	return m, nil
}

func (m *Model) setFlash(s string, isErr bool) {
	m.flash, m.flashErr, m.flashAt = s, isErr, m.opt.Now()
}

// sayNotice shows what the last read did to the selection, before an
// alert raised in the same frame.
func (m *Model) sayNotice() {
	if m.notice == "" {
		return
	}
	if m.flash != "" && m.flashAt.Equal(m.opt.Now()) && m.flashErr {
		m.flash = m.notice + "  " + m.flash
	} else {
		m.setFlash(m.notice, false)
	}
	m.notice = ""
}

// key routes a key: to the prompt or the picker when open, then the
// global keys, then the focused pane.
func (m Model) key(msg tea.KeyPressMsg) (tea.Model, tea.Cmd) {
	if m.prompt.active {
		return m.promptKey(msg)
	}
	if m.picker.active {
		if st := m.picker.Update(msg); st != "" {
			cmd := m.startStatus(m.picker.agent, st)
			m.refresh()
			return m, cmd
		}
		return m, nil
	}
	k := &m.ctx.Keys
	switch {
	case key.Matches(msg, k.Quit):
		return m, tea.Quit
	case m.showHelp && (key.Matches(msg, k.Help) || key.Matches(msg, k.Back)):
		m.showHelp = false
		return m, nil
	case key.Matches(msg, k.Help):
		m.showHelp = true
		return m, nil
	case key.Matches(msg, k.NextPane):
		m.setFocus(m.focus + 1)
		return m, nil
	case key.Matches(msg, k.PrevPane):
		m.setFocus(m.focus - 1)
		return m, nil
	case key.Matches(msg, k.Department):
		m.cycleDepartment()
		return m, nil
	case key.Matches(msg, k.Zoom):
		m.zoomed = !m.zoomed
		m.relayout()
		m.read()
		return m, nil
	case key.Matches(msg, k.Pause):
		m.togglePause()
		return m, nil
	case key.Matches(msg, k.Refresh):
		return m, m.doRefresh()
	}
	for i, b := range k.Pane {
		if key.Matches(msg, b) && i < len(m.panes) {
			m.setFocus(i)
			return m, nil
		}
	}
	handled, do := m.focused().Update(msg)
	if handled {
		touch(m.focused())
		cmd := m.do(do)
		m.refresh()
		return m, cmd
	}
	// Keys the focused pane has no use for: say where they work.
	switch {
	case key.Matches(msg, k.Online), key.Matches(msg, k.Away), key.Matches(msg, k.Status):
		m.setFlash("select an agent in the Agents pane (2) first", true)
	case key.Matches(msg, k.Tag):
		m.setFlash("select a visitor in the Queue or Chats pane first", true)
	case key.Matches(msg, k.Back) && m.ctx.Dept != "":
		m.ctx.Dept = ""
		m.read()
	}
	return m, nil
}

// do carries out a pane's intent.
func (m *Model) do(do intent) tea.Cmd {
	switch d := do.(type) {
	case openChat:
		i := m.paneByID("transcript")
		if i < 0 {
			return nil
		}
		if o, ok := m.panes[i].(interface{ OpenChat(rowRef) }); ok {
			o.OpenChat(d.chat)
		}
		m.setFocus(i)
		m.read() // what was asked for, even while paused
	case focusPane:
		if i := m.paneByID(d.id); i >= 0 {
			m.setFocus(i)
		}
	case setStatus:
		return m.startStatus(d.agent, d.status)
	case pickStatus:
		if len(m.snap.statusOptions) == 0 {
			m.setFlash("the site's statuses are not known yet (no Comm100 poll so far)", true)
			return nil
		}
		m.picker.Open(d.agent, m.snap.statusOptions)
	case tagVisitor:
		if d.visitor.Source != event.Comm100 || m.opt.Actions == nil {
			m.setFlash("tags are Comm100 custom variables: select a Comm100 visitor (and configure the API)", true)
			return nil
		}
		return m.prompt.Open(promptTag, "name=value", "", d.visitor)
	case askText:
		kind := promptFilter
		if d.search {
			kind = promptSearch
		}
		return m.prompt.Open(kind, d.placeholder, d.value, rowRef{})
	case notice:
		m.setFlash(d.text, d.isErr)
	case copyText:
		m.setFlash("✓ copied "+d.what, false)
		return tea.SetClipboard(d.text)
	}
	return nil
}

// promptKey handles a key while the prompt is open. A filter applies as it
// is typed; a search on enter; a tag is sent on enter.
func (m Model) promptKey(msg tea.KeyPressMsg) (tea.Model, tea.Cmd) {
	res, cmd := m.prompt.Update(msg)
	f, _ := m.focused().(filterable)
	switch m.prompt.kind {
	case promptFilter:
		if f == nil {
			break
		}
		if res == promptCancelled {
			f.SetFilter("")
		} else {
			f.SetFilter(m.prompt.Value())
		}
		m.read()
	case promptSearch:
		if res == promptDone {
			if s, ok := m.focused().(interface{ Search(string) intent }); ok {
				cmd = m.do(s.Search(m.prompt.Value()))
			}
			m.refresh()
		}
	case promptTag:
		if res == promptDone {
			cmd = m.startTag(m.prompt.target, m.prompt.Value())
		}
	}
	return m, cmd
}

// refresh reads the board once for the frame, unless the screen is
// paused.
func (m *Model) refresh() {
	if m.paused {
		m.freeze()
		return
	}
	m.read()
}

// read reads the board once for the frame: the headline numbers, the
// shown panes' rows and every pane's count (and, for the wall, the trends
// and the departments). Without a filter a pane asks the board only for
// the rows on screen (O(rows shown), whatever the board holds); nothing
// is sorted here: the board keeps its lists in order.
func (m *Model) read() {
	if m.opt.Source == nil {
		return
	}
	var s snapshot
	m.header.snap = &s
	m.kpi.snap = &s
	m.header.conn, m.header.remote = m.connection()
	wall := m.lay.kind == layoutWall
	m.opt.Source.Read(func(b *board.Board) {
		now := m.ctx.Now
		s.cursor = b.Cursor()
		s.metrics = b.Metrics(now)
		s.sources = b.Sources()
		s.statusOptions = b.StatusOptions(event.Comm100)
		for _, a := range b.AgentsOverCapacity() {
			s.overCapacity = append(s.overCapacity, nameOr(a.Name, a.ID))
		}
		if m.ctx.Dept != "" {
			s.dept = readDept(b, now, m.ctx.Dept)
		}
		if wall {
			s.trend = b.Trend(now, trendSpan)
			s.depts = m.kpi.depts.read(b, now, s.cursor)
		}
		// The header wraps rather than drops numbers, and the band grows
		// with the departments: the panes get what they leave, before
		// they read their pages.
		if rows, band := m.header.Rows(m.lay.width), m.kpi.bandRows(); rows != m.lay.headerRows || (wall && band != m.lay.band.h) {
			m.resize(m.lay.width, m.lay.height, rows, band)
		}
		for i, p := range m.panes {
			p.Load(b, m.shown(i) || m.paused)
		}
	})
	s.polls = m.opt.Source.Polls()
	m.snap = s
	if n, ok := m.focused().(interface{ Notice() string }); ok {
		if text := n.Notice(); text != "" {
			m.notice = text
		}
	}
}

// cycleDepartment steps the department filter through the departments on
// the board, then back to all.
func (m *Model) cycleDepartment() {
	seen := map[string]bool{}
	m.opt.Source.Read(func(b *board.Board) {
		for _, e := range b.Queue(m.ctx.Now, 0, -1) {
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
		if d == m.ctx.Dept && i+1 < len(depts) {
			next = depts[i+1]
		}
	}
	if m.ctx.Dept == "" && len(depts) > 0 {
		next = depts[0]
	}
	m.ctx.Dept = next
	if r, ok := m.focused().(interface{ Reset() }); ok {
		r.Reset()
	}
	if next == "" {
		m.setFlash("department: all", false)
	} else {
		m.setFlash("department: "+next, false)
	}
	m.read()
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
