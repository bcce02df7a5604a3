package board

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/chatdeck/chatdeck/ingest/event"
)

// TestTableAgainstMap puts, gets and deletes at random, forcing some keys
// to share another key's hash (so that they go to spill), and compares
// every read with a map.
func TestTableAgainstMap(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	tb := newTable[*History]()
	ref := map[key]*History{}
	hashes := map[*History]uint64{}
	keyOf := func(i int) key { return key{srcCode(i % 5), fmt.Sprint("id", i/5)} }
	check := func(step int) {
		t.Helper()
		if tb.len() != len(ref) {
			t.Fatalf("step %d: len %d, want %d", step, tb.len(), len(ref))
		}
		seen := 0
		tb.all(func(k key, h *History) {
			seen++
			if ref[k] != h || h.k != k {
				t.Fatalf("step %d: all gave %v → %p, want %p", step, k, h, ref[k])
			}
		})
		if seen != len(ref) {
			t.Fatalf("step %d: all gave %d values, want %d", step, seen, len(ref))
		}
	}
	spilled := 0
	for step := range 20000 {
		k := keyOf(r.IntN(400))
		switch op := r.IntN(10); {
		case op < 5:
			h := &History{k: k}
			other := keyOf(r.IntN(400))
			if v, ok := tb.byHash[tb.hash(other)]; ok && v.k == other && other != k && ref[k] == nil && r.IntN(2) == 0 {
				// A collision: k as if it hashed as other, which the
				// table holds, does.
				hashes[h] = tb.hash(other)
				tb.putHashed(hashes[h], k, h)
			} else {
				hashes[h] = tb.put(k, h)
			}
			ref[k] = h
		case op < 7:
			tb.delete(k)
			delete(ref, k)
		case op < 8:
			if h := ref[k]; h != nil {
				tb.remove(hashes[h], h)
				delete(ref, k)
			}
		}
		if got := tb.get(k); got != ref[k] {
			t.Fatalf("step %d: get(%v) = %p, want %p", step, k, got, ref[k])
		}
		spilled = max(spilled, len(tb.spill))
		if step%101 == 0 {
			check(step)
		}
	}
	check(-1)
	if spilled == 0 {
		t.Error("no key ever went to spill")
	}
}

// TestOtherSources: a source the board does not know in advance is keyed
// like the known ones, and survives State and Restore.
func TestOtherSources(t *testing.T) {
	f := newFeed(Config{})
	for _, src := range []event.Source{"zendesk", event.Comm100, "livechat"} {
		f.request(src, "c1", "v1", 0)
		f.apply(event.Event{Source: src, Kind: event.ChatStarted, ChatID: "c1", ReceivedAt: at(5),
			Agents: []event.Agent{{ID: "A1", Name: "Ann"}}})
	}
	f.end("zendesk", "c1", 9, nil)
	for _, src := range []event.Source{"zendesk", event.Comm100, "livechat"} {
		c, ok := f.b.Chat(src, "c1")
		if !ok || c.Source != src {
			t.Fatalf("Chat(%s, c1) = %+v, %v", src, c, ok)
		}
		if _, ok := f.b.VisitorHistory(src, &event.Visitor{ID: "v1"}, ""); !ok {
			t.Errorf("no history of %s/v1", src)
		}
		if name := f.b.AgentName(src, "a1"); name != "Ann" {
			t.Errorf("AgentName(%s, a1) = %q, want Ann", src, name)
		}
	}
	if _, ok := f.b.Chat("unseen", "c1"); ok {
		t.Error("found a chat of a source never seen")
	}
	if n := f.b.AgentCount(); n != 3 {
		t.Errorf("%d agents, want A1 of each source", n)
	}
	if m := f.b.Metrics(at(10)); m.ActiveChats != 2 || m.QueueLength != 0 {
		t.Errorf("metrics: %d active, %d waiting", m.ActiveChats, m.QueueLength)
	}
	r := roundTrip(t, Config{}, f.b.State())
	sameJSON(t, "State", f.b.State(), r.State())
	sameJSON(t, "Chats", f.b.Chats(), r.Chats())
	sameJSON(t, "Agents", f.b.Agents(), r.Agents())
}
