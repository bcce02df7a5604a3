package tui

import (
	"strings"

	"charm.land/bubbles/v2/help"
	"charm.land/bubbles/v2/key"
	"charm.land/lipgloss/v2"
)

// keyHelp draws the footer's line of keys and the ? screen.
type keyHelp struct {
	Common
	model help.Model
}

func newKeyHelp(c *Context) keyHelp {
	h := keyHelp{model: help.New()}
	h.Context = c
	return h
}

// SetSize sets the width the help is drawn in.
func (h *keyHelp) SetSize(w, ht int) {
	h.Common.SetSize(w, ht)
	h.model.SetWidth(w)
}

// SetDark picks the styles for the background.
func (h *keyHelp) SetDark(dark bool) { h.model.Styles = help.DefaultStyles(dark) }

// Footer is one line: as many of the pane's keys as fit (… when some do
// not) beside the global keys, which always show.
func (h *keyHelp) Footer(pane, global []key.Binding) string {
	g := h.model.ShortHelpView(global)
	sep := h.model.Styles.ShortSeparator.Render(h.model.ShortSeparator)
	room := h.Width - lipgloss.Width(g) - lipgloss.Width(sep)
	pm := h.model
	pm.SetWidth(0) // cut here: help.Model overflows when its … does not fit
	for n := len(pane); n > 0; n-- {
		p := pm.ShortHelpView(pane[:n])
		if n < len(pane) {
			p += " " + pm.Styles.Ellipsis.Render(pm.Ellipsis)
		}
		if lipgloss.Width(p) <= room {
			return p + sep + g
		}
	}
	return g
}

// Screen is the full help, Height lines.
func (h *keyHelp) Screen(pane string, groups [][]key.Binding) string {
	t := &h.Theme
	out := t.Title.Render("chatdeck keys: "+pane) + t.Dim.Render("  (remap any in the config file's [keys] table; ? or esc closes)") + "\n\n"
	out += h.model.FullHelpView(groups)
	lines := strings.Split(out, "\n")
	return strings.Join(padLines(lines, h.Width, h.Height), "\n")
}
