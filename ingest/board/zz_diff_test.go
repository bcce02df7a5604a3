//go:build zzdiff

package board

import (
	"cmp"
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"testing"
	"time"

	"github.com/chatdeck/chatdeck/fixtures/traffic"
	"github.com/chatdeck/chatdeck/ingest/event"
	old "github.com/chatdeck/chatdeck/internal_tmp_oldboard"
)

func js(t *testing.T, v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func canonChats[T any](list []T, get func(T) (ChatState, time.Time, string, event.Source)) {
	rank := map[ChatState]int{Active: 0, Waiting: 1, Ended: 2, Missed: 2}
	slices.SortStableFunc(list, func(x, y T) int {
		xs, xt, xi, xsrc := get(x)
		ys, yt, yi, ysrc := get(y)
		return cmp.Or(cmp.Compare(rank[xs], rank[ys]), yt.Compare(xt), cmp.Compare(xi, yi), cmp.Compare(xsrc, ysrc))
	})
}

func oldFeed(ob *old.Board) string {
	type row struct {
		At  time.Time
		Off bool
		X   any
	}
	var rows []row
	for _, o := range ob.OfflineMessages(-1) {
		rows = append(rows, row{o.At, true, o})
	}
	for _, i := range ob.Inbox(-1) {
		rows = append(rows, row{i.At, false, i})
	}
	sort.SliceStable(rows, func(i, j int) bool { return rows[i].At.After(rows[j].At) })
	b, _ := json.Marshal(rows)
	return string(b)
}

func newFeedJSON(nb *Board) string {
	type row struct {
		At  time.Time
		Off bool
		X   any
	}
	var rows []row
	nb.Feed(func(f *FeedItem) bool {
		if f.IsOffline {
			rows = append(rows, row{f.Offline.At, true, f.Offline})
		} else {
			rows = append(rows, row{f.Inbox.At, false, f.Inbox})
		}
		return true
	})
	b, _ := json.Marshal(rows)
	return string(b)
}

func compareBoards(t *testing.T, i int, ob *old.Board, nb *Board, now time.Time) {
	t.Helper()
	os, ns := js(t, ob.State()), js(t, nb.State())
	if os != ns {
		t.Fatalf("event %d: State differs\nold %s\nnew %s", i, os[:min(len(os), 3000)], ns[:min(len(ns), 3000)])
	}
	for _, at := range []time.Time{now, now.Add(time.Hour), now.Add(-time.Minute)} {
		if a, b := js(t, ob.Metrics(at)), js(t, nb.Metrics(at)); a != b {
			t.Fatalf("event %d: metrics differ\n%s\n%s", i, a, b)
		}
	}
	if a, b := js(t, ob.Agents()), js(t, nb.Agents()); a != b {
		t.Fatalf("event %d: agents differ\n%s\n%s", i, a, b)
	}
	oc := ob.Chats()
	ocn := make([]Chat, 0)
	_ = json.Unmarshal([]byte(js(t, oc)), &ocn)
	canonChats(ocn, func(c Chat) (ChatState, time.Time, string, event.Source) { return c.State, c.UpdatedAt, c.ID, c.Source })
	if a, b := js(t, ocn), js(t, nb.Chats()); a != b {
		t.Fatalf("event %d: chats differ", i)
	}
	var osum []ChatSummary
	_ = json.Unmarshal([]byte(js(t, ob.ChatSummaries())), &osum)
	canonChats(osum, func(c ChatSummary) (ChatState, time.Time, string, event.Source) {
		return c.State, c.UpdatedAt, c.ID, c.Source
	})
	if a, b := js(t, osum), js(t, nb.ChatSummaries()); a != b {
		t.Fatalf("event %d: summaries differ", i)
	}
	if n := len(osum); n > 3 {
		if a, b := js(t, osum[1:3]), js(t, nb.ChatSummariesPage(1, 2)); a != b {
			t.Fatalf("event %d: summary page differs", i)
		}
	}
	if a, b := oldFeed(ob), newFeedJSON(nb); a != b {
		t.Fatalf("event %d: feed differs\n%s\n%s", i, a, b)
	}
	if a, b := js(t, ob.Queue(now, 0, -1)), js(t, nb.Queue(now, 0, -1)); a != b {
		t.Fatalf("event %d: queue differs", i)
	}
	var over []string
	for _, a := range ob.Agents() {
		if a.Chats > a.Capacity {
			over = append(over, a.ID)
		}
	}
	var nover []string
	for _, a := range nb.AgentsOverCapacity() {
		nover = append(nover, a.ID)
	}
	if fmt.Sprint(over) != fmt.Sprint(nover) {
		t.Fatalf("event %d: over capacity %v vs %v", i, over, nover)
	}
	if ob.Cursor() != nb.Cursor() {
		t.Fatal("cursor")
	}
}

func toOldConfig(c Config) old.Config {
	return old.Config{SLTarget: c.SLTarget, Window: c.Window, ShortAbandon: c.ShortAbandon, Capacity: c.Capacity,
		KeepEnded: c.KeepEnded, MaxEnded: c.MaxEnded, StaleAfter: c.StaleAfter, KeepHistory: c.KeepHistory, InboxSize: c.InboxSize, Location: c.Location}
}

func TestZZDiffGen(t *testing.T) {
	for seed := uint64(1); seed <= 6; seed++ {
		g := newGen(seed)
		cfg := stateCfg
		cfg.Capacity = 1
		ob, nb := old.New(toOldConfig(cfg)), New(cfg)
		for i := range 1500 {
			ev := g.event()
			ev2 := viaJSON(t, ev)
			var oev event.Event
			_ = json.Unmarshal([]byte(js(t, ev)), &oev)
			ob.Apply(&oev)
			nb.Apply(&ev2)
			compareBoards(t, i, ob, nb, g.now)
			if i%300 == 299 {
				// restore the new one from its state and continue
				r, err := Restore(cfg, nb.State())
				if err != nil {
					t.Fatal(err)
				}
				nb = r
			}
		}
	}
}

func TestZZDiffScenario(t *testing.T) {
	evs, err := traffic.Events(3, benchStart, 40000, 1)
	if err != nil {
		t.Fatal(err)
	}
	cfg := Config{MaxEnded: 300, KeepEnded: 3 * time.Hour, InboxSize: 50, KeepHistory: 24 * time.Hour, StaleAfter: time.Hour, Capacity: 1}
	ob, nb := old.New(toOldConfig(cfg.withDefaults())), New(cfg)
	for i := range evs {
		e1 := evs[i]
		e2 := evs[i]
		ob.Apply(&e1)
		nb.Apply(&e2)
		if i%97 == 0 || i > len(evs)-50 {
			compareBoards(t, i, ob, nb, e1.ReceivedAt)
		}
	}
}

func TestZZDiffScenarioBig(t *testing.T) {
	evs, err := traffic.Events(5, benchStart, 120000, 4)
	if err != nil {
		t.Fatal(err)
	}
	cfg := Config{Capacity: 1, MaxEnded: 3000}
	ob, nb := old.New(toOldConfig(cfg.withDefaults())), New(cfg)
	for i := range evs {
		e1 := evs[i]
		e2 := evs[i]
		ob.Apply(&e1)
		nb.Apply(&e2)
		if i%4999 == 0 {
			compareBoards(t, i, ob, nb, e1.ReceivedAt)
		}
	}
	compareBoards(t, -1, ob, nb, evs[len(evs)-1].ReceivedAt)
	t.Logf("chats %d chunks %d", len(nb.chats), len(nb.byState[2].chunks))
}
