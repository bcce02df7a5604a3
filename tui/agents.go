package tui

import (
	"fmt"
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/chatdeck/chatdeck/ingest/board"
	"github.com/chatdeck/chatdeck/ingest/event"
)

// agentsPane is the agents and their status: online first, then away,
// then the rest, by name.
type agentsPane struct {
	List[board.Agent]
	filter string
	count  int
}

func newAgentsPane(c *Context) Pane {
	p := &agentsPane{}
	p.Context = c
	p.Empty = "  no agents known yet"
	p.Place = "the list of agents"
	p.Ident = func(a *board.Agent) string { return identity(a.Source, a.ID) }
	p.Label = func(a *board.Agent) string { return nameOr(a.Name, a.ID) }
	p.Columns = []Column[board.Agent]{
		{Title: "STATUS", Width: 13, Cell: p.statusCell},
		{Title: "NAME", Width: 20, Cell: func(a *board.Agent) Cell { return Cell{Text: nameOr(a.Name, a.ID)} }},
		{Title: "FOR", Width: 9, Cell: func(a *board.Agent) Cell {
			switch {
			case a.Status == event.AgentUnknown && !a.LastSeenAt.IsZero():
				// No presence source speaks for them: when a chat last did.
				return Cell{Text: "seen " + roughAgo(p.Now.Sub(a.LastSeenAt)), Style: &p.Theme.Dim}
			case !a.Since.IsZero():
				return Cell{Text: dur(p.Now.Sub(a.Since))}
			}
			return Cell{}
		}},
		{Title: "CHATS", Width: 7, Cell: func(a *board.Agent) Cell {
			st, mark := &p.Theme.Bold, ""
			if a.Chats > a.Capacity {
				st, mark = &p.Theme.Alert, levelAlert.mark()
			}
			return Cell{Text: fmt.Sprintf("%d/%d", a.Chats, a.Capacity) + mark, Style: st}
		}},
		{Title: "SOURCE", Width: 9, Cell: func(a *board.Agent) Cell { return Cell{Text: string(a.Source)} }},
		{Title: "ID", Cell: func(a *board.Agent) Cell { return Cell{Text: a.ID} }},
	}
	return p
}

func (p *agentsPane) statusCell(a *board.Agent) Cell {
	if s, ok := p.Pending[a.ID]; ok {
		return Cell{Text: "→ " + s + "…", Style: &p.Theme.Pending}
	}
	st := &p.Theme.Dim
	switch a.Status {
	case event.AgentOnline:
		st = &p.Theme.OK
	case event.AgentAway:
		st = &p.Theme.Warn
	}
	return Cell{Text: strings.ToLower(nameOr(a.StatusName, string(a.Status))), Style: st}
}

func (p *agentsPane) ID() string    { return "agents" }
func (p *agentsPane) Title() string { return "Agents" }

func (p *agentsPane) Count() (int, bool) { return p.count, true }

func (p *agentsPane) Load(b *board.Board, focused bool) {
	filter := strings.ToLower(p.filter)
	fetch := func(offset, limit int) (int, []board.Agent) { return b.AgentsWhere(nil, offset, limit) }
	var keep func(a *board.Agent) bool
	if filter != "" {
		keep = func(a *board.Agent) bool {
			return matches(filter, a.Name, a.Email, a.StatusName, string(a.Status), string(a.Source), a.ID)
		}
		fetch = func(offset, limit int) (int, []board.Agent) { return b.AgentsWhere(keep, offset, limit) }
	}
	scan := func(visit func(*board.Agent)) {
		b.AgentsWhere(func(a *board.Agent) bool {
			if keep == nil || keep(a) {
				visit(a)
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
}

func (p *agentsPane) selectedAgent() (rowRef, bool) {
	a, ok := p.Selected()
	if !ok {
		return rowRef{}, false
	}
	return rowRef{Source: a.Source, ID: a.ID, Label: nameOr(a.Name, a.ID)}, true
}

func (p *agentsPane) Update(msg tea.Msg) (bool, intent) {
	if k, ok := msg.(tea.KeyPressMsg); ok {
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
		}
		if status != "" {
			if a, ok := p.selectedAgent(); ok {
				return true, setStatus{agent: a, status: status}
			}
			return false, nil
		}
		if handled, do := listKeys(k, &p.Keys, p); handled {
			return true, do
		}
	}
	return p.List.Update(msg), nil
}

func (p *agentsPane) SetFilter(f string) { p.filter = f; p.Reset() }
func (p *agentsPane) Filter() string     { return p.filter }
func (p *agentsPane) Status() string     { return p.Position() }
func (p *agentsPane) Chips() []string    { return filterChips(p.filter) }

func (p *agentsPane) ShortHelp() []key.Binding {
	k := &p.Keys
	return []key.Binding{k.Online, k.Away, k.Status, k.Filter}
}

func (p *agentsPane) FullHelp() [][]key.Binding {
	k := &p.Keys
	return [][]key.Binding{p.navHelp(), {k.Online, k.Away, k.Status, k.Filter, k.Back}}
}
