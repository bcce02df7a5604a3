package tui

import (
	"fmt"
	"strings"
	"testing"
)

// lastLine is the footer.
func lastLine(s string) string {
	lines := strings.Split(s, "\n")
	return lines[len(lines)-1]
}

// TestFooterShowsThePanesKeysAndAlwaysHelpAndQuit: each pane's footer
// offers its own keys only, and ? help and q quit are never cut.
func TestFooterShowsThePanesKeysAndAlwaysHelpAndQuit(t *testing.T) {
	own := map[string][]string{"queue": {"enter open", "t tag visitor"}, "agents": {"a set away"},
		"chats": {"enter open"}, "transcript": {"/ search"}, "inbox": {"/ filter"}}
	notHere := map[string][]string{"queue": {"set away"}, "agents": {"enter open", "tag"},
		"chats": {"set away"}, "transcript": {"set away", "enter open"}, "inbox": {"set away", "enter open"}}
	for _, w := range []int{50, 80, 160} {
		m := newModel(seeded(), nil, w, 24)
		for i, p := range m.panes {
			m.setFocus(i)
			f := lastLine(screen(m))
			for _, want := range []string{"? help", "q quit"} {
				if !strings.Contains(f, want) {
					t.Errorf("%s at %d columns: footer %q lacks %q", p.ID(), w, f, want)
				}
			}
			if w < 80 {
				continue
			}
			for _, want := range own[p.ID()] {
				if !strings.Contains(f, want) {
					t.Errorf("%s at %d columns: footer %q lacks %q", p.ID(), w, f, want)
				}
			}
			for _, bad := range notHere[p.ID()] {
				if strings.Contains(f, bad) {
					t.Errorf("%s at %d columns: footer %q offers %q, which does nothing there", p.ID(), w, f, bad)
				}
			}
		}
	}
}

// TestHelpShowsThePanesKeys: ? lists the focused pane's keys and the
// global ones, not other panes'.
func TestHelpShowsThePanesKeys(t *testing.T) {
	m := newModel(seeded(), nil, 100, 30)
	s := screen(press(m, "1", "?"))
	if !strings.Contains(s, "Queue and everywhere") || !strings.Contains(s, "open") || strings.Contains(s, "set away") ||
		!strings.Contains(s, "department") || !strings.Contains(s, "quit") {
		t.Errorf("queue help:\n%s", s)
	}
	s = screen(press(m, "esc", "2", "?"))
	if !strings.Contains(s, "set away") || !strings.Contains(s, "pick status") || strings.Contains(s, "tag visitor") {
		t.Errorf("agents help:\n%s", s)
	}
}

// TestHeaderWrapsRatherThanDrops: at 80 columns every headline number is
// on screen, on a second line of numbers.
func TestHeaderWrapsRatherThanDrops(t *testing.T) {
	for _, w := range []int{50, 80, 120} {
		s := screen(newModel(seeded(), nil, w, 24))
		for _, want := range []string{"Queue 3", "Wait 1m35s", "SL ", "ASA", "Active 2", "Agents 1/1/4", "Util", "CSAT", "Aband 0%", "Today 2 chats"} {
			if !strings.Contains(s, want) {
				t.Errorf("at %d columns the header lacks %q:\n%s", w, want, s)
			}
		}
		if lines := strings.Split(s, "\n"); len(lines) != 24 {
			t.Errorf("at %d columns the screen has %d lines", w, len(lines))
		}
	}
}

// tabCount is the number on pane i's tab, as drawn.
func tabCount(t *testing.T, m Model, i int) string {
	t.Helper()
	tabs := strings.Split(screen(m), "\n")[m.lay.tabsY]
	label := fmt.Sprintf(" %d %s ", i+1, m.panes[i].Title())
	at := strings.Index(tabs, label)
	if at < 0 {
		t.Fatalf("no tab %q in %q", label, tabs)
	}
	rest := tabs[at+len(label):]
	n, _, _ := strings.Cut(rest, " ")
	return n
}

// TestTabCountsEqualRowsShown: every list's tab counts the rows the pane
// shows, with no filter, a department and a text filter.
func TestTabCountsEqualRowsShown(t *testing.T) {
	check := func(m Model, what string) {
		t.Helper()
		for _, id := range []string{"queue", "agents", "chats", "inbox"} {
			i := m.paneByID(id)
			before := tabCount(t, m, i) // counted while another pane has the focus
			m.setFocus(i)
			shown := fmt.Sprint(m.total())
			if got := tabCount(t, m, i); got != shown || before != shown {
				t.Errorf("%s, %s: tab says %s (unfocused %s), the pane shows %s rows", what, id, got, before, shown)
			}
			m.setFocus(m.paneByID("transcript"))
		}
	}
	m := newModel(seeded(), nil, 120, 30)
	m.setFocus(m.paneByID("transcript"))
	check(m, "no filter")
	if got := tabCount(t, m, m.paneByID("chats")); got != "5" {
		t.Errorf("the Chats tab says %s, want all 5 chats it lists", got)
	}
	m.ctx.Dept = "Billing"
	m.refresh()
	check(m, "department Billing")
	m.ctx.Dept = ""
	m.queuePane().SetFilter("m")
	m.refresh()
	check(m, "filter m")
}

// TestDepartmentFilterNarrowsNumbers: with a department set, the queue,
// wait and active chats in the header are the department's, the rest say
// they are for all departments; panes without departments say so.
func TestDepartmentFilterNarrowsNumbers(t *testing.T) {
	m := newModel(seeded(), nil, 160, 30)
	m = press(m, "d") // Billing, the first in order
	s := screen(m)
	for _, want := range []string{"Billing: Queue 1  Wait 40s!  Active 0", "│ all departments: SL", " 1 Queue 1 ", " 3 Chats 1 ", "dept: Billing"} {
		if !strings.Contains(s, want) {
			t.Errorf("screen lacks %q:\n%s", want, s)
		}
	}
	s = screen(press(m, "2"))
	if !strings.Contains(s, "dept: Billing (not applied here: agents have no department)") || !strings.Contains(s, " 2 Agents 4 ") {
		t.Errorf("agents with a department:\n%s", s)
	}
	m = press(m, "1", "esc")
	if s := screen(m); strings.Contains(s, "all departments") || !strings.Contains(s, "Queue 3  Wait 1m35s") {
		t.Errorf("esc did not clear the department:\n%s", s)
	}
}

// TestFooterAndHelpOfferTheNewKeys: copy, sort and the full views are
// offered where they work and not where they do not; an open detail
// offers its own keys.
func TestFooterAndHelpOfferTheNewKeys(t *testing.T) {
	m := newModel(seeded(), nil, 160, 24)
	own := map[string][]string{"queue": {"y copy", "S sort", "enter open"}, "agents": {"enter details", "y copy", "S sort"},
		"chats": {"y copy", "S sort"}, "transcript": {"y copy"}, "inbox": {"enter read", "y copy", "S sort"}}
	for i, p := range m.panes {
		m.setFocus(i)
		f := lastLine(screen(m))
		for _, want := range own[p.ID()] {
			if !strings.Contains(f, want) {
				t.Errorf("%s: footer %q lacks %q", p.ID(), f, want)
			}
		}
		if p.ID() == "transcript" && strings.Contains(f, "sort") {
			t.Errorf("transcript: footer %q offers sort", f)
		}
	}
	m = press(m, "2", "enter")
	f := lastLine(screen(m))
	if !strings.HasPrefix(f, "esc list • o set online") || strings.Contains(f, "sort") || strings.Contains(f, "filter") {
		t.Errorf("agent detail: footer %q", f)
	}
	s := screen(press(m, "esc", "?"))
	for _, want := range []string{"details", "copy", "sort", "reverse"} {
		if !strings.Contains(s, want) {
			t.Errorf("agents help lacks %q:\n%s", want, s)
		}
	}
	s = screen(press(m, "esc", "4", "?"))
	if strings.Contains(s, "reverse") || !strings.Contains(s, "copy") {
		t.Errorf("transcript help:\n%s", s)
	}
}
