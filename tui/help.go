package tui

import (
	"strings"

	"charm.land/bubbles/v2/help"
	"charm.land/bubbles/v2/key"
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

// Footer is one line of keys.
func (h *keyHelp) Footer(keys []key.Binding) string { return h.model.ShortHelpView(keys) }

// Screen is the full help, Height lines.
func (h *keyHelp) Screen(groups [][]key.Binding) string {
	t := &h.Theme
	out := t.Title.Render("chatdeck keys") + t.Dim.Render("  (remap any in the config file's [keys] table; ? or esc closes)") + "\n\n"
	out += h.model.FullHelpView(groups)
	lines := strings.Split(out, "\n")
	return strings.Join(padLines(lines, h.Width, h.Height), "\n")
}
