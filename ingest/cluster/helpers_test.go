package cluster

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"testing"
	"time"
)

// testCluster is three nodes of one embedded cluster on loopback, each with
// its own store directory and fixed ports, so that a node can be stopped
// and started again as itself.
type testCluster struct {
	tb    testing.TB
	cfgs  []Config
	nodes []*Node // nil while stopped
}

// newTestCluster starts n nodes that list each other as peers.
func newTestCluster(tb testing.TB, n int) *testCluster {
	tb.Helper()
	ports := freePorts(tb, n)
	var peers []string
	for _, p := range ports {
		peers = append(peers, fmt.Sprintf("127.0.0.1:%d", p))
	}
	c := &testCluster{tb: tb, nodes: make([]*Node, n)}
	for i := range n {
		c.cfgs = append(c.cfgs, Config{
			ClusterName:   "chatdeck-test",
			Node:          fmt.Sprintf("n%d", i+1),
			ClusterListen: peers[i],
			Peers:         peers,
			Dir:           tb.TempDir(),
			ClientListen:  "127.0.0.1:0",
			Logger:        slog.New(slog.DiscardHandler),
		})
	}
	for i := range n {
		c.start(i)
	}
	tb.Cleanup(func() {
		for i := range c.nodes {
			c.stop(i)
		}
	})
	return c
}

// freePorts finds n free loopback ports, holding all of them open at once
// so that they differ.
func freePorts(tb testing.TB, n int) []int {
	tb.Helper()
	var ls []net.Listener
	var ports []int
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			tb.Fatalf("free port: %v", err)
		}
		ls = append(ls, l)
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	for _, l := range ls {
		l.Close()
	}
	return ports
}

func (c *testCluster) start(i int) *Node {
	c.tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	n, err := Start(ctx, c.cfgs[i])
	if err != nil {
		c.tb.Fatalf("start node %d: %v", i, err)
	}
	c.nodes[i] = n
	return n
}

func (c *testCluster) stop(i int) {
	if c.nodes[i] != nil {
		c.nodes[i].Close()
		c.nodes[i] = nil
	}
}

// waitFor polls cond every 20 ms until it holds, failing the test at the
// deadline with what describes the last state.
func waitFor(tb testing.TB, within time.Duration, what string, cond func() (bool, string)) {
	tb.Helper()
	deadline := time.Now().Add(within)
	for {
		ok, state := cond()
		if ok {
			return
		}
		if time.Now().After(deadline) {
			tb.Fatalf("%s: not within %v; last: %s", what, within, state)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// follower collects what one node's Follow delivers.
type follower struct {
	mu      sync.Mutex
	entries []Entry
	cancel  context.CancelFunc
	done    chan error
}

// follow starts Follow on j from after, into a new follower.
func follow(j *Journal, after int64) *follower {
	return followOn(j, nil, after)
}

// followOn is follow for a node that had seen the entries seen before:
// the follower starts with them and follows after the last.
func followOn(j *Journal, seen []Entry, after int64) *follower {
	ctx, cancel := context.WithCancel(context.Background())
	f := &follower{cancel: cancel, done: make(chan error, 1), entries: seen}
	go func() {
		f.done <- j.Follow(ctx, after, func(e Entry) error {
			f.mu.Lock()
			f.entries = append(f.entries, e)
			f.mu.Unlock()
			return nil
		})
	}()
	return f
}

// stop ends the follower's Follow and waits for it.
func (f *follower) stop() error {
	f.cancel()
	return <-f.done
}

func (f *follower) snapshot() []Entry {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]Entry(nil), f.entries...)
}
