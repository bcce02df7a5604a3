package board

import (
	"bytes"
	"cmp"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chatdeck/chatdeck/ingest/event"
)

// stateCfg is small enough that a few hundred events prune ended chats (by
// age and by count), stale chats, history and the outcome log, and wrap
// the rings.
var stateCfg = Config{
	SLTarget: 20 * time.Second, Window: 15 * time.Minute, ShortAbandon: 4 * time.Second, Capacity: 2,
	KeepEnded: 40 * time.Minute, MaxEnded: 12, StaleAfter: 2 * time.Hour, KeepHistory: 6 * time.Hour,
	InboxSize: 8, Location: time.FixedZone("X", -5*3600),
}

var (
	genSources = []event.Source{event.Comm100, event.Chatlio, event.JivoChat}
	genAgents  = []event.Agent{{ID: "A1", Name: "Ann"}, {ID: "b2", Name: "Bob"}, {ID: "C3", Name: "Cy"},
		{ID: "d4", Name: "Dee", Email: "dee@example.com"}, {ID: "E5"}}
	genStatuses = []struct {
		s    event.AgentStatus
		name string
	}{{event.AgentOnline, "Online"}, {event.AgentAway, "Away"}, {event.AgentAway, "Meeting"}, {event.AgentOffline, "Offline"}}
	genRatings = []event.Rating{{Sentiment: event.Good, Value: "5"}, {Sentiment: event.Bad, Value: "1", Comment: "slow"},
		{Sentiment: event.Neutral, Value: "3"}, {Sentiment: event.Good, Value: "up", Comment: "thanks"}}
)

const genVisitors = 25

// gen makes a reproducible stream of varied events.
type gen struct {
	r     *rand.Rand
	seq   int64
	now   time.Time
	n     int
	chats []genChat
}

type genChat struct {
	src     event.Source
	id      string
	visitor int
}

func newGen(seed uint64) *gen {
	return &gen{r: rand.New(rand.NewPCG(seed, 7)), now: t0}
}

// visitor returns pool visitor i of src: all of its identities, or (Jivo)
// only some, as a first webhook may send.
func (g *gen) visitor(src event.Source, i int, full bool) *event.Visitor {
	v := &event.Visitor{Name: fmt.Sprintf("Visitor %d", i)}
	if src == event.JivoChat {
		switch {
		case full:
			v.ID, v.Number, v.UserToken = fmt.Sprintf("j%d", i), fmt.Sprintf("n%d", i), fmt.Sprintf("t%d", i)
		case g.r.IntN(2) == 0:
			v.Number = fmt.Sprintf("n%d", i)
		default:
			v.UserToken = fmt.Sprintf("t%d", i)
		}
		return v
	}
	v.ID = fmt.Sprintf("%s-v%d", src[:2], i)
	if g.r.IntN(3) == 0 {
		v.Email = fmt.Sprintf("v%d@example.com", i)
		v.Fields = []event.Field{{Name: "order", Value: fmt.Sprint(g.r.IntN(1000))}}
		v.Department = &event.Department{ID: "d1", Name: "Sales"}
	}
	return v
}

func (g *gen) newChat(src event.Source) genChat {
	g.n++
	c := genChat{src: src, id: fmt.Sprintf("%s-%d", src[:2], g.n), visitor: g.r.IntN(genVisitors)}
	g.chats = append(g.chats, c)
	return c
}

// pick returns a recent chat, now and then one the board has never seen.
func (g *gen) pick() genChat {
	if len(g.chats) == 0 || g.r.IntN(10) == 0 {
		return g.newChat(genSources[g.r.IntN(len(genSources))])
	}
	recent := min(len(g.chats), 40)
	return g.chats[len(g.chats)-1-g.r.IntN(recent)]
}

func (g *gen) agents(n int) []event.Agent {
	out := make([]event.Agent, 0, n)
	for range n {
		a := genAgents[g.r.IntN(len(genAgents))]
		if g.r.IntN(3) == 0 {
			a.ID = strings.ToUpper(a.ID) // ids compare case-insensitively
		}
		out = append(out, a)
	}
	return out
}

func (g *gen) rating() *event.Rating {
	r := genRatings[g.r.IntN(len(genRatings))]
	return &r
}

// before is a time a little before now: the vendor's own time of something.
func (g *gen) before(d time.Duration) time.Time {
	return g.now.Add(-time.Duration(g.r.Int64N(int64(d))))
}

func (g *gen) event() event.Event {
	g.seq++
	g.now = g.now.Add(time.Duration(g.r.Int64N(int64(90*time.Second))) + 1)
	if g.r.IntN(150) == 0 {
		g.now = g.now.Add(3 * time.Hour)
	}
	ev := event.Event{Seq: g.seq, ReceivedAt: g.now, Source: genSources[g.r.IntN(len(genSources))]}
	if g.r.IntN(15) == 0 {
		ev.ReceivedAt = g.before(2 * time.Minute) // out of order
	}
	chatEvent := func(kind event.Kind, c genChat) {
		ev.Kind, ev.Source, ev.ChatID = kind, c.src, c.id
		if g.r.IntN(2) == 0 {
			ev.Visitor = g.visitor(c.src, c.visitor, g.r.IntN(3) > 0)
		}
	}
	switch p := g.r.IntN(100); {
	case p < 16:
		chatEvent(event.ChatRequested, g.newChat(ev.Source))
		ev.Visitor = g.visitor(ev.Source, g.chats[len(g.chats)-1].visitor, g.r.IntN(3) == 0)
		ev.Messages = []event.Message{{From: event.FromVisitor, Text: fmt.Sprintf("question %d", g.seq)}}
		if g.r.IntN(3) == 0 {
			ev.Department = &event.Department{ID: fmt.Sprint(g.r.IntN(3))}
		}
	case p < 30:
		chatEvent([]event.Kind{event.ChatStarted, event.ChatAccepted, event.ChatTransferred}[g.r.IntN(3)], g.pick())
		ev.Agents = g.agents(1 + g.r.IntN(2))
		if g.r.IntN(3) == 0 {
			ev.Chat = &event.ChatInfo{StartedAt: g.before(time.Minute)}
		}
	case p < 37:
		c := g.pick()
		if g.r.IntN(2) == 0 {
			c = g.newChat(event.Chatlio)
		}
		chatEvent([]event.Kind{event.ChatUpdated, event.ChatAssigned}[g.r.IntN(2)], c)
		ev.Messages = []event.Message{{From: event.FromVisitor, Text: "hi", At: g.before(time.Minute)}}
		if g.r.IntN(2) == 0 {
			ev.Messages = append(ev.Messages, event.Message{From: event.FromAgent, Name: "Ann", Text: "hello", At: g.now})
		}
		if g.r.IntN(2) == 0 {
			ev.Chat = &event.ChatInfo{Comment: fmt.Sprintf("note %d", g.seq), Tags: []string{"vip"}}
		}
	case p < 51:
		chatEvent(event.ChatEnded, g.pick())
		if g.r.IntN(3) > 0 {
			ev.Agents = g.agents(1)
		}
		if g.r.IntN(2) == 0 {
			ev.Rating = g.rating()
		}
		switch g.r.IntN(3) {
		case 0:
			ev.Chat = &event.ChatInfo{HasWait: true, Wait: time.Duration(g.r.IntN(60)) * time.Second, EndedAt: g.before(time.Minute),
				Attachments: []event.Attachment{{Name: "a.png", URL: "https://x/a.png"}}}
		case 1:
			ev.Messages = []event.Message{{From: event.FromVisitor, Text: "q", Clock: "10:01"},
				{From: event.FromAgent, Text: "a", At: g.before(time.Minute)}, {From: event.FromSystem, Text: "closed"}}
		}
	case p < 55:
		chatEvent(event.ChatWrappedUp, g.pick())
		ev.WrapUp = &event.WrapUp{Category: "billing", Fields: []event.Field{{Name: "x", Value: "y"}}, At: g.now}
	case p < 60:
		chatEvent(event.Feedback, g.pick())
		ev.Rating = g.rating()
	case p < 63:
		chatEvent(event.VisitorUnanswered, g.pick())
	case p < 66:
		ev.Kind = event.VisitorUpdated
		ev.Visitor = g.visitor(ev.Source, g.r.IntN(genVisitors), g.r.IntN(2) == 0)
		ev.Visitor.CurrentPage = fmt.Sprintf("/page/%d", g.seq)
	case p < 71:
		ev.Kind = event.OfflineMessage
		ev.Visitor = g.visitor(ev.Source, g.r.IntN(genVisitors), true)
		if g.r.IntN(3) > 0 {
			ev.Offline = &event.Offline{Subject: "help", Text: fmt.Sprintf("offline %d", g.seq),
				Attachments: []event.Attachment{{Name: "f.txt"}}}
			if g.r.IntN(2) == 0 {
				ev.Offline.ID = fmt.Sprintf("off-%d", g.seq)
			}
		}
		if g.r.IntN(2) == 0 {
			ev.Department = &event.Department{Name: "Support"}
		}
	case p < 74:
		ev.Kind = event.CallEvent
		ev.Source = event.JivoChat
		ev.Call = &event.Call{Type: "callback", Status: []string{"start", "agent_connected", "end"}[g.r.IntN(3)], Phone: "+100"}
		if g.r.IntN(2) == 0 {
			c := g.pick()
			ev.Source, ev.ChatID = c.src, c.id
		}
	case p < 76:
		ev.Kind = event.Unrecognised
		ev.VendorEvent = fmt.Sprintf("mystery_%d", g.r.IntN(4))
		ev.Raw = json.RawMessage(fmt.Sprintf(`{"n":%d,"s":"%s"}`, g.seq, strings.Repeat("é", 120)))
	case p < 84:
		ev.Kind = event.AgentStatusChanged
		st := genStatuses[g.r.IntN(len(genStatuses))]
		a := g.agents(1)[0]
		a.Status, a.StatusName = st.s, st.name
		ev.Agents = []event.Agent{a}
		if g.r.IntN(2) == 0 {
			ev.OccurredAt = g.before(30 * time.Second)
		}
	case p < 88:
		ev.Kind = event.AgentsSnapshot
		for _, a := range genAgents {
			if g.r.IntN(4) == 0 {
				continue
			}
			st := genStatuses[g.r.IntN(3)]
			a.Status, a.StatusName, a.OngoingChats = st.s, st.name, g.r.IntN(3)
			ev.SnapshotAgents = append(ev.SnapshotAgents, a)
		}
		if g.r.IntN(3) > 0 {
			ev.SnapshotStatuses = []string{"Online", "Away", fmt.Sprintf("Meeting %d", g.r.IntN(2))}
		}
	case p < 93:
		ev.Kind = event.VisitorsSnapshot
		states := []event.VisitorState{event.VisitorWaiting, event.VisitorTransferring, event.VisitorInSite, event.VisitorChatting}
		for range g.r.IntN(5) {
			v := g.visitor(ev.Source, g.r.IntN(genVisitors), true)
			v.State = states[g.r.IntN(len(states))]
			ev.SnapshotVisitors = append(ev.SnapshotVisitors, *v)
		}
	default:
		// A quiet spell.
		g.now = g.now.Add(time.Duration(g.r.IntN(30)) * time.Minute)
		ev.ReceivedAt = g.now
		ev.Kind = event.Unrecognised
		ev.Raw = json.RawMessage(`{}`)
	}
	return ev
}

// handmade returns events that make sure of what chance may miss: a
// visitor whose key changes mid-chat (leaving the open index a chat the
// board later forgets), a time outside UTC, a polled visitor.
func (g *gen) handmade() []event.Event {
	evs := []event.Event{
		{Source: event.JivoChat, Kind: event.ChatAccepted, ChatID: "jv-key", Visitor: &event.Visitor{Number: "n900"},
			Agents: []event.Agent{{ID: "A1", Name: "Ann"}}},
		{Source: event.JivoChat, Kind: event.ChatUpdated, ChatID: "jv-key", Visitor: &event.Visitor{ID: "j900", Number: "n900"},
			Messages: []event.Message{{From: event.FromAgent, Text: "hi"}}},
		{Source: event.JivoChat, Kind: event.ChatEnded, ChatID: "jv-key", Rating: &event.Rating{Sentiment: event.Good, Value: "positive"}},
		{Source: event.Comm100, Kind: event.VisitorsSnapshot, SnapshotVisitors: []event.Visitor{{ID: "co-v900", State: event.VisitorWaiting}}},
		{Source: event.Comm100, Kind: event.ChatRequested, ChatID: "tz", Visitor: &event.Visitor{ID: "co-v901"},
			Messages: []event.Message{{From: event.FromVisitor, Text: "bonjour"}}},
	}
	for i := range evs {
		g.seq++
		g.now = g.now.Add(10 * time.Second)
		evs[i].Seq, evs[i].ReceivedAt = g.seq, g.now
	}
	evs[4].ReceivedAt = g.now.In(time.FixedZone("CET", 3600))
	return evs
}

// buildBoard applies handmade events and then n generated ones, with a
// 50-hour gap in the middle, so the outcome log is pruned too.
func buildBoard(t testing.TB, g *gen, n int) *Board {
	t.Helper()
	b := New(stateCfg)
	for _, ev := range g.handmade() {
		b.Apply(&ev)
	}
	for i := range n {
		if i == n/2 {
			g.now = g.now.Add(50 * time.Hour)
		}
		ev := g.event()
		b.Apply(&ev)
	}
	return b
}

func mustJSON(t testing.TB, v any) []byte {
	t.Helper()
	data, err := json.Marshal(v)
	if err != nil {
		t.Fatalf("marshal %T: %v", v, err)
	}
	return data
}

// roundTrip passes st through JSON and restores it.
func roundTrip(t testing.TB, cfg Config, st State) *Board {
	t.Helper()
	var back State
	if err := json.Unmarshal(mustJSON(t, st), &back); err != nil {
		t.Fatalf("unmarshal state: %v", err)
	}
	b, err := Restore(cfg, back)
	if err != nil {
		t.Fatalf("Restore: %v", err)
	}
	return b
}

// sameJSON fails unless a and b encode alike.
func sameJSON(t *testing.T, what string, a, b any) {
	t.Helper()
	ja, jb := mustJSON(t, a), mustJSON(t, b)
	if bytes.Equal(ja, jb) {
		return
	}
	i := 0
	for i < len(ja) && i < len(jb) && ja[i] == jb[i] {
		i++
	}
	from := max(0, i-120)
	t.Fatalf("%s differ at byte %d:\n original: …%s\n replica:  …%s", what, i,
		ja[from:min(len(ja), i+120)], jb[from:min(len(jb), i+120)])
}

// canonView orders v's agents as Agents does, then by source: Agents
// leaves agents of the same status, name and id (one per source) in map
// order, which differs between calls on the same board.
func canonView(v View) View {
	v.Agents = canonAgents(v.Agents)
	return v
}

func canonAgents(list []Agent) []Agent {
	rank := map[event.AgentStatus]int{event.AgentOnline: 0, event.AgentAway: 1, event.AgentUnknown: 2, event.AgentOffline: 3}
	slices.SortStableFunc(list, func(x, y Agent) int {
		return cmp.Or(cmp.Compare(rank[x.Status], rank[y.Status]),
			cmp.Compare(strings.ToLower(x.Name), strings.ToLower(y.Name)), cmp.Compare(x.ID, y.ID), cmp.Compare(x.Source, y.Source))
	})
	return list
}

// checkIndexes fails unless every chat's waitIndex matches the queue.
func checkIndexes(t *testing.T, b *Board) {
	t.Helper()
	for i, c := range b.waiting {
		if c.waitIndex != i || c.State != Waiting {
			t.Fatalf("waiting[%d] = %s/%s state %s waitIndex %d", i, c.Source, c.ID, c.State, c.waitIndex)
		}
	}
	b.chats.all(func(_ key, c *Chat) {
		if c.State != Waiting && c.waitIndex != -1 {
			t.Fatalf("chat %s/%s is %s with waitIndex %d", c.Source, c.ID, c.State, c.waitIndex)
		}
	})
}

// sameBoards checks that replica answers every query as orig does.
func sameBoards(t *testing.T, orig, replica *Board, g *gen, nows ...time.Time) {
	t.Helper()
	sameJSON(t, "State", orig.State(), replica.State())
	checkIndexes(t, replica)
	for _, now := range nows {
		sameJSON(t, "View at "+now.String(), canonView(orig.View(now)), canonView(replica.View(now)))
		sameJSON(t, "Queue page", orig.Queue(now, 1, 2), replica.Queue(now, 1, 2))
		sameJSON(t, "Metrics", orig.Metrics(now), replica.Metrics(now))
	}
	sameJSON(t, "Agents", canonAgents(orig.Agents()), canonAgents(replica.Agents()))
	sameJSON(t, "Chats", orig.Chats(), replica.Chats())
	sameJSON(t, "ChatSummaries", orig.ChatSummaries(), replica.ChatSummaries())
	if orig.QueueLen() != replica.QueueLen() || orig.Cursor() != replica.Cursor() {
		t.Fatalf("queue %d cursor %d, replica queue %d cursor %d", orig.QueueLen(), orig.Cursor(), replica.QueueLen(), replica.Cursor())
	}
	for _, n := range []int{0, 1, 3} {
		sameJSON(t, "Inbox", orig.Inbox(n), replica.Inbox(n))
		sameJSON(t, "OfflineMessages", orig.OfflineMessages(n), replica.OfflineMessages(n))
	}
	sameJSON(t, "Sources", orig.Sources(), replica.Sources())
	type chatKey struct {
		source event.Source
		id     string
	}
	ids := map[chatKey]bool{}
	for _, c := range g.chats {
		ids[chatKey{c.src, c.id}] = true
	}
	for _, c := range orig.Chats() {
		ids[chatKey{c.Source, c.ID}] = true
	}
	for k := range ids {
		a, aok := orig.Chat(k.source, k.id)
		b, bok := replica.Chat(k.source, k.id)
		if aok != bok {
			t.Fatalf("Chat(%s, %s) found %v, replica %v", k.source, k.id, aok, bok)
		}
		sameJSON(t, "Chat "+k.id, a, b)
		if !sameTally(a.tally, b.tally) || a.waitIndex != b.waitIndex {
			t.Fatalf("chat %s: tally %+v waitIndex %d, replica %+v %d", k.id, a.tally, a.waitIndex, b.tally, b.waitIndex)
		}
	}
	excludes := []string{""}
	for _, c := range g.chats[max(0, len(g.chats)-20):] {
		excludes = append(excludes, c.id)
	}
	for _, src := range genSources {
		sameJSON(t, "StatusOptions", orig.StatusOptions(src), replica.StatusOptions(src))
		for i := range genVisitors + 1 {
			vs := []*event.Visitor{g.visitor(src, i, true), {UserToken: fmt.Sprintf("t%d", i)}, {Number: fmt.Sprintf("n%d", i)}}
			for _, v := range vs {
				for _, ex := range excludes {
					ha, oka := orig.VisitorHistory(src, v, ex)
					hb, okb := replica.VisitorHistory(src, v, ex)
					if oka != okb || ha != hb {
						t.Fatalf("VisitorHistory(%s, %+v, %q) = %+v %v, replica %+v %v", src, v, ex, ha, oka, hb, okb)
					}
				}
			}
		}
		for _, a := range genAgents {
			for _, id := range []string{a.ID, strings.ToUpper(a.ID), "nobody"} {
				if x, y := orig.AgentName(src, id), replica.AgentName(src, id); x != y {
					t.Fatalf("AgentName(%s, %s) = %q, replica %q", src, id, x, y)
				}
			}
		}
	}
}

// viaJSON returns a copy of ev as a remote terminal decodes it.
func viaJSON(t *testing.T, ev event.Event) event.Event {
	t.Helper()
	var out event.Event
	if err := json.Unmarshal(mustJSON(t, ev), &out); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestRestoreReplicatesBoard(t *testing.T) {
	g := newGen(1)
	orig := buildBoard(t, g, 700)
	st := orig.State()

	// The history built is as rich as intended.
	if orig.Cursor() != g.seq || st.Seq != g.seq {
		t.Fatalf("cursor %d, state cursor %d, want %d", orig.Cursor(), st.Seq, g.seq)
	}
	gone, counted, csat := 0, 0, 0
	for _, c := range st.Chats {
		if c.Gone {
			gone++
		}
		if c.Tally.Outcome != 0 {
			counted++
		}
		if c.Tally.Rated {
			csat++
		}
	}
	if gone == 0 || counted == 0 || csat == 0 {
		t.Errorf("state has %d gone, %d counted, %d csat chats; want some of each", gone, counted, csat)
	}
	if len(st.Chats)-gone >= g.n {
		t.Errorf("%d chats on the board of %d seen: nothing was pruned", len(st.Chats)-gone, g.n)
	}
	if len(st.Waiting) == 0 || len(st.Ended) == 0 || len(st.Open) == 0 || len(st.History) == 0 {
		t.Errorf("state has %d waiting, %d ended, %d open sources, %d history sources; want some of each",
			len(st.Waiting), len(st.Ended), len(st.Open), len(st.History))
	}
	if st.Outcomes.Base.Arrivals == 0 || len(st.Outcomes.Log) == 0 {
		t.Errorf("outcome base %+v with %d entries: want a pruned log", st.Outcomes.Base, len(st.Outcomes.Log))
	}
	if n := len(st.Inbox); n < stateCfg.InboxSize || n > stateCfg.InboxSize*5/4 {
		t.Errorf("inbox holds %d items, want %d to %d", n, stateCfg.InboxSize, stateCfg.InboxSize*5/4)
	}
	fromPoll := 0
	for _, a := range st.Agents {
		if a.FromPoll {
			fromPoll++
		}
	}
	if fromPoll == 0 || len(st.Statuses) == 0 || len(st.Sources) != 3 || len(st.Offline) == 0 {
		t.Errorf("state has %d polled agents, %d status lists, %d sources, %d offline messages",
			fromPoll, len(st.Statuses), len(st.Sources), len(st.Offline))
	}
	if st.Version != StateVersion {
		t.Errorf("version %d, want %d", st.Version, StateVersion)
	}

	replica := roundTrip(t, stateCfg, st)
	latest := st.Latest
	nows := []time.Time{latest, latest.Add(-time.Hour), latest.Add(7 * time.Minute), latest.Add(3 * time.Hour),
		latest.Add(30 * time.Hour), latest.In(time.FixedZone("Y", 9*3600))}
	sameBoards(t, orig, replica, g, nows...)

	// Both apply the same further events: the replica decodes its own copy.
	for i := range 200 {
		ev := g.event()
		rev := viaJSON(t, ev)
		orig.Apply(&ev)
		replica.Apply(&rev)
		sameJSON(t, fmt.Sprintf("View after event %d (%s)", ev.Seq, ev.Kind), canonView(orig.View(g.now)), canonView(replica.View(g.now)))
		if i%50 == 49 {
			sameBoards(t, orig, replica, g, g.now, g.now.Add(-20*time.Minute), g.now.Add(26*time.Hour))
		}
	}
	sameBoards(t, orig, replica, g, g.now, g.now.Add(time.Minute), g.now.Add(-2*time.Hour))
	if m := replica.Metrics(g.now); m.Today.Arrivals == 0 && m.Window.Arrivals == 0 && m.QueueLength == 0 {
		t.Errorf("replica metrics are empty: %+v", m)
	}
}

func TestRestoreRebuildsIndexes(t *testing.T) {
	f := newFeed(stateCfg)
	f.request(event.Comm100, "c1", "v1", 0)
	f.request(event.Comm100, "c2", "v2", 10)
	f.request(event.Comm100, "c3", "v3", 5)
	f.start(event.Comm100, "c2", "A1", 12)
	f.end(event.Comm100, "c4", 20, &event.Rating{Sentiment: event.Bad, Value: "1"}, "A1")
	f.request(event.Comm100, "c5", "v5", 30)
	f.end(event.Comm100, "c5", 31, nil)
	st := f.b.State()
	r := roundTrip(t, stateCfg, st)

	if got := r.Queue(at(40), 0, -1); len(got) != 2 || got[0].ChatID != "c1" || got[1].ChatID != "c3" {
		t.Fatalf("queue = %+v, want c1, c3", got)
	}
	for id, want := range map[string]int{"c1": 0, "c3": 1, "c2": -1, "c4": -1, "c5": -1} {
		if c := r.chats.get(r.key(event.Comm100, id)); c == nil || c.waitIndex != want {
			t.Errorf("%s: %+v, want waitIndex %d", id, c, want)
		}
	}
	if c := r.chats.get(r.key(event.Comm100, "c4")); c.tally.outcome == noOutcome || !c.tally.rated {
		t.Errorf("c4 tally %+v, want an outcome and a rating", c.tally)
	}
	if c := r.chats.get(r.key(event.Comm100, "c2")); c.tally.outcome == noOutcome || c.tally.rated {
		t.Errorf("c2 tally %+v, want an outcome only", c.tally)
	}
	if c := r.open[r.key(event.Comm100, "v3")]; c == nil || c.ID != "c3" || c != r.chats.get(r.key(event.Comm100, "c3")) {
		t.Errorf("open[v3] = %+v, want chat c3 itself", c)
	}
	if len(r.open) != 3 {
		t.Errorf("open index holds %d visitors, want 3 (v1, v2, v3)", len(r.open))
	}
	if len(r.ended) != 2 || r.ended[0].ID != "c4" || r.ended[1].ID != "c5" || r.ended[1] != r.chats.get(r.key(event.Comm100, "c5")) {
		t.Errorf("ended = %v, want c4, c5", r.ended)
	}
	m := r.Metrics(at(40))
	if m.Window.Arrivals != 5 || m.Window.Answered != 2 || m.Window.ShortAbandoned != 1 || m.Window.CSATBad != 1 {
		t.Errorf("restored window = %+v", m.Window)
	}
	// The running totals are rebuilt from the entries: pruning keeps the base.
	for _, b := range []*Board{f.b, r} {
		b.outcomes.prune(at(15))
	}
	if got := r.outcomes.total(at(40)); got.arrivals != 5 || got.answered != 2 || got.bad != 1 {
		t.Errorf("after prune, totals = %+v", got)
	}
	if got := r.outcomes.between(at(15), at(40)); got.arrivals != 2 || got.answered != 1 || got.shortAbandoned != 1 {
		t.Errorf("after prune, (15, 40] = %+v", got)
	}
	// Both boards apply the same events alike.
	for _, b := range []*Board{f.b, r} {
		b.Apply(&event.Event{Seq: 9, Source: event.Comm100, Kind: event.ChatStarted, ChatID: "c3", ReceivedAt: at(50),
			Agents: []event.Agent{{ID: "B2", Name: "Bob"}}})
	}
	if q := r.Queue(at(60), 0, -1); len(q) != 1 || q[0].ChatID != "c1" || r.chats.get(r.key(event.Comm100, "c1")).waitIndex != 0 {
		t.Errorf("after c3 answered, replica queue = %+v", q)
	}
	sameJSON(t, "View", f.b.View(at(60)), r.View(at(60)))
	sameJSON(t, "State", f.b.State(), r.State())
}

// TestRestoreKeepsForgottenChats: a polled visitor's chat ends and the
// next poll queues the visitor again under the same chat key. Until the
// next prune the ended list holds the first chat, which the board no
// longer holds.
func TestRestoreKeepsForgottenChats(t *testing.T) {
	f := newFeed(stateCfg)
	snap := func(when float64) {
		f.apply(event.Event{Source: event.Comm100, Kind: event.VisitorsSnapshot, ReceivedAt: at(when),
			SnapshotVisitors: []event.Visitor{{ID: "p1", Name: "Polly", State: event.VisitorWaiting}}})
	}
	snap(0)
	f.apply(event.Event{Source: event.Comm100, Kind: event.ChatEnded, ChatID: "visitor:p1", ReceivedAt: at(10)})
	snap(20)
	st := f.b.State()
	if len(st.Chats) != 2 || st.Chats[0].Gone || !st.Chats[1].Gone || st.Chats[1].State != Missed ||
		!slices.Equal(st.Ended, []int{1}) || !slices.Equal(st.Waiting, []int{0}) || st.Open[event.Comm100]["p1"] != 0 {
		t.Fatalf("state = %s", mustJSON(t, st))
	}
	r := roundTrip(t, stateCfg, st)
	if len(r.ended) != 1 || r.ended[0] == r.chats.get(r.key(event.Comm100, "visitor:p1")) || r.ended[0].State != Missed {
		t.Errorf("restored ended list = %v, want the forgotten missed chat", r.ended)
	}
	sameJSON(t, "State", f.b.State(), r.State())
	for _, b := range []*Board{f.b, r} {
		b.Apply(&event.Event{Seq: 10, Source: event.Chatlio, Kind: event.Unrecognised, ReceivedAt: at(100), Raw: json.RawMessage(`{}`)})
	}
	if len(r.ended) != 0 || r.QueueLen() != 1 {
		t.Errorf("after prune: %d ended, queue %d; want 0 and 1", len(r.ended), r.QueueLen())
	}
	sameJSON(t, "State after prune", f.b.State(), r.State())
	sameJSON(t, "View after prune", f.b.View(at(100)), r.View(at(100)))
}

func TestStateEmptyBoard(t *testing.T) {
	b := New(stateCfg)
	data := mustJSON(t, b.State())
	if string(data) != `{"version":2}` {
		t.Errorf("empty state = %s, want {\"version\":2}", data)
	}
	r := roundTrip(t, Config{}, b.State())
	if cfg := r.Config(); cfg.InboxSize != 1000 || cfg.Location != time.UTC || cfg.MaxEnded != 5000 {
		t.Errorf("restored with zero config: %+v, want the defaults", cfg)
	}
	e := New(Config{})
	sameJSON(t, "empty View", e.View(t0), r.View(t0))
	g := newGen(2)
	for range 50 {
		ev := g.event()
		rev := ev
		e.Apply(&ev)
		r.Apply(&rev)
	}
	sameJSON(t, "View after events", canonView(e.View(g.now)), canonView(r.View(g.now)))
	sameJSON(t, "State after events", e.State(), r.State())
}

func TestRestoreRejectsBadState(t *testing.T) {
	chat := StateChat{Chat: Chat{Source: event.Comm100, ID: "c1", State: Waiting}}
	for name, st := range map[string]State{
		"no version":       {},
		"unknown version":  {Version: StateVersion + 1},
		"waiting ref":      {Version: StateVersion, Chats: []StateChat{chat}, Waiting: []int{1}},
		"negative ref":     {Version: StateVersion, Chats: []StateChat{chat}, Ended: []int{-1}},
		"open ref":         {Version: StateVersion, Open: map[event.Source]map[string]int{event.Comm100: {"v": 0}}},
		"queued twice":     {Version: StateVersion, Chats: []StateChat{chat}, Waiting: []int{0, 0}},
		"chat twice":       {Version: StateVersion, Chats: []StateChat{chat, chat}},
		"agent twice":      {Version: StateVersion, Agents: []StateAgent{{Agent: Agent{Source: event.Comm100, ID: "A"}}, {Agent: Agent{Source: event.Comm100, ID: "a"}}}},
		"log out of order": {Version: StateVersion, Outcomes: StateOutcomes{Log: []StateOutcome{{At: at(10), Arrivals: 1}, {At: at(5), Arrivals: 1}}}},
	} {
		if b, err := Restore(Config{}, st); err == nil || b != nil {
			t.Errorf("%s: Restore = %v, %v; want an error", name, b, err)
		}
	}
	var st State
	if err := json.Unmarshal([]byte(`{"version":1,"chats":[]}`), &st); err != nil {
		t.Fatal(err)
	}
	if _, err := Restore(Config{}, st); err == nil || !strings.Contains(err.Error(), "version 1") {
		t.Errorf("Restore of version 1: %v, want a version error", err)
	}
	// A chat the board forgot but an index holds may share its key with a
	// chat on the board: that is not a duplicate.
	gone := chat
	gone.Gone, gone.State = true, Ended
	if _, err := Restore(Config{}, State{Version: StateVersion, Chats: []StateChat{chat, gone}, Ended: []int{1}}); err != nil {
		t.Errorf("Restore with a gone chat: %v", err)
	}
}

func TestStateIsACopy(t *testing.T) {
	g := newGen(3)
	b := buildBoard(t, g, 300)
	f := &feed{b: b, seq: g.seq}
	f.request(event.Chatlio, "mut", "vm", 1e6)
	f.apply(event.Event{Source: event.Chatlio, Kind: event.ChatUpdated, ChatID: "mut", ReceivedAt: at(1e6 + 1),
		Chat: &event.ChatInfo{Comment: "first", Tags: []string{"a"}}})
	// A chat whose agents and transcript have room to grow once decoded.
	f.request(event.Chatlio, "many", "vn", 1e6+2)
	f.apply(event.Event{Source: event.Chatlio, Kind: event.ChatUpdated, ChatID: "many", ReceivedAt: at(1e6 + 3),
		Agents: genAgents[:3], Messages: []event.Message{{From: event.FromVisitor, Text: "1"},
			{From: event.FromVisitor, Text: "2"}, {From: event.FromVisitor, Text: "3"}}})
	st := b.State()
	before := mustJSON(t, st)
	idx := -1
	for i, c := range st.Chats {
		if c.ID == "mut" {
			idx = i
		}
	}
	if idx < 0 || st.Chats[idx].Info == nil || st.Chats[idx].Info.Comment != "first" {
		t.Fatalf("state lacks chat mut with its note")
	}

	// Changes made in place: the chat's info, its agents and transcript,
	// the rings, the outcome log's running totals (an out-of-order entry).
	f.apply(event.Event{Source: event.Chatlio, Kind: event.ChatUpdated, ChatID: "mut", ReceivedAt: at(1e6 + 2),
		Chat: &event.ChatInfo{Comment: "second", HasWait: true, Wait: time.Second}, Agents: []event.Agent{{ID: "A1"}}})
	f.apply(event.Event{Source: event.Chatlio, Kind: event.ChatEnded, ChatID: "mut", ReceivedAt: at(1e6 - 100),
		Agents: []event.Agent{{ID: "b2"}}, Messages: []event.Message{{From: event.FromVisitor, Text: "bye"}},
		Rating: &event.Rating{Sentiment: event.Good, Value: "up"}})
	g.now, g.seq = at(1e6+10), f.seq
	for range 200 {
		ev := g.event()
		b.Apply(&ev)
	}
	if after := mustJSON(t, st); !bytes.Equal(before, after) {
		t.Errorf("State changed when the board applied events")
	}
	if st.Chats[idx].Info.Comment != "first" || st.Chats[idx].State != Waiting || len(st.Chats[idx].Agents) != 0 {
		t.Errorf("state's chat mut = %+v", st.Chats[idx])
	}
	if bytes.Equal(before, mustJSON(t, b.State())) {
		t.Errorf("the board's state did not change")
	}

	// Boards restored from one State share nothing with it or each other:
	// r1 and r2 apply different events in turn, and r1 must end as r3 does,
	// which was restored from a copy and applied r1's events alone.
	// (Decoded, the State's slices have room to grow in place.)
	var decoded State
	if err := json.Unmarshal(before, &decoded); err != nil {
		t.Fatal(err)
	}
	r1, err := Restore(stateCfg, decoded)
	if err != nil {
		t.Fatal(err)
	}
	r2, err := Restore(stateCfg, decoded)
	if err != nil {
		t.Fatal(err)
	}
	r3 := roundTrip(t, stateCfg, st)
	seq := st.Seq
	for _, c := range st.Chats {
		if c.Gone {
			continue
		}
		seq++
		for i, r := range []*Board{r1, r2, r3} {
			who := []string{"r1", "r2", "r1"}[i]
			r.Apply(&event.Event{Seq: seq, Source: c.Source, Kind: event.ChatUpdated, ChatID: c.ID, ReceivedAt: st.Latest,
				Agents: []event.Agent{{ID: who}}, Messages: []event.Message{{From: event.FromAgent, Text: who}}})
		}
	}
	sameJSON(t, "State of boards restored from one State", r3.State(), r1.State())
	g1, g2 := newGen(4), newGen(5)
	g1.now, g1.seq, g1.chats = st.Latest, seq, slices.Clone(g.chats)
	g2.now, g2.seq, g2.chats = st.Latest, seq, slices.Clone(g.chats)
	for range 300 {
		ev1, ev2 := g1.event(), g2.event()
		cp := ev1
		r1.Apply(&ev1)
		r2.Apply(&ev2)
		r3.Apply(&cp)
	}
	if after := mustJSON(t, decoded); !bytes.Equal(before, after) {
		t.Errorf("State changed when boards restored from it applied events")
	}
	sameJSON(t, "State of boards restored from one State", r3.State(), r1.State())
}

// benchBoard returns a board holding n chats: most ended and rated, the
// rest active.
func benchBoard(tb testing.TB, n int) *Board {
	b := New(DefaultConfig())
	base := t0.Add(-10 * time.Hour)
	seq := int64(0)
	apply := func(ev event.Event) {
		seq++
		ev.Seq = seq
		b.Apply(&ev)
	}
	for i := range n {
		src := genSources[i%3]
		id := fmt.Sprintf("chat-%d", i)
		t := base.Add(time.Duration(i) * 3 * time.Second)
		v := &event.Visitor{ID: fmt.Sprintf("visitor-%d", i), Name: fmt.Sprintf("Visitor %d", i), Email: fmt.Sprintf("v%d@example.com", i),
			CurrentPage: "https://example.com/pricing", Location: "Lisbon, PT", Browser: "Firefox"}
		apply(event.Event{Source: src, Kind: event.ChatRequested, ChatID: id, ReceivedAt: t, Visitor: v,
			Messages: []event.Message{{From: event.FromVisitor, Text: "Hello, I have a question about my order"}}})
		apply(event.Event{Source: src, Kind: event.ChatStarted, ChatID: id, ReceivedAt: t.Add(12 * time.Second),
			Agents: []event.Agent{genAgents[i%len(genAgents)]}})
		if i%5 == 4 {
			continue
		}
		apply(event.Event{Source: src, Kind: event.ChatEnded, ChatID: id, ReceivedAt: t.Add(5 * time.Minute),
			Rating: &genRatings[i%len(genRatings)], Messages: []event.Message{
				{From: event.FromVisitor, Text: "Hello, I have a question about my order", At: t},
				{From: event.FromAgent, Name: "Ann", Text: "Sure, what is the order number?", At: t.Add(12 * time.Second)},
				{From: event.FromVisitor, Text: "It is 12345", At: t.Add(40 * time.Second)},
				{From: event.FromAgent, Name: "Ann", Text: "Thanks, it ships tomorrow.", At: t.Add(2 * time.Minute)}}})
	}
	if got := b.chats.len(); got != n {
		tb.Fatalf("bench board holds %d chats, want %d", got, n)
	}
	return b
}

func BenchmarkStateMarshal(b *testing.B) {
	bd := benchBoard(b, 5000)
	b.ReportAllocs()
	var size int
	for b.Loop() {
		data, err := json.Marshal(bd.State())
		if err != nil {
			b.Fatal(err)
		}
		size = len(data)
	}
	b.ReportMetric(float64(size), "json-bytes")
}

func BenchmarkRestoreUnmarshal(b *testing.B) {
	data := mustJSON(b, benchBoard(b, 5000).State())
	b.ReportAllocs()
	for b.Loop() {
		var st State
		if err := json.Unmarshal(data, &st); err != nil {
			b.Fatal(err)
		}
		if _, err := Restore(DefaultConfig(), st); err != nil {
			b.Fatal(err)
		}
	}
}

// sameTally reports whether two tallies say the same (times compared as
// instants).
func sameTally(a, b tally) bool {
	ta, tb := a, b
	ta.at, tb.at, ta.endRecv, tb.endRecv = time.Time{}, time.Time{}, time.Time{}, time.Time{}
	return ta == tb && a.at.Equal(b.at) && a.endRecv.Equal(b.endRecv)
}
