package tui

import (
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/chatdeck/chatdeck/ingest/board"
)

// Pane is one of the dashboard's views. The root gives it its size, reads
// the board once per frame and lets each pane copy what it shows, routes
// the keys it does not handle itself to the focused pane, and draws it in
// the rectangle the layout gives it.
type Pane interface {
	// ID is the pane's name in the config and in intents ("queue").
	ID() string
	// Title is the tab's label.
	Title() string
	// Load copies the rows the pane shows from the board, within the
	// root's one read of the frame. focused (shown) is false for panes
	// not on screen in the layout, only counted (their tab shows Count);
	// the wall shows several panes at once, the focused one among them.
	Load(b *board.Board, focused bool)
	// Count is the number shown on the pane's tab; ok is false for none.
	Count() (n int, ok bool)
	// Update handles a key or mouse message; handled is false when the
	// pane has no use for it. An intent asks the root to do something
	// beyond the pane (open a chat, change a status, prompt).
	Update(msg tea.Msg) (handled bool, do intent)
	// View draws the pane in its size: Height lines of Width cells.
	View() string
	SetSize(w, h int)
	SetFocused(bool)
	// Status is the pane's part of the status line (the position).
	Status() string
	// Chips are the pane's filters, shown after the tabs.
	Chips() []string
	// ShortHelp and FullHelp are the pane's own keys.
	ShortHelp() []key.Binding
	FullHelp() [][]key.Binding
}

// Detailer is a pane whose selected row has details worth a panel of their
// own: the wide layouts draw them beside the list, and the pane may open
// them in full. A pane copies what Detail needs in Load, so that drawing
// never reads the board.
type Detailer interface {
	// Detail draws the selected row's details in w cells by h lines;
	// "" when nothing is selected.
	Detail(w, h int) string
}

// intent is what a pane asks the root to do.
type intent any

type (
	// openChat asks for the chat's transcript.
	openChat struct{ chat rowRef }
	// setStatus asks to change the agent's status.
	setStatus struct {
		agent  rowRef
		status string
	}
	// pickStatus asks for the status picker for the agent.
	pickStatus struct{ agent rowRef }
	// tagVisitor asks for the tag prompt for the visitor.
	tagVisitor struct{ visitor rowRef }
	// askText asks for the prompt line: a filter or a search.
	askText struct {
		placeholder, value string
		search             bool
	}
	// focusPane asks to move the focus to the pane with the id.
	focusPane struct{ id string }
	// copyText asks to put text on the clipboard (OSC 52); what names it
	// on the status line ("chat c4").
	copyText struct{ text, what string }
	// notice asks to show a message on the status line.
	notice struct {
		text  string
		isErr bool
	}
)

// filterable is a pane whose rows a text filter narrows.
type filterable interface {
	SetFilter(f string)
	Filter() string
}

// listKeys handles the keys every filterable list shares: / asks for the
// filter, esc clears it.
func listKeys(k tea.KeyPressMsg, keys *KeyMap, p interface {
	filterable
	Title() string
}) (bool, intent) {
	switch {
	case key.Matches(k, keys.Filter):
		return true, askText{placeholder: "filter " + strings.ToLower(p.Title()), value: p.Filter()}
	case key.Matches(k, keys.Back) && p.Filter() != "":
		p.SetFilter("")
		return true, nil
	}
	return false, nil
}

// filterChips is the chip that shows a pane's filter.
func filterChips(f string) []string {
	if f == "" {
		return nil
	}
	return []string{"filter: " + f}
}

// touch tells the pane's list, if it has one, that the user used it: a
// key or a click it handled.
func touch(p Pane) {
	if t, ok := p.(interface{ Touch() }); ok {
		t.Touch()
	}
}
