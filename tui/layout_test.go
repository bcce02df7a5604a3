package tui

import (
	"fmt"
	"strings"
	"testing"

	tea "charm.land/bubbletea/v2"
)

// TestClickEveryTab clicks the first, middle and last cell of every tab as
// drawn on the screen, in each layout, and expects that tab focused.
func TestClickEveryTab(t *testing.T) {
	for _, size := range [][2]int{{80, 24}, {120, 24}, {120, 40}, {200, 50}} {
		w := size[0]
		m := newModel(seeded(), nil, w, size[1])
		for i, p := range m.panes {
			lines := strings.Split(screen(m), "\n")
			tabs := []rune(lines[m.lay.tabsY])
			label := fmt.Sprintf(" %d %s", i+1, p.Title())
			start := strings.Index(string(tabs), label)
			if start < 0 {
				t.Fatalf("width %d: no tab %q in %q", w, label, string(tabs))
			}
			x0 := len([]rune(string(tabs)[:start])) // cells: the tab row is one cell a rune
			end := x0 + len([]rune(label))
			// The label ends with its count (if any) and a space.
			for end < len(tabs) && tabs[end] != ' ' {
				end++
			}
			for _, x := range []int{x0, (x0 + end) / 2, end} {
				m.setFocus((i + 1) % len(m.panes)) // away from the tab first
				next, _ := m.Update(tea.MouseClickMsg{X: x, Y: m.lay.tabsY})
				m = next.(Model)
				if m.focus != i {
					t.Errorf("width %d: click at x=%d on %q focused %q", w, x, label, m.focused().Title())
				}
			}
		}
	}
}
