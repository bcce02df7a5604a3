// Package clustertest starts embedded chatdeck clusters on loopback for
// tests: real NATS servers with JetStream, each with its own store
// directory and fixed ports, so that a node can be stopped and started
// again as itself.
package clustertest

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"testing"
	"time"

	"github.com/chatdeck/chatdeck/ingest/cluster"
)

// Cluster is n embedded nodes that list each other as peers.
type Cluster struct {
	tb testing.TB
	// Configs are the nodes' configurations, by index.
	Configs []cluster.Config
	nodes   []*cluster.Node // nil while stopped
}

// Start starts n nodes and stops them when the test ends.
func Start(tb testing.TB, n int) *Cluster {
	tb.Helper()
	ports := FreePorts(tb, n)
	var peers []string
	for _, p := range ports {
		peers = append(peers, fmt.Sprintf("127.0.0.1:%d", p))
	}
	c := &Cluster{tb: tb, nodes: make([]*cluster.Node, n)}
	for i := range n {
		c.Configs = append(c.Configs, cluster.Config{
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
		c.StartNode(i)
	}
	tb.Cleanup(func() {
		for i := range c.nodes {
			c.StopNode(i)
		}
	})
	return c
}

// FreePorts finds n free loopback ports, holding all of them open at once
// so that they differ.
func FreePorts(tb testing.TB, n int) []int {
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

// Node is node i, nil while it is stopped.
func (c *Cluster) Node(i int) *cluster.Node { return c.nodes[i] }

// StartNode starts node i (again).
func (c *Cluster) StartNode(i int) *cluster.Node {
	c.tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	n, err := cluster.Start(ctx, c.Configs[i])
	if err != nil {
		c.tb.Fatalf("start node %d: %v", i, err)
	}
	c.nodes[i] = n
	return n
}

// StopNode stops node i, if it runs.
func (c *Cluster) StopNode(i int) {
	if c.nodes[i] != nil {
		c.nodes[i].Close()
		c.nodes[i] = nil
	}
}

// WaitFor polls cond every 20 ms until it holds, failing the test at the
// deadline with what describes the last state.
func WaitFor(tb testing.TB, within time.Duration, what string, cond func() (bool, string)) {
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
