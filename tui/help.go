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

// Footer is one line: the pane's keys, cut to what room the global keys
// leave, then the global keys, which always show.
func (h *keyHelp) Footer(pane, global []key.Binding) string {
	g := h.model.ShortHelpView(global)
	sep := h.model.Styles.ShortSeparator.Render(h.model.ShortSeparator)
	pm := h.model
	pm.SetWidth(max(h.Width-lipgloss.Width(g)-lipgloss.Width(sep), 1))
	p := pm.ShortHelpView(pane)
	if p == "" || lipgloss.Width(p)+lipgloss.Width(sep)+lipgloss.Width(g) > h.Width {
		return g
	}
	return p + sep + g
}

// Screen is the full help, Height lines: the keys, then where the server
// answers (server lines), so that they stay on screen however tall the keys.
func (h *keyHelp) Screen(pane string, groups [][]key.Binding, server []string) string {
	t := &h.Theme
	out := t.Title.Render("chatdeck keys: "+pane) + t.Dim.Render("  (remap any in the config file's [keys] table; ? or esc closes)") + "\n\n"
	out += h.model.FullHelpView(groups)
	lines := strings.Split(out, "\n")
	if len(server) > 0 {
		room := max(h.Height-len(server)-1, 1)
		if len(lines) > room {
			lines = lines[:room]
		}
		lines = append(lines, "")
		for _, s := range server {
			lines = append(lines, t.Dim.Render(s))
		}
	}
	return strings.Join(padLines(lines, h.Width, h.Height), "\n")
}

// serverLines say where the JSON API answers and where its token is, for
// the help screen: what a script or another terminal needs to watch too.
func serverLines(mode, baseURL, tokenFile string) []string {
	if baseURL == "" {
		return nil
	}
	var lines []string
	if mode == "attach" {
		lines = append(lines, "attached to "+baseURL)
	} else {
		lines = append(lines, "API      "+baseURL+"  (attach: chatdeck attach "+baseURL+")")
	}
	switch {
	case tokenFile != "":
		lines = append(lines, "token    "+tokenFile,
			`example  curl -H "Authorization: Bearer $(cat `+tokenFile+`)" `+baseURL+"/v1/board")
	case mode != "attach":
		lines = append(lines, "token    given by --token or CHATDECK_TOKEN (not kept in a file)")
	}
	return lines
}
