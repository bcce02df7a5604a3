package tui

import (
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/charmbracelet/x/ansi"

	"github.com/chatdeck/chatdeck/ingest/board"
	"github.com/chatdeck/chatdeck/ingest/event"
)

// queueNames is the queue's visitors in the order shown.
func queueNames(m Model) string {
	var names []string
	for _, e := range m.queuePane().Rows() {
		names = append(names, e.Name)
	}
	return strings.Join(names, ",")
}

// TestSortCyclesColumnsWithMarker: S sorts by each column in turn (in its
// first direction), then the board's order again; R reverses; the header
// marks the column and the direction.
func TestSortCyclesColumnsWithMarker(t *testing.T) {
	m := newModel(seeded(), nil, 100, 24)
	steps := []struct {
		key, header, order string
	}{
		{"", "WAIT    SOURCE   VISITOR             DEPARTMENT   FIRST MESSAGE", "Priya,Jonas,Mei"},
		{"S", "WAIT▼   SOURCE   VISITOR             DEPARTMENT   FIRST MESSAGE", "Priya,Jonas,Mei"},
		{"R", "WAIT▲   SOURCE   VISITOR             DEPARTMENT   FIRST MESSAGE", "Mei,Jonas,Priya"},
		{"S", "WAIT    SOURCE▲  VISITOR             DEPARTMENT   FIRST MESSAGE", "Jonas,Priya,Mei"},
		{"R", "WAIT    SOURCE▼  VISITOR             DEPARTMENT   FIRST MESSAGE", "Mei,Priya,Jonas"},
		{"S", "WAIT    SOURCE   VISITOR▲            DEPARTMENT   FIRST MESSAGE", "Jonas,Mei,Priya"},
		{"S", "WAIT    SOURCE   VISITOR             DEPARTMENT▲  FIRST MESSAGE", "Mei,Jonas,Priya"},
		{"S", "WAIT    SOURCE   VISITOR             DEPARTMENT   FIRST MESSAGE▲", "Priya,Mei,Jonas"},
		{"S", "WAIT    SOURCE   VISITOR             DEPARTMENT   FIRST MESSAGE", "Priya,Jonas,Mei"},
		{"R", "WAIT    SOURCE   VISITOR             DEPARTMENT   FIRST MESSAGE", "Mei,Jonas,Priya"},
	}
	for i, st := range steps {
		if st.key != "" {
			m = press(m, st.key)
		}
		if got := strings.TrimRight(paneLines(m)[0], " "); got != st.header {
			t.Errorf("step %d (%s): header %q, want %q", i, st.key, got, st.header)
		}
		if got := queueNames(m); got != st.order {
			t.Errorf("step %d (%s): order %s, want %s", i, st.key, got, st.order)
		}
	}
	// The board's order reversed has no column to mark: a chip says so.
	if tabs := strings.Split(screen(m), "\n")[m.lay.tabsY]; !strings.Contains(tabs, "order reversed") {
		t.Errorf("tabs %q lack the reversed order's chip", tabs)
	}
	// Agents by chats today, most first; ties in the board's order.
	m = press(m, "2", "S", "S", "S", "S", "S")
	var got []string
	for _, a := range m.agentsPane().Rows() {
		got = append(got, a.Name)
	}
	if strings.Join(got, ",") != "Ann,Thomas,Bob,Cy" {
		t.Errorf("agents by chats today: %v", got)
	}
	if h := paneLines(m)[0]; !strings.Contains(h, "TODAY▼") {
		t.Errorf("agents header %q lacks TODAY▼", h)
	}
	if h := paneLines(press(m, "S"))[0]; !strings.Contains(h, "TODAY  1ST RESP▲ CSAT") {
		t.Errorf("agents header %q lacks 1ST RESP▲", h)
	}
	// A title as wide as its column is cut to keep its mark.
	var l List[board.QueueEntry]
	l.Context = &Context{Theme: NewTheme(true), Keys: DefaultKeyMap()}
	l.Columns = []Column[board.QueueEntry]{{Title: "DEPARTMENT", Width: 8, Cmp: func(a, b *board.QueueEntry) int { return 0 }}, {Title: "X"}}
	l.SetSize(20, 2)
	l.nextSort()
	if h := ansi.Strip(l.header(l.shown(), l.widths(l.shown()))); h != "DEPAR…▲ X" {
		t.Errorf("a cut title's mark: %q", h)
	}
}

// TestSelectionKeptAfterSort: the selected visitor stays selected as the
// list is re-sorted and as others arrive into the sorted list.
func TestSelectionKeptAfterSort(t *testing.T) {
	s := seeded()
	m := newModel(s, nil, 100, 24)
	m = press(m, "j") // Jonas
	check := func(what string, at int) {
		t.Helper()
		if e, ok := m.queuePane().Selected(); !ok || e.Name != "Jonas" {
			t.Errorf("%s: selected %+v, want Jonas", what, e)
		}
		if got := m.queuePane().cursor; got != at {
			t.Errorf("%s: Jonas on row %d, want %d", what, got, at)
		}
	}
	m = press(m, "S", "R") // shortest wait first: Mei, Jonas, Priya
	check("by wait, shortest first", 1)
	m = press(m, "S") // by source: Jonas (chatlio) first
	check("by source", 0)
	m = press(m, "S") // by visitor: Jonas, Mei, Priya
	m = applyAndRedraw(m, s, event.Event{Source: event.Comm100, Kind: event.ChatRequested, ChatID: "c8", ReceivedAt: sec(-1),
		Visitor: &event.Visitor{ID: "v8", Name: "Aaron"}})
	if got := queueNames(m); got != "Aaron,Jonas,Mei,Priya" {
		t.Fatalf("by visitor after Aaron arrived: %s", got)
	}
	check("by visitor, Aaron ahead", 1)
	// A move after a sort moves in the sorted order.
	m = press(m, "j")
	if e, _ := m.queuePane().Selected(); e.Name != "Mei" {
		t.Errorf("j after the sort selected %s, want Mei", e.Name)
	}
}

// TestSortedListReadsAllRowsOnlyWhenSorted: in the board's order a frame
// reads the page only; sorted, it reads every row once, and again only
// when the stamp (the board's cursor, the filters, the minute) or the sort
// changes.
func TestSortedListReadsAllRowsOnlyWhenSorted(t *testing.T) {
	var l List[board.QueueEntry]
	l.Context = &Context{Keys: DefaultKeyMap()}
	l.Columns = []Column[board.QueueEntry]{{Title: "WAIT", Width: 8, Cmp: func(a, b *board.QueueEntry) int {
		return strings.Compare(a.Name, b.Name)
	}}}
	l.SetSize(40, 3) // a header and two rows
	rows := []board.QueueEntry{{Name: "c"}, {Name: "a"}, {Name: "b"}}
	fetched, scanned := 0, 0
	fetch := func(offset, limit int) (int, []board.QueueEntry) {
		fetched++
		end := min(offset+limit, len(rows))
		return len(rows), rows[offset:end]
	}
	scan := func(visit func(*board.QueueEntry)) {
		scanned++
		for i := range rows {
			visit(&rows[i])
		}
	}
	page := func() string {
		var s []string
		for _, r := range l.Rows() {
			s = append(s, r.Name)
		}
		return strings.Join(s, ",")
	}
	l.stamp = 1
	l.Load(fetch, scan)
	if fetched != 1 || scanned != 0 || page() != "c,a" {
		t.Errorf("board order: %d fetches, %d scans, page %s", fetched, scanned, page())
	}
	l.nextSort()
	fetched, scanned = 0, 0
	l.Load(fetch, scan)
	if fetched != 0 || scanned != 1 || l.Total() != 3 || page() != "a,b" {
		t.Errorf("sorted: %d fetches, %d scans, %d rows, page %s", fetched, scanned, l.Total(), page())
	}
	l.Load(fetch, scan) // the next frame, nothing changed
	if scanned != 1 || page() != "a,b" {
		t.Errorf("a frame with the same stamp read the rows again (%d scans), page %s", scanned, page())
	}
	rows = append(rows, board.QueueEntry{Name: "0"})
	l.stamp = 2 // the board changed
	l.Load(fetch, scan)
	if scanned != 2 || l.Total() != 4 || page() != "0,a" {
		t.Errorf("after a change: %d scans, %d rows, page %s", scanned, l.Total(), page())
	}
	l.reverseSort()
	l.Load(fetch, scan)
	if scanned != 3 || page() != "c,b" {
		t.Errorf("reversed: %d scans, page %s", scanned, page())
	}
	l.nextSort() // back to the board's order: the rows kept are let go
	l.Load(fetch, scan)
	if l.sorted.all != nil || page() != "c,a" {
		t.Errorf("unsorted: cache %v, page %s", l.sorted.all, page())
	}
}

// TestSortedQueueWaitsRunWithTheClock: a sorted queue read once shows the
// waits of the frame's clock on the next tick.
func TestSortedQueueWaitsRunWithTheClock(t *testing.T) {
	s := seeded()
	now := t0
	m := New(Options{Source: s, Mode: "demo", Now: func() time.Time { return now }})
	next, _ := m.Update(tea.WindowSizeMsg{Width: 100, Height: 24})
	m = press(next.(Model), "S", "S") // by source
	if got := paneLines(m)[1]; !strings.HasPrefix(got, "40s!    chatlio  Jonas") {
		t.Fatalf("first row %q", got)
	}
	now = t0.Add(5 * time.Second)
	next, _ = m.Update(tickMsg(now))
	m = next.(Model)
	if got := paneLines(m)[1]; !strings.HasPrefix(got, "45s!    chatlio  Jonas") {
		t.Errorf("after 5 s the first row is %q, want Jonas at 45s", got)
	}
}
