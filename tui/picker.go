package tui

import (
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
)

// picker is the status picker: every status the site offers, for one agent.
type picker struct {
	Common
	active  bool
	agent   rowRef
	options []string
	pick    int
}

// Open shows the picker for the agent.
func (p *picker) Open(agent rowRef, options []string) {
	p.active, p.agent, p.options, p.pick = true, agent, options, 0
}

// Update handles a key while the picker is open: chosen is the status
// picked with enter, "" otherwise.
func (p *picker) Update(msg tea.KeyPressMsg) (chosen string) {
	k := &p.Keys
	switch {
	case msg.String() == "esc" || key.Matches(msg, k.Back):
		p.active = false
	case key.Matches(msg, k.Up):
		p.pick = max(p.pick-1, 0)
	case key.Matches(msg, k.Down):
		p.pick = min(p.pick+1, len(p.options)-1)
	case msg.String() == "enter":
		p.active = false
		if p.pick >= 0 && p.pick < len(p.options) {
			return p.options[p.pick]
		}
	}
	return ""
}

// View is the picker's status line.
func (p *picker) View() string {
	t := &p.Theme
	var b strings.Builder
	b.WriteString("status for " + p.agent.Label + ": ")
	for i, o := range p.options {
		if i == p.pick {
			b.WriteString(t.Selected.Render(" " + o + " "))
		} else {
			b.WriteString(" " + o + " ")
		}
	}
	b.WriteString(t.Dim.Render("  (j/k, enter, esc)"))
	return b.String()
}
