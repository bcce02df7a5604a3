package tui

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/chatdeck/chatdeck/ingest/board"
	"github.com/chatdeck/chatdeck/ingest/event"
)

// historyEvents are an hour of traffic before seeded's: a chat asked for
// every four minutes from 60 minutes ago, in turn for Sales, Support and
// Billing, answered after waits of 15 s to 95 s, ended three minutes
// later; now and then two at once, so that the queue's trend moves.
func historyEvents() []event.Event {
	var evs []event.Event
	depts := []string{"Sales", "Support", "Billing"}
	for k := range 13 {
		at := t0.Add(-60*time.Minute + time.Duration(k)*4*time.Minute)
		n := 1 + k%3/2 // 1, 1, 2, 1, 1, 2, ...
		for j := range n {
			id := fmt.Sprintf("h%d-%d", k, j)
			wait := time.Duration(15+(k*17+j*40)%80) * time.Second
			dept := &event.Department{Name: depts[(k+j)%3]}
			v := &event.Visitor{ID: "hv" + id, Name: fmt.Sprintf("Visitor %d", 10*k+j)}
			evs = append(evs,
				event.Event{Source: event.Comm100, Kind: event.ChatRequested, ChatID: id, ReceivedAt: at, Visitor: v, Department: dept},
				event.Event{Source: event.Comm100, Kind: event.ChatStarted, ChatID: id, ReceivedAt: at.Add(wait), Visitor: v,
					Department: dept, Agents: []event.Agent{{ID: "a-ann"}}},
				event.Event{Source: event.Comm100, Kind: event.ChatEnded, ChatID: id, ReceivedAt: at.Add(wait + 3*time.Minute), Visitor: v})
		}
	}
	sort.SliceStable(evs, func(i, j int) bool { return evs[i].ReceivedAt.Before(evs[j].ReceivedAt) })
	return evs
}

// withHistory is seeded's board after an hour of history: trends to draw.
func withHistory() *memSource {
	s := newMemSource()
	s.apply(append(historyEvents(), seedEvents()...)...)
	return s
}

// TestLayoutBySize: the size picks the layout, and z shows the focused
// pane alone in any of them.
func TestLayoutBySize(t *testing.T) {
	for _, c := range []struct {
		w, h int
		want layoutKind
	}{{80, 24, layoutSingle}, {119, 50, layoutSingle}, {120, 24, layoutSide}, {179, 60, layoutSide},
		{200, 44, layoutSide}, {180, 45, layoutWall}, {200, 50, layoutWall}} {
		m := newModel(seeded(), nil, c.w, c.h)
		if m.lay.kind != c.want {
			t.Errorf("%dx%d: layout %s, want %s", c.w, c.h, m.lay.kind, c.want)
		}
		z := press(m, "z")
		s := screen(z)
		if z.lay.kind != layoutSingle || z.lay.pane.w != c.w || !strings.Contains(s, "zoomed (z returns)") ||
			strings.Contains(s, "ASA") || z.lay.headerRows != 1 {
			t.Errorf("%dx%d zoomed: layout %s, pane %d wide, header %d rows:\n%s", c.w, c.h, z.lay.kind, z.lay.pane.w, z.lay.headerRows, s)
		}
		if z = press(z, "z"); z.lay.kind != c.want {
			t.Errorf("%dx%d: z z gives %s", c.w, c.h, z.lay.kind)
		}
	}
}

// TestWallShowsTheFloorAtOnce: at 200x50 the queue, the agents, the
// chats, the KPI tiles with their trends and the departments are on the
// first screen, with no key pressed.
func TestWallShowsTheFloorAtOnce(t *testing.T) {
	m := newModel(withHistory(), nil, 200, 50)
	s := screen(m)
	for _, want := range []string{
		"▶1 Queue 3", " 2 Agents 4", " 3 Chats 22", " details: Queue",
		"1m35s!! comm100  Priya", "online       Ann", "meeting      Bob", "active  jivochat John", "active  comm100  Ana",
		"QUEUE", "LONGEST WAIT", "SL 30s", "ARRIVALS", "ASA", "ABANDON", "ACTIVE", "AGENTS", "UTIL", "CSAT", "TODAY",
		"1m35s!!", "14%!!", "21/h", "19 chats", "60m ▲3", "60m ▼9%",
		"DEPARTMENT     QUEUE  WAIT     ACTIVE  SL", " Billing        1      40s!     0       0%!!", " Support        0      0s       1       100%",
		"comm100 chat c1 · Priya · waiting · Sales",
	} {
		if !strings.Contains(s, want) {
			t.Errorf("the wall lacks %q:\n%s", want, s)
		}
	}
	// The queue's sparkline: the hour's points folded into the tile, the
	// queue of 3 now the tallest.
	lines := strings.Split(s, "\n")
	spark := lines[m.lay.band.y+2]
	q := strings.TrimSpace(strings.Split(spark, "│")[0])
	if n := len([]rune(q)); n < 12 || !strings.HasSuffix(q, "█") || !strings.ContainsAny(q, "▁▂▃") {
		t.Errorf("queue sparkline %q (%d cells)", q, n)
	}
	if len(lines) != 50 {
		t.Errorf("%d lines", len(lines))
	}
}

func TestSparkline(t *testing.T) {
	all := func(vs ...float64) series {
		s := series{vals: vs, known: make([]bool, len(vs))}
		for i := range s.known {
			s.known[i] = true
		}
		return s
	}
	if got := sparkline(all(0, 1, 2, 3, 4, 5, 6, 7), 8, 0, maxf); got != "▁▂▃▄▅▆▇█" {
		t.Errorf("ramp: %q", got)
	}
	if got := sparkline(all(1, 2), 5, 0, maxf); got != "   ▅█" {
		t.Errorf("short series not right-aligned: %q", got)
	}
	s := all(0, 9, 0, 0, 3, 0)
	s.known[0] = false
	if got := sparkline(s, 6, 0, maxf); got != " █▁▁▃▁" {
		t.Errorf("unknown point: %q", got)
	}
	// Folded: a one-minute peak survives in a narrower line (max), a dip
	// in a service level too (min).
	if got := sparkline(all(0, 0, 0, 8, 0, 0), 3, 0, maxf); got != "▁█▁" {
		t.Errorf("folded max: %q", got)
	}
	if got := sparkline(all(1, 1, 0.5, 1), 2, 1, minf); got != "█▅" {
		t.Errorf("folded min: %q", got)
	}
}

// TestWallClicks: a click on a cell's title focuses that pane; on one of
// its rows, focuses it and selects the row.
func TestWallClicks(t *testing.T) {
	m := newModel(withHistory(), nil, 200, 50)
	for c, id := range wallPanes {
		r := m.lay.cells[c]
		next, _ := m.Update(tea.MouseClickMsg{X: r.x + 5, Y: r.y})
		if m = next.(Model); m.focused().ID() != id {
			t.Errorf("click on cell %d's title focused %s, want %s", c, m.focused().ID(), id)
		}
	}
	r := m.lay.cells[0]
	next, _ := m.Update(tea.MouseClickMsg{X: r.x + 3, Y: r.y + 1 + 1 + 2}) // title, column header, third row
	if m = next.(Model); m.focused().ID() != "queue" {
		t.Fatalf("click on a queue row focused %s", m.focused().ID())
	}
	if e, _ := m.queuePane().Selected(); e.Name != "Mei" {
		t.Errorf("click on the third queue row selected %q, want Mei", e.Name)
	}
	if s := screen(m); !strings.Contains(s, "jivochat chat c3 · Mei") {
		t.Errorf("the details cell does not follow the click:\n%s", s)
	}
	// With the transcript focused, the fourth cell is the transcript, and
	// a click there goes to it.
	m = press(m, "4")
	if i := m.cellPane(3); i != m.paneByID("transcript") {
		t.Errorf("cell 3 shows pane %d with the transcript focused", i)
	}
	r = m.lay.cells[3]
	next, _ = m.Update(tea.MouseClickMsg{X: r.x + 3, Y: r.y})
	if m = next.(Model); m.focused().ID() != "transcript" {
		t.Errorf("click on cell 3's title with the transcript there focused %s", m.focused().ID())
	}
}

// TestWallSelectionSurvivesResorts: every list on the wall keeps its
// selected row's identity through re-sorts, focused or not.
func TestWallSelectionSurvivesResorts(t *testing.T) {
	s := withHistory()
	s.apply(event.Event{Source: event.Comm100, Kind: event.AgentStatusChanged, ReceivedAt: sec(-2),
		Agents: []event.Agent{{ID: "a-zed", Name: "Zed", Status: event.AgentOnline, StatusName: "Online"}}})
	rec := &recorder{}
	m := newModel(s, rec, 200, 50)
	m = press(m, "j") // the queue: Jonas
	m = press(m, "2", "a")
	if len(rec.calls) != 1 || rec.calls[0] != "a-ann=away" {
		t.Fatalf("calls %v", rec.calls)
	}
	m = applyAndRedraw(m, s,
		event.Event{Source: event.Comm100, Kind: event.AgentStatusChanged, ReceivedAt: sec(-1),
			Agents: []event.Agent{{ID: "a-ann", Name: "Ann", Status: event.AgentAway, StatusName: "Away"}}},
		event.Event{Source: event.Comm100, Kind: event.ChatRequested, ChatID: "c8", ReceivedAt: sec(-300), Visitor: &event.Visitor{ID: "v8", Name: "Old"}})
	if rows := m.agentsPane().Rows(); rows[0].Name != "Zed" || rows[1].Name != "Ann" {
		t.Fatalf("the agents did not re-sort: %s, %s", rows[0].Name, rows[1].Name)
	}
	if a, _ := m.agentsPane().selectedAgent(); a.ID != "a-ann" {
		t.Errorf("agents: selected %q after the re-sort, want Ann", a.Label)
	}
	if e, _ := m.queuePane().Selected(); e.Name != "Jonas" || m.queuePane().cursor != 2 {
		t.Errorf("queue (not focused): selected %q at row %d after an older arrival, want Jonas at 2", e.Name, m.queuePane().cursor)
	}
	m = press(m, "o")
	if len(rec.calls) != 2 || rec.calls[1] != "a-ann=online" {
		t.Errorf("the next key acted on %v, want a-ann=online", rec.calls)
	}
	if sc := screen(m); !strings.Contains(sc, "✓ Ann is now Online") {
		t.Errorf("the outcome does not name Ann:\n%s", sc)
	}
}

// clock is a settable clock for the model.
type clock struct{ now time.Time }

func (c *clock) Now() time.Time { return c.now }

// TestPauseFreezesTheScreen: p freezes what the screen shows (the rows,
// the numbers, the waits) while the board takes events; p again shows
// the live board.
func TestPauseFreezesTheScreen(t *testing.T) {
	s := withHistory()
	clk := &clock{now: t0}
	m := New(Options{Source: s, Mode: "demo", Now: clk.Now})
	next, _ := m.Update(tea.WindowSizeMsg{Width: 200, Height: 50})
	m = press(next.(Model), "p")
	before := screen(m)
	if !strings.Contains(before, "PAUSED at 14:00:00 · p resumes") || !m.paused {
		t.Fatalf("no PAUSED in the header:\n%s", before)
	}
	clk.now = t0.Add(10 * time.Second)
	s.apply(event.Event{Source: event.Chatlio, Kind: event.ChatRequested, ChatID: "late", ReceivedAt: clk.now, Visitor: &event.Visitor{ID: "vl", Name: "Latecomer"}})
	next, _ = m.Update(changedMsg{})
	next, _ = next.(Model).Update(tickMsg(clk.now))
	m = next.(Model)
	if s := screen(m); strings.Contains(s, "Latecomer") || !strings.Contains(s, "1m35s!! comm100  Priya") || !strings.Contains(s, "▶1 Queue 3") {
		t.Errorf("the paused screen moved:\n%s", s)
	}
	var n int
	s.Read(func(b *board.Board) { n = b.QueueLen() })
	if n != 4 {
		t.Errorf("the board has %d waiting: the data should keep arriving", n)
	}
	// Moving stays on the rows held; the focus can move to what was there.
	m = press(m, "G")
	if e, _ := m.queuePane().Selected(); e.Name != "Mei" {
		t.Errorf("G while paused selected %q, want Mei, the last row shown", e.Name)
	}
	m = press(m, "p")
	after := screen(m)
	if m.paused || strings.Contains(after, "PAUSED") || !strings.Contains(after, "Latecomer") || !strings.Contains(after, "1m45s!! comm100  Priya") {
		t.Errorf("resumed screen:\n%s", after)
	}
}

// TestDepartmentFilterOnTheWall: the tiles and the lists narrow to the
// department; the trends, which the board keeps for the site, say so.
func TestDepartmentFilterOnTheWall(t *testing.T) {
	m := press(newModel(withHistory(), nil, 200, 50), "d") // Billing
	s := screen(m)
	for _, want := range []string{"dept: Billing (not applied to agents, inbox, trends)", "all depts ▲3", "all depts ▼9%", "▶Billing",
		"▶1 Queue 1", " 3 Chats 5", "40s!    chatlio  Jonas", "SL 18% all depts"} {
		if !strings.Contains(s, want) {
			t.Errorf("the wall with Billing lacks %q:\n%s", want, s)
		}
	}
	if strings.Contains(s, "Priya") {
		t.Errorf("Priya (Sales) is on the Billing wall:\n%s", s)
	}
}

// TestSidePanelShowsTheSelectedRow: from 120 columns the selected chat's
// last messages are beside the list, and follow the selection.
func TestSidePanelShowsTheSelectedRow(t *testing.T) {
	m := newModel(seeded(), nil, 120, 30)
	m = press(m, "3", "j") // Ana's chat
	s := screen(m)
	for _, want := range []string{"│comm100 chat c4 · Ana · active · with Ann · ", "│Support ", "active · 3 messages · visitor silent 2m00s",
		"[13:55:10] Ana: My order is late", "[13:58:00] Ana: Thanks!", "enter opens the whole transcript"} {
		if !strings.Contains(s, want) {
			t.Errorf("side panel lacks %q:\n%s", want, s)
		}
	}
	if s := screen(press(m, "4")); !strings.Contains(s, "this pane has no details panel") {
		t.Errorf("a pane without details:\n%s", s)
	}
}

// TestLevelsMarkWithoutColour: the marks are in the text, whatever the
// colours.
func TestLevelsMarkWithoutColour(t *testing.T) {
	a := DefaultAlerts()
	sl := func(v float64) *float64 { return &v }
	for _, c := range []struct {
		got  level
		want string
	}{
		{waitLevel(a, 29*time.Second), ""}, {waitLevel(a, 30*time.Second), "!"}, {waitLevel(a, time.Minute), "!!"},
		{slLevel(a, sl(0.95)), ""}, {slLevel(a, sl(0.85)), "!"}, {slLevel(a, sl(0.79)), "!!"}, {slLevel(a, nil), ""},
		{utilLevel(sl(0.5)), ""}, {utilLevel(sl(0.8)), "!"}, {utilLevel(sl(0.95)), "!!"},
		{queueLevel(3, 0), "!!"}, {queueLevel(3, 1), ""},
	} {
		if c.got.mark() != c.want {
			t.Errorf("mark %q, want %q", c.got.mark(), c.want)
		}
	}
	th := NewTheme(true)
	if got := ansi.Strip(levelAlert.render(&th, th.Bold, "1m35s")); got != "1m35s!!" {
		t.Errorf("rendered %q", got)
	}
}

// TestDepartmentsCache: an unchanged board's departments are read once
// and their waits moved on with the clock; a change, or age, reads them
// again; each time equal to what the board says.
func TestDepartmentsCache(t *testing.T) {
	s := withHistory()
	var c deptCache
	check := func(now time.Time, what string) {
		t.Helper()
		s.Read(func(b *board.Board) {
			got, _ := json.Marshal(c.read(b, now, b.Cursor()))
			want, _ := json.Marshal(b.Departments(now))
			if string(got) != string(want) {
				t.Errorf("%s: cache %s\nboard %s", what, got, want)
			}
		})
	}
	check(t0, "first read")
	at := c.at
	check(t0.Add(2*time.Second), "2 s later")
	if c.at != at {
		t.Error("an unchanged board was read again after 2 s")
	}
	s.apply(event.Event{Source: event.Comm100, Kind: event.ChatRequested, ChatID: "new", ReceivedAt: t0.Add(3 * time.Second),
		Visitor: &event.Visitor{ID: "vn"}, Department: &event.Department{Name: "Sales"}})
	check(t0.Add(3*time.Second), "after a change")
	check(t0.Add(9*time.Second), "6 s after")
	if !c.at.Equal(t0.Add(9 * time.Second)) {
		t.Errorf("read at %v: the cache outlived its age", c.at)
	}
}
