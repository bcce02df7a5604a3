package board_test

// The board against the reference model (reference_test.go), the
// arrivals invariant, and one hand-checked test per rule of rules.md.

import (
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/chatdeck/chatdeck/fixtures/traffic"
	"github.com/chatdeck/chatdeck/ingest/board"
	"github.com/chatdeck/chatdeck/ingest/event"
)

// truthFields are the top-level metrics compared; truthPeriodFields are
// compared under "window." and "today.".
var (
	truthFields = []string{
		"queue_length", "longest_wait_seconds", "active_chats", "agents_online", "agents_away",
		"agents_offline", "agents_unknown", "agents_total", "utilisation", "chats_per_hour",
	}
	truthPeriodFields = []string{
		"arrivals", "answered", "answered_within_target", "abandoned", "short_abandoned",
		"asa_seconds", "service_level", "abandonment_rate", "csat_good", "csat_bad", "csat_share",
	}
)

// truthNames is every compared metric, "window.x" and "today.x" for the
// periods'.
func truthNames() []string {
	names := slices.Clone(truthFields)
	for _, p := range []string{"window", "today"} {
		for _, f := range truthPeriodFields {
			names = append(names, p+"."+f)
		}
	}
	return names
}

// metricsMap is the board's metrics as the JSON object they encode to.
func metricsMap(t *testing.T, m board.Metrics) map[string]any {
	t.Helper()
	raw, err := json.Marshal(m)
	if err != nil {
		t.Fatalf("marshal metrics: %v", err)
	}
	var out map[string]any
	if err := json.Unmarshal(raw, &out); err != nil {
		t.Fatalf("unmarshal metrics: %v", err)
	}
	return out
}

// missing marks a metric the JSON object does not have.
type missing struct{}

func (missing) String() string { return "<missing>" }

// lookup returns the value at a dotted name ("window.arrivals").
func lookup(m map[string]any, name string) any {
	var cur any = m
	for _, part := range strings.Split(name, ".") {
		obj, ok := cur.(map[string]any)
		if !ok {
			return missing{}
		}
		v, ok := obj[part]
		if !ok {
			return missing{}
		}
		cur = v
	}
	return cur
}

// sameValue compares two decoded JSON values: numbers within 1e-9, null
// with null.
func sameValue(a, b any) bool {
	if _, ok := a.(missing); ok {
		return false
	}
	if _, ok := b.(missing); ok {
		return false
	}
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	fa, oka := a.(float64)
	fb, okb := b.(float64)
	if oka && okb {
		return math.Abs(fa-fb) <= 1e-9
	}
	return fmt.Sprint(a) == fmt.Sprint(b)
}

func show(v any) string {
	if v == nil {
		return "null"
	}
	return fmt.Sprint(v)
}

// diffMetrics lists the compared metrics where got and want differ.
func diffMetrics(got, want map[string]any) []string {
	var out []string
	for _, name := range truthNames() {
		if g, w := lookup(got, name), lookup(want, name); !sameValue(g, w) {
			out = append(out, fmt.Sprintf("%s: board %s, model %s", name, show(g), show(w)))
		}
	}
	return out
}

// describe is one line of what the model decided about a chat.
func (c *refChat) describe() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s state=%q", c.Key, c.State)
	if c.Arrived {
		fmt.Fprintf(&b, " arrived@%s", c.ArrivalAt.Format(time.RFC3339))
	} else {
		b.WriteString(" not-arrived")
	}
	if c.Outcome != "" {
		fmt.Fprintf(&b, " %s@%s", c.Outcome, c.OutcomeAt.Format(time.RFC3339))
		if c.WaitKnown {
			fmt.Fprintf(&b, " wait=%s", c.Wait)
		} else {
			b.WriteString(" wait=unknown")
		}
	}
	if !c.WaitingSince.IsZero() {
		fmt.Fprintf(&b, " waiting-since=%s", c.WaitingSince.Format(time.RFC3339))
	}
	if c.Rating != "" {
		fmt.Fprintf(&b, " rating=%s@%s", c.Rating, c.RatingAt.Format(time.RFC3339))
	}
	return b.String()
}

// explain says which chats (and agents) differ between the board and the
// model, for a failure message.
func explain(b *board.Board, want refMetrics, now time.Time) string {
	var out strings.Builder
	boardState := map[string]string{}
	for _, c := range b.Chats() {
		boardState[string(c.Source)+"/"+c.ID] = string(c.State)
	}
	var differ []string
	for _, c := range want.Chats {
		if c.State == "" {
			continue
		}
		got, ok := boardState[c.Key.String()]
		if !ok {
			got = "<not on board>"
		}
		if got != c.State {
			differ = append(differ, fmt.Sprintf("  board state %q; model: %s", got, c.describe()))
		}
	}
	fmt.Fprintf(&out, "chats whose state differs (%d):\n", len(differ))
	for i, d := range differ {
		if i == 15 {
			fmt.Fprintf(&out, "  ... %d more\n", len(differ)-i)
			break
		}
		out.WriteString(d + "\n")
	}
	// The chats the model placed in the window, for period mismatches.
	var recent []string
	for _, c := range want.Chats {
		if (c.Arrived && !c.ArrivalAt.After(now) && c.ArrivalAt.After(now.Add(-30*time.Minute))) ||
			(c.Outcome != "" && !c.OutcomeAt.After(now) && c.OutcomeAt.After(now.Add(-30*time.Minute))) {
			recent = append(recent, "  "+c.describe())
		}
	}
	fmt.Fprintf(&out, "model's chats with an arrival or outcome in the last 30 min (%d):\n", len(recent))
	for i, d := range recent {
		if i == 15 {
			fmt.Fprintf(&out, "  ... %d more\n", len(recent)-i)
			break
		}
		out.WriteString(d + "\n")
	}
	var queue []string
	for _, q := range b.Queue(now, 0, -1) {
		queue = append(queue, fmt.Sprintf("%s/%s(poll=%v since %s)", q.Source, q.ChatID, q.FromPoll, q.WaitingSince.Format(time.RFC3339)))
	}
	fmt.Fprintf(&out, "board queue: %v\nmodel polled queue: %v\n", queue, want.PolledQueue)
	var agents []string
	for _, a := range b.Agents() {
		k := string(a.Source) + "/" + a.ID
		if want.AgentStatus[k] != a.Status || want.AgentChats[k] != a.Chats {
			agents = append(agents, fmt.Sprintf("%s board %s/%d model %s/%d", k, a.Status, a.Chats, want.AgentStatus[k], want.AgentChats[k]))
		}
	}
	fmt.Fprintf(&out, "agents that differ (status/chats): %v\n", agents)
	return out.String()
}

// truthChecker compares a board with the model at chosen moments and
// reports the first few mismatches in full.
type truthChecker struct {
	t          *testing.T
	cfg        board.Config
	b          *board.Board
	label      string
	mismatches int
	checks     int
}

func newTruthChecker(t *testing.T, label string) *truthChecker {
	cfg := board.DefaultConfig()
	cfg.Location = time.UTC
	return &truthChecker{t: t, cfg: cfg, b: board.New(cfg), label: label}
}

// check compares the board, which has applied evs, with the model at now.
func (tc *truthChecker) check(evs []event.Event, now time.Time) {
	tc.t.Helper()
	tc.checks++
	want := referenceMetrics(tc.cfg, evs, now)
	diff := diffMetrics(metricsMap(tc.t, tc.b.Metrics(now)), want.asMap())
	if len(diff) == 0 {
		return
	}
	tc.mismatches++
	if tc.mismatches > 3 {
		return
	}
	tc.t.Errorf("%s: after event %d (%s %s chat %q), now %s:\n  %s\n%s",
		tc.label, len(evs), evs[len(evs)-1].Source, evs[len(evs)-1].Kind, evs[len(evs)-1].ChatID,
		now.Format(time.RFC3339Nano), strings.Join(diff, "\n  "), explain(tc.b, want, now))
}

func (tc *truthChecker) done() {
	if tc.mismatches > 0 {
		tc.t.Errorf("%s: %d of %d checks differ from the model (first 3 shown)", tc.label, tc.mismatches, tc.checks)
	}
}

// TestTruthDemoDay applies demo traffic event by event and compares the
// board with the model at about 50 moments: right after an event, a
// little later, and much later (windows slide with no new event).
func TestTruthDemoDay(t *testing.T) {
	starts := map[int64]time.Time{
		1: time.Date(2025, 3, 4, 8, 0, 0, 0, time.UTC),
		2: time.Date(2025, 3, 4, 21, 30, 0, 0, time.UTC), // runs over midnight at speed 1
		3: time.Date(2025, 3, 5, 0, 0, 0, 0, time.UTC),
	}
	for _, seed := range []int64{1, 2, 3} {
		for _, speed := range []float64{1, 20} {
			t.Run(fmt.Sprintf("seed%d/speed%g", seed, speed), func(t *testing.T) {
				evs, err := traffic.Events(seed, starts[seed], 3000, speed)
				if err != nil {
					t.Fatal(err)
				}
				tc := newTruthChecker(t, fmt.Sprintf("seed %d speed %g", seed, speed))
				step := len(evs) / 50
				for i := range evs {
					tc.b.Apply(&evs[i])
					if (i+1)%step != 0 && i != len(evs)-1 {
						continue
					}
					at := evs[i].ReceivedAt
					for _, d := range []time.Duration{0, 7 * time.Second, 4 * time.Minute, 31 * time.Minute} {
						tc.check(evs[:i+1], at.Add(d))
					}
				}
				tc.done()
			})
		}
	}
}

// world builds random small worlds of the three vendors' chats, agents and
// polls, as events in journal order.
type world struct {
	r    *rand.Rand
	t0   time.Time // vendor clocks start near here
	back bool      // some payloads are placed long before receipt
	n    int       // chats made so far
}

// chatScript is one chat's events in their natural order.
type chatScript struct {
	evs []event.Event
	// polled: a Comm100 visitor that polls list waiting before the chat's
	// first webhook (and never after it).
	polled  bool
	visitor event.Visitor
	src     event.Source
}

func (w *world) vt(sec int) time.Time { return w.t0.Add(time.Duration(sec) * time.Second) }

func (w *world) comm100Agent() event.Agent {
	i := w.r.IntN(4) + 1
	return event.Agent{ID: fmt.Sprintf("ca%d", i), Name: fmt.Sprintf("Comm100 agent %d", i)}
}

func (w *world) rating(src event.Source) *event.Rating {
	switch w.r.IntN(3) {
	case 0:
		return &event.Rating{Sentiment: event.Good, Value: map[event.Source]string{event.Comm100: "5", event.Chatlio: "up", event.JivoChat: "positive"}[src]}
	case 1:
		return &event.Rating{Sentiment: event.Bad, Value: map[event.Source]string{event.Comm100: "1", event.Chatlio: "down", event.JivoChat: "negative"}[src]}
	}
	return &event.Rating{Sentiment: event.Neutral, Value: "3"}
}

func (w *world) comm100Chat() chatScript {
	w.n++
	id := fmt.Sprintf("c100-%d", w.n)
	vis := event.Visitor{ID: fmt.Sprintf("cv-%d", w.n), Name: "Visitor"}
	base := w.r.IntN(3000)
	mk := func(kind event.Kind) event.Event {
		v := vis
		return event.Event{Source: event.Comm100, Kind: kind, ChatID: id, Visitor: &v}
	}
	s := chatScript{src: event.Comm100, visitor: vis, polled: w.r.IntN(4) == 0}
	wait := time.Duration(w.r.IntN(90)) * time.Second
	if w.r.IntN(3) > 0 {
		s.evs = append(s.evs, mk(event.ChatRequested))
	}
	answered := w.r.IntN(4) > 0
	agent := w.comm100Agent()
	if answered {
		st := mk(event.ChatStarted)
		if w.r.IntN(2) == 0 {
			st.Agents = []event.Agent{agent}
		}
		if w.r.IntN(2) == 0 { // the estimate on chat_started
			st.Chat = &event.ChatInfo{Wait: wait + time.Duration(w.r.IntN(20))*time.Second, HasWait: true}
		}
		s.evs = append(s.evs, st)
		if w.r.IntN(4) == 0 {
			tr := mk(event.ChatTransferred)
			agent = w.comm100Agent()
			tr.Agents = []event.Agent{agent}
			s.evs = append(s.evs, tr)
		}
	}
	if w.r.IntN(6) > 0 {
		end := mk(event.ChatEnded)
		end.Chat = &event.ChatInfo{StartedAt: w.vt(base), EndedAt: w.vt(base + 200)}
		if w.r.IntN(3) > 0 { // waiting_time
			end.Chat.Wait, end.Chat.HasWait = wait, true
			if !answered {
				end.Chat.Wait = time.Duration(w.r.IntN(12)) * time.Second
			}
		}
		end.Messages = []event.Message{{At: w.vt(base), From: event.FromVisitor, Text: "hello"}}
		if answered {
			end.Agents = []event.Agent{agent}
			end.Messages = append(end.Messages, event.Message{At: w.vt(base + int(wait/time.Second)), From: event.FromAgent, Text: "hi"})
		}
		if w.r.IntN(3) == 0 {
			end.Rating = w.rating(event.Comm100)
		}
		s.evs = append(s.evs, end)
	}
	if answered && w.r.IntN(2) == 0 {
		wu := mk(event.ChatWrappedUp)
		wu.WrapUp = &event.WrapUp{Category: "sales"}
		s.evs = append(s.evs, wu)
	}
	if w.r.IntN(5) == 0 {
		fb := mk(event.Feedback)
		fb.Rating = w.rating(event.Comm100)
		s.evs = append(s.evs, fb)
	}
	if len(s.evs) == 0 {
		s.evs = append(s.evs, mk(event.ChatRequested))
	}
	return s
}

func (w *world) chatlioChat() chatScript {
	w.n++
	id := fmt.Sprintf("cl-%d", w.n)
	vis := event.Visitor{ID: fmt.Sprintf("lv-%d", w.n)}
	agent := event.Agent{ID: fmt.Sprintf("U%d", w.r.IntN(3)), Name: "Chatlio agent"}
	base := w.r.IntN(3000)
	start := w.vt(base)
	mk := func(kind event.Kind) event.Event {
		v := vis
		return event.Event{Source: event.Chatlio, Kind: kind, ChatID: id, Visitor: &v}
	}
	s := chatScript{src: event.Chatlio, visitor: vis}
	switch w.r.IntN(4) {
	case 0: // feedback for a chat never seen
		fb := mk(event.Feedback)
		fb.Rating = w.rating(event.Chatlio)
		s.evs = append(s.evs, fb)
		return s
	case 1: // missed
		req := mk(event.ChatRequested)
		req.Messages = []event.Message{{From: event.FromVisitor, Text: "anyone?"}}
		s.evs = append(s.evs, req)
		if w.r.IntN(2) == 0 {
			s.evs = append(s.evs, mk(event.VisitorUnanswered))
		}
		end := mk(event.ChatEnded)
		end.Chat = &event.ChatInfo{StartedAt: start, EndedAt: start.Add(time.Duration(1+w.r.IntN(60)) * time.Second)}
		end.Messages = []event.Message{{At: start, From: event.FromVisitor, Text: "anyone?"}}
		s.evs = append(s.evs, end)
		return s
	}
	// answered, with transcripts
	wait := time.Duration(w.r.IntN(80)) * time.Second
	msgs := []event.Message{
		{At: start, From: event.FromVisitor, Text: "hi"},
		{At: start.Add(wait), From: event.FromAgent, Name: agent.Name, UserID: agent.ID, Text: "hello"},
		{At: start.Add(wait + 20*time.Second), From: event.FromVisitor, Text: "thanks"},
	}
	if w.r.IntN(3) > 0 {
		req := mk(event.ChatRequested)
		req.Messages = []event.Message{{From: event.FromVisitor, Text: "hi"}}
		s.evs = append(s.evs, req)
	}
	info := &event.ChatInfo{StartedAt: start}
	if w.r.IntN(5) == 0 {
		info = nil // the first visitor message stands in for the start
	}
	for k := 1; k <= 3; k++ {
		up := mk(event.ChatUpdated)
		up.Chat = info
		up.Messages = msgs[:k]
		if k >= 2 {
			up.Agents = []event.Agent{agent}
		}
		s.evs = append(s.evs, up)
	}
	if w.r.IntN(4) > 0 {
		end := mk(event.ChatEnded)
		end.Chat = &event.ChatInfo{StartedAt: start, EndedAt: start.Add(wait + time.Minute)}
		end.Messages = msgs
		end.Agents = []event.Agent{agent}
		s.evs = append(s.evs, end)
	}
	if w.r.IntN(2) == 0 {
		fb := mk(event.Feedback)
		fb.Rating = w.rating(event.Chatlio)
		s.evs = append(s.evs, fb)
	}
	return s
}

func (w *world) jivoChat() chatScript {
	w.n++
	id := fmt.Sprintf("%d", 40000+w.n)
	vis := event.Visitor{Number: fmt.Sprintf("%d", 90000+w.n)}
	if w.r.IntN(6) == 0 {
		id = "" // the chat is the visitor's
		vis = event.Visitor{UserToken: fmt.Sprintf("tok-%d", w.n)}
	}
	agent := event.Agent{ID: fmt.Sprintf("j%d", w.r.IntN(3)), Name: "Jivo agent"}
	mk := func(kind event.Kind) event.Event {
		v := vis
		return event.Event{Source: event.JivoChat, Kind: kind, ChatID: id, Visitor: &v}
	}
	s := chatScript{src: event.JivoChat, visitor: vis}
	at := w.vt(w.r.IntN(3000))
	visitorSays := []event.Message{{At: at, From: event.FromVisitor, Text: "question"}}
	switch w.r.IntN(4) {
	case 0: // missed
		end := mk(event.ChatEnded)
		end.Messages = visitorSays
		s.evs = append(s.evs, end)
		return s
	case 1: // starts waiting with an update, then accepted
		up := mk(event.ChatUpdated)
		up.Messages = visitorSays
		s.evs = append(s.evs, up)
	}
	acc := mk(event.ChatAccepted)
	acc.Agents = []event.Agent{agent}
	s.evs = append(s.evs, acc)
	if w.r.IntN(2) == 0 {
		up := mk(event.ChatUpdated) // no visitor message: accepted
		up.Agents = []event.Agent{agent}
		s.evs = append(s.evs, up)
	}
	if w.r.IntN(3) == 0 {
		as := mk(event.ChatAssigned)
		as.Agents = []event.Agent{agent}
		s.evs = append(s.evs, as)
	}
	if w.r.IntN(4) == 0 {
		call := mk(event.CallEvent)
		call.Call = &event.Call{Status: "start"}
		s.evs = append(s.evs, call)
	}
	if w.r.IntN(5) > 0 {
		end := mk(event.ChatEnded)
		end.Agents = []event.Agent{agent}
		end.Messages = append(slices.Clone(visitorSays), event.Message{At: at.Add(time.Minute), From: event.FromAgent, Text: "answer"})
		if w.r.IntN(2) == 0 {
			end.Rating = w.rating(event.JivoChat)
		}
		s.evs = append(s.evs, end)
	}
	return s
}

// shuffle reorders a chat's events and duplicates some. A polled chat keeps
// an arrival-kind event first, so that it is the one that finds the poll.
func (w *world) shuffle(s *chatScript) {
	w.r.Shuffle(len(s.evs), func(i, j int) { s.evs[i], s.evs[j] = s.evs[j], s.evs[i] })
	for i := 0; i < len(s.evs); i++ {
		if w.r.IntN(8) == 0 {
			dup := s.evs[i]
			s.evs = slices.Insert(s.evs, w.r.IntN(len(s.evs)+1), dup)
			i++
		}
	}
	if s.polled {
		for i, ev := range s.evs {
			if isArrivalKind(ev.Kind) {
				s.evs[0], s.evs[i] = s.evs[i], s.evs[0]
				break
			}
		}
	}
}

// events makes one world: a few chats per vendor, agent presence, polls.
// Receipt times are assigned in journal order; vendor times stay as made.
func (w *world) events() []event.Event {
	var scripts []*chatScript
	for range 2 + w.r.IntN(4) {
		for _, mk := range []func() chatScript{w.comm100Chat, w.chatlioChat, w.jivoChat} {
			s := mk()
			w.shuffle(&s)
			scripts = append(scripts, &s)
		}
	}
	// Chats with neither id nor visitor: counted nowhere.
	scripts = append(scripts, &chatScript{src: event.JivoChat, evs: []event.Event{{Source: event.JivoChat, Kind: event.ChatAccepted}}})

	pollOnly := []event.Visitor{{ID: "pv-1"}, {ID: "pv-2"}, {ID: "pv-3"}}
	var out []event.Event
	started := map[*chatScript]bool{}
	next := make([]int, len(scripts))
	for {
		var open []int
		for i, s := range scripts {
			if next[i] < len(s.evs) {
				open = append(open, i)
			}
		}
		if len(open) == 0 {
			break
		}
		switch x := w.r.IntN(20); {
		case x == 0: // agent status webhook
			a := w.comm100Agent()
			a.Status = []event.AgentStatus{event.AgentOnline, event.AgentOnline, event.AgentAway, event.AgentOffline}[w.r.IntN(4)]
			out = append(out, event.Event{Source: event.Comm100, Kind: event.AgentStatusChanged, Agents: []event.Agent{a}})
		case x == 1: // agents poll: some agents
			snap := event.Event{Source: event.Comm100, Kind: event.AgentsSnapshot, SnapshotAgents: []event.Agent{}}
			for i := 1; i <= 4; i++ {
				if w.r.IntN(3) == 0 {
					continue
				}
				a := event.Agent{ID: fmt.Sprintf("ca%d", i), Name: fmt.Sprintf("Comm100 agent %d", i), OngoingChats: w.r.IntN(3)}
				a.Status = []event.AgentStatus{event.AgentOnline, event.AgentAway, event.AgentOffline}[w.r.IntN(3)]
				snap.SnapshotAgents = append(snap.SnapshotAgents, a)
			}
			out = append(out, snap)
		case x <= 3: // visitors poll
			snap := event.Event{Source: event.Comm100, Kind: event.VisitorsSnapshot, SnapshotVisitors: []event.Visitor{{ID: "browsing", State: event.VisitorInSite}}}
			for _, v := range pollOnly {
				if w.r.IntN(2) == 0 {
					v.State = event.VisitorWaiting
					snap.SnapshotVisitors = append(snap.SnapshotVisitors, v)
				}
			}
			for _, s := range scripts {
				if s.polled && !started[s] && w.r.IntN(3) > 0 {
					v := s.visitor
					v.State = event.VisitorWaiting
					snap.SnapshotVisitors = append(snap.SnapshotVisitors, v)
				}
			}
			out = append(out, snap)
		default:
			i := open[w.r.IntN(len(open))]
			started[scripts[i]] = true
			out = append(out, scripts[i].evs[next[i]])
			next[i]++
		}
	}
	// Receipt times, increasing; a few payloads the vendor dates earlier.
	at := w.t0.Add(time.Duration(w.r.IntN(600)) * time.Second)
	for i := range out {
		at = at.Add(time.Duration(1+w.r.IntN(40000)) * time.Millisecond)
		out[i].ReceivedAt = at
		out[i].Seq = int64(i + 1)
		switch x := w.r.IntN(40); {
		case x < 6:
			out[i].OccurredAt = at.Add(-time.Duration(w.r.IntN(900)) * time.Second) // within 15 min: receipt
		case x == 6 && w.back:
			out[i].OccurredAt = at.Add(-time.Duration(1+w.r.IntN(5)) * time.Hour)
		case x == 7 && w.back:
			out[i].OccurredAt = at.AddDate(-1-w.r.IntN(10), 0, 0)
		}
	}
	return out
}

// truthSeeds are the random worlds' seeds.
var truthSeeds = []uint64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20,
	101, 202, 303, 404, 505, 606, 707, 808, 909, 1234, 4321, 9999, 31337, 65535, 77777, 123456}

// newWorld is the world of a seed; some start just before midnight.
func newWorld(seed uint64, back bool) *world {
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	t0 := time.Date(2025, 6, 10, 9, 0, 0, 0, time.UTC)
	if seed%3 == 0 {
		t0 = time.Date(2025, 6, 10, 23, 20, 0, 0, time.UTC)
	}
	return &world{r: r, t0: t0, back: back}
}

// TestTruthRandomWorlds applies random small worlds (reordered,
// duplicated, some backdated) and compares the board with the model after
// every event, right then and a while later.
func TestTruthRandomWorlds(t *testing.T) {
	for _, seed := range truthSeeds {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			w := newWorld(seed, true)
			evs := w.events()
			tc := newTruthChecker(t, fmt.Sprintf("world %d", seed))
			for i := range evs {
				tc.b.Apply(&evs[i])
				at := evs[i].ReceivedAt
				tc.check(evs[:i+1], at)
				tc.check(evs[:i+1], at.Add(time.Duration(w.r.IntN(45*60))*time.Second))
			}
			tc.done()
		})
	}
}

// checkInvariant checks, after every event, that today's arrivals are all
// accounted for: answered + abandoned + short abandoned + webhook chats
// waiting. All of evs must fall in one day, placements too.
func checkInvariant(t *testing.T, label string, evs []event.Event) {
	t.Helper()
	cfg := board.DefaultConfig()
	cfg.Location = time.UTC
	b := board.New(cfg)
	failures := 0
	for i := range evs {
		b.Apply(&evs[i])
		now := evs[i].ReceivedAt
		today := b.Metrics(now).Today
		waiting := 0
		for _, q := range b.Queue(now, 0, -1) {
			if !q.FromPoll {
				waiting++
			}
		}
		if sum := today.Answered + today.Abandoned + today.ShortAbandoned + int64(waiting); today.Arrivals != sum {
			failures++
			if failures <= 3 {
				t.Errorf("%s: after event %d (%s %s chat %q) at %s: arrivals %d != answered %d + abandoned %d + short %d + waiting webhook chats %d = %d",
					label, i+1, evs[i].Source, evs[i].Kind, evs[i].ChatID, now.Format(time.RFC3339),
					today.Arrivals, today.Answered, today.Abandoned, today.ShortAbandoned, waiting, sum)
			}
		}
	}
	if failures > 3 {
		t.Errorf("%s: the invariant failed after %d of %d events (first 3 shown)", label, failures, len(evs))
	}
}

// TestInvariantArrivalsAccountedFor checks the invariant on demo traffic
// (one morning) and on random worlds (no backdated payloads; one day).
func TestInvariantArrivalsAccountedFor(t *testing.T) {
	for _, seed := range []int64{1, 2, 3} {
		t.Run(fmt.Sprintf("demo%d", seed), func(t *testing.T) {
			evs, err := traffic.Events(seed, time.Date(2025, 3, 4, 8, 0, 0, 0, time.UTC), 3000, 20)
			if err != nil {
				t.Fatal(err)
			}
			checkInvariant(t, fmt.Sprintf("demo seed %d", seed), evs)
		})
	}
	for _, seed := range truthSeeds {
		if seed%3 == 0 {
			continue // those worlds run over midnight
		}
		t.Run(fmt.Sprintf("world%d", seed), func(t *testing.T) {
			checkInvariant(t, fmt.Sprintf("world %d", seed), newWorld(seed, false).events())
		})
	}
}

// TestReferenceInvariant checks the model against the same invariant on
// the same inputs: the model must satisfy the rules it encodes.
func TestReferenceInvariant(t *testing.T) {
	cfg := board.DefaultConfig()
	for _, seed := range truthSeeds {
		if seed%3 == 0 {
			continue
		}
		evs := newWorld(seed, false).events()
		for i := range evs {
			now := evs[i].ReceivedAt
			m := referenceMetrics(cfg, evs[:i+1], now)
			waiting := 0
			for _, c := range m.Chats {
				if c.State == "waiting" {
					waiting++
				}
			}
			p := m.Today
			if p.Arrivals != p.Answered+p.Abandoned+p.ShortAbandoned+int64(waiting) {
				t.Fatalf("world %d after event %d: model arrivals %d != %d+%d+%d+%d", seed, i+1,
					p.Arrivals, p.Answered, p.Abandoned, p.ShortAbandoned, waiting)
			}
		}
	}
}

// ruleClock is the hand-written tests' clock: 2025-05-06 at h:m:s UTC.
func ruleClock(h, m, s int) time.Time { return time.Date(2025, 5, 6, h, m, s, 0, time.UTC) }

// expect is a hand-written expectation: metric name -> value (nil for
// null). Numbers are float64 as JSON decodes them.
type expect map[string]any

// ruleStep is one check of a hand-written test: after the first n events,
// at now, these metrics.
type ruleStep struct {
	n    int
	now  time.Time
	want expect
}

// checkRule runs the steps against the board and, as a check of the model
// itself, against the model.
func checkRule(t *testing.T, evs []event.Event, steps []ruleStep) {
	t.Helper()
	for i := range evs {
		evs[i].Seq = int64(i + 1)
	}
	cfg := board.DefaultConfig()
	cfg.Location = time.UTC
	compare := func(t *testing.T, who string, got func(step ruleStep) map[string]any) {
		t.Helper()
		for _, st := range steps {
			m := got(st)
			names := make([]string, 0, len(st.want))
			for name := range st.want {
				names = append(names, name)
			}
			sort.Strings(names)
			for _, name := range names {
				if g := lookup(m, name); !sameValue(g, st.want[name]) {
					t.Errorf("%s after %d events, now %s: %s = %s, want %s", who, st.n, st.now.Format(time.RFC3339), name, show(g), show(st.want[name]))
				}
			}
		}
	}
	t.Run("board", func(t *testing.T) {
		b := board.New(cfg)
		applied := 0
		compare(t, "board", func(st ruleStep) map[string]any {
			for ; applied < st.n; applied++ {
				b.Apply(&evs[applied])
			}
			return metricsMap(t, b.Metrics(st.now))
		})
	})
	t.Run("reference", func(t *testing.T) {
		compare(t, "model", func(st ruleStep) map[string]any {
			return referenceMetrics(cfg, evs[:st.n], st.now).asMap()
		})
	})
}

func c100(kind event.Kind, chat, visitor string, at time.Time) event.Event {
	return event.Event{Source: event.Comm100, Kind: kind, ChatID: chat, Visitor: &event.Visitor{ID: visitor}, ReceivedAt: at}
}

func withWait(ev event.Event, d time.Duration) event.Event {
	ev.Chat = &event.ChatInfo{Wait: d, HasWait: true}
	return ev
}

func withAgent(ev event.Event, id string) event.Event {
	ev.Agents = []event.Agent{{ID: id, Name: "Agent " + id}}
	return ev
}

// TestRuleVendorWaitReplacesEstimate: chat_started's waiting_time is an
// estimate; chat_ended's replaces it in ASA and SL, and the chat stays
// answered once.
func TestRuleVendorWaitReplacesEstimate(t *testing.T) {
	evs := []event.Event{
		c100(event.ChatRequested, "c1", "v1", ruleClock(10, 0, 0)),
		withWait(c100(event.ChatStarted, "c1", "v1", ruleClock(10, 0, 20)), 20*time.Second),
		withAgent(withWait(c100(event.ChatEnded, "c1", "v1", ruleClock(10, 5, 0)), 45*time.Second), "a1"),
	}
	checkRule(t, evs, []ruleStep{
		{2, ruleClock(10, 1, 0), expect{"window.arrivals": 1.0, "window.answered": 1.0, "window.answered_within_target": 1.0,
			"window.asa_seconds": 20.0, "window.service_level": 1.0, "active_chats": 1.0, "queue_length": 0.0}},
		{3, ruleClock(10, 6, 0), expect{"window.arrivals": 1.0, "window.answered": 1.0, "window.answered_within_target": 0.0,
			"window.asa_seconds": 45.0, "window.service_level": 0.0, "window.abandonment_rate": 0.0, "active_chats": 0.0,
			"today.answered": 1.0, "today.asa_seconds": 45.0}},
	})
}

// TestRuleStartWithoutRequest: a chat_started with no request has no wait
// until chat_ended brings waiting_time; then it counts in ASA and SL.
func TestRuleStartWithoutRequest(t *testing.T) {
	evs := []event.Event{
		c100(event.ChatStarted, "c1", "v1", ruleClock(10, 0, 0)),
		withAgent(withWait(c100(event.ChatEnded, "c1", "v1", ruleClock(10, 3, 0)), 12*time.Second), "a1"),
	}
	checkRule(t, evs, []ruleStep{
		{1, ruleClock(10, 1, 0), expect{"window.arrivals": 1.0, "window.answered": 1.0, "window.asa_seconds": nil,
			"window.service_level": nil, "window.abandonment_rate": 0.0}},
		{2, ruleClock(10, 4, 0), expect{"window.arrivals": 1.0, "window.answered": 1.0, "window.answered_within_target": 1.0,
			"window.asa_seconds": 12.0, "window.service_level": 1.0}},
	})
}

// TestRuleWrapUpBeforeEnd: a wrap-up ends the active chat; the end that
// follows does not count it again.
func TestRuleWrapUpBeforeEnd(t *testing.T) {
	evs := []event.Event{
		c100(event.ChatRequested, "c1", "v1", ruleClock(10, 0, 0)),
		c100(event.ChatStarted, "c1", "v1", ruleClock(10, 0, 10)),
		c100(event.ChatWrappedUp, "c1", "v1", ruleClock(10, 4, 0)),
		withAgent(c100(event.ChatEnded, "c1", "v1", ruleClock(10, 5, 0)), "a1"),
	}
	checkRule(t, evs, []ruleStep{
		{3, ruleClock(10, 4, 30), expect{"active_chats": 0.0, "window.answered": 1.0, "window.asa_seconds": 10.0}},
		{4, ruleClock(10, 6, 0), expect{"active_chats": 0.0, "window.arrivals": 1.0, "window.answered": 1.0,
			"window.abandoned": 0.0, "window.short_abandoned": 0.0, "window.asa_seconds": 10.0, "window.service_level": 1.0}},
	})
}

// TestRuleUnseenWrapUpAndFeedback: a wrap-up or feedback of a chat never
// seen is no arrival; the feedback's rating counts; a later end of the
// wrapped-up chat counts its arrival and answer once.
func TestRuleUnseenWrapUpAndFeedback(t *testing.T) {
	fb := event.Event{Source: event.Chatlio, Kind: event.Feedback, ChatID: "l1", Visitor: &event.Visitor{ID: "lv1"},
		ReceivedAt: ruleClock(10, 0, 0), Rating: &event.Rating{Sentiment: event.Good, Value: "up"}}
	end := withAgent(c100(event.ChatEnded, "c1", "v1", ruleClock(10, 2, 0)), "a1")
	evs := []event.Event{
		fb,
		c100(event.ChatWrappedUp, "c1", "v1", ruleClock(10, 1, 0)),
		end,
		end, // the same end again
	}
	evs[3].ReceivedAt = ruleClock(10, 2, 30)
	checkRule(t, evs, []ruleStep{
		{2, ruleClock(10, 1, 30), expect{"window.arrivals": 0.0, "window.answered": 0.0, "window.abandoned": 0.0,
			"window.csat_good": 1.0, "window.csat_share": 1.0, "queue_length": 0.0, "active_chats": 0.0, "today.arrivals": 0.0}},
		{4, ruleClock(10, 3, 0), expect{"window.arrivals": 1.0, "window.answered": 1.0, "window.abandoned": 0.0,
			"window.csat_good": 1.0, "active_chats": 0.0, "queue_length": 0.0}},
	})
}

func chatlio(kind event.Kind, chat string, at time.Time) event.Event {
	return event.Event{Source: event.Chatlio, Kind: kind, ChatID: chat, Visitor: &event.Visitor{ID: "v-" + chat}, ReceivedAt: at}
}

// TestRuleChatlioWait: Chatlio's wait is the first agent message's sentAt
// less the chat's startedAt, on the vendor clock (not the receipt gap).
func TestRuleChatlioWait(t *testing.T) {
	req := chatlio(event.ChatRequested, "l1", ruleClock(10, 0, 0))
	req.Messages = []event.Message{{From: event.FromVisitor, Text: "hi"}}
	up := chatlio(event.ChatUpdated, "l1", ruleClock(10, 1, 0))
	up.Chat = &event.ChatInfo{StartedAt: ruleClock(9, 58, 0)}
	up.Messages = []event.Message{
		{At: ruleClock(9, 58, 0), From: event.FromVisitor, Text: "hi"},
		{At: ruleClock(9, 58, 25), From: event.FromAgent, Text: "hello"},
	}
	up.Agents = []event.Agent{{ID: "U1", Name: "Sam"}}
	checkRule(t, []event.Event{req, up}, []ruleStep{
		{1, ruleClock(10, 0, 30), expect{"queue_length": 1.0, "longest_wait_seconds": 30.0, "window.arrivals": 1.0}},
		{2, ruleClock(10, 2, 0), expect{"queue_length": 0.0, "window.arrivals": 1.0, "window.answered": 1.0,
			"window.asa_seconds": 25.0, "window.service_level": 1.0, "window.answered_within_target": 1.0, "active_chats": 1.0}},
	})
}

// TestRuleChatlioMissed: a Chatlio chat ended unanswered waited endedAt -
// startedAt (vendor clock): under 5 s is a short abandon.
func TestRuleChatlioMissed(t *testing.T) {
	missed := func(chat string, recv time.Time, lasted time.Duration) []event.Event {
		req := chatlio(event.ChatRequested, chat, recv)
		end := chatlio(event.ChatEnded, chat, recv.Add(2*time.Minute))
		end.Chat = &event.ChatInfo{StartedAt: ruleClock(9, 50, 0), EndedAt: ruleClock(9, 50, 0).Add(lasted)}
		end.Messages = []event.Message{{At: ruleClock(9, 50, 0), From: event.FromVisitor, Text: "hello?"}}
		return []event.Event{req, end}
	}
	evs := append(missed("l1", ruleClock(10, 0, 0), 3*time.Second), missed("l2", ruleClock(10, 0, 10), 90*time.Second)...)
	evs[1], evs[2] = evs[2], evs[1] // l1 request, l2 request, l1 end, l2 end
	checkRule(t, evs, []ruleStep{
		{3, ruleClock(10, 2, 5), expect{"window.arrivals": 2.0, "window.short_abandoned": 1.0, "window.abandoned": 0.0,
			"queue_length": 1.0, "window.service_level": nil, "window.abandonment_rate": nil}},
		{4, ruleClock(10, 3, 0), expect{"window.arrivals": 2.0, "window.answered": 0.0, "window.short_abandoned": 1.0,
			"window.abandoned": 1.0, "window.service_level": 0.0, "window.abandonment_rate": 1.0, "queue_length": 0.0}},
	})
}

// TestRuleJivoMissed: a Jivo chat that ends without an agent is abandoned
// (its wait is unknown, so not a short abandon).
func TestRuleJivoMissed(t *testing.T) {
	end := event.Event{Source: event.JivoChat, Kind: event.ChatEnded, ChatID: "50001", Visitor: &event.Visitor{Number: "7"},
		ReceivedAt: ruleClock(10, 0, 0), Messages: []event.Message{{At: ruleClock(9, 59, 58), From: event.FromVisitor, Text: "?"}}}
	checkRule(t, []event.Event{end}, []ruleStep{
		{1, ruleClock(10, 1, 0), expect{"window.arrivals": 1.0, "window.abandoned": 1.0, "window.short_abandoned": 0.0,
			"window.answered": 0.0, "window.service_level": 0.0, "window.abandonment_rate": 1.0, "queue_length": 0.0}},
	})
}

func visitorsPoll(at time.Time, waiting ...string) event.Event {
	ev := event.Event{Source: event.Comm100, Kind: event.VisitorsSnapshot, ReceivedAt: at,
		SnapshotVisitors: []event.Visitor{{ID: "browser", State: event.VisitorInSite}}}
	for _, id := range waiting {
		ev.SnapshotVisitors = append(ev.SnapshotVisitors, event.Visitor{ID: id, State: event.VisitorWaiting})
	}
	return ev
}

// TestRulePollThenWebhook: a visitor a poll found waiting keeps the poll's
// waiting-since when their chat's webhook comes; polled visitors are in
// the queue but count nothing.
func TestRulePollThenWebhook(t *testing.T) {
	evs := []event.Event{
		visitorsPoll(ruleClock(10, 0, 0), "v1", "v9"),
		visitorsPoll(ruleClock(10, 0, 30), "v1", "v9"),
		c100(event.ChatRequested, "c1", "v1", ruleClock(10, 1, 0)),
		c100(event.ChatStarted, "c1", "v1", ruleClock(10, 1, 40)),
	}
	checkRule(t, evs, []ruleStep{
		{2, ruleClock(10, 0, 40), expect{"queue_length": 2.0, "longest_wait_seconds": 40.0, "window.arrivals": 0.0, "today.arrivals": 0.0}},
		{3, ruleClock(10, 1, 30), expect{"queue_length": 2.0, "longest_wait_seconds": 90.0, "window.arrivals": 1.0}},
		{4, ruleClock(10, 2, 0), expect{"queue_length": 1.0, "window.arrivals": 1.0, "window.answered": 1.0,
			"window.asa_seconds": 100.0, "window.service_level": 0.0, "window.answered_within_target": 0.0}},
	})
}

// TestRuleBackdatedPayload: a payload the vendor dates in 2013, posted
// today, is not in today's arrivals; one dated 14 minutes before receipt
// counts at receipt. The queue runs on chatdeck's clock either way.
func TestRuleBackdatedPayload(t *testing.T) {
	old := c100(event.ChatRequested, "c1", "v1", ruleClock(11, 0, 0))
	old.OccurredAt = time.Date(2013, 5, 6, 11, 0, 0, 0, time.UTC)
	recent := c100(event.ChatRequested, "c2", "v2", ruleClock(11, 30, 0))
	recent.OccurredAt = ruleClock(11, 16, 0)
	checkRule(t, []event.Event{old, recent}, []ruleStep{
		{2, ruleClock(11, 50, 0), expect{"today.arrivals": 1.0, "window.arrivals": 1.0, "chats_per_hour": 1.0,
			"queue_length": 2.0, "longest_wait_seconds": 3000.0}},
	})
}

// TestRuleAgentOnlyInChat: an agent seen only in a chat has status
// unknown and is not counted online; holding a chat, they still serve.
func TestRuleAgentOnlyInChat(t *testing.T) {
	acc := event.Event{Source: event.JivoChat, Kind: event.ChatAccepted, ChatID: "50002", Visitor: &event.Visitor{Number: "8"},
		ReceivedAt: ruleClock(10, 0, 0), Agents: []event.Agent{{ID: "j1", Name: "Lena"}}}
	checkRule(t, []event.Event{acc}, []ruleStep{
		{1, ruleClock(10, 1, 0), expect{"agents_total": 1.0, "agents_online": 0.0, "agents_unknown": 1.0,
			"agents_away": 0.0, "agents_offline": 0.0, "active_chats": 1.0, "utilisation": 1.0 / 3}},
	})
}

func agentStatus(id string, s event.AgentStatus, at time.Time) event.Event {
	return event.Event{Source: event.Comm100, Kind: event.AgentStatusChanged, ReceivedAt: at, Agents: []event.Agent{{ID: id, Status: s}}}
}

// TestRuleUtilisationAgentAway: an agent who goes away while holding a
// chat still serves it: utilisation does not rise (nor vanish).
func TestRuleUtilisationAgentAway(t *testing.T) {
	evs := []event.Event{
		agentStatus("a1", event.AgentOnline, ruleClock(10, 0, 0)),
		agentStatus("a2", event.AgentOnline, ruleClock(10, 0, 1)),
		c100(event.ChatRequested, "c1", "v1", ruleClock(10, 1, 0)),
		withAgent(c100(event.ChatStarted, "c1", "v1", ruleClock(10, 1, 10)), "a1"),
		agentStatus("a1", event.AgentAway, ruleClock(10, 5, 0)),
		agentStatus("a2", event.AgentAway, ruleClock(10, 6, 0)),
	}
	checkRule(t, evs, []ruleStep{
		{4, ruleClock(10, 2, 0), expect{"agents_online": 2.0, "active_chats": 1.0, "utilisation": 1.0 / 6}},
		{5, ruleClock(10, 5, 30), expect{"agents_online": 1.0, "agents_away": 1.0, "active_chats": 1.0, "utilisation": 1.0 / 6}},
		{6, ruleClock(10, 6, 30), expect{"agents_online": 0.0, "agents_away": 2.0, "agents_unknown": 0.0, "agents_total": 2.0,
			"active_chats": 1.0, "utilisation": 1.0 / 3}},
	})
}

// TestRuleSnapshotOngoingChats: an agent the latest agents poll lists has
// the poll's OngoingChats as their chats; one it drops goes offline.
func TestRuleSnapshotOngoingChats(t *testing.T) {
	snap := func(at time.Time, agents ...event.Agent) event.Event {
		return event.Event{Source: event.Comm100, Kind: event.AgentsSnapshot, ReceivedAt: at, SnapshotAgents: agents}
	}
	evs := []event.Event{
		snap(ruleClock(10, 0, 0),
			event.Agent{ID: "a1", Name: "Alex", Status: event.AgentOnline, OngoingChats: 2},
			event.Agent{ID: "a2", Name: "Bea", Status: event.AgentAway, OngoingChats: 1}),
		snap(ruleClock(10, 1, 0),
			event.Agent{ID: "a1", Name: "Alex", Status: event.AgentOnline, OngoingChats: 2}),
	}
	checkRule(t, evs, []ruleStep{
		{1, ruleClock(10, 0, 30), expect{"agents_online": 1.0, "agents_away": 1.0, "agents_total": 2.0, "agents_unknown": 0.0,
			"active_chats": 0.0, "utilisation": 0.0}},
		{2, ruleClock(10, 1, 30), expect{"agents_online": 1.0, "agents_away": 0.0, "agents_offline": 1.0, "agents_total": 2.0}},
	})
	wantChats := map[string]int{"a1": 2, "a2": 1}
	t.Run("board agents", func(t *testing.T) {
		cfg := board.DefaultConfig()
		b := board.New(cfg)
		b.Apply(&evs[0])
		for _, a := range b.Agents() {
			if a.Chats != wantChats[a.ID] {
				t.Errorf("board: agent %s has %d chats, want the poll's %d", a.ID, a.Chats, wantChats[a.ID])
			}
		}
		if n := len(b.Agents()); n != 2 {
			t.Errorf("board: %d agents, want 2", n)
		}
	})
	t.Run("reference agents", func(t *testing.T) {
		m := referenceMetrics(board.DefaultConfig(), evs[:1], ruleClock(10, 0, 30))
		for id, n := range wantChats {
			if got := m.AgentChats["comm100/"+id]; got != n {
				t.Errorf("model: agent %s has %d chats, want %d", id, got, n)
			}
		}
	})
}
