package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net/http"
	"os"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/chatdeck/chatdeck/comm100api/comm100test"
	"github.com/chatdeck/chatdeck/ingest/board"
	"github.com/chatdeck/chatdeck/ingest/cluster/clustertest"
	"github.com/chatdeck/chatdeck/ingest/stream"
)

// testLeaseTTL is the poller's lease in the cluster tests: above the
// cluster's election time (a SIGKILL may take the lease bucket's leader
// with the holder, and the key expires only under a new one), short
// enough to wait for.
const testLeaseTTL = 10 * time.Second

// testCluster is three `chatdeck serve` processes in cluster mode on
// loopback, each with its own state directory (kept across a restart).
type testCluster struct {
	t      *testing.T
	env    []string
	peers  string
	listen []string
	states []string
	procs  []*proc // nil while down
	all    []*proc // every process started, for their logs
}

func startTestCluster(t *testing.T, env []string) *testCluster {
	t.Helper()
	c := &testCluster{t: t, env: env, procs: make([]*proc, 3)}
	for _, p := range clustertest.FreePorts(t, 3) {
		c.listen = append(c.listen, fmt.Sprintf("127.0.0.1:%d", p))
		c.states = append(c.states, t.TempDir())
	}
	c.peers = strings.Join(c.listen, ",")
	// On failure (or with CHATDECK_TEST_CLUSTER_LOGS set) the nodes'
	// warnings and errors are shown.
	t.Cleanup(func() {
		if !t.Failed() && os.Getenv("CHATDECK_TEST_CLUSTER_LOGS") == "" {
			return
		}
		for k, p := range c.all {
			var lines []string
			for _, l := range strings.Split(p.logs.String(), "\n") {
				if contains(l, `"level":"WARN"`) && !contains(l, "Route") || contains(l, `"level":"ERROR"`) || contains(l, "clusterjournal") {
					lines = append(lines, l)
				}
			}
			t.Logf("process %d's warnings and errors (last 40):\n%s", k, strings.Join(lines[max(len(lines)-40, 0):], "\n"))
		}
	})
	for i := range 3 {
		c.procs[i] = c.spawn(i)
	}
	for _, p := range c.procs {
		p.waitServing(t, 90*time.Second)
	}
	return c
}

func (c *testCluster) spawn(i int) *proc {
	p := spawnServe(c.t, c.states[i], c.env, "--webhook-rate", "0", "--cluster-name", "chatdeck-test",
		"--node", fmt.Sprintf("n%d", i), "--cluster-listen", c.listen[i], "--cluster-peers", c.peers,
		"--cluster-lease-ttl", testLeaseTTL.String())
	c.all = append(c.all, p)
	return p
}

// restart starts node i again as itself and waits until it serves.
func (c *testCluster) restart(i int) *proc {
	c.procs[i] = c.spawn(i)
	c.procs[i].waitServing(c.t, 90*time.Second)
	return c.procs[i]
}

// kill9 kills node i with SIGKILL.
func (c *testCluster) kill9(i int) {
	if err := c.procs[i].cmd.Process.Signal(syscall.SIGKILL); err != nil {
		c.t.Fatal(err)
	}
	<-c.procs[i].done
	c.procs[i] = nil
}

// clusterHealth is the cluster block of a node's /healthz.
type clusterHealth struct {
	Node     string   `json:"node"`
	Peers    []string `json:"peers"`
	StreamOK bool     `json:"stream_ok"`
	Poller   bool     `json:"poller"`
}

func (c *testCluster) health(i int) (clusterHealth, int) {
	var h struct {
		Cluster clusterHealth `json:"cluster"`
	}
	a := do(http.DefaultClient, "GET", "http://"+c.procs[i].addr+"/healthz", "", "", nil)
	_ = json.Unmarshal(a.body, &h)
	return h.Cluster, a.status
}

// which returns the live node for which is holds (-1: none), and whether
// more than one does.
func (c *testCluster) which(is func(clusterHealth) bool) (node int, several bool) {
	node = -1
	for i, p := range c.procs {
		if p == nil {
			continue
		}
		if h, _ := c.health(i); is(h) {
			if node >= 0 {
				several = true
			}
			node = i
		}
	}
	return node, several
}

// streamLeader is the node the journal stream's leader runs on.
func (c *testCluster) streamLeader() int {
	var leader int
	waitUntil(c.t, 20*time.Second, "a stream leader", func() (bool, string) {
		h, _ := c.health(c.live()[0])
		if len(h.Peers) == 0 {
			return false, fmt.Sprint(h)
		}
		_, err := fmt.Sscanf(h.Peers[0], "n%d", &leader)
		return err == nil, fmt.Sprint(h)
	})
	return leader
}

func (c *testCluster) live() []int {
	var out []int
	for i, p := range c.procs {
		if p != nil {
			out = append(out, i)
		}
	}
	return out
}

// settled waits until the live nodes' boards stand at the same cursor and
// returns it, with the chats of one of them.
func (c *testCluster) settled() (cursor any, chats map[string]string) {
	c.t.Helper()
	waitUntil(c.t, 30*time.Second, "the live nodes' boards agree", func() (bool, string) {
		var cursors []any
		var states []map[string]string
		for _, i := range c.live() {
			b := boardOf(c.t, c.procs[i].addr, "tok")
			cursors = append(cursors, b["cursor"])
			states = append(states, chatStates(b))
		}
		for k := range cursors[1:] {
			if cursors[k+1] != cursors[0] || !maps.Equal(states[k+1], states[0]) {
				return false, fmt.Sprintf("cursors %v, %d and %d chats", cursors, len(states[0]), len(states[k+1]))
			}
		}
		cursor, chats = cursors[0], states[0]
		return true, ""
	})
	return cursor, chats
}

// checkJournals checks that every live node's /v1/events holds every
// webhook the loads had acknowledged, once, under the cursor its
// acknowledgement gave, and that the journals are the same.
func (c *testCluster) checkJournals(loads ...*load) {
	c.t.Helper()
	var first []event
	for _, i := range c.live() {
		evs := allEvents(c.t, http.DefaultClient, "http://"+c.procs[i].addr, "tok")
		for _, l := range loads {
			l.checkAllAcknowledgedStored(c.t, evs)
		}
		if first == nil {
			first = evs
			continue
		}
		if len(evs) != len(first) {
			c.t.Errorf("node %d holds %d events, node %d %d", i, len(evs), c.live()[0], len(first))
			continue
		}
		for k := range evs {
			if evs[k].Cursor != first[k].Cursor || string(evs[k].Payload) != string(first[k].Payload) {
				c.t.Errorf("node %d's event %d differs: cursor %s, want %s", i, k, evs[k].Cursor, first[k].Cursor)
				break
			}
		}
	}
}

// TestClusterOfThreeBinaries runs three real `chatdeck serve` processes as
// one cluster behind a loopback load balancer, with the fake Comm100 API:
//
//   - exactly one node polls (/healthz poller), and every node's board
//     shows the agents it polled; a status change asked of another node is
//     performed by the poller's node and answered 200;
//   - under webhook load the stream's leader is killed with SIGKILL: every
//     webhook answered 2xx (on any node, before or after) is in every
//     surviving node's /v1/events once, at the cursor it was given, and
//     the boards agree; an `attach` client on the killed node resumes on
//     another from its cursor, its board the same as the nodes';
//   - the killed node restarts, catches up and holds the same journal;
//   - the poller's node is killed under load: the lease moves to another
//     node within its TTL, two nodes never polling at once, and again
//     nothing acknowledged is lost; the cluster gauges are in /metrics;
//   - with two of three down a webhook is answered 503 with Retry-After,
//     and /healthz is unhealthy with stream_ok false.
func TestClusterOfThreeBinaries(t *testing.T) {
	api := comm100test.New(comm100test.Options{})
	t.Cleanup(api.Close)
	c := startTestCluster(t, []string{"CHATDECK_TOKEN=tok", "COMM100_API_BASE=" + api.URL(),
		"COMM100_ACCESS_TOKEN=test-token", "COMM100_POLL_INTERVAL=1s", "CHATDECK_CHECKPOINT_EVERY=2s"})
	addrs := func() []string {
		var out []string
		for _, p := range c.procs {
			out = append(out, p.addr)
		}
		return out
	}

	// One poller; its agents on every board.
	var poller int
	waitUntil(t, 20*time.Second, "one node polls", func() (bool, string) {
		n, several := c.which(func(h clusterHealth) bool { return h.Poller })
		poller = n
		return n >= 0 && !several, fmt.Sprintf("poller %d, several %v", n, several)
	})
	for i := range 3 {
		h, status := c.health(i)
		if status != 200 || h.Node != fmt.Sprintf("n%d", i) || !h.StreamOK || len(h.Peers) != 3 || h.Poller != (i == poller) {
			t.Errorf("node %d /healthz: %d %+v, want 200, node n%d, stream ok, 3 peers, poller %v", i, status, h, i, i == poller)
		}
	}
	waitUntil(t, 20*time.Second, "the polled agents on every board", func() (bool, string) {
		var counts []int
		for i := range 3 {
			counts = append(counts, len(boardOf(t, c.procs[i].addr, "tok")["agents"].([]any)))
		}
		return slices.Min(counts) == 8, fmt.Sprint(counts)
	})
	other := (poller + 1) % 3
	a := do(http.DefaultClient, "POST", "http://"+c.procs[other].addr+"/v1/agents/"+alice+"/status", "tok", "application/json",
		[]byte(`{"status":"away"}`))
	if ag, _ := api.Agent(alice); a.status != 200 || ag.Status != "Away" {
		t.Errorf("status change asked of node %d (poller %d): %v; the API has %q, want Away", other, poller, a, ag.Status)
	}

	// Round 1: SIGKILL the stream's leader under load, with an attach
	// client on it.
	victim := c.streamLeader()
	order := []string{c.procs[victim].addr}
	for i, p := range c.procs {
		if i != victim {
			order = append(order, p.addr)
		}
	}
	attachLB := newBalancer(t, false, order...)
	client := stream.NewClient("http://"+attachLB.addr(), "tok", slog.New(slog.NewTextHandler(io.Discard, nil)))
	client.MaxBackoff = 500 * time.Millisecond
	ctx, stopClient := context.WithCancel(context.Background())
	clientDone := make(chan error, 1)
	go func() { clientDone <- client.Run(ctx) }()
	defer func() { stopClient(); <-clientDone }()
	waitUntil(t, 10*time.Second, "attach synced", func() (bool, string) { return client.Connection().Synced, "" })

	lb := newBalancer(t, true, addrs()...)
	l1 := startLoad("http://"+lb.addr(), "tok", "k1", 8)
	l1.waitAcked(t, 300, 60*time.Second)
	killed := time.Now()
	c.kill9(victim)
	l1.waitAcked(t, l1.n.Load()+300, 60*time.Second)
	stall := l1.firstOKSentAfter(killed).Sub(killed)
	t.Logf("stream leader n%d killed: the first 2xx to a webhook sent after it came %v later", victim, stall.Round(time.Millisecond))
	l1.stopLoad()
	cursor, chats := c.settled()
	c.checkJournals(l1)
	waitUntil(t, 20*time.Second, "the attach client resumed on another node", func() (bool, string) {
		conn := client.Connection()
		return conn.Connected && client.Cursor() == int64(toNumber(fmt.Sprint(cursor))),
			fmt.Sprintf("connected %v, cursor %d, want %v", conn.Connected, client.Cursor(), cursor)
	})
	got := map[string]string{}
	client.Read(func(b *board.Board) {
		for _, s := range b.ChatSummaries() {
			got[string(s.Source)+"/"+s.ID] = string(s.State)
		}
	})
	if !maps.Equal(got, chats) {
		t.Errorf("the attach client's board after the failover holds %d chats, the nodes' %d (or their states differ)", len(got), len(chats))
	}

	// The killed node comes back: it catches up from its copy's cursor.
	lb.set(victim, c.restart(victim).addr)
	c.settled()
	c.checkJournals(l1)

	// Round 2: SIGKILL the poller's node under load.
	poller, _ = c.which(func(h clusterHealth) bool { return h.Poller })
	if poller < 0 {
		t.Fatal("no node polls after the restart")
	}
	l2 := startLoad("http://"+lb.addr(), "tok", "k2", 8)
	l2.waitAcked(t, 300, 60*time.Second)
	killed = time.Now()
	c.kill9(poller)
	var moved time.Duration
	for moved == 0 {
		n, several := c.which(func(h clusterHealth) bool { return h.Poller })
		if several {
			t.Error("two nodes poll at once")
		}
		if n >= 0 {
			moved = time.Since(killed)
		}
		if time.Since(killed) > testLeaseTTL+5*time.Second {
			t.Fatalf("the poller's lease did not move within %v of n%d's death", time.Since(killed), poller)
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Logf("poller n%d killed: the lease moved in %v (TTL %v)", poller, moved.Round(time.Millisecond), testLeaseTTL)
	if moved > testLeaseTTL+time.Second {
		t.Errorf("the lease moved %v after its holder died, want within its TTL %v", moved, testLeaseTTL)
	}
	l2.waitAcked(t, l2.n.Load()+200, 60*time.Second)
	l2.stopLoad()
	c.settled()
	c.checkJournals(l1, l2)
	now, _ := c.which(func(h clusterHealth) bool { return h.Poller })
	for _, i := range c.live() {
		m := do(http.DefaultClient, "GET", "http://"+c.procs[i].addr+"/metrics", "", "", nil)
		held := "chatdeck_cluster_lease_held 0"
		if i == now {
			held = "chatdeck_cluster_lease_held 1"
		}
		if !contains(string(m.body), "chatdeck_cluster_stream_lag 0", "chatdeck_cluster_stream_ok 1", held) {
			t.Errorf("node %d's /metrics lacks the cluster gauges (lag 0, stream ok, %q)", i, held)
		}
	}

	// Two of three down: no quorum. A webhook is answered 503 with
	// Retry-After and a JSON body, never 2xx, and /healthz says so.
	live := c.live()
	c.procs[live[0]].stop(t)
	c.procs[live[0]] = nil
	last := live[1]
	start := time.Now()
	a = postWebhook(http.DefaultClient, "http://"+c.procs[last].addr, "tok", chatRequestBody("no-quorum"))
	if a.status != http.StatusServiceUnavailable || a.header.Get("Retry-After") == "" || a.json()["error"] == nil {
		t.Errorf("a webhook without quorum: %v (Retry-After %q), want 503 with Retry-After and a JSON error",
			a, a.header.Get("Retry-After"))
	}
	t.Logf("without quorum a webhook was answered %d in %v", a.status, time.Since(start).Round(time.Millisecond))
	waitUntil(t, 15*time.Second, "/healthz unhealthy without quorum", func() (bool, string) {
		h, status := c.health(last)
		return status == http.StatusServiceUnavailable && !h.StreamOK, fmt.Sprintf("%d %+v", status, h)
	})
	c.procs[last].stop(t)
}
