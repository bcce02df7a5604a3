package board

import (
	"cmp"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chatdeck/chatdeck/ingest/event"
)

// TestOrderedAgainstSortedSlice inserts and removes at random, with
// patterns that split and merge chunks, and compares every read with a
// sorted slice.
func TestOrderedAgainstSortedSlice(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	o := newOrdered(cmp.Compare[int])
	var ref []int
	held := map[int]bool{}
	check := func(step int) {
		t.Helper()
		if o.Len() != len(ref) {
			t.Fatalf("step %d: Len %d, want %d", step, o.Len(), len(ref))
		}
		var got []int
		o.each(0, func(v int) bool { got = append(got, v); return true })
		if !slices.Equal(got, ref) {
			t.Fatalf("step %d: each = %v, want %v", step, got, ref)
		}
		for _, off := range []int{0, 1, len(ref) / 3, len(ref) - 1, len(ref), len(ref) + 5} {
			var page, back []int
			o.each(off, func(v int) bool { page = append(page, v); return len(page) < 7 })
			o.eachBack(off, func(v int) bool { back = append(back, v); return len(back) < 7 })
			want := ref[min(max(off, 0), len(ref)):]
			want = want[:min(7, len(want))]
			var wantBack []int
			for i := len(ref) - 1 - max(off, 0); i >= 0 && len(wantBack) < 7; i-- {
				wantBack = append(wantBack, ref[i])
			}
			if !slices.Equal(page, want) || !slices.Equal(back, wantBack) {
				t.Fatalf("step %d: page at %d = %v back %v, want %v back %v", step, off, page, back, want, wantBack)
			}
		}
		if v, ok := o.first(); ok != (len(ref) > 0) || (ok && v != ref[0]) {
			t.Fatalf("step %d: first = %d, %v", step, v, ok)
		}
		for _, c := range o.chunks {
			if len(c) == 0 || len(c) > chunkMax {
				t.Fatalf("step %d: chunk of %d", step, len(c))
			}
		}
	}
	for step := range 20000 {
		switch phase := step / 4000; {
		case phase%2 == 0 || len(ref) == 0 || r.IntN(3) == 0:
			// Grow: mostly at the end (as chats are updated), sometimes
			// anywhere.
			v := r.IntN(1 << 20)
			if r.IntN(4) > 0 && len(ref) > 0 {
				v = ref[len(ref)-1] + 1 + r.IntN(3)
			}
			if held[v] {
				continue
			}
			held[v] = true
			o.insert(v)
			i, _ := slices.BinarySearch(ref, v)
			ref = slices.Insert(ref, i, v)
		default:
			// Shrink: mostly from the front (as pruning does).
			i := 0
			if r.IntN(3) == 0 {
				i = r.IntN(len(ref))
			}
			if !o.remove(ref[i]) {
				t.Fatalf("step %d: remove(%d) = false", step, ref[i])
			}
			delete(held, ref[i])
			ref = slices.Delete(ref, i, i+1)
		}
		if o.remove(-1) {
			t.Fatal("removed an element never held")
		}
		if step%97 == 0 {
			check(step)
		}
	}
	check(-1)
}

// TestPagedQueriesMatchFullOnes: every paged or filtered query returns
// the slice of the full one, on a board with chats in every state.
func TestPagedQueriesMatchFullOnes(t *testing.T) {
	g := newGen(11)
	b := buildBoard(t, g, 900)
	now := g.now
	agents, chats, queue := b.Agents(), b.ChatSummaries(), b.Queue(now, 0, -1)
	if len(agents) < 4 || len(chats) < 10 || len(queue) < 2 {
		t.Fatalf("board too small: %d agents, %d chats, %d waiting", len(agents), len(chats), len(queue))
	}
	if b.AgentCount() != len(agents) || b.ChatCount() != len(chats) || b.QueueLen() != len(queue) {
		t.Errorf("counts %d %d %d, want %d %d %d", b.AgentCount(), b.ChatCount(), b.QueueLen(), len(agents), len(chats), len(queue))
	}
	for _, off := range []int{-3, 0, 1, 5, len(chats) - 2, len(chats) + 3} {
		for _, lim := range []int{-1, 0, 1, 3, 1000} {
			window := func(n int) (int, int) {
				from := min(max(off, 0), n)
				to := n
				if lim >= 0 {
					to = min(from+lim, n)
				}
				return from, to
			}
			f, e := window(len(chats))
			sameJSON(t, fmt.Sprintf("ChatSummariesPage(%d, %d)", off, lim), chats[f:e], b.ChatSummariesPage(off, lim))
			f, e = window(len(agents))
			sameJSON(t, fmt.Sprintf("AgentsPage(%d, %d)", off, lim), agents[f:e], b.AgentsPage(off, lim))
		}
	}
	// Filtered: the same rows as filtering the full lists.
	pick := func(c *ChatSummary) bool { return c.Source == event.Chatlio || strings.HasSuffix(c.ID, "7") }
	var wantChats []ChatSummary
	for _, c := range chats {
		if pick(&c) {
			wantChats = append(wantChats, c)
		}
	}
	total, page := b.ChatSummariesWhere(pick, 1, 2)
	if total != len(wantChats) || len(wantChats) < 3 {
		t.Fatalf("ChatSummariesWhere total %d, want %d (≥ 3)", total, len(wantChats))
	}
	sameJSON(t, "ChatSummariesWhere page", wantChats[1:3], page)

	var wantAgents []Agent
	for _, a := range agents {
		if a.Status == event.AgentOnline {
			wantAgents = append(wantAgents, a)
		}
	}
	total, apage := b.AgentsWhere(func(a *Agent) bool { return a.Status == event.AgentOnline }, 0, -1)
	if total != len(wantAgents) {
		t.Errorf("AgentsWhere total %d, want %d", total, len(wantAgents))
	}
	sameJSON(t, "AgentsWhere", wantAgents, apage)

	total, qpage := b.QueueWhere(now, func(e *QueueEntry) bool { return e.Source == queue[0].Source }, 0, 1)
	n := 0
	for _, e := range queue {
		if e.Source == queue[0].Source {
			n++
		}
	}
	if total != n {
		t.Errorf("QueueWhere total %d, want %d", total, n)
	}
	sameJSON(t, "QueueWhere page", queue[:1], qpage)
	if total, all := b.QueueWhere(now, nil, 1, -1); total != len(queue) || len(all) != len(queue)-1 {
		t.Errorf("QueueWhere without a filter: %d, %d rows", total, len(all))
	}
}

// TestOverCapacityAndCounts follows agents' loads as chats start, move and
// end.
func TestOverCapacityAndCounts(t *testing.T) {
	f := newFeed(Config{Capacity: 2})
	// Chats say nothing of presence: the status webhooks do.
	f.apply(event.Event{Source: event.Comm100, Kind: event.AgentStatusChanged, ReceivedAt: at(0),
		Agents: []event.Agent{{ID: "A1", Status: event.AgentOnline}, {ID: "B2", Status: event.AgentOnline}}})
	for i := range 4 {
		f.request(event.Comm100, fmt.Sprintf("c%d", i), fmt.Sprintf("v%d", i), float64(i))
		f.start(event.Comm100, fmt.Sprintf("c%d", i), "A1", float64(10+i))
	}
	over := f.b.AgentsOverCapacity()
	if len(over) != 1 || over[0].ID != "A1" || over[0].Chats != 4 || over[0].Capacity != 2 {
		t.Fatalf("over capacity = %+v, want A1 with 4 chats", over)
	}
	// Transferred to B2: A1 holds 3, B2 1.
	f.apply(event.Event{Source: event.Comm100, Kind: event.ChatTransferred, ChatID: "c0", ReceivedAt: at(20),
		Agents: []event.Agent{{ID: "b2", Name: "Bob"}}})
	// An agent id in another case is the same agent.
	f.apply(event.Event{Source: event.Comm100, Kind: event.ChatUpdated, ChatID: "c1", ReceivedAt: at(21),
		Agents: []event.Agent{{ID: "B2"}}})
	f.end(event.Comm100, "c2", 30, nil)
	got := map[string]int{}
	for _, a := range f.b.Agents() {
		got[a.ID] = a.Chats
	}
	if got["A1"] != 2 || got["B2"] != 2 {
		t.Errorf("loads = %v, want A1 2 (c1, c3), B2 2 (c0, c1)", got)
	}
	if over := f.b.AgentsOverCapacity(); len(over) != 0 {
		t.Errorf("over capacity = %+v, want none", over)
	}
	m := f.b.Metrics(at(31))
	if m.ActiveChats != 3 || m.AgentsOnline != 2 || m.AgentsTotal != 2 {
		t.Errorf("metrics: %d active, %d online of %d", m.ActiveChats, m.AgentsOnline, m.AgentsTotal)
	}
	f.apply(event.Event{Source: event.Comm100, Kind: event.AgentStatusChanged, ReceivedAt: at(32),
		Agents: []event.Agent{{ID: "a1", Status: event.AgentAway}}})
	if m := f.b.Metrics(at(33)); m.AgentsOnline != 1 || m.AgentsAway != 1 {
		t.Errorf("after A1 went away: %d online, %d away", m.AgentsOnline, m.AgentsAway)
	}
	if a := f.b.AgentsPage(0, 1); len(a) != 1 || a[0].ID != "B2" {
		t.Errorf("first agent = %+v, want B2 (online before away)", a)
	}
}

// TestFeedMergesInTimeOrder: the feed is the stable sort by time of the
// offline messages and the inbox, also when items arrived out of order.
func TestFeedMergesInTimeOrder(t *testing.T) {
	for _, disorder := range []bool{false, true} {
		f := newFeed(Config{InboxSize: 5})
		when := []float64{1, 2, 2, 3, 5, 5, 8, 9, 9, 12, 13, 20}
		if disorder {
			when[7] = 4
		}
		for i, w := range when {
			if i%3 == 0 {
				f.apply(event.Event{Source: event.Chatlio, Kind: event.OfflineMessage, ReceivedAt: at(w),
					Offline: &event.Offline{ID: fmt.Sprint("o", i), Text: "t"}})
			} else {
				f.apply(event.Event{Source: event.JivoChat, Kind: event.CallEvent, ReceivedAt: at(w), ChatID: fmt.Sprint("k", i)})
			}
		}
		type row struct {
			at  time.Time
			off bool
			id  string
		}
		var want []row
		for _, o := range f.b.OfflineMessages(-1) {
			want = append(want, row{o.At, true, o.ID})
		}
		for _, i := range f.b.Inbox(-1) {
			want = append(want, row{i.At, false, i.ChatID})
		}
		slices.SortStableFunc(want, func(x, y row) int { return y.at.Compare(x.at) })
		var got []row
		f.b.Feed(func(it *FeedItem) bool {
			if it.IsOffline {
				got = append(got, row{it.At(), true, it.Offline.ID})
			} else {
				got = append(got, row{it.At(), false, it.Inbox.ChatID})
			}
			return true
		})
		if !slices.Equal(got, want) || f.b.FeedLen() != len(want) {
			t.Errorf("disorder %v: feed = %v (FeedLen %d), want %v", disorder, got, f.b.FeedLen(), want)
		}
		n := 0
		f.b.Feed(func(*FeedItem) bool { n++; return n < 3 })
		if n != 3 {
			t.Errorf("feed went on after fn returned false: %d calls", n)
		}
	}
}

// TestPruneCostsWhatItRemoves: the ended list is trimmed from its front
// and histories expire by the heap, whatever the board holds.
func TestPruneExpiresHistoryAndEnded(t *testing.T) {
	f := newFeed(Config{KeepHistory: time.Hour, KeepEnded: 30 * time.Minute, MaxEnded: 3})
	for i := range 6 {
		id := fmt.Sprintf("c%d", i)
		f.request(event.Comm100, id, fmt.Sprintf("v%d", i), float64(i*60))
		f.start(event.Comm100, id, "A1", float64(i*60+5))
		f.end(event.Comm100, id, float64(i*60+30), nil)
	}
	// At the next prune, beyond MaxEnded, the first to end go first.
	f.apply(event.Event{Source: event.Comm100, Kind: event.Unrecognised, ReceivedAt: at(6*60 + 60)})
	if len(f.b.ended) != 3 || f.b.ended[0].ID != "c3" || f.b.ChatCount() != 3 {
		t.Fatalf("ended = %v, %d chats; want c3, c4, c5", f.b.endedChats(), f.b.ChatCount())
	}
	if _, ok := f.b.VisitorHistory(event.Comm100, &event.Visitor{ID: "v0"}, ""); !ok {
		t.Fatal("v0's history is gone too soon")
	}
	// 45 minutes on: the ended chats are past KeepEnded; 2 hours on, the
	// histories past KeepHistory.
	f.apply(event.Event{Source: event.Comm100, Kind: event.Unrecognised, ReceivedAt: at(6*60 + 45*60)})
	if f.b.ChatCount() != 0 || len(f.b.ended) != 0 || f.b.endedLive != 0 {
		t.Errorf("after 45 min: %d chats, ended %v", f.b.ChatCount(), f.b.endedChats())
	}
	f.apply(event.Event{Source: event.Comm100, Kind: event.Unrecognised, ReceivedAt: at(6*60 + 2*3600)})
	if f.b.history.len() != 0 || len(f.b.expiries) != 0 {
		t.Errorf("after 2 h: %d histories, %d in the heap", f.b.history.len(), len(f.b.expiries))
	}
}

// TestCopiesDoNotChange: what View, Chats and Chat return stays as it was
// while the board applies more events, so that it can be encoded after the
// board's lock is let go.
func TestCopiesDoNotChange(t *testing.T) {
	f := newFeed(Config{})
	f.request(event.Chatlio, "c1", "v1", 0)
	f.apply(event.Event{Source: event.Chatlio, Kind: event.ChatUpdated, ChatID: "c1", ReceivedAt: at(1),
		Chat: &event.ChatInfo{Comment: "first"}, Agents: []event.Agent{{ID: "a1"}},
		Messages: []event.Message{{From: event.FromVisitor, Text: "hi", At: at(0)}}})
	view := f.b.View(at(2))
	chats := f.b.Chats()
	one, _ := f.b.Chat(event.Chatlio, "c1")
	before := mustJSON(t, []any{view, chats, one})
	f.apply(event.Event{Source: event.Chatlio, Kind: event.ChatUpdated, ChatID: "c1", ReceivedAt: at(3),
		Chat:     &event.ChatInfo{Comment: "second", HasWait: true, Wait: time.Second, Tags: []string{"x"}},
		Agents:   []event.Agent{{ID: "a2"}},
		Messages: []event.Message{{From: event.FromVisitor, Text: "hi", At: at(0)}, {From: event.FromAgent, Text: "hello", At: at(3)}}})
	if after := mustJSON(t, []any{view, chats, one}); string(after) != string(before) {
		t.Errorf("copies changed when the board applied an event:\nbefore %s\nafter  %s", before, after)
	}
	if c, _ := f.b.Chat(event.Chatlio, "c1"); c.Info.Comment != "second" || len(c.Messages) != 2 {
		t.Errorf("the board did not take the update: %+v", c.Info)
	}
}
