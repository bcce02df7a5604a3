package board

import (
	"fmt"
	"math"
	"math/rand/v2"
	"reflect"
	"testing"
	"time"

	"github.com/chatdeck/chatdeck/ingest/event"
)

var t0 = time.Date(2026, 11, 21, 14, 0, 0, 0, time.UTC)

// at is t0 plus seconds.
func at(sec float64) time.Time { return t0.Add(time.Duration(sec * float64(time.Second))) }

type feed struct {
	b   *Board
	seq int64
}

func newFeed(cfg Config) *feed { return &feed{b: New(cfg)} }

func (f *feed) apply(ev event.Event) {
	f.seq++
	ev.Seq = f.seq
	f.b.Apply(&ev)
}

func (f *feed) request(src event.Source, chat, visitor string, when float64) {
	f.apply(event.Event{Source: src, Kind: event.ChatRequested, ChatID: chat, ReceivedAt: at(when),
		Visitor:  &event.Visitor{ID: visitor, Name: "v-" + visitor},
		Messages: []event.Message{{From: event.FromVisitor, Text: "hello from " + visitor}}})
}

func (f *feed) start(src event.Source, chat, agent string, when float64) {
	f.apply(event.Event{Source: src, Kind: event.ChatStarted, ChatID: chat, ReceivedAt: at(when),
		Agents: []event.Agent{{ID: agent}}})
}

func (f *feed) end(src event.Source, chat string, when float64, rating *event.Rating, agents ...string) {
	ev := event.Event{Source: src, Kind: event.ChatEnded, ChatID: chat, ReceivedAt: at(when), Rating: rating}
	for _, a := range agents {
		ev.Agents = append(ev.Agents, event.Agent{ID: a})
	}
	f.apply(ev)
}

func near(t *testing.T, name string, got *float64, want float64) {
	t.Helper()
	if got == nil {
		t.Errorf("%s = nil, want %.4f", name, want)
		return
	}
	if math.Abs(*got-want) > 1e-9 {
		t.Errorf("%s = %.6f, want %.6f", name, *got, want)
	}
}

func TestQueueLongestWaitFirst(t *testing.T) {
	f := newFeed(Config{})
	f.request(event.Comm100, "c1", "v1", 0)
	f.request(event.Chatlio, "c2", "v2", 10)
	f.request(event.JivoChat, "c3", "v3", 5)
	now := at(60)
	q := f.b.Queue(now, 0, -1)
	if len(q) != 3 {
		t.Fatalf("queue has %d entries, want 3", len(q))
	}
	wantIDs := []string{"v1", "v3", "v2"}
	wantWait := []float64{60, 55, 50}
	for i, e := range q {
		if e.ID != wantIDs[i] || e.WaitSeconds != wantWait[i] {
			t.Errorf("queue[%d] = %s waiting %.0fs, want %s waiting %.0fs", i, e.ID, e.WaitSeconds, wantIDs[i], wantWait[i])
		}
	}
	if q[0].FirstMessage != "hello from v1" || q[0].ChatID != "c1" || q[0].Source != event.Comm100 {
		t.Errorf("queue[0] = %+v", q[0])
	}
	if page := f.b.Queue(now, 1, 1); len(page) != 1 || page[0].ID != "v3" {
		t.Errorf("Queue(offset 1, limit 1) = %+v, want v3 only", page)
	}
	m := f.b.Metrics(now)
	if m.QueueLength != 3 || m.LongestWaitSeconds != 60 {
		t.Errorf("queue length %d longest %.0f, want 3 and 60", m.QueueLength, m.LongestWaitSeconds)
	}
	f.start(event.Comm100, "c1", "a1", 70)
	if q := f.b.Queue(at(80), 0, -1); len(q) != 2 || q[0].ID != "v3" {
		t.Errorf("after c1 answered, queue = %+v, want v3 first of 2", q)
	}
}

// TestServiceLevel works through a hand-computed case:
//
//	A answered after 10 s (within T=30 s), B after 40 s, C abandoned after
//	60 s, D left after 2 s (short abandon), E answered with its wait
//	unknown (Jivo), F answered within target an hour earlier (today only).
//	Window: SL = 1/(2+1), ASA = (10+40)/2, abandonment = 1/(3+1).
//	Today adds F: SL = 2/(3+1), ASA = (10+40+5)/3, abandonment = 1/(4+1).
func TestServiceLevel(t *testing.T) {
	f := newFeed(Config{SLTarget: 30 * time.Second, Window: 30 * time.Minute, ShortAbandon: 5 * time.Second})
	f.request(event.Comm100, "F", "vf", -3600)
	f.start(event.Comm100, "F", "a1", -3595)
	f.request(event.Comm100, "A", "va", 0)
	f.request(event.Comm100, "B", "vb", 0)
	f.request(event.Comm100, "C", "vc", 0)
	f.request(event.Comm100, "D", "vd", 0)
	f.start(event.Comm100, "A", "a1", 10)
	f.start(event.Comm100, "B", "a2", 40)
	f.end(event.Comm100, "C", 60, nil)
	f.end(event.Comm100, "D", 2, nil)
	f.apply(event.Event{Source: event.JivoChat, Kind: event.ChatAccepted, ChatID: "E", ReceivedAt: at(100),
		Agents: []event.Agent{{ID: "2224", Name: "Thomas"}}})
	m := f.b.Metrics(at(120))
	w := m.Window
	if w.Answered != 3 || w.AnsweredInTarget != 1 || w.Abandoned != 1 || w.ShortAbandoned != 1 || w.Arrivals != 5 {
		t.Errorf("window counts = %+v", w)
	}
	near(t, "window SL", w.ServiceLevel, 1.0/3)
	near(t, "window ASA", w.ASASeconds, 25)
	near(t, "window abandonment", w.AbandonmentRate, 0.25)
	d := m.Today
	near(t, "today SL", d.ServiceLevel, 2.0/4)
	near(t, "today ASA", d.ASASeconds, 55.0/3)
	near(t, "today abandonment", d.AbandonmentRate, 0.2)
	if d.Arrivals != 6 {
		t.Errorf("today arrivals = %d, want 6", d.Arrivals)
	}
	if m.ChatsPerHour != 5 {
		t.Errorf("chats per hour = %d, want 5 (F arrived over an hour ago)", m.ChatsPerHour)
	}
	if got := state(f.b, event.Comm100, "C"); got != Missed {
		t.Errorf("C state = %s, want missed", got)
	}
	if got := state(f.b, event.Comm100, "A"); got != Active {
		t.Errorf("A state = %s, want active", got)
	}
	// An hour later the window is empty: ratios are undefined, not zero.
	later := f.b.Metrics(at(120 + 3600))
	if later.Window.ServiceLevel != nil || later.Window.ASASeconds != nil || later.Window.Answered != 0 {
		t.Errorf("empty window = %+v, want nil ratios and zero counts", later.Window)
	}
}

func state(b *Board, src event.Source, id string) ChatState {
	c, ok := b.Chat(src, id)
	if !ok {
		return "absent"
	}
	return c.State
}

func TestVendorWaitAndCSAT(t *testing.T) {
	f := newFeed(Config{})
	// Comm100 chat_ended for a chat never seen before: wait from waiting_time.
	f.apply(event.Event{Source: event.Comm100, Kind: event.ChatEnded, ChatID: "x", ReceivedAt: at(0),
		Chat:   &event.ChatInfo{Wait: 45 * time.Second, HasWait: true, StartedAt: at(-300), EndedAt: at(-5)},
		Agents: []event.Agent{{ID: "1", Name: "Walid"}},
		Rating: &event.Rating{Sentiment: event.Good, Value: "5"}})
	f.apply(event.Event{Source: event.Chatlio, Kind: event.Feedback, ChatID: "y", ReceivedAt: at(1),
		Rating: &event.Rating{Sentiment: event.Bad, Value: "down", Comment: "slow"}})
	f.apply(event.Event{Source: event.JivoChat, Kind: event.ChatEnded, ChatID: "z", ReceivedAt: at(2),
		Agents: []event.Agent{{ID: "2224"}}, Rating: &event.Rating{Sentiment: event.Good, Value: "positive"}})
	// The same rating again (feedback after the transcript) is not counted twice.
	f.apply(event.Event{Source: event.JivoChat, Kind: event.Feedback, ChatID: "z", ReceivedAt: at(3),
		Rating: &event.Rating{Sentiment: event.Good, Value: "positive"}})
	m := f.b.Metrics(at(10))
	if m.Window.CSATGood != 2 || m.Window.CSATBad != 1 {
		t.Errorf("csat good %d bad %d, want 2 and 1", m.Window.CSATGood, m.Window.CSATBad)
	}
	near(t, "csat share", m.Window.CSATShare, 2.0/3)
	near(t, "asa", m.Window.ASASeconds, 45)
	near(t, "sl", m.Window.ServiceLevel, 0) // 45 s > 30 s
	// The feedback for y, a chat never seen, is not an arrival.
	if m.Window.Arrivals != 2 || m.Window.Answered != 2 {
		t.Errorf("arrivals %d answered %d, want 2 and 2 (x and z)", m.Window.Arrivals, m.Window.Answered)
	}
	// The vendor's end time is 5 s before the receipt, within the
	// tolerance: the chat ended when chatdeck heard it did.
	c, _ := f.b.Chat(event.Comm100, "x")
	if c.State != Ended || !c.EndedAt.Equal(at(0)) {
		t.Errorf("x = %s ended %v, want ended at its receipt", c.State, c.EndedAt)
	}
	inbox := f.b.Inbox(-1)
	if len(inbox) != 2 || inbox[0].Type != InboxFeedback || inbox[1].Text != "slow" {
		t.Errorf("inbox = %+v, want two feedback entries, newest first", inbox)
	}
}

func TestAgentsAndUtilisation(t *testing.T) {
	f := newFeed(Config{Capacity: 2})
	status := func(id, name string, when float64) {
		f.apply(event.Event{Source: event.Comm100, Kind: event.AgentStatusChanged, ReceivedAt: at(when),
			Agents: []event.Agent{{ID: id, Status: decodeStatus(name), StatusName: name}}})
	}
	f.apply(event.Event{Source: event.Comm100, Kind: event.AgentsSnapshot, ReceivedAt: at(0), SnapshotAgents: []event.Agent{
		{ID: "A1", Name: "Ann", Status: event.AgentOnline, StatusName: "Online", OngoingChats: 1},
		{ID: "B2", Name: "Bob", Status: event.AgentOnline, StatusName: "Online"},
		{ID: "C3", Name: "Cy", Status: event.AgentAway, StatusName: "Meeting"},
	}})
	status("b2", "away", 30) // ids compare case-insensitively
	status("B2", "online", 60)
	f.request(event.Comm100, "c1", "v1", 61)
	f.start(event.Comm100, "c1", "A1", 62)
	f.request(event.Comm100, "c2", "v2", 63)
	f.start(event.Comm100, "c2", "a1", 64)
	f.request(event.Comm100, "c3", "v3", 65)
	f.start(event.Comm100, "c3", "B2", 66)
	agents := f.b.Agents()
	if len(agents) != 3 {
		t.Fatalf("%d agents, want 3: %+v", len(agents), agents)
	}
	want := []struct {
		name   string
		status event.AgentStatus
		chats  int
		since  time.Time
	}{{"Ann", event.AgentOnline, 1, at(0)}, {"Bob", event.AgentOnline, 0, at(60)}, {"Cy", event.AgentAway, 0, at(0)}}
	// Chats held are the API's own counts (ongoingChats) while the poll
	// lists the agent: the last poll said Ann 1, Bob 0.
	for i, w := range want {
		a := agents[i]
		if a.Name != w.name || a.Status != w.status || a.Chats != w.chats || !a.Since.Equal(w.since) || a.Capacity != 2 {
			t.Errorf("agents[%d] = %s %s chats %d since %v cap %d, want %+v", i, a.Name, a.Status, a.Chats, a.Since, a.Capacity, w)
		}
	}
	if agents[2].StatusName != "Meeting" {
		t.Errorf("Cy's status name = %q, want Meeting", agents[2].StatusName)
	}
	m := f.b.Metrics(at(70))
	if m.AgentsOnline != 2 || m.AgentsAway != 1 || m.AgentsTotal != 3 || m.ActiveChats != 3 {
		t.Errorf("metrics agents %d/%d/%d active %d", m.AgentsOnline, m.AgentsAway, m.AgentsTotal, m.ActiveChats)
	}
	near(t, "utilisation", m.Utilisation, 3.0/4)
	// A later snapshot without Cy: Cy is offline.
	f.apply(event.Event{Source: event.Comm100, Kind: event.AgentsSnapshot, ReceivedAt: at(90), SnapshotAgents: []event.Agent{
		{ID: "A1", Name: "Ann", Status: event.AgentOnline, StatusName: "Online"},
		{ID: "B2", Name: "Bob", Status: event.AgentOnline, StatusName: "Online"},
	}})
	if m := f.b.Metrics(at(95)); m.AgentsOffline != 1 || m.AgentsAway != 0 {
		t.Errorf("after snapshot: offline %d away %d, want 1 and 0", m.AgentsOffline, m.AgentsAway)
	}
}

func decodeStatus(name string) event.AgentStatus {
	switch name {
	case "online":
		return event.AgentOnline
	case "away":
		return event.AgentAway
	}
	return event.AgentOffline
}

func TestPolledVisitorsJoinAndLeaveQueue(t *testing.T) {
	f := newFeed(Config{})
	snap := func(when float64, vs ...event.Visitor) {
		f.apply(event.Event{Source: event.Comm100, Kind: event.VisitorsSnapshot, ReceivedAt: at(when), SnapshotVisitors: vs})
	}
	snap(0, event.Visitor{ID: "p1", Name: "Polly", State: event.VisitorWaiting}, event.Visitor{ID: "p2", State: event.VisitorInSite})
	// A later poll that says less (no name): what the first said stays.
	snap(10, event.Visitor{ID: "p1", Email: "polly@example.com", State: event.VisitorWaiting})
	q := f.b.Queue(at(20), 0, -1)
	if len(q) != 1 || q[0].ID != "p1" || !q[0].FromPoll || q[0].WaitSeconds != 20 {
		t.Fatalf("queue = %+v, want p1 from poll waiting 20s (since first seen)", q)
	}
	if q[0].Name != "Polly" || q[0].Email != "polly@example.com" {
		t.Errorf("queue entry %q <%s>, want both polls' fields: Polly <polly@example.com>", q[0].Name, q[0].Email)
	}
	// The webhook for p1's chat replaces the polled entry.
	f.request(event.Comm100, "real", "p1", 15)
	q = f.b.Queue(at(20), 0, -1)
	if len(q) != 1 || q[0].ChatID != "real" || q[0].FromPoll {
		t.Fatalf("queue = %+v, want only the webhook's chat", q)
	}
	snap(30, event.Visitor{ID: "p3", State: event.VisitorWaiting})
	snap(40)
	if q := f.b.Queue(at(45), 0, -1); len(q) != 1 || q[0].ChatID != "real" {
		t.Errorf("queue = %+v, want p3 gone once no poll lists it waiting", q)
	}
	if m := f.b.Metrics(at(45)); m.Window.Abandoned != 0 || m.Window.Arrivals != 1 {
		t.Errorf("polled visitors counted in metrics: %+v", m.Window)
	}
}

func TestPruneAndHistory(t *testing.T) {
	f := newFeed(Config{KeepEnded: time.Hour})
	jv := &event.Visitor{ID: "2846", Number: "2846", UserToken: "u-9", Name: "John"}
	f.apply(event.Event{Source: event.JivoChat, Kind: event.ChatAccepted, ChatID: "1", ReceivedAt: at(0), Visitor: jv,
		Agents: []event.Agent{{ID: "7", Name: "Thomas"}}})
	f.apply(event.Event{Source: event.JivoChat, Kind: event.ChatEnded, ChatID: "1", ReceivedAt: at(60), Visitor: jv,
		Agents: []event.Agent{{ID: "7", Name: "Thomas"}}, Rating: &event.Rating{Value: "positive", Sentiment: event.Good}})
	h, ok := f.b.VisitorHistory(event.JivoChat, &event.Visitor{UserToken: "u-9"}, "2")
	if !ok || h.Chats != 1 || h.LastRating != "positive" || h.LastAgent != "Thomas" {
		t.Errorf("history by token = %+v %v", h, ok)
	}
	if _, ok := f.b.VisitorHistory(event.JivoChat, &event.Visitor{ID: "9999"}, ""); ok {
		t.Error("a stranger has history")
	}
	if _, ok := f.b.VisitorHistory(event.Comm100, jv, ""); ok {
		t.Error("history leaks across sources")
	}
	// Accepting chat 2 does not count chat 2 as earlier.
	f.apply(event.Event{Source: event.JivoChat, Kind: event.ChatAccepted, ChatID: "2", ReceivedAt: at(120), Visitor: jv})
	if h, _ := f.b.VisitorHistory(event.JivoChat, jv, "2"); h.Chats != 1 {
		t.Errorf("earlier chats = %d, want 1", h.Chats)
	}
	// Two hours on, chat 1 (ended) is pruned; chat 2 (active) stays.
	f.apply(event.Event{Source: event.Chatlio, Kind: event.Unrecognised, ReceivedAt: at(7200), Raw: []byte(`{"x":1}`)})
	if _, ok := f.b.Chat(event.JivoChat, "1"); ok {
		t.Error("ended chat 1 was not pruned after KeepEnded")
	}
	if _, ok := f.b.Chat(event.JivoChat, "2"); !ok {
		t.Error("active chat 2 was pruned")
	}
	if in := f.b.Inbox(1); len(in) != 1 || in[0].Type != InboxUnrecognised || in[0].Text != `{"x":1}` {
		t.Errorf("inbox = %+v, want the unrecognised payload", in)
	}
}

func TestTodayCountsFromLocalMidnight(t *testing.T) {
	tz := time.FixedZone("X", 5*3600) // t0 14:00 UTC is 19:00 local
	f := newFeed(Config{Location: tz})
	f.request(event.Comm100, "early", "v", -15*3600) // 23:00 UTC the day before: 04:00 local today
	f.request(event.Comm100, "yesterday", "w", -20*3600)
	m := f.b.Metrics(at(0))
	if m.Today.Arrivals != 1 {
		t.Errorf("today arrivals = %d, want 1", m.Today.Arrivals)
	}
	if want := time.Date(2026, 11, 21, 0, 0, 0, 0, tz); !m.Today.From.Equal(want) {
		t.Errorf("today from %v, want %v", m.Today.From, want)
	}
}

func TestOutcomeLogOutOfOrder(t *testing.T) {
	var l outcomeLog
	l.add(at(10), outcome{arrivals: 1})
	l.add(at(30), outcome{arrivals: 10})
	l.add(at(20), outcome{arrivals: 100})
	if got := l.between(at(0), at(25)).arrivals; got != 101 {
		t.Errorf("(0,25] = %d, want 101", got)
	}
	if got := l.between(at(15), at(30)).arrivals; got != 110 {
		t.Errorf("(15,30] = %d, want 110", got)
	}
	l.prune(at(15))
	if got := l.between(at(15), at(30)).arrivals; got != 110 {
		t.Errorf("after prune (15,30] = %d, want 110", got)
	}
}

// TestOutcomeLogAgainstList: adds (some out of time order) and prunes, as
// the board makes them, give the totals a plain list of the entries gives,
// through the log's growth and its reuse of the room pruning leaves; and a
// log pruned as fast as it grows keeps its array.
func TestOutcomeLogAgainstList(t *testing.T) {
	type entry struct {
		at time.Time
		n  int64
	}
	rng := rand.New(rand.NewPCG(6, 6))
	var l outcomeLog
	var list []entry // what the log holds
	var pruned int64 // what was pruned
	sum := func(to time.Time) int64 {
		n := pruned
		for _, e := range list {
			if !e.at.After(to) {
				n += e.n
			}
		}
		return n
	}
	now := 0.0
	for i := range 5000 {
		now += rng.Float64() * 2
		when := now
		if rng.IntN(10) == 0 {
			when -= rng.Float64() * 30 // late
		}
		n := rng.Int64N(5) + 1
		l.add(at(when), outcome{arrivals: n})
		list = append(list, entry{at(when), n})
		if i%97 == 0 {
			cut := at(now - 40)
			l.prune(cut)
			kept := list[:0]
			for _, e := range list {
				if e.at.After(cut) {
					kept = append(kept, e)
				} else {
					pruned += e.n
				}
			}
			list = kept
		}
		if i%13 == 0 {
			for _, back := range []float64{0, 1, 10, 35} {
				to := at(now - back)
				if got, want := l.total(to).arrivals, sum(to); got != want {
					t.Fatalf("step %d: total to now-%vs = %d, want %d", i, back, got, want)
				}
			}
		}
	}
	if len(l.log) != len(list) {
		t.Errorf("log holds %d entries, want %d", len(l.log), len(list))
	}
	// Steady state, pruned as fast as it grows: the room pruning leaves is
	// taken back, and the log keeps its array.
	step := func() {
		for range 50 {
			now++
			l.add(at(now), outcome{arrivals: 1})
		}
		l.prune(at(now - 40))
	}
	for range 20 {
		step()
	}
	arr := &l.arr[:1][0]
	for i := range 200 {
		step()
		if &l.arr[:1][0] != arr {
			t.Fatalf("round %d: a log pruned as fast as it grows took a new array (holding %d, room for %d)", i, len(l.log), cap(l.arr))
		}
	}
}

// TestChatlioWaitUsesOneClock: a transcript's times are the vendor's; its
// wait must not mix them with chatdeck's receipt times, however skewed.
func TestChatlioWaitUsesOneClock(t *testing.T) {
	f := newFeed(Config{})
	skew := time.Hour // the vendor's clock runs an hour ahead
	f.request(event.Chatlio, "x", "v", 0)
	f.apply(event.Event{Source: event.Chatlio, Kind: event.ChatUpdated, ChatID: "x", ReceivedAt: at(30), Messages: []event.Message{
		{At: at(0).Add(skew), From: event.FromVisitor, Text: "hi"},
		{At: at(20).Add(skew), From: event.FromAgent, Text: "hello"},
	}})
	c, _ := f.b.Chat(event.Chatlio, "x")
	if c.State != Active {
		t.Fatalf("state %s, want active once an agent wrote", c.State)
	}
	near(t, "asa", f.b.Metrics(at(40)).Window.ASASeconds, 20)
	// The final transcript does not count the chat again.
	f.apply(event.Event{Source: event.Chatlio, Kind: event.ChatEnded, ChatID: "x", ReceivedAt: at(90), Messages: c.Messages})
	if m := f.b.Metrics(at(100)); m.Window.Answered != 1 {
		t.Errorf("answered %d, want 1", m.Window.Answered)
	}
}

// TestLastVisitorMessageAt: every copy the board hands out (Chat, Chats,
// the summaries, the state) says when the visitor last wrote, after
// transcripts that append and transcripts that replace.
func TestLastVisitorMessageAt(t *testing.T) {
	f := newFeed(Config{})
	f.request(event.Chatlio, "c1", "v1", 0) // an untimed message: stamped at 0
	f.apply(event.Event{Source: event.Chatlio, Kind: event.ChatUpdated, ChatID: "c1", ReceivedAt: at(30),
		Messages: []event.Message{
			{From: event.FromVisitor, Text: "hello", At: at(1)},
			{From: event.FromVisitor, Text: "anyone?", At: at(12)},
			{From: event.FromAgent, Text: "hi", At: at(20)},
		}})
	check := func(step string, want time.Time) {
		t.Helper()
		c, ok := f.b.Chat(event.Chatlio, "c1")
		if !ok || !c.LastVisitorMessageAt.Equal(want) {
			t.Errorf("%s: Chat: last visitor message at %v (found %v), want %v", step, c.LastVisitorMessageAt, ok, want)
		}
		if all := f.b.Chats(); len(all) != 1 || !all[0].LastVisitorMessageAt.Equal(want) {
			t.Errorf("%s: Chats = %+v, want one chat with the visitor's last message at %v", step, all, want)
		}
		if s := f.b.ChatSummaries(); len(s) != 1 || !s[0].LastVisitorMessageAt.Equal(want) {
			t.Errorf("%s: ChatSummaries = %+v, want the visitor's last message at %v", step, s, want)
		}
		if st := f.b.State(); len(st.Chats) != 1 || !st.Chats[0].LastVisitorMessageAt.Equal(want) {
			t.Errorf("%s: State chats = %+v, want the visitor's last message at %v", step, st.Chats, want)
		}
	}
	check("replaced", at(12))
	f.apply(event.Event{Source: event.Chatlio, Kind: event.ChatUpdated, ChatID: "c1", ReceivedAt: at(40),
		Messages: []event.Message{{From: event.FromVisitor, Text: "thanks"}}}) // appended, stamped at 40
	check("appended", at(40))
	f.apply(event.Event{Source: event.Chatlio, Kind: event.ChatUpdated, ChatID: "c1", ReceivedAt: at(50),
		Messages: []event.Message{{From: event.FromAgent, Text: "bye"}}})
	check("agent last", at(40))
}

// TestVisitorFieldsAllMerged: each field of event.Visitor has its own bit
// in Visitor.Known (so that a visitor that lacks a field the chat's knew is
// merged, not put in its place), and mergeVisitor copies it. A field added
// to Visitor and forgotten by either fails here.
func TestVisitorFieldsAllMerged(t *testing.T) {
	typ := reflect.TypeFor[event.Visitor]()
	seen := map[uint64]string{}
	for i := range typ.NumField() {
		f := typ.Field(i)
		var known event.Visitor
		fv := reflect.ValueOf(&known).Elem().Field(i)
		switch fv.Kind() {
		case reflect.String:
			fv.SetString("x")
		case reflect.Int:
			fv.SetInt(3)
		case reflect.Pointer:
			fv.Set(reflect.New(f.Type.Elem()))
		case reflect.Slice:
			fv.Set(reflect.MakeSlice(f.Type, 1, 1))
		case reflect.Struct: // time.Time
			fv.Set(reflect.ValueOf(t0))
		default:
			t.Fatalf("field %s: kind %s not handled by this test", f.Name, fv.Kind())
		}
		m := known.Known()
		if m == 0 || m&(m-1) != 0 {
			t.Errorf("field %s alone: Known() = %b, want one bit", f.Name, m)
		} else if other, dup := seen[m]; dup {
			t.Errorf("fields %s and %s have the same bit", other, f.Name)
		}
		seen[m] = f.Name
		var merged event.Visitor
		mergeVisitor(&merged, &known)
		if !reflect.DeepEqual(merged, known) {
			t.Errorf("field %s: merged into an empty visitor gives %+v, want %+v", f.Name, merged, known)
		}
	}
	if m := (&event.Visitor{}).Known(); m != 0 {
		t.Errorf("an empty visitor knows %b, want nothing", m)
	}
}

// TestVisitorMergedNotShared: a visitor that says less than the chat's is
// merged into a new one; the events' visitors and the copies handed out
// before are left as they were. The same with the decoder's note of what
// each visitor knows (Event.VisitorKnows) and without.
func TestVisitorMergedNotShared(t *testing.T) {
	for _, noted := range []bool{false, true} {
		t.Run(fmt.Sprintf("noted=%v", noted), func(t *testing.T) { testVisitorMergedNotShared(t, noted) })
	}
}

func testVisitorMergedNotShared(t *testing.T, noted bool) {
	f := newFeed(Config{})
	apply := func(kind event.Kind, sec float64, v *event.Visitor) {
		ev := event.Event{Source: event.Comm100, Kind: kind, ChatID: "c1", ReceivedAt: at(sec), Visitor: v}
		if noted {
			ev.VisitorKnows = v.Known()
		}
		f.apply(ev)
	}
	first := &event.Visitor{ID: "v1", Name: "Ann", Email: "ann@example.com"}
	apply(event.ChatRequested, 0, first)
	before, _ := f.b.Chat(event.Comm100, "c1")
	// Says more: replaces.
	second := &event.Visitor{ID: "v1", Name: "Ann B.", Email: "ann@example.com", Location: "Oslo"}
	apply(event.ChatUpdated, 1, second)
	// Says less (no email, no location): merged into a new visitor.
	third := &event.Visitor{ID: "v1", Name: "Ann Berg", Phone: "555"}
	apply(event.ChatUpdated, 2, third)
	got, _ := f.b.Chat(event.Comm100, "c1")
	want := event.Visitor{ID: "v1", Name: "Ann Berg", Email: "ann@example.com", Phone: "555", Location: "Oslo"}
	if !reflect.DeepEqual(*got.Visitor, want) {
		t.Errorf("visitor = %+v, want %+v", *got.Visitor, want)
	}
	if !reflect.DeepEqual(*first, event.Visitor{ID: "v1", Name: "Ann", Email: "ann@example.com"}) ||
		!reflect.DeepEqual(*second, event.Visitor{ID: "v1", Name: "Ann B.", Email: "ann@example.com", Location: "Oslo"}) ||
		!reflect.DeepEqual(*third, event.Visitor{ID: "v1", Name: "Ann Berg", Phone: "555"}) {
		t.Errorf("the events' visitors were written to: %+v, %+v, %+v", *first, *second, *third)
	}
	if before.Visitor.Name != "Ann" || before.Visitor.Phone != "" {
		t.Errorf("a copy handed out before changed: %+v", *before.Visitor)
	}
	if s := f.b.ChatSummaries(); len(s) != 1 || s[0].Visitor != "Ann Berg" || s[0].VisitorID != "v1" {
		t.Errorf("summaries = %+v, want Ann Berg (v1)", s)
	}
}
