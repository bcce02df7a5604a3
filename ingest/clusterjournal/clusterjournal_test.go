package clusterjournal

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chatdeck/chatdeck/ingest/board"
	"github.com/chatdeck/chatdeck/ingest/cluster"
	"github.com/chatdeck/chatdeck/ingest/cluster/clustertest"
	"github.com/chatdeck/chatdeck/ingest/decode"
	"github.com/chatdeck/chatdeck/ingest/event"
	"github.com/chatdeck/chatdeck/ingest/hub"
	"github.com/chatdeck/chatdeck/ingest/journal"
)

var quiet = slog.New(slog.DiscardHandler)

// node is one chatdeck node's hub on a cluster node, with its copy.
type node struct {
	db  string
	hub *hub.Hub
	j   *Journal
}

// openNode opens a hub whose journal is the stream of cn, copied to db.
func openNode(t *testing.T, cn *cluster.Node, db string) *node {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	stream, err := cluster.OpenJournal(ctx, cn, cluster.JournalConfig{PublishTimeout: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	n := &node{db: db}
	n.hub, err = hub.Open(ctx, hub.Config{Journal: journal.Options{Path: db}, Logger: quiet, CheckpointEvery: -1,
		OpenJournal: func(ctx context.Context, opts journal.Options) (hub.Journal, error) {
			// The publish fails fast without a quorum (2 s); the copy may
			// take longer to apply an acknowledged append on a loaded CI
			// machine under the race detector, which is not what these
			// tests are about.
			j, err := Open(ctx, Config{Stream: stream, Logger: quiet, CatchUpTimeout: 20 * time.Second, ApplyTimeout: 15 * time.Second}, opts)
			n.j = j
			return j, err
		}})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func (n *node) close(t *testing.T) {
	t.Helper()
	if err := n.hub.Close(); err != nil {
		t.Error(err)
	}
}

// ingest journals a Comm100 payload through n, as the listener does.
func (n *node) ingest(ctx context.Context, payload string) (hub.Result, error) {
	ev, err := decode.Decode(decode.Input{Source: event.Comm100, Body: []byte(payload), ReceivedAt: time.Now()})
	if err != nil {
		return hub.Result{}, err
	}
	return n.hub.Ingest(ctx, &ev, "")
}

func chatRequest(id string) string {
	return `{"event":"chat_request","visitor":{"id":"` + id + `","chat_id":"` + id + `","status":0,"name":"V ` + id + `"}}`
}

func agentStatus(status, id string) string {
	return `{"event":"` + status + `","operator_id":"` + id + `"}`
}

// records is a node's local copy, as /v1/events reads it.
func (n *node) records(t *testing.T) []journal.Record {
	t.Helper()
	var out []journal.Record
	if err := n.j.Replay(context.Background(), 0, func(r journal.Record) error {
		out = append(out, r)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return out
}

// state is a node's board as JSON, for comparing boards.
func (n *node) state(t *testing.T) string {
	t.Helper()
	var st board.State
	n.hub.Read(func(b *board.Board) { st = b.State() })
	b, err := json.Marshal(st)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// sameEverywhere waits until every node has applied the stream's last
// sequence, then checks that their copies and boards are identical.
func sameEverywhere(t *testing.T, nodes []*node) []journal.Record {
	t.Helper()
	ctx := context.Background()
	clustertest.WaitFor(t, 20*time.Second, "every node applied the stream", func() (bool, string) {
		var state string
		for i, n := range nodes {
			lag, err := n.j.Lag(ctx)
			state += fmt.Sprintf(" node %d lag %d err %v;", i, lag, err)
			if err != nil || lag > 0 {
				return false, state
			}
		}
		return true, state
	})
	want := nodes[0].records(t)
	wantBoard := nodes[0].state(t)
	for i, n := range nodes[1:] {
		got := n.records(t)
		if len(got) != len(want) {
			t.Fatalf("node %d holds %d records, node 0 %d", i+1, len(got), len(want))
		}
		for k := range want {
			w, g := want[k], got[k]
			if g.Seq != w.Seq || !g.ReceivedAt.Equal(w.ReceivedAt) || g.Source != w.Source || g.Kind != w.Kind ||
				g.Subject != w.Subject || string(g.Payload) != string(w.Payload) {
				t.Fatalf("record %d differs: node %d %+v, node 0 %+v", k, i+1, g, w)
			}
		}
		if b := n.state(t); b != wantBoard {
			t.Errorf("node %d's board differs from node 0's:\n%.400s\n%.400s", i+1, b, wantBoard)
		}
	}
	return want
}

// TestThreeNodesHoldTheSameJournalAndBoard ingests through all three nodes
// at once, retries included: every append is on the ingesting node's
// board when it returns; content retries are duplicates with the first
// record's cursor whichever node takes them; a repeated agent status is
// dropped alike on every node (a duplicate naming the latest), a changed
// one kept; the copies and boards of the three are identical, cursor for
// cursor. Then a node stopped under load loses nothing acknowledged (its
// own last answers included) and catches up on start, and a copy deleted
// is rebuilt from the stream.
func TestThreeNodesHoldTheSameJournalAndBoard(t *testing.T) {
	c := clustertest.Start(t, 3)
	dir := t.TempDir()
	nodes := make([]*node, 3)
	for i := range nodes {
		nodes[i] = openNode(t, c.Node(i), filepath.Join(dir, fmt.Sprintf("n%d.db", i)))
	}
	ctx := context.Background()
	var wg sync.WaitGroup
	seqs := make([][]int64, 3)
	for i, n := range nodes {
		wg.Go(func() {
			for k := range 40 {
				res, err := n.ingest(ctx, chatRequest(fmt.Sprintf("v%d-%d", i, k)))
				if err != nil {
					t.Errorf("node %d ingest %d: %v", i, k, err)
					return
				}
				if res.Duplicate || n.hub.Cursor() < res.Seq {
					t.Errorf("node %d ingest %d: %+v, board cursor %d: want new and applied", i, k, res, n.hub.Cursor())
				}
				seqs[i] = append(seqs[i], res.Seq)
			}
		})
	}
	wg.Wait()
	// A retry through another node is the first record.
	res, err := nodes[2].ingest(ctx, chatRequest("v0-7"))
	if err != nil || !res.Duplicate || res.Seq != seqs[0][7] {
		t.Errorf("retry of v0-7 on node 2: %+v %v, want a duplicate of cursor %d", res, err, seqs[0][7])
	}
	away1, err := nodes[0].ingest(ctx, agentStatus("away", "a1"))
	if err != nil || away1.Duplicate {
		t.Fatalf("first away: %+v %v", away1, err)
	}
	again, err := nodes[1].ingest(ctx, agentStatus("away", "a1"))
	if err != nil || !again.Duplicate || again.Seq != away1.Seq {
		t.Errorf("repeated away on node 1: %+v %v, want a duplicate of %d", again, err, away1.Seq)
	}
	online, err := nodes[2].ingest(ctx, agentStatus("online", "a1"))
	if err != nil || online.Duplicate {
		t.Errorf("online after away: %+v %v, want new", online, err)
	}
	away2, err := nodes[0].ingest(ctx, agentStatus("away", "a1"))
	if err != nil || away2.Duplicate {
		t.Errorf("away after online: %+v %v, want new", away2, err)
	}
	recs := sameEverywhere(t, nodes)
	if want := 3*40 + 3; len(recs) != want {
		t.Errorf("%d records, want %d (120 chats, 3 statuses)", len(recs), want)
	}

	// Under load through all three, node 2 stops (hub, then server): what
	// any node acknowledged, node 2's last answers included, is kept, and
	// node 2's copy catches up when it starts again.
	var mu sync.Mutex
	acked := map[string]int64{}
	stop := make(chan struct{})
	var load sync.WaitGroup
	for i, n := range nodes {
		load.Go(func() {
			for k := 0; ; k++ {
				select {
				case <-stop:
					return
				default:
				}
				id := fmt.Sprintf("w%d-%d", i, k)
				res, err := n.ingest(ctx, chatRequest(id))
				if err != nil {
					// Not acknowledged (a 503 to the vendor, who retries):
					// node 2 closed under its appends, or a node's copy
					// was slow to follow a new stream leader.
					if !errors.Is(err, journal.ErrUnavailable) && !errors.Is(err, journal.ErrClosed) {
						t.Errorf("node %d ingest with node 2 stopping: %v, want ErrUnavailable", i, err)
					}
					if i == 2 {
						return
					}
					continue
				}
				mu.Lock()
				acked[id] = res.Seq
				mu.Unlock()
			}
		})
	}
	clustertest.WaitFor(t, 20*time.Second, "load flowing", func() (bool, string) {
		mu.Lock()
		defer mu.Unlock()
		return len(acked) >= 90, fmt.Sprint(len(acked))
	})
	nodes[2].close(t)
	c.StopNode(2)
	mu.Lock()
	before := len(acked)
	mu.Unlock()
	clustertest.WaitFor(t, 20*time.Second, "nodes 0 and 1 acknowledging with node 2 down", func() (bool, string) {
		mu.Lock()
		defer mu.Unlock()
		return len(acked) >= before+30, fmt.Sprint(len(acked) - before)
	})
	close(stop)
	load.Wait()
	nodes[2] = openNode(t, c.StartNode(2), nodes[2].db)
	recs = sameEverywhere(t, nodes)
	held := map[int64]string{}
	for _, r := range recs {
		held[r.Seq] = string(r.Payload)
	}
	for id, seq := range acked {
		if !strings.Contains(held[seq], `"id":"`+id+`"`) {
			t.Errorf("%s, acknowledged at cursor %d, is not there on every node", id, seq)
		}
	}

	// Node 1's copy is deleted: it is rebuilt from the stream.
	nodes[1].close(t)
	for _, suffix := range []string{"", "-wal", "-shm"} {
		_ = os.Remove(nodes[1].db + suffix)
	}
	nodes[1] = openNode(t, c.Node(1), nodes[1].db)
	if len(nodes[1].records(t)) != len(recs) {
		t.Errorf("rebuilt copy holds %d records, want %d", len(nodes[1].records(t)), len(recs))
	}
	sameEverywhere(t, nodes)
	for _, n := range nodes {
		n.close(t)
	}
}

// TestNoQuorumIsUnavailable: with two of three nodes down an append fails
// within the publish timeout, wrapping journal.ErrUnavailable and
// cluster.ErrNoQuorum, Ping says so, and nothing reaches the board; a copy
// ahead of its stream is refused at open.
func TestNoQuorumIsUnavailable(t *testing.T) {
	c := clustertest.Start(t, 3)
	dir := t.TempDir()
	n0 := openNode(t, c.Node(0), filepath.Join(dir, "n0.db"))
	ctx := context.Background()
	if _, err := n0.ingest(ctx, chatRequest("before")); err != nil {
		t.Fatal(err)
	}
	if err := n0.j.Ping(ctx); err != nil {
		t.Errorf("Ping with a quorum: %v", err)
	}
	c.StopNode(1)
	c.StopNode(2)
	cursor := n0.hub.Cursor()
	start := time.Now()
	_, err := n0.ingest(ctx, chatRequest("lost"))
	if !errors.Is(err, journal.ErrUnavailable) || !errors.Is(err, cluster.ErrNoQuorum) {
		t.Errorf("append without quorum: %v, want ErrUnavailable and ErrNoQuorum", err)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("append without quorum took %v", d)
	}
	if n0.hub.Cursor() != cursor {
		t.Errorf("board moved without quorum: %d, was %d", n0.hub.Cursor(), cursor)
	}
	if err := n0.j.Ping(ctx); !errors.Is(err, journal.ErrUnavailable) {
		t.Errorf("Ping without quorum: %v, want ErrUnavailable", err)
	}
	n0.close(t)
	c.StartNode(1)
	c.StartNode(2)

	// A copy that holds a cursor the stream never had is another stream's.
	other := filepath.Join(dir, "other.db")
	oj, err := journal.Open(ctx, journal.Options{Path: other, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := oj.Import(ctx, []journal.Record{{Seq: 1000, ReceivedAt: time.Now(), Source: "comm100", Kind: "x",
		Payload: []byte(`{}`)}}, []journal.Dedupe{journal.DedupeNone}); err != nil {
		t.Fatal(err)
	}
	oj.Close()
	sctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	stream, err := cluster.OpenJournal(sctx, c.Node(0), cluster.JournalConfig{})
	if err != nil {
		t.Fatal(err)
	}
	_, err = Open(sctx, Config{Stream: stream, Logger: quiet}, journal.Options{Path: other, Logger: quiet})
	if err == nil || !strings.Contains(err.Error(), "another stream") {
		t.Errorf("opening a copy ahead of the stream: %v, want refused", err)
	}
}
