package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"sync"
	"time"

	"github.com/chatdeck/chatdeck/ingest/cluster"
	"github.com/chatdeck/chatdeck/ingest/clusterjournal"
	"github.com/chatdeck/chatdeck/ingest/hub"
	"github.com/chatdeck/chatdeck/ingest/journal"
	"github.com/chatdeck/chatdeck/ingest/leader"
	"github.com/chatdeck/chatdeck/ingest/listener"
)

// clusterNode is cluster mode's running parts: the NATS node, the
// replicated journal stream, the poller's lease, the hub's journal on the
// stream (set when the hub opens it) and the leader (when Comm100 is
// configured).
type clusterNode struct {
	node    *cluster.Node
	stream  *cluster.Journal
	lease   *cluster.Lease
	journal *clusterjournal.Journal
	leader  *leader.Leader
}

// set reports whether any setting asks for cluster mode.
func (c ClusterConfig) set() bool {
	return c.Name != "" || c.Node != "" || c.Listen != "" || c.Peers != "" || c.NATSURL != ""
}

// peers are the --cluster-peers addresses, blanks dropped.
func (c ClusterConfig) peers() []string {
	var out []string
	for _, p := range strings.Split(c.Peers, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// clusterSettings turns the cluster settings into the node's
// configuration; on is false when none is set (single-node mode). A
// setting missing or malformed is a usage error naming its flag.
func clusterSettings(c ClusterConfig, log *slog.Logger) (cfg cluster.Config, on bool, err error) {
	if !c.set() {
		return cluster.Config{}, false, nil
	}
	bad := func(format string, args ...any) (cluster.Config, bool, error) {
		return cluster.Config{}, true, usageError{fmt.Errorf("cluster mode: "+format, args...)}
	}
	if c.Node == "" {
		return bad("--node (CHATDECK_NODE) is required: this node's name, unique in the cluster")
	}
	if strings.ContainsAny(c.Node, " .*>\t") {
		return bad("--node %q: no spaces, dots or wildcards", c.Node)
	}
	if c.LeaseTTL < cluster.MinLeaseTTL {
		return bad("--cluster-lease-ttl %v: at least %v", c.LeaseTTL, cluster.MinLeaseTTL)
	}
	cfg = cluster.Config{NATSURL: c.NATSURL, ClusterName: c.Name, Node: c.Node, ClusterListen: c.Listen, Dir: c.Dir, Logger: log}
	if c.NATSURL != "" {
		return cfg, true, nil
	}
	switch {
	case c.Name == "":
		return bad("--cluster-name (CHATDECK_CLUSTER_NAME) is required, the same on every node (or --nats-url)")
	case strings.ContainsAny(c.Name, " .*>\t"):
		return bad("--cluster-name %q: no spaces, dots or wildcards", c.Name)
	case c.Listen == "":
		return bad("--cluster-listen HOST:PORT (CHATDECK_CLUSTER_LISTEN) is required: where the routes between nodes listen")
	case c.Peers == "":
		return bad("--cluster-peers HOST:PORT,... (CHATDECK_CLUSTER_PEERS) is required: every node's --cluster-listen")
	}
	if _, _, err := net.SplitHostPort(c.Listen); err != nil {
		return bad("--cluster-listen %q: want HOST:PORT", c.Listen)
	}
	for _, p := range c.peers() {
		if _, _, err := net.SplitHostPort(p); err != nil {
			return bad("--cluster-peers: %q: want HOST:PORT", p)
		}
		cfg.Peers = append(cfg.Peers, p)
	}
	return cfg, true, nil
}

// startCluster starts the node, the stream and the lease. The caller
// closes the node (after the hub).
func startCluster(ctx context.Context, cfg Config, ncfg cluster.Config, log *slog.Logger) (*clusterNode, error) {
	n, err := cluster.Start(ctx, ncfg)
	if err != nil {
		return nil, err
	}
	c := &clusterNode{node: n}
	octx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	log.Info("cluster mode: waiting for the stream (a quorum of the nodes)", "node", n.Name(), "cluster_addr", n.ClusterAddr(),
		"peers", ncfg.Peers, "nats_url_given", ncfg.NATSURL != "")
	// The stream and the lease's bucket are each a Raft group to elect:
	// at once, not one after the other.
	var leaseErr error
	var wg sync.WaitGroup
	wg.Go(func() {
		c.lease, leaseErr = cluster.OpenLease(octx, n, cluster.LeaseConfig{TTL: cfg.Cluster.LeaseTTL, Logger: log})
	})
	c.stream, err = cluster.OpenJournal(octx, n, cluster.JournalConfig{MaxAge: cfg.RetentionAge, MaxBytes: cfg.RetentionBytes, Logger: log})
	wg.Wait()
	if err = errors.Join(err, leaseErr); err != nil {
		_ = n.Close()
		return nil, fmt.Errorf("cluster mode: %w", err)
	}
	return c, nil
}

// openJournal is the hub's OpenJournal in cluster mode.
func (c *clusterNode) openJournal(log *slog.Logger) hub.OpenJournal {
	return func(ctx context.Context, opts journal.Options) (hub.Journal, error) {
		j, err := clusterjournal.Open(ctx, clusterjournal.Config{Stream: c.stream, Logger: log}, opts)
		if err != nil {
			return nil, err
		}
		c.journal = j
		return j, nil
	}
}

// health is the cluster block of /healthz, within 2 s (a stream without
// a leader does not answer).
func (c *clusterNode) health(ctx context.Context) *listener.ClusterHealth {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	h := &listener.ClusterHealth{Node: c.node.Name(), Peers: []string{}}
	// One look at the stream for both: the copy's journal and the node
	// share it.
	if st, err := c.stream.State(ctx); err == nil {
		h.Peers = st.Peers
		h.StreamOK = c.journal != nil && st.Leader != ""
	}
	h.Poller = c.leader != nil && c.leader.Leading()
	return h
}

// gauges registers cluster mode's metrics.
func (c *clusterNode) gauges(a *app) {
	scrape := func(fn func(ctx context.Context) (float64, error)) func() float64 {
		return func() float64 {
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			defer cancel()
			v, err := fn(ctx)
			if err != nil {
				return -1
			}
			return v
		}
	}
	a.metrics.Gauge("chatdeck_cluster_stream_lag", "Stream records this node's journal copy has yet to apply (-1: the stream does not answer).",
		scrape(func(ctx context.Context) (float64, error) {
			lag, err := c.journal.Lag(ctx)
			return float64(lag), err
		}))
	a.metrics.Gauge("chatdeck_cluster_stream_applied", "The last stream sequence this node's journal copy and board applied.",
		func() float64 { return float64(c.journal.Applied()) })
	a.metrics.Gauge("chatdeck_cluster_stream_ok", "1 while the journal's stream can commit (a leader with a quorum), else 0.",
		scrape(func(ctx context.Context) (float64, error) {
			if c.journal.StreamOK(ctx) != nil {
				return 0, nil
			}
			return 1, nil
		}))
	a.metrics.Gauge("chatdeck_cluster_lease_held", "1 while this node holds the Comm100 poller's lease (and polls), else 0.",
		func() float64 {
			if c.leader != nil && c.leader.Leading() {
				return 1
			}
			return 0
		})
}

// errNotLeading is the dashboard's refresh on a node that does not poll.
var errNotLeading = errors.New("this node does not poll Comm100: another node of the cluster holds the poller's lease")
