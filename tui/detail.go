package tui

import (
	"fmt"
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
)

// detailView shows a pane's selected row in full, over the pane: opened
// with enter, closed with esc, scrolled with the movement keys when the
// details are longer than the pane. lines draws them at a width.
type detailView struct {
	Common
	open  bool
	top   int
	lines func(w int) []string
}

// Open shows the details from their first line.
func (d *detailView) Open() { d.open, d.top = true, 0 }

// Close goes back to the list.
func (d *detailView) Close() { d.open = false }

// content is the details at the view's width, without trailing blanks.
func (d *detailView) content() []string {
	ls := d.lines(d.Width)
	for len(ls) > 0 && strings.TrimSpace(ls[len(ls)-1]) == "" {
		ls = ls[:len(ls)-1]
	}
	return ls
}

// scroll moves by n lines, within the details.
func (d *detailView) scroll(n int) {
	d.top = min(max(d.top+n, 0), max(len(d.content())-d.Height, 0))
}

// Update handles esc and the movement keys; false for any other message.
func (d *detailView) Update(msg tea.Msg) bool {
	k := &d.Keys
	if msg, ok := msg.(tea.KeyPressMsg); ok && key.Matches(msg, k.Back) {
		d.Close()
		return true
	}
	if n, ok := k.movement(msg, d.Height); ok {
		d.scroll(n)
		return true
	}
	return false
}

// Position is "12/40": the last line shown and the lines, when they are
// more than the view shows.
func (d *detailView) Position() string {
	n := len(d.content())
	if n <= d.Height {
		return ""
	}
	return fmt.Sprintf("%d/%d", min(d.top+d.Height, n), n)
}

// View draws the details from the top line shown: Height lines of Width.
func (d *detailView) View() string {
	ls := d.content()
	d.top = min(d.top, max(len(ls)-d.Height, 0))
	return strings.Join(padLines(ls[d.top:], d.Width, d.Height), "\n")
}

// detailLines gathers a detail's lines, each fitted to its width w.
type detailLines struct {
	w   int
	out []string
}

// add is one line, cut to the width.
func (d *detailLines) add(s string) { d.out = append(d.out, fit(s, d.w)) }

// wrap is s wrapped to the width, a line a row.
func (d *detailLines) wrap(s string) {
	for _, l := range strings.Split(ansi.Wrap(s, max(d.w, 1), " "), "\n") {
		d.add(l)
	}
}
