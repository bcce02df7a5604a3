package tui

import (
	"strings"

	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"
)

type promptKind int

const (
	promptFilter promptKind = iota // narrows the focused pane's rows as you type
	promptSearch                   // the transcript's search, on enter
	promptTag                      // a visitor's tag, name=value
)

// prompt is the one-line text input: a filter, a search or a tag.
type prompt struct {
	Common
	active bool
	kind   promptKind
	target rowRef // the visitor a tag is for
	input  textinput.Model
}

func newPrompt(c *Context) prompt {
	in := textinput.New()
	in.CharLimit = 200
	p := prompt{input: in}
	p.Context = c
	return p
}

// Open starts the prompt with a placeholder and a value.
func (p *prompt) Open(kind promptKind, placeholder, value string, target rowRef) tea.Cmd {
	p.active, p.kind, p.target = true, kind, target
	p.input.Reset()
	p.input.Placeholder = placeholder
	p.input.SetValue(value)
	return p.input.Focus()
}

// promptResult is what a key did to the prompt.
type promptResult int

const (
	promptTyping    promptResult = iota
	promptDone                   // enter
	promptCancelled              // esc
)

// Update handles a key while the prompt is open.
func (p *prompt) Update(msg tea.KeyPressMsg) (promptResult, tea.Cmd) {
	switch msg.String() {
	case "esc":
		p.active = false
		p.input.Blur()
		return promptCancelled, nil
	case "enter":
		p.active = false
		p.input.Blur()
		return promptDone, nil
	}
	var cmd tea.Cmd
	p.input, cmd = p.input.Update(msg)
	return promptTyping, cmd
}

// Value is the text typed, trimmed.
func (p *prompt) Value() string { return strings.TrimSpace(p.input.Value()) }

// View is the prompt's status line.
func (p *prompt) View() string {
	label := "/"
	if p.kind == promptTag {
		label = "tag " + p.target.Label + ": "
	}
	return label + p.input.View()
}
