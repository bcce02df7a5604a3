package tui

import (
	"fmt"
	"strings"

	"charm.land/lipgloss/v2"
)

// tabSpan is one tab's label and the columns it covers, [x0, x1).
type tabSpan struct {
	label  string
	x0, x1 int
}

// tabBar is the row of pane tabs and the chips of the filters in force.
// The labels are laid out once per frame, and the same spans draw them
// and map a click to its tab.
type tabBar struct {
	Common
	spans  []tabSpan
	active int
	chips  []string
}

// Layout places the tabs: each pane's number, title and count.
func (t *tabBar) Layout(panes []Pane, active int, chips []string) {
	t.spans, t.active, t.chips = t.spans[:0], active, chips
	x := 0
	for i, p := range panes {
		label := fmt.Sprintf(" %d %s", i+1, p.Title())
		if n, ok := p.Count(); ok {
			label += fmt.Sprintf(" %d", n)
		}
		label += " "
		w := lipgloss.Width(label)
		t.spans = append(t.spans, tabSpan{label: label, x0: x, x1: x + w})
		x += w
	}
}

// Hit is the tab at column x, or -1.
func (t *tabBar) Hit(x int) int {
	for i, s := range t.spans {
		if x >= s.x0 && x < s.x1 {
			return i
		}
	}
	return -1
}

// View is the tabs and the chips.
func (t *tabBar) View() string {
	var b strings.Builder
	for i, s := range t.spans {
		if i == t.active {
			b.WriteString(t.Theme.TabActive.Render(s.label))
		} else {
			b.WriteString(t.Theme.Tab.Render(s.label))
		}
	}
	for _, c := range t.chips {
		b.WriteString("  " + t.Theme.Info.Render(c))
	}
	return b.String()
}
