package board_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/chatdeck/chatdeck/fixtures/traffic"
	"github.com/chatdeck/chatdeck/ingest/board"
	"github.com/chatdeck/chatdeck/ingest/event"
)

var day = time.Date(2025, 3, 4, 0, 0, 0, 0, time.UTC)

func status(id string, s event.AgentStatus, name string, recv, vendor time.Time) *event.Event {
	return &event.Event{Source: event.Comm100, Kind: event.AgentStatusChanged, ReceivedAt: recv, OccurredAt: vendor,
		Agents: []event.Agent{{ID: id, Name: "Ann", Status: s, StatusName: name}}}
}

func agentView(t *testing.T, b *board.Board, now time.Time, id string) board.Agent {
	t.Helper()
	for _, a := range b.View(now).Agents {
		if a.ID == id {
			if a.Today == nil || a.Window == nil {
				t.Fatalf("agent %s without today/window figures", id)
			}
			return a
		}
	}
	t.Fatalf("no agent %s", id)
	return board.Agent{}
}

// TestAgentStatusTime: time in each status, by reason, with unknown before
// the first presence source spoke, a status carried over midnight, a late
// status change placed when it happened, and a restart in the middle.
func TestAgentStatusTime(t *testing.T) {
	h := func(x float64) time.Time { return day.Add(time.Duration(x * float64(time.Hour))) }
	cfg := board.DefaultConfig()
	cfg.Location = time.UTC
	b := board.New(cfg)
	b.Apply(status("a1", event.AgentOnline, "Online", h(-2), time.Time{})) // yesterday 22:00
	b.Apply(status("a1", event.AgentAway, "Meeting", h(9), time.Time{}))   // 09:00
	b.Apply(status("a1", event.AgentAway, "Lunch", h(12), time.Time{}))    // 12:00
	b.Apply(status("a1", event.AgentOnline, "Online", h(13), time.Time{})) // 13:00
	b.Apply(status("a1", event.AgentOffline, "Offline", h(15), h(14)))     // 14:00, told an hour late
	b.Apply(status("a2", event.AgentOnline, "Online", h(10), time.Time{})) // a2 first heard of at 10:00
	r, err := board.Restore(cfg, roundTrip(t, b.State()))                  // a restart
	if err != nil {
		t.Fatal(err)
	}
	r.Apply(status("a1", event.AgentOnline, "Online", h(16), time.Time{})) // 16:00
	b.Apply(status("a1", event.AgentOnline, "Online", h(16), time.Time{}))
	now := h(17)
	for _, bb := range []*board.Board{b, r} {
		a := agentView(t, bb, now, "a1")
		want := board.AgentPeriod{From: day, OnlineSeconds: (9 + 1 + 1) * 3600, AwaySeconds: 4 * 3600,
			AwayByReason: map[string]float64{"Meeting": 3 * 3600, "Lunch": 3600}, OfflineSeconds: 2 * 3600}
		got := *a.Today
		got.FirstResponseMedian, got.FirstResponseP90, got.DurationMedian = nil, nil, nil
		if g, w := mustJSON(t, got), mustJSON(t, want); g != w {
			t.Errorf("a1 today:\n got %s\nwant %s", g, w)
		}
		a2 := agentView(t, bb, now, "a2")
		if a2.Today.UnknownSeconds != 10*3600 || a2.Today.OnlineSeconds != 7*3600 {
			t.Errorf("a2 today: unknown %v online %v, want 10 h and 7 h", a2.Today.UnknownSeconds, a2.Today.OnlineSeconds)
		}
		if a.Window.OnlineSeconds != 30*60 || a.Window.From != now.Add(-30*time.Minute) {
			t.Errorf("a1 window %+v, want 30 min online", a.Window)
		}
	}
}

func roundTrip(t *testing.T, st board.State) board.State {
	t.Helper()
	var out board.State
	if err := json.Unmarshal([]byte(mustJSON(t, st)), &out); err != nil {
		t.Fatal(err)
	}
	return out
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	js, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(js)
}

// TestAgentChatFigures: chats taken, first response (median and p90 by
// nearest rank), duration and ratings, each credited to the agents named
// when the chat was answered.
func TestAgentChatFigures(t *testing.T) {
	cfg := board.DefaultConfig()
	cfg.Location = time.UTC
	b := board.New(cfg)
	t0 := day.Add(9 * time.Hour)
	ann := event.Agent{ID: "ann", Name: "Ann"}
	bo := event.Agent{ID: "bo", Name: "Bo"}
	// Five Chatlio transcripts for Ann: the visitor writes at start, Ann
	// answers after 10, 20, 30, 40 and 50 s; each chat lasts 5 min.
	for i := 1; i <= 5; i++ {
		st := t0.Add(time.Duration(i) * 10 * time.Minute)
		reply := st.Add(time.Duration(i) * 10 * time.Second)
		id := string(rune('a' + i))
		rating := &event.Rating{Value: "up", Sentiment: event.Good}
		if i == 5 {
			rating = &event.Rating{Value: "down", Sentiment: event.Bad}
		}
		b.Apply(&event.Event{Source: event.Chatlio, Kind: event.ChatEnded, ChatID: id, ReceivedAt: st.Add(5 * time.Minute),
			Visitor: &event.Visitor{ID: "v" + id}, Agents: []event.Agent{ann}, Rating: rating,
			Chat: &event.ChatInfo{StartedAt: st, EndedAt: st.Add(5 * time.Minute)},
			Messages: []event.Message{
				{From: event.FromVisitor, At: st, Text: "hi"},
				{From: event.FromAgent, At: reply, Name: "Ann", Text: "hello"},
			}})
	}
	// A Comm100 chat answered by Bo, transferred to Ann: Bo's.
	b.Apply(&event.Event{Source: event.Comm100, Kind: event.ChatStarted, ChatID: "c1", ReceivedAt: t0, Visitor: &event.Visitor{ID: "v1"}, Agents: []event.Agent{bo}})
	b.Apply(&event.Event{Source: event.Comm100, Kind: event.ChatTransferred, ChatID: "c1", ReceivedAt: t0.Add(time.Minute), Visitor: &event.Visitor{ID: "v1"}, Agents: []event.Agent{ann}})
	b.Apply(&event.Event{Source: event.Comm100, Kind: event.ChatEnded, ChatID: "c1", ReceivedAt: t0.Add(4 * time.Minute), Visitor: &event.Visitor{ID: "v1"}})
	now := t0.Add(2 * time.Hour)
	var annToday, boToday *board.AgentPeriod
	for _, a := range b.View(now).Agents {
		switch {
		case a.Source == event.Chatlio && a.ID == "ann":
			annToday = a.Today
		case a.Source == event.Comm100 && a.ID == "bo":
			boToday = a.Today
		}
	}
	if annToday == nil || boToday == nil {
		t.Fatal("Ann or Bo missing")
	}
	f := func(p *float64) float64 {
		if p == nil {
			return -1
		}
		return *p
	}
	if annToday.Chats != 5 || f(annToday.FirstResponseMedian) != 30 || f(annToday.FirstResponseP90) != 50 ||
		f(annToday.DurationMedian) != 270 || annToday.CSATGood != 4 || annToday.CSATBad != 1 {
		t.Errorf("Ann: %d chats, response median %v p90 %v, duration %v, CSAT %d/%d; want 5, 30 s, 50 s, 270 s (the median of reply to end: 290 to 250 s), 4/1",
			annToday.Chats, f(annToday.FirstResponseMedian), f(annToday.FirstResponseP90), f(annToday.DurationMedian), annToday.CSATGood, annToday.CSATBad)
	}
	if boToday.Chats != 1 || f(boToday.DurationMedian) != 240 || boToday.FirstResponseMedian != nil {
		t.Errorf("Bo: %d chats, duration %v, response %v; want the transferred chat, 240 s on receipts, response unknown",
			boToday.Chats, f(boToday.DurationMedian), f(boToday.FirstResponseMedian))
	}
}

// TestAgentHistorySurvivesRestart: on a demo run, a board restored from
// another's State midway gives every agent the same figures as the one
// that ran on, and the history is bounded: nothing older than two days.
func TestAgentHistorySurvivesRestart(t *testing.T) {
	evs, err := traffic.Events(1, day.Add(8*time.Hour), 3000, 20)
	if err != nil {
		t.Fatal(err)
	}
	cfg := board.DefaultConfig()
	a := board.New(cfg)
	half := len(evs) / 2
	for i := range evs[:half] {
		a.Apply(&evs[i])
	}
	r, err := board.Restore(cfg, roundTrip(t, a.State()))
	if err != nil {
		t.Fatal(err)
	}
	for i := range evs[half:] {
		a.Apply(&evs[half+i])
		r.Apply(&evs[half+i])
	}
	now := evs[len(evs)-1].ReceivedAt
	va, vr := a.View(now), r.View(now)
	took := 0
	for _, ag := range va.Agents {
		took += ag.Today.Chats
	}
	if took == 0 {
		t.Fatal("no agent took a chat in the demo run")
	}
	if ga, gr := mustJSON(t, va.Agents), mustJSON(t, vr.Agents); ga != gr {
		t.Errorf("restored agents differ:\n%s\n%s", ga, gr)
	}
}

// TestAgentTimeline: the day in slots, each the status most of it was.
func TestAgentTimeline(t *testing.T) {
	h := func(x float64) time.Time { return day.Add(time.Duration(x * float64(time.Hour))) }
	b := board.New(board.DefaultConfig())
	b.Apply(status("a1", event.AgentOnline, "Online", h(8), time.Time{}))
	b.Apply(status("a1", event.AgentAway, "Lunch", h(12), time.Time{}))
	b.Apply(status("a1", event.AgentOnline, "Online", h(12.4), time.Time{}))
	b.Apply(status("a1", event.AgentOffline, "Offline", h(16), time.Time{}))
	got := b.AgentTimeline(event.Comm100, "a1", day, h(18), 18)
	want := []event.AgentStatus{}
	for i := range 18 {
		switch {
		case i < 8:
			want = append(want, event.AgentUnknown)
		case i == 12: // 12:00-12:24 away, the rest online: online
			want = append(want, event.AgentOnline)
		case i < 16:
			want = append(want, event.AgentOnline)
		default:
			want = append(want, event.AgentOffline)
		}
	}
	if mustJSON(t, got) != mustJSON(t, want) {
		t.Errorf("timeline\n got %v\nwant %v", got, want)
	}
	if b.AgentTimeline(event.Comm100, "nobody", day, h(1), 4) != nil {
		t.Error("a timeline for an agent the board does not know")
	}
}

// TestLateStatusIsHistoryOnly: a status told late, for a moment before
// the one the board already has, goes into the agent's time in status
// but does not become their status now; one told late for a moment after
// it does. A poll not listing an agent tells offline anew each time.
func TestLateStatusIsHistoryOnly(t *testing.T) {
	h := func(x float64) time.Time { return day.Add(time.Duration(x * float64(time.Hour))) }
	cfg := board.DefaultConfig()
	cfg.Location = time.UTC
	b := board.New(cfg)
	b.Apply(status("a1", event.AgentOnline, "Online", h(9), time.Time{})) // 09:00
	b.Apply(status("a1", event.AgentAway, "Lunch", h(10), h(8)))          // at 10:00, for 08:00
	now := h(11)
	a := agentView(t, b, now, "a1")
	if a.Status != event.AgentOnline || !a.Since.Equal(h(9)) || !a.StatusAt.Equal(h(9)) {
		t.Errorf("after a status told for 08:00: %s since %v (told for %v), want online since 09:00", a.Status, a.Since, a.StatusAt)
	}
	if a.Today.AwayByReason["Lunch"] != 3600 || a.Today.OnlineSeconds != 2*3600 || a.Today.UnknownSeconds != 8*3600 {
		t.Errorf("history: away %v online %v unknown %v, want Lunch 3600, online 7200, unknown 28800",
			a.Today.AwayByReason, a.Today.OnlineSeconds, a.Today.UnknownSeconds)
	}
	b.Apply(status("a1", event.AgentAway, "Meeting", h(10.5), h(9.5))) // late, but after 09:00
	if a := agentView(t, b, now, "a1"); a.Status != event.AgentAway || a.StatusName != "Meeting" || !a.Since.Equal(h(9.5)) {
		t.Errorf("after a status told late for 09:30: %s %q since %v, want away Meeting since 09:30", a.Status, a.StatusName, a.Since)
	}

	// Polls: Bo listed online, then not listed (offline), and a late
	// webhook for a moment between the two polls does not bring him back.
	poll := func(at time.Time, agents ...event.Agent) *event.Event {
		return &event.Event{Source: event.Comm100, Kind: event.AgentsSnapshot, ReceivedAt: at, SnapshotAgents: agents}
	}
	b.Apply(poll(h(9), event.Agent{ID: "bo", Name: "Bo", Status: event.AgentOnline}))
	b.Apply(poll(h(9.25)))
	b.Apply(poll(h(10)))
	late := status("bo", event.AgentOnline, "Online", h(10.5), h(9.5))
	late.Agents[0].Name = "Bo"
	b.Apply(late)
	if a := agentView(t, b, now, "bo"); a.Status != event.AgentOffline || !a.Since.Equal(h(9.25)) || !a.StatusAt.Equal(h(10)) {
		t.Errorf("Bo after polls and a late online for 09:30: %s since %v told for %v, want offline since 09:15, told for 10:00", a.Status, a.Since, a.StatusAt)
	}
}
