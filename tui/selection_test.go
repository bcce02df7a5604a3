package tui

import (
	"strings"
	"testing"

	tea "charm.land/bubbletea/v2"

	"github.com/chatdeck/chatdeck/ingest/event"
)

// apply puts events on the board and lets the model see the change.
func applyAndRedraw(m Model, s *memSource, evs ...event.Event) Model {
	s.apply(evs...)
	next, _ := m.Update(changedMsg{})
	return next.(Model)
}

// TestSelectionFollowsAgentAcrossResort: after a on an agent whose new
// status re-sorts the list, the next key acts on the same agent.
func TestSelectionFollowsAgentAcrossResort(t *testing.T) {
	s := seeded()
	s.apply(event.Event{Source: event.Comm100, Kind: event.AgentStatusChanged, ReceivedAt: sec(-500),
		Agents: []event.Agent{{ID: "a-zed", Name: "Zed", Status: event.AgentOnline, StatusName: "Online"}}})
	rec := &recorder{}
	m := newModel(s, rec, 100, 24)
	m = press(m, "2", "a") // Ann, the first online agent
	if len(rec.calls) != 1 || rec.calls[0] != "a-ann=away" {
		t.Fatalf("calls %v", rec.calls)
	}
	// The API's change comes back as an event: Ann is away, below Zed.
	m = applyAndRedraw(m, s, event.Event{Source: event.Comm100, Kind: event.AgentStatusChanged, ReceivedAt: sec(-1),
		Agents: []event.Agent{{ID: "a-ann", Name: "Ann", Status: event.AgentAway, StatusName: "Away"}}})
	if rows := m.agentsPane().Rows(); rows[0].Name != "Zed" || rows[1].Name != "Ann" {
		t.Fatalf("the list did not re-sort: %s, %s", rows[0].Name, rows[1].Name)
	}
	if a, _ := m.agentsPane().selectedAgent(); a.ID != "a-ann" {
		t.Errorf("selected %q after the re-sort, want Ann", a.Label)
	}
	m = press(m, "o")
	if len(rec.calls) != 2 || rec.calls[1] != "a-ann=online" {
		t.Errorf("the next key acted on %v, want a-ann=online", rec.calls)
	}
	if sc := screen(m); !strings.Contains(sc, "✓ Ann is now Online") {
		t.Errorf("the outcome does not name Ann:\n%s", sc)
	}
}

// TestSelectionSurvivesArrivalsAndMovesOnWhenItLeaves: a visitor stays
// selected as others arrive ahead of them; when they leave the queue the
// selection moves to the neighbour and the status line says so.
func TestSelectionSurvivesArrivalsAndMovesOnWhenItLeaves(t *testing.T) {
	s := seeded()
	m := newModel(s, nil, 100, 24)
	m = press(m, "j") // Jonas, second longest wait
	// Two visitors who have waited longer (a poll found them late) go ahead.
	m = applyAndRedraw(m, s,
		event.Event{Source: event.Comm100, Kind: event.ChatRequested, ChatID: "c8", ReceivedAt: sec(-300), Visitor: &event.Visitor{ID: "v8", Name: "Old"}},
		event.Event{Source: event.Comm100, Kind: event.ChatRequested, ChatID: "c9", ReceivedAt: sec(-200), Visitor: &event.Visitor{ID: "v9", Name: "Older"}})
	if e, ok := m.queuePane().Selected(); !ok || e.Name != "Jonas" {
		t.Fatalf("selected %+v after arrivals, want Jonas", e)
	}
	if got := m.queuePane().cursor; got != 3 {
		t.Errorf("Jonas is row %d, want 3", got)
	}
	// Jonas is answered: he leaves the queue; Mei takes his place.
	m = applyAndRedraw(m, s, event.Event{Source: event.Chatlio, Kind: event.ChatStarted, ChatID: "c2", ReceivedAt: sec(-1),
		Agents: []event.Agent{{ID: "7"}}})
	if e, ok := m.queuePane().Selected(); !ok || e.Name != "Mei" {
		t.Errorf("selected %+v after Jonas left, want Mei", e)
	}
	if sc := screen(m); !strings.Contains(sc, "Jonas is no longer in the queue: selected Mei") {
		t.Errorf("the move is not said:\n%s", sc)
	}
	// An explicit move follows the cursor again.
	m = press(m, "k")
	if e, _ := m.queuePane().Selected(); e.Name != "Priya" {
		t.Errorf("k selected %q, want Priya", e.Name)
	}
}

// TestClickSelectsThatRowsIdentity: a click picks a row, and the selection
// then follows that row.
func TestClickSelectsThatRowsIdentity(t *testing.T) {
	s := seeded()
	m := newModel(s, nil, 100, 24)
	next, _ := m.Update(tea.MouseClickMsg{X: 3, Y: m.lay.paneY + 1 + 2}) // the third row: Mei
	m = next.(Model)
	m = applyAndRedraw(m, s, event.Event{Source: event.Comm100, Kind: event.ChatRequested, ChatID: "c8", ReceivedAt: sec(-300), Visitor: &event.Visitor{ID: "v8", Name: "Old"}})
	if e, _ := m.queuePane().Selected(); e.Name != "Mei" {
		t.Errorf("selected %q, want Mei", e.Name)
	}
}

// TestUntouchedListShowsItsTop: a list nobody has used keeps its first row
// selected as rows arrive ahead of it (on the wall, the unfocused lists
// show their top); once a key moved in it, the selection follows the row.
func TestUntouchedListShowsItsTop(t *testing.T) {
	s := seeded()
	m := newModel(s, nil, 100, 24)
	first, ok := m.queuePane().Selected()
	if !ok {
		t.Fatal("no queue row selected")
	}
	older := event.Event{Source: event.Comm100, Kind: event.ChatRequested, ChatID: "c8", ReceivedAt: sec(-300), Visitor: &event.Visitor{ID: "v8", Name: "Old"}}
	m = applyAndRedraw(m, s, older)
	if e, _ := m.queuePane().Selected(); e.Name != "Old" {
		t.Errorf("untouched queue: selected %q after a longer wait arrived, want the new top, Old (was %q)", e.Name, first.Name)
	}
	if p := m.queuePane().Position(); !strings.HasPrefix(p, "1/") {
		t.Errorf("untouched queue at %s, want 1/…", p)
	}
	m = press(m, "j", "k") // used: back on Old, now followed
	m = applyAndRedraw(m, s, event.Event{Source: event.Comm100, Kind: event.ChatRequested, ChatID: "c9", ReceivedAt: sec(-400), Visitor: &event.Visitor{ID: "v9", Name: "Older"}})
	if e, _ := m.queuePane().Selected(); e.Name != "Old" {
		t.Errorf("used queue: selected %q after Older arrived ahead, want Old still", e.Name)
	}
}
