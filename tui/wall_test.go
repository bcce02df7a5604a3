package tui

import (
	"fmt"
	"os"
	"sort"
	"testing"
	"time"

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

func TestDumpWall(t *testing.T) {
	if os.Getenv("DUMP") == "" {
		t.Skip()
	}
	m := newModel(withHistory(), nil, 200, 50)
	fmt.Println(screen(m))
	m = press(m, "2")
	fmt.Println(screen(m))
	m = newModel(withHistory(), nil, 120, 40)
	fmt.Println(screen(m))
}
