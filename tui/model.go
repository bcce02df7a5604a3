// Package tui is chatdeck's terminal dashboard (Bubble Tea v2): a header of
// sources and headline numbers, five panes (queue, agents, chats,
// transcript, inbox), and keys that change agents' status through Actions.
// It renders only what is visible, reads the board in batches (at most a
// few times a second however fast events arrive) and does no HTTP itself.
package tui

import (
	"context"
	"fmt"
	"strings"
	"time"

	"charm.land/bubbles/v2/help"
	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"

	"github.com/chatdeck/chatdeck/ingest/actions"
	"github.com/chatdeck/chatdeck/ingest/board"
	"github.com/chatdeck/chatdeck/ingest/event"
)

// Source is where the dashboard reads the board: the local hub, or a
// remote replica.
type Source interface {
	Read(fn func(b *board.Board))
	Polls() map[event.Source]board.PollState
	// Changed is closed at the next change; take a new one after each.
	Changed() <-chan struct{}
}

// Alerts are the thresholds that flash (and ring the bell, if Bell).
type Alerts struct {
	WaitWarn     time.Duration // longest wait shown in yellow from here
	WaitAlert    time.Duration // ... in red, and alerts
	ServiceLevel float64       // the window's SL below this alerts (0–1)
	Bell         bool
}

// DefaultAlerts: yellow from 30 s, red and an alert from 60 s, SL under 80 %.
func DefaultAlerts() Alerts {
	return Alerts{WaitWarn: 30 * time.Second, WaitAlert: 60 * time.Second, ServiceLevel: 0.8}
}

// Options configures the dashboard.
type Options struct {
	Source  Source
	Actions actions.Actions // nil: status keys explain that no API is configured
	// Refresh polls the API now (the r key); nil if there is no poller.
	Refresh func(ctx context.Context) error
	// Listen is the address the webhook listener is on, for the header.
	Listen string
	// Mode is shown in the header ("demo", "live", "attach").
	Mode   string
	Keys   KeyMap
	Alerts Alerts
	// Now is the clock; time.Now if nil.
	Now func() time.Time
	// Context bounds the commands the model starts (actions, waits).
	Context context.Context
}

type paneID int

const (
	paneQueue paneID = iota
	paneAgents
	paneChats
	paneTranscript
	paneInbox
	paneCount
)

var paneNames = [paneCount]string{"Queue", "Agents", "Chats", "Transcript", "Inbox"}

// input modes: what the prompt line is doing.
type inputMode int

const (
	inputNone inputMode = iota
	inputFilter
	inputTag
	inputStatus // the status picker
)

// Model is the root model.
type Model struct {
	opt    Options
	keys   KeyMap
	theme  Theme
	help   help.Model
	width  int
	height int
	now    time.Time
	dark   bool

	pane     paneID
	cursor   [paneCount]int
	offset   [paneCount]int
	filter   [paneCount]string
	dept     string
	showHelp bool

	mode     inputMode
	input    textinput.Model
	pick     int    // status picker cursor
	pickFor  rowRef // the agent the picker is for
	tagFor   rowRef // the visitor the tag prompt is for
	openChat rowRef // the chat the transcript shows
	search   string // transcript search
	flash    string
	flashErr bool
	flashAt  time.Time
	pending  map[string]string // agent id → status being set
	alerting map[string]bool   // alerts currently raised
	snap     snapshot
}

// rowRef names a thing on the board.
type rowRef struct {
	Source event.Source
	ID     string
	Label  string
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
	in := textinput.New()
	in.CharLimit = 200
	m := Model{opt: opt, keys: opt.Keys, theme: NewTheme(true), help: help.New(), width: 80, height: 24,
		dark: true, input: in, pending: map[string]string{}, alerting: map[string]bool{}}
	m.now = opt.Now()
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

// Update handles a message.
func (m Model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.width, m.height = max(msg.Width, 20), max(msg.Height, 8)
		m.help.SetWidth(m.width)
		m.refresh()
		return m, nil
	case tea.BackgroundColorMsg:
		m.dark = msg.IsDark()
		m.theme = NewTheme(m.dark)
		m.help.Styles = help.DefaultStyles(m.dark)
		return m, nil
	case tickMsg:
		m.now = m.opt.Now()
		if m.flash != "" && m.now.Sub(m.flashAt) > 6*time.Second {
			m.flash = ""
		}
		m.refresh()
		alert := m.checkAlerts()
		return m, tea.Batch(m.tick(), alert)
	case changedMsg:
		m.now = m.opt.Now()
		m.refresh()
		alert := m.checkAlerts()
		return m, tea.Batch(m.waitChange(), alert)
	case actionMsg:
		delete(m.pending, msg.agent)
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
		m.refresh()
		return m, nil
	case tea.MouseWheelMsg:
		switch msg.Button {
		case tea.MouseWheelUp:
			m.move(-3)
		case tea.MouseWheelDown:
			m.move(3)
		}
		return m, nil
	case tea.MouseClickMsg:
		return m.click(msg.X, msg.Y), nil
	case tea.KeyPressMsg:
		return m.key(msg)
	}
	return m, nil
}

func (m *Model) setFlash(s string, isErr bool) {
	m.flash, m.flashErr, m.flashAt = s, isErr, m.opt.Now()
}

func (m Model) key(msg tea.KeyPressMsg) (tea.Model, tea.Cmd) {
	if m.mode != inputNone {
		return m.inputKey(msg)
	}
	k := m.keys
	switch {
	case key.Matches(msg, k.Quit):
		return m, tea.Quit
	case m.showHelp && (key.Matches(msg, k.Help) || key.Matches(msg, k.Back)):
		m.showHelp = false
	case key.Matches(msg, k.Help):
		m.showHelp = true
	case key.Matches(msg, k.NextPane):
		m.setPane((m.pane + 1) % paneCount)
	case key.Matches(msg, k.PrevPane):
		m.setPane((m.pane + paneCount - 1) % paneCount)
	case key.Matches(msg, k.Up):
		m.move(-1)
	case key.Matches(msg, k.Down):
		m.move(1)
	case key.Matches(msg, k.PageUp):
		m.move(-m.bodyHeight())
	case key.Matches(msg, k.PageDown):
		m.move(m.bodyHeight())
	case key.Matches(msg, k.Top):
		m.move(-1 << 30)
	case key.Matches(msg, k.Bottom):
		m.move(1 << 30)
	case key.Matches(msg, k.Open):
		m.open()
	case key.Matches(msg, k.Back):
		switch {
		case m.filter[m.pane] != "":
			m.filter[m.pane] = ""
			m.refresh()
		case m.pane == paneTranscript && m.search != "":
			m.search = ""
		case m.pane == paneTranscript:
			m.setPane(paneChats)
		case m.dept != "":
			m.dept = ""
			m.refresh()
		}
	case key.Matches(msg, k.Filter):
		m.mode = inputFilter
		m.input.Reset()
		m.input.Placeholder = "filter " + strings.ToLower(paneNames[m.pane])
		m.input.SetValue(m.filter[m.pane])
		return m, m.input.Focus()
	case key.Matches(msg, k.Search) && m.pane == paneTranscript:
		m.nextMatch()
	case key.Matches(msg, k.Department):
		m.cycleDepartment()
	case key.Matches(msg, k.Refresh):
		return m, m.doRefresh()
	case key.Matches(msg, k.Online):
		return m.setStatus("online")
	case key.Matches(msg, k.Away):
		return m.setStatus("away")
	case key.Matches(msg, k.Status):
		return m.openPicker()
	case key.Matches(msg, k.Tag):
		return m.openTag()
	default:
		for i, b := range k.Pane {
			if key.Matches(msg, b) {
				m.setPane(paneID(i))
			}
		}
	}
	return m, nil
}

func (m *Model) setPane(p paneID) {
	m.pane = p
	m.refresh()
}

func (m Model) inputKey(msg tea.KeyPressMsg) (tea.Model, tea.Cmd) {
	switch m.mode {
	case inputStatus:
		opts := m.snap.statusOptions
		switch {
		case msg.String() == "esc" || key.Matches(msg, m.keys.Back):
			m.mode = inputNone
		case key.Matches(msg, m.keys.Up):
			m.pick = max(m.pick-1, 0)
		case key.Matches(msg, m.keys.Down):
			m.pick = min(m.pick+1, len(opts)-1)
		case msg.String() == "enter":
			m.mode = inputNone
			if m.pick >= 0 && m.pick < len(opts) {
				return m.startStatus(m.pickFor, opts[m.pick])
			}
		}
		return m, nil
	}
	switch msg.String() {
	case "esc":
		if m.mode == inputFilter {
			m.filter[m.pane] = ""
			m.refresh()
		}
		m.mode = inputNone
		m.input.Blur()
		return m, nil
	case "enter":
		val := strings.TrimSpace(m.input.Value())
		mode := m.mode
		m.mode = inputNone
		m.input.Blur()
		switch mode {
		case inputFilter:
			if m.pane == paneTranscript {
				m.search = val
				m.nextMatch()
				return m, nil
			}
			m.filter[m.pane] = val
			m.cursor[m.pane], m.offset[m.pane] = 0, 0
			m.refresh()
		case inputTag:
			return m, m.startTag(val)
		}
		return m, nil
	}
	var cmd tea.Cmd
	m.input, cmd = m.input.Update(msg)
	if m.mode == inputFilter && m.pane != paneTranscript {
		m.filter[m.pane] = strings.TrimSpace(m.input.Value())
		m.cursor[m.pane], m.offset[m.pane] = 0, 0
		m.refresh()
	}
	return m, cmd
}

// setStatus starts a status change for the selected agent.
func (m Model) setStatus(status string) (tea.Model, tea.Cmd) {
	ag, ok := m.selectedAgent()
	if !ok {
		m.setFlash("select an agent in the Agents pane (2) first", true)
		return m, nil
	}
	return m.startStatus(ag, status)
}

func (m Model) openPicker() (tea.Model, tea.Cmd) {
	ag, ok := m.selectedAgent()
	if !ok {
		m.setFlash("select an agent in the Agents pane (2) first", true)
		return m, nil
	}
	if len(m.snap.statusOptions) == 0 {
		m.setFlash("the site's statuses are not known yet (no Comm100 poll so far)", true)
		return m, nil
	}
	m.mode, m.pick, m.pickFor = inputStatus, 0, ag
	return m, nil
}

func (m Model) startStatus(ag rowRef, status string) (tea.Model, tea.Cmd) {
	if ag.Source != event.Comm100 {
		m.setFlash(fmt.Sprintf("%s is a %s agent: only Comm100 statuses can be changed from here", ag.Label, ag.Source), true)
		return m, nil
	}
	if m.opt.Actions == nil {
		m.setFlash("no Comm100 API configured: status changes need COMM100_API_BASE and credentials", true)
		return m, nil
	}
	if _, busy := m.pending[ag.ID]; busy {
		m.setFlash(ag.Label+" already has a change pending", true)
		return m, nil
	}
	m.pending[ag.ID] = status
	m.setFlash(fmt.Sprintf("… setting %s to %s", ag.Label, status), false)
	acts, ctx := m.opt.Actions, m.opt.Context
	return m, func() tea.Msg {
		c, cancel := context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
		out, err := acts.SetAgentStatus(c, ag.ID, status)
		return actionMsg{agent: ag.ID, label: ag.Label, status: status, out: out, err: err}
	}
}

func (m Model) openTag() (tea.Model, tea.Cmd) {
	v, ok := m.selectedVisitor()
	if !ok {
		m.setFlash("select a visitor in the Queue or Chats pane first", true)
		return m, nil
	}
	if v.Source != event.Comm100 || m.opt.Actions == nil {
		m.setFlash("tags are Comm100 custom variables: select a Comm100 visitor (and configure the API)", true)
		return m, nil
	}
	m.mode, m.tagFor = inputTag, v
	m.input.Reset()
	m.input.Placeholder = "name=value"
	return m, m.input.Focus()
}

func (m Model) startTag(val string) tea.Cmd {
	name, value, ok := strings.Cut(val, "=")
	if !ok || strings.TrimSpace(name) == "" {
		return func() tea.Msg { return tagMsg{label: m.tagFor.Label, err: fmt.Errorf("want name=value, got %q", val)} }
	}
	acts, ctx, v := m.opt.Actions, m.opt.Context, m.tagFor
	return func() tea.Msg {
		c, cancel := context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
		_, err := acts.TagVisitor(c, v.ID, strings.TrimSpace(name), strings.TrimSpace(value))
		return tagMsg{label: v.Label + " " + val, err: err}
	}
}

func (m Model) doRefresh() tea.Cmd {
	if m.opt.Refresh == nil {
		return func() tea.Msg { return refreshMsg{} }
	}
	fn, ctx := m.opt.Refresh, m.opt.Context
	return func() tea.Msg {
		c, cancel := context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
		return refreshMsg{err: fn(c)}
	}
}

// checkAlerts raises alerts that have newly become true: a flash, and the
// bell if configured.
func (m *Model) checkAlerts() tea.Cmd {
	a := m.opt.Alerts
	mt := m.snap.metrics
	now := map[string]string{}
	if a.WaitAlert > 0 && mt.LongestWaitSeconds >= a.WaitAlert.Seconds() {
		now["wait"] = fmt.Sprintf("⚠ a visitor has waited %s", dur(time.Duration(mt.LongestWaitSeconds*float64(time.Second))))
	}
	if sl := mt.Window.ServiceLevel; sl != nil && a.ServiceLevel > 0 && *sl < a.ServiceLevel {
		now["sl"] = fmt.Sprintf("⚠ service level %s is under %s", pct(sl), pct(&a.ServiceLevel))
	}
	if mt.QueueLength > 0 && mt.AgentsOnline == 0 && mt.AgentsTotal > 0 {
		now["nobody"] = "⚠ visitors are waiting and nobody is online"
	}
	for _, ag := range m.snap.overCapacity {
		now["cap:"+ag] = "⚠ " + ag + " is over capacity"
	}
	var raised []string
	for k, text := range now {
		if !m.alerting[k] {
			raised = append(raised, text)
		}
	}
	m.alerting = map[string]bool{}
	for k := range now {
		m.alerting[k] = true
	}
	if len(raised) == 0 {
		return nil
	}
	m.setFlash(strings.Join(raised, "  "), true)
	if a.Bell {
		return tea.Raw("\a")
	}
	return nil
}
