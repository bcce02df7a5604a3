package tui

import (
	"cmp"
	"fmt"
	"strings"
	"time"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/chatdeck/chatdeck/ingest/board"
	"github.com/chatdeck/chatdeck/ingest/event"
)

// agentsPane is the agents and their status: online first, then away,
// then the rest, by name; with what each did today (AgentPeriod). The
// selected agent's detail (agentdetail.go) is drawn beside the list in
// the wide layouts, and over it on enter.
type agentsPane struct {
	List[board.Agent]
	filter string
	count  int
	detail agentDetail
	full   detailView
}

func newAgentsPane(c *Context) Pane {
	p := &agentsPane{}
	p.Context = c
	p.full.Context = c
	p.full.lines = p.detail.lines
	p.Empty = "  no agents known yet"
	p.Place = "the list of agents"
	p.Ident = func(a *board.Agent) string { return identity(a.Source, a.ID) }
	p.Label = func(a *board.Agent) string { return nameOr(a.Name, a.ID) }
	// At 80 columns ID gives way; narrower, SOURCE, then today's figures
	// from the right.
	p.Columns = []Column[board.Agent]{
		{Title: "STATUS", Width: 13, Cell: p.statusCell, Cmp: func(a, b *board.Agent) int {
			return cmp.Or(cmp.Compare(statusRank(a.Status), statusRank(b.Status)), cmpText(statusLabel(a), statusLabel(b)))
		}},
		{Title: "NAME", Width: 17, Cell: func(a *board.Agent) Cell { return Cell{Text: nameOr(a.Name, a.ID)} },
			Cmp: func(a, b *board.Agent) int { return cmpText(nameOr(a.Name, a.ID), nameOr(b.Name, b.ID)) }},
		{Title: "FOR", Width: 9, Drop: 1, Cell: p.forCell, Desc: true, Cmp: func(a, b *board.Agent) int {
			return cmp.Compare(p.statusFor(a), p.statusFor(b))
		}},
		{Title: "CHATS", Width: 7, Cell: func(a *board.Agent) Cell {
			st, mark := &p.Theme.Bold, ""
			if a.Chats > a.Capacity {
				st, mark = &p.Theme.Alert, levelAlert.mark()
			}
			return Cell{Text: fmt.Sprintf("%d/%d", a.Chats, a.Capacity) + mark, Style: st}
		}, Desc: true, Cmp: func(a, b *board.Agent) int {
			return cmp.Or(cmp.Compare(a.Chats, b.Chats), cmp.Compare(a.Capacity, b.Capacity))
		}},
		{Title: "TODAY", Width: 7, Drop: 2, Cell: func(a *board.Agent) Cell {
			return Cell{Text: fmt.Sprint(today(a).Chats)}
		}, Desc: true, Cmp: func(a, b *board.Agent) int { return cmp.Compare(today(a).Chats, today(b).Chats) }},
		{Title: "1ST RESP", Width: 10, Drop: 3, Cell: func(a *board.Agent) Cell {
			return Cell{Text: secs(today(a).FirstResponseMedian)}
		}, Cmp: func(a, b *board.Agent) int {
			return cmpSeconds(today(a).FirstResponseMedian, today(b).FirstResponseMedian)
		}},
		{Title: "CSAT", Width: 8, Drop: 4, Cell: func(a *board.Agent) Cell { return p.csatCell(today(a)) },
			Desc: true, Cmp: func(a, b *board.Agent) int {
				x, y := today(a), today(b)
				return cmp.Or(cmp.Compare(x.CSATGood-x.CSATBad, y.CSATGood-y.CSATBad), cmp.Compare(x.CSATGood, y.CSATGood))
			}},
		{Title: "SOURCE", Width: 9, Drop: 5, Cell: func(a *board.Agent) Cell { return Cell{Text: string(a.Source)} },
			Cmp: func(a, b *board.Agent) int { return cmpText(string(a.Source), string(b.Source)) }},
		{Title: "ID", Min: 6, Drop: 6, Cell: func(a *board.Agent) Cell { return Cell{Text: a.ID} },
			Cmp: func(a, b *board.Agent) int { return cmpText(a.ID, b.ID) }},
	}
	return p
}

// todayColumn reports whether the column is drawn from what the agent did
// today: a sort by one of them reads every agent's day.
func todayColumn(title string) bool {
	switch title {
	case "TODAY", "1ST RESP", "CSAT":
		return true
	}
	return false
}

// today is what the agent did today, as the pane read it.
func today(a *board.Agent) *board.AgentPeriod {
	if a.Today == nil {
		return &board.AgentPeriod{}
	}
	return a.Today
}

// statusRank orders statuses as the board lists agents.
func statusRank(s event.AgentStatus) int {
	switch s {
	case event.AgentOnline:
		return 0
	case event.AgentAway:
		return 1
	case event.AgentUnknown:
		return 2
	}
	return 3
}

// statusLabel is the agent's status as shown: the vendor's name for it.
func statusLabel(a *board.Agent) string {
	return strings.ToLower(nameOr(a.StatusName, string(a.Status)))
}

func (p *agentsPane) statusCell(a *board.Agent) Cell {
	if s, ok := p.Pending[a.ID]; ok {
		return Cell{Text: "→ " + s + "…", Style: &p.Theme.Pending}
	}
	return Cell{Text: statusLabel(a), Style: p.Theme.statusStyle(a.Status)}
}

// statusFor is how long the agent has been in their status: for an agent
// whose presence nobody reports, since a chat last named them.
func (p *agentsPane) statusFor(a *board.Agent) time.Duration {
	switch {
	case a.Status == event.AgentUnknown && !a.LastSeenAt.IsZero():
		return p.Now.Sub(a.LastSeenAt)
	case !a.Since.IsZero():
		return p.Now.Sub(a.Since)
	}
	return -1
}

func (p *agentsPane) forCell(a *board.Agent) Cell {
	switch {
	case a.Status == event.AgentUnknown && !a.LastSeenAt.IsZero():
		// No presence source speaks for them: when a chat last did.
		return Cell{Text: "seen " + roughAgo(p.Now.Sub(a.LastSeenAt)), Style: &p.Theme.Dim}
	case !a.Since.IsZero():
		return Cell{Text: dur(p.Now.Sub(a.Since))}
	}
	return Cell{}
}

// csatCell is good and bad ratings, "+3 -1", or – with none.
func (p *agentsPane) csatCell(t *board.AgentPeriod) Cell {
	if t.CSATGood+t.CSATBad == 0 {
		return Cell{Text: "–", Style: &p.Theme.Dim}
	}
	return Cell{Text: fmt.Sprintf("+%d -%d", t.CSATGood, t.CSATBad)}
}

func (p *agentsPane) ID() string    { return "agents" }
func (p *agentsPane) Title() string { return "Agents" }

func (p *agentsPane) Count() (int, bool) { return p.count, true }

// SetSize sizes the list and the full view alike.
func (p *agentsPane) SetSize(w, h int) {
	p.List.SetSize(w, h)
	p.full.SetSize(w, h)
}

func (p *agentsPane) Load(b *board.Board, focused bool) {
	filter := strings.ToLower(p.filter)
	now := p.Now
	p.stamp = newStamp(b, now, filter, "")
	// Each row carries what the agent did today: read for the rows on
	// screen only, or for every row while a sort by it needs them.
	withToday := func(a *board.Agent) {
		if t, ok := b.AgentDay(a.Source, a.ID, now); ok {
			a.Today = &t
		}
	}
	sortToday := false
	if c := p.sortColumn(); c != nil {
		sortToday = todayColumn(c.Title)
	}
	var keep func(a *board.Agent) bool
	if filter != "" {
		keep = func(a *board.Agent) bool {
			return matches(filter, a.Name, a.Email, a.StatusName, string(a.Status), string(a.Source), a.ID)
		}
	}
	fetch := func(offset, limit int) (int, []board.Agent) { return b.AgentsWhere(keep, offset, limit) }
	scan := func(visit func(*board.Agent)) {
		b.AgentsWhere(func(a *board.Agent) bool {
			if keep == nil || keep(a) {
				if sortToday {
					withToday(a)
				}
				visit(a)
			}
			return false
		}, 0, 0)
	}
	if !focused {
		p.count, _ = b.AgentsWhere(keep, 0, 0)
		return
	}
	p.List.Load(fetch, scan)
	for i := range p.rows {
		if p.rows[i].Today == nil {
			withToday(&p.rows[i])
		}
	}
	p.count = p.Total()
	p.detail = agentDetail{}
	if a, ok := p.Selected(); ok {
		p.detail = readAgentDetail(b, a, now, p.Pending[a.ID])
	}
	p.detail.theme = &p.Theme
}

func (p *agentsPane) selectedAgent() (rowRef, bool) {
	a, ok := p.Selected()
	if !ok {
		return rowRef{}, false
	}
	return rowRef{Source: a.Source, ID: a.ID, Label: nameOr(a.Name, a.ID)}, true
}

// Detail is the selected agent's detail (Detailer).
func (p *agentsPane) Detail(w, h int) string {
	if !p.detail.ok {
		return ""
	}
	return detailBox(p.detail.lines(w), w, h)
}

func (p *agentsPane) Update(msg tea.Msg) (bool, intent) {
	k, isKey := msg.(tea.KeyPressMsg)
	if p.full.open {
		if !isKey {
			return p.full.Update(msg), nil
		}
		if p.full.Update(msg) {
			return true, nil
		}
	}
	if isKey {
		var status string
		switch {
		case key.Matches(k, p.Keys.Online):
			status = "online"
		case key.Matches(k, p.Keys.Away):
			status = "away"
		case key.Matches(k, p.Keys.Status):
			if a, ok := p.selectedAgent(); ok {
				return true, pickStatus{agent: a}
			}
			return false, nil
		case key.Matches(k, p.Keys.Copy):
			return true, p.copySelected()
		case key.Matches(k, p.Keys.Open):
			if p.detail.ok {
				p.full.Open()
			}
			return true, nil
		}
		if status != "" {
			if a, ok := p.selectedAgent(); ok {
				return true, setStatus{agent: a, status: status}
			}
			return false, nil
		}
		if p.full.open {
			return false, nil
		}
		if handled, do := listKeys(k, &p.Keys, p); handled {
			return true, do
		}
	}
	return p.List.Update(msg), nil
}

// copySelected copies the selected agent: source, id and name.
func (p *agentsPane) copySelected() intent {
	a, ok := p.Selected()
	if !ok {
		return notice{text: "no agent selected to copy", isErr: true}
	}
	name := nameOr(a.Name, a.ID)
	text := fmt.Sprintf("%s agent %s · %s", a.Source, a.ID, name)
	if a.Email != "" {
		text += " · " + a.Email
	}
	return copyText{text: text, what: "agent " + name + " (" + a.ID + ")"}
}

func (p *agentsPane) SetFilter(f string) { p.filter = f; p.Reset() }
func (p *agentsPane) Filter() string     { return p.filter }
func (p *agentsPane) Chips() []string    { return append(filterChips(p.filter), p.sortChip()...) }

func (p *agentsPane) Status() string {
	if p.full.open {
		return strings.TrimSpace(p.detail.name + "  " + p.full.Position())
	}
	return p.Position()
}

func (p *agentsPane) View() string {
	if p.full.open {
		return p.full.View()
	}
	return p.List.View()
}

// detailsKey is the open key, which shows the agent's detail here.
func (p *agentsPane) detailsKey() key.Binding { return renamed(p.Keys.Open, "details") }

func (p *agentsPane) ShortHelp() []key.Binding {
	k := &p.Keys
	if p.full.open {
		return []key.Binding{renamed(k.Back, "list"), k.Online, k.Away, k.Status, k.Copy}
	}
	return []key.Binding{k.Online, k.Away, k.Status, p.detailsKey(), k.Copy, k.Sort, k.Filter}
}

func (p *agentsPane) FullHelp() [][]key.Binding {
	k := &p.Keys
	return [][]key.Binding{p.navHelp(), {k.Online, k.Away, k.Status, p.detailsKey(), k.Copy}, append(p.sortHelp(), k.Filter, k.Back)}
}
