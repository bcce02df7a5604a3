package cluster

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"
)

// testPublishTimeout keeps the no-quorum answer quick in tests.
const testPublishTimeout = 2 * time.Second

func openJournals(t *testing.T, c *testCluster) []*Journal {
	t.Helper()
	js := make([]*Journal, len(c.nodes))
	for i, n := range c.nodes {
		if n == nil {
			continue
		}
		js[i] = openJournal(t, n)
	}
	return js
}

func openJournal(t *testing.T, n *Node) *Journal {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	j, err := OpenJournal(ctx, n, JournalConfig{PublishTimeout: testPublishTimeout, MaxAge: time.Hour, MaxBytes: 64 << 20})
	if err != nil {
		t.Fatalf("open journal on %s: %v", n.Name(), err)
	}
	return j
}

// testEntry is the i-th record the test publishes.
func testEntry(i int) Entry {
	return Entry{
		ReceivedAt: time.Date(2026, 12, 1, 9, 0, 0, i, time.UTC),
		Source:     "comm100",
		Kind:       "chat_started",
		Hint:       fmt.Sprintf("hint-%d", i%3),
		Subject:    fmt.Sprintf("agent:comm100:%d", i%5),
		Payload:    fmt.Appendf(nil, `{"event":"chatStarted","n":%d}`, i),
		Latest:     i%2 == 0,
	}
}

// same reports the first difference between what was published (with the
// sequences the acks gave) and what a follower saw.
func same(want, got []Entry) string {
	if len(got) != len(want) {
		return fmt.Sprintf("%d entries, want %d", len(got), len(want))
	}
	for i := range want {
		w, g := want[i], got[i]
		if g.Seq != w.Seq || !g.ReceivedAt.Equal(w.ReceivedAt) || g.Source != w.Source || g.Kind != w.Kind ||
			g.Hint != w.Hint || g.Subject != w.Subject || string(g.Payload) != string(w.Payload) || g.MsgID != w.MsgID ||
			g.Latest != w.Latest {
			return fmt.Sprintf("entry %d: got %+v, want %+v", i, g, w)
		}
	}
	return ""
}

// publish publishes e through j and records it, with its sequence, in *acked.
func publish(t *testing.T, j *Journal, e Entry, id string, acked *[]Entry) int64 {
	t.Helper()
	seq, dup, err := j.Publish(context.Background(), e, id)
	if err != nil {
		t.Fatalf("publish %d: %v", len(*acked), err)
	}
	if dup {
		t.Fatalf("publish %d: a duplicate, want a new record", len(*acked))
	}
	e.Seq, e.MsgID = seq, id
	*acked = append(*acked, e)
	return seq
}

func waitAllSee(t *testing.T, fs []*follower, want []Entry, within time.Duration) {
	t.Helper()
	for i, f := range fs {
		if f == nil {
			continue
		}
		waitFor(t, within, fmt.Sprintf("node %d sees every acknowledged record in order", i+1), func() (bool, string) {
			d := same(want, f.snapshot())
			return d == "", d
		})
	}
}

// streamLeader is the index of the node that leads the journal's stream.
func streamLeader(t *testing.T, c *testCluster, j *Journal) int {
	t.Helper()
	var name string
	waitFor(t, 20*time.Second, "stream leader known", func() (bool, string) {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		s, err := j.js.Stream(ctx, j.cfg.Stream)
		if err != nil {
			return false, err.Error()
		}
		if ci := s.CachedInfo().Cluster; ci != nil {
			name = ci.Leader
		}
		return name != "", "no leader"
	})
	for i, cfg := range c.cfgs {
		if cfg.Node == name {
			return i
		}
	}
	t.Fatalf("stream leader %q is none of the nodes", name)
	return -1
}

// TestJournalAcrossNodeFailures walks one three-node cluster through the
// journal's guarantees: quorum-acked records read back in order on every
// node, dedupe by message id, one node down (its leader) without losing
// or refusing anything after the election, the node catching up when it
// comes back, and two nodes down answered ErrNoQuorum, never a success.
func TestJournalAcrossNodeFailures(t *testing.T) {
	t.Parallel()
	t0 := time.Now()
	step := func(name string) { t.Logf("%v %s", time.Since(t0).Round(time.Millisecond), name) }
	c := newTestCluster(t, 3)
	step("started")
	js := openJournals(t, c)
	step("opened")
	fs := make([]*follower, 3)
	for i := range fs {
		fs[i] = follow(js[i], 0)
	}
	t.Cleanup(func() {
		for _, f := range fs {
			if f != nil {
				f.stop()
			}
		}
	})

	// Acked by quorum, read back in order on all three, whichever node
	// published.
	var acked []Entry
	for i := range 30 {
		seq := publish(t, js[i%3], testEntry(i), "", &acked)
		if want := int64(i + 1); seq != want {
			t.Fatalf("publish %d: sequence %d, want %d", i, seq, want)
		}
	}
	waitAllSee(t, fs, acked, 10*time.Second)
	step("read back")

	// Dedupe by id: the second publish with an id stores nothing and
	// answers the first one's sequence; without an id, a repeat is a new
	// record.
	first := publish(t, js[0], testEntry(100), "content-key-1", &acked)
	seq, dup, err := js[1].Publish(context.Background(), testEntry(100), "content-key-1")
	if err != nil || !dup || seq != first {
		t.Fatalf("republish with the same id from another node: seq %d dup %v err %v; want seq %d dup true", seq, dup, err, first)
	}
	a := publish(t, js[2], testEntry(101), "", &acked)
	b := publish(t, js[2], testEntry(101), "", &acked)
	if b != a+1 {
		t.Fatalf("a repeat without an id: sequences %d then %d, want consecutive", a, b)
	}
	waitAllSee(t, fs, acked, 10*time.Second)

	step("deduped")
	// One node down, the stream's leader: after the election publishes
	// succeed on 2 of 3, and every later one succeeds.
	down := streamLeader(t, c, js[0])
	fs[down].stop()
	fs[down] = nil
	c.stop(down)
	up := []int{(down + 1) % 3, (down + 2) % 3}
	stopped := time.Now()
	e := testEntry(200)
	for {
		seq, _, err := js[up[0]].Publish(context.Background(), e, "after-failover")
		if err == nil {
			e.Seq, e.MsgID = seq, "after-failover"
			acked = append(acked, e)
			break
		}
		if !errors.Is(err, ErrNoQuorum) {
			t.Fatalf("publish during the election: %v, want ErrNoQuorum", err)
		}
		if time.Since(stopped) > 30*time.Second {
			t.Fatalf("no publish succeeded within 30s of stopping the leader: %v", err)
		}
	}
	t.Logf("publish stall after stopping the stream leader: %v", time.Since(stopped).Round(time.Millisecond))
	for i := range 20 {
		publish(t, js[up[i%2]], testEntry(201+i), "", &acked)
	}
	waitAllSee(t, fs, acked, 10*time.Second)

	step("2 of 3")
	// The stopped node comes back with its store and catches up from the
	// last record it had seen.
	c.start(down)
	step("restarted")
	js[down] = openJournal(t, c.nodes[down])
	step("reopened")
	var seen []Entry
	for _, e := range acked {
		if e.Seq <= first { // it saw at least everything before the dedupe step
			seen = append(seen, e)
		}
	}
	fs[down] = followOn(js[down], seen, seen[len(seen)-1].Seq)
	waitFor(t, 20*time.Second, "the restarted node catches up", func() (bool, string) {
		d := same(acked, fs[down].snapshot())
		return d == "", d
	})
	publish(t, js[down], testEntry(300), "", &acked)
	waitAllSee(t, fs, acked, 10*time.Second)

	step("caught up")
	// Two nodes down: the last one answers ErrNoQuorum within the publish
	// timeout, every time, and nothing new reaches its follower.
	last := up[0]
	for _, i := range []int{up[1], down} {
		fs[i].stop()
		fs[i] = nil
		c.stop(i)
	}
	for i := range 3 {
		start := time.Now()
		seq, _, err := js[last].Publish(context.Background(), testEntry(400+i), fmt.Sprintf("no-quorum-%d", i))
		took := time.Since(start)
		if !errors.Is(err, ErrNoQuorum) {
			t.Fatalf("publish %d with 2 of 3 nodes down: seq %d err %v, want ErrNoQuorum", i, seq, err)
		}
		if took > testPublishTimeout+2*time.Second {
			t.Fatalf("publish %d with 2 of 3 nodes down took %v, want at most the timeout %v and a little", i, took, testPublishTimeout)
		}
	}
	if d := same(acked, fs[last].snapshot()); d != "" {
		t.Fatalf("the surviving node's follower after refused publishes: %s", d)
	}
}

// TestFollowResumesFromAnySequence checks the cursor: following from n
// delivers exactly the records after n.
func TestFollowResumesFromAnySequence(t *testing.T) {
	t.Parallel()
	c := newTestCluster(t, 3)
	js := openJournals(t, c)
	var acked []Entry
	for i := range 10 {
		publish(t, js[i%3], testEntry(i), "", &acked)
	}
	for _, after := range []int64{0, 1, 7, 10} {
		f := follow(js[int(after)%3], after)
		want := acked[after:]
		if len(want) > 0 {
			waitFor(t, 10*time.Second, fmt.Sprintf("follow after %d", after), func() (bool, string) {
				d := same(want, f.snapshot())
				return d == "", d
			})
		}
		publish(t, js[0], testEntry(50+int(after)), "", &acked)
		want = acked[after:]
		waitFor(t, 10*time.Second, fmt.Sprintf("follow after %d sees a new record", after), func() (bool, string) {
			d := same(want, f.snapshot())
			return d == "", d
		})
		if err := f.stop(); !errors.Is(err, context.Canceled) {
			t.Fatalf("follow after %d ended with %v, want context.Canceled", after, err)
		}
	}
	// A node connected to an existing deployment by URL (here, one of the
	// cluster's client ports) publishes into the same stream.
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	ext, err := Start(ctx, Config{NATSURL: c.nodes[1].ClientURL(), Node: "external"})
	if err != nil {
		t.Fatalf("connect by URL: %v", err)
	}
	defer ext.Close()
	if ext.ClientURL() != "" || ext.ClusterAddr() != "" || ext.Peers() != nil {
		t.Fatalf("a node connected by URL reports server addresses: %q %q %v", ext.ClientURL(), ext.ClusterAddr(), ext.Peers())
	}
	ej := openJournal(t, ext)
	f := follow(js[2], acked[len(acked)-1].Seq)
	defer f.stop()
	publish(t, ej, testEntry(99), "by-url", &acked)
	waitFor(t, 10*time.Second, "a record published by URL is followed on a cluster node", func() (bool, string) {
		d := same(acked[len(acked)-1:], f.snapshot())
		return d == "", d
	})
}
