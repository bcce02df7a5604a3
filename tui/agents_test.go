package tui

import (
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/chatdeck/chatdeck/ingest/board"
	"github.com/chatdeck/chatdeck/ingest/event"
)

// day0 is the constructed day's midnight (UTC, the board's zone).
var day0 = time.Date(2026, 11, 21, 0, 0, 0, 0, time.UTC)

func hour(h float64) time.Time { return day0.Add(time.Duration(h * float64(time.Hour))) }

// dayAgent is a board with one agent's day: unknown until 08:00, online,
// away at lunch 12:00–13:00, online, offline from 16:00; a chat taken at
// 13:10 (answered in 30 s, ten minutes long, rated good).
func dayAgent() *memSource {
	s := &memSource{b: board.New(board.Config{Capacity: 2, Location: time.UTC}), changed: make(chan struct{})}
	st := func(at time.Time, status event.AgentStatus, name string) event.Event {
		return event.Event{Source: event.Comm100, Kind: event.AgentStatusChanged, ReceivedAt: at,
			Agents: []event.Agent{{ID: "a1", Name: "Rita", Status: status, StatusName: name}}}
	}
	v := &event.Visitor{ID: "v1", Name: "Rosa"}
	s.apply(
		st(hour(8), event.AgentOnline, "Online"),
		st(hour(12), event.AgentAway, "Lunch"),
		st(hour(13), event.AgentOnline, "Online"),
		event.Event{Source: event.Comm100, Kind: event.ChatStarted, ChatID: "c9", ReceivedAt: hour(13 + 10.0/60), Visitor: v,
			Agents: []event.Agent{{ID: "a1"}}},
		event.Event{Source: event.Comm100, Kind: event.ChatEnded, ChatID: "c9", ReceivedAt: hour(13 + 20.0/60), Visitor: v,
			Rating: &event.Rating{Value: "5", Sentiment: event.Good},
			Messages: []event.Message{
				{At: hour(13 + 10.0/60), From: event.FromVisitor, Name: "Rosa", Text: "Hi"},
				{At: hour(13 + 10.0/60).Add(30 * time.Second), From: event.FromAgent, Name: "Rita", Text: "Hello Rosa"},
			}},
		st(hour(16), event.AgentOffline, "Offline"),
	)
	return s
}

// modelAt is the dashboard on s at the clock now, w x h.
func modelAt(s Source, now time.Time, w, h int) Model {
	m := New(Options{Source: s, Mode: "demo", Now: func() time.Time { return now }})
	next, _ := m.Update(tea.WindowSizeMsg{Width: w, Height: h})
	return next.(Model)
}

// paneLines are the focused pane's lines as drawn, without styles.
func paneLines(m Model) []string {
	lines := strings.Split(screen(m), "\n")
	return lines[m.lay.paneY : m.lay.paneY+m.lay.paneH]
}

// TestAgentColumnsAt80And160: the agents' figures today under their
// titles; at 80 columns ID gives way, at 60 SOURCE and CSAT too.
func TestAgentColumnsAt80And160(t *testing.T) {
	s := seeded()
	// Ann's chat ends, rated good (the vendor's count of her chats, from
	// the last poll, stays 1).
	s.apply(event.Event{Source: event.Comm100, Kind: event.ChatEnded, ChatID: "c4", ReceivedAt: sec(-10),
		Rating: &event.Rating{Value: "5", Sentiment: event.Good}})
	for _, tc := range []struct {
		w           int
		header, ann string
		absent      []string
	}{
		{160, "STATUS       NAME             FOR      CHATS  TODAY  1ST RESP  CSAT    SOURCE   ID",
			"online       Ann              10m00s   1/2    1      40s       +1 -0   comm100  a-ann", nil},
		{80, "STATUS       NAME             FOR      CHATS  TODAY  1ST RESP  CSAT    SOURCE",
			"online       Ann              10m00s   1/2    1      40s       +1 -0   comm100", []string{" ID", "a-ann"}},
		{60, "STATUS       NAME             FOR      CHATS  TODAY",
			"online       Ann              10m00s   1/2    1", []string{"1ST RESP", "CSAT", "SOURCE", "comm100"}},
	} {
		m := press(newModel(s, nil, tc.w, 24), "2")
		if tc.w >= 120 {
			m = press(m, "z") // the list alone, not beside the details
		}
		lines := paneLines(m)
		if got := strings.TrimRight(lines[0], " "); got != tc.header {
			t.Errorf("%d columns: header\n%q, want\n%q", tc.w, got, tc.header)
		}
		if got := strings.TrimRight(lines[1], " "); got != tc.ann {
			t.Errorf("%d columns: Ann's row\n%q, want\n%q", tc.w, got, tc.ann)
		}
		if got := strings.TrimRight(lines[2], " "); !strings.HasPrefix(got, "meeting      Bob              10m00s   0/2    0") {
			t.Errorf("%d columns: Bob's row %q", tc.w, got)
		}
		for _, bad := range tc.absent {
			if strings.Contains(strings.Join(lines[:5], "\n"), bad) {
				t.Errorf("%d columns: %q shown, which should give way", tc.w, bad)
			}
		}
		for i, l := range lines {
			if lipgloss.Width(l) != tc.w {
				t.Errorf("%d columns: line %d is %d wide", tc.w, i, lipgloss.Width(l))
			}
		}
	}
}

// TestTimelineBar: the constructed day drawn at each resolution, with its
// hour ticks; a blank for the hours not begun.
func TestTimelineBar(t *testing.T) {
	m := press(modelAt(dayAgent(), hour(18), 100, 40), "2")
	d := &m.agentsPane().detail
	if !d.ok || len(d.slots) != 72 {
		t.Fatalf("detail %v with %d slots, want 72 (18 h)", d.ok, len(d.slots))
	}
	for _, tc := range []struct {
		n          int
		bar, ticks string
	}{
		{24, "········████▒███░░      ", "0  3  6  9  12 15 18 21 "},
		// 12:00-14:00 is an hour away and an hour online: a tie, online.
		{12, "····████░   ", "0  6  12 18 "},
		{48, strings.Repeat("·", 16) + strings.Repeat("█", 8) + "▒▒" + "██████" + "░░░░" + strings.Repeat(" ", 12),
			"0   2   4   6   8   10  12  14  16  18  20  22  "},
		{96, strings.Repeat("·", 32) + strings.Repeat("█", 16) + "▒▒▒▒" + strings.Repeat("█", 12) + strings.Repeat("░", 8) + strings.Repeat(" ", 24), ""},
	} {
		if got := timelineBar(d.slots, tc.n); got != tc.bar {
			t.Errorf("bar in %d cells\n%q, want\n%q", tc.n, got, tc.bar)
		}
		if tc.ticks != "" {
			if got := timelineTicks(tc.n); got != tc.ticks {
				t.Errorf("ticks in %d cells %q, want %q", tc.n, got, tc.ticks)
			}
		}
	}
	// 12:00-12:30 away, 12:30-13:00 online: a tie goes to online.
	half := []event.AgentStatus{event.AgentAway, event.AgentAway, event.AgentOnline, event.AgentOnline}
	if got := timelineBar(half, 24); got != "█"+strings.Repeat(" ", 23) {
		t.Errorf("a tied hour %q, want online", got)
	}
	// The detail at 60 columns draws the 48-cell bar and its legend.
	lines := strings.Split(ansi.Strip(m.agentsPane().Detail(60, 30)), "\n")
	want := map[int]string{
		0: "Rita  offline for 2h00m",
		1: "comm100 · a1",
		3: "Today since Sat 21 Nov 00:00 UTC",
		4: strings.TrimRight(timelineBar(d.slots, 48), " "),
		5: strings.TrimRight(timelineTicks(48), " "),
		6: timelineLegend,
		7: "online 7h00m · away 1h00m (Lunch 1h00m) · offline 2h00m ·",
		8: "unknown 8h00m",
	}
	for i, w := range want {
		if got := strings.TrimRight(lines[i], " "); got != w {
			t.Errorf("detail line %d\n%q, want\n%q", i, got, w)
		}
	}
}

// TestAgentDetailFigures: the agent's numbers today and their recent chat.
func TestAgentDetailFigures(t *testing.T) {
	m := press(modelAt(dayAgent(), hour(18), 100, 40), "2")
	got := ansi.Strip(m.agentsPane().Detail(100, 40))
	for _, want := range []string{
		"Chats 1 today · now 0/2",
		"First response median 30s · p90 30s",
		"Duration median 10m00s",
		"CSAT 1 good · 0 bad",
		"Recent chats",
		"WHEN  CHAT      VISITOR       STATE   1ST RESP LASTED  CSAT",
		"13:10 c9        Rosa          ended   30s      10m00s  good",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("detail lacks %q:\n%s", want, got)
		}
	}
}

// TestAgentDetailFitsAnySize: the detail is exactly h lines of at most w
// cells, whatever the size, and nothing when no agent is selected.
func TestAgentDetailFitsAnySize(t *testing.T) {
	m := press(modelAt(dayAgent(), hour(18), 100, 40), "2")
	p := m.agentsPane()
	for w := 1; w <= 130; w += 3 {
		for _, h := range []int{1, 2, 5, 9, 17, 24, 40, 60} {
			d := p.Detail(w, h)
			lines := strings.Split(d, "\n")
			if len(lines) != h {
				t.Fatalf("%dx%d: %d lines", w, h, len(lines))
			}
			for i, l := range lines {
				if lw := lipgloss.Width(l); lw != w {
					t.Fatalf("%dx%d: line %d is %d wide: %q", w, h, i, lw, ansi.Strip(l))
				}
			}
		}
	}
	if p.Detail(0, 10) != "" || p.Detail(10, 0) != "" {
		t.Error("a detail in no room")
	}
	empty := press(newModel(newMemSource(), nil, 80, 24), "2")
	if got := empty.agentsPane().Detail(40, 10); got != "" {
		t.Errorf("a detail with no agent selected: %q", got)
	}
}

// TestEnterOpensAgentDetail: at 80x24, enter shows the selected agent's
// detail over the list; status keys still act on them; esc goes back.
func TestEnterOpensAgentDetail(t *testing.T) {
	s := seeded()
	rec := &recorder{}
	m := press(newModel(s, rec, 80, 24), "2", "j", "enter") // Bob
	sc := screen(m)
	for _, want := range []string{"Bob  meeting for 10m00s", "█ online  ▒ away  ░ offline  · unknown",
		"away 10m00s (Meeting 10m00s)", "No chats taken lately", "esc list"} {
		if !strings.Contains(sc, want) {
			t.Errorf("the detail lacks %q:\n%s", want, sc)
		}
	}
	if strings.Contains(sc, "STATUS       NAME") {
		t.Errorf("the list is still drawn:\n%s", sc)
	}
	m = press(m, "o")
	if len(rec.calls) != 1 || rec.calls[0] != "a-bob=online" {
		t.Errorf("o in the detail: calls %v, want a-bob=online", rec.calls)
	}
	m = press(m, "esc")
	if sc := screen(m); !strings.Contains(sc, "STATUS       NAME") {
		t.Errorf("esc did not go back to the list:\n%s", sc)
	}
	if a, _ := m.agentsPane().selectedAgent(); a.ID != "a-bob" {
		t.Errorf("selected %s after the detail, want Bob", a.ID)
	}
}

// TestStatusTimes: away by reason, longest first, reasons that differ only
// by case as one, and a lone "away" not repeated.
func TestStatusTimes(t *testing.T) {
	for _, tc := range []struct {
		by   map[string]float64
		want string
	}{
		{nil, "online 1h00m · away 0s · offline 0s · unknown 0s"},
		{map[string]float64{"": 60, "Away": 60}, "online 1h00m · away 2m00s · offline 0s · unknown 0s"},
		{map[string]float64{"Lunch": 1800, "Meeting": 3600, "away": 60, "Away": 60},
			"online 1h00m · away 1h32m (Meeting 1h00m, Lunch 30m00s, Away 2m00s) · offline 0s · unknown 0s"},
	} {
		p := board.AgentPeriod{OnlineSeconds: 3600, AwayByReason: tc.by}
		for _, s := range tc.by {
			p.AwaySeconds += s
		}
		if got := statusTimes(&p); got != tc.want {
			t.Errorf("%v:\n%q, want\n%q", tc.by, got, tc.want)
		}
	}
}
