// Package cluster is chatdeck's replicated journal and poller lease on NATS
// JetStream: a Node is an embedded NATS server that joins its peers as one
// JetStream cluster (or a connection to an existing NATS deployment), a
// Journal is one replicated stream that every node publishes to and follows
// in order, and a Lease is a key in a replicated key-value bucket that at
// most one node holds at a time.
//
// The package knows nothing of events beyond their bytes and the fields a
// journal record carries; the hub and the local SQLite copy are wired to it
// elsewhere (docs/ARCHITECTURE.md, "Cluster mode").
package cluster

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// Config says how a Node reaches JetStream: either NATSURL (an existing
// deployment) or the fields of an embedded server.
type Config struct {
	// NATSURL, if set, connects to an existing NATS deployment with
	// JetStream (comma-separated URLs allowed) instead of embedding a
	// server; the fields below but Node and Logger are then ignored.
	NATSURL string
	// ClusterName is the name every node of the cluster shares.
	ClusterName string
	// Node is this node's name, unique in the cluster (the server name).
	Node string
	// ClusterListen is the host:port the routes between nodes listen on;
	// port 0 picks a free one.
	ClusterListen string
	// Peers are the other nodes' ClusterListen addresses (host:port). This
	// node's own address may be among them: the server skips a route to
	// itself, so every node can be given the same list.
	Peers []string
	// Dir is where the embedded server stores JetStream's files.
	Dir string
	// ClientListen is the host:port of the embedded server's client port,
	// for tools such as the nats CLI; default 127.0.0.1:0 (a free port).
	// chatdeck itself talks to its own server in process.
	ClientListen string
	// ReadyTimeout bounds how long Start waits for the embedded server to
	// accept connections; default 30 s.
	ReadyTimeout time.Duration
	// Logger receives the server's log; default slog.Default().
	Logger *slog.Logger
}

// Node is a running embedded server and its connection, or a connection
// to an existing deployment. Close stops both.
type Node struct {
	name string
	srv  *server.Server // nil when connected to NATSURL
	nc   *nats.Conn
	js   jetstream.JetStream
	log  *slog.Logger
}

// defaultReadyTimeout is how long Start waits for the server by default.
const defaultReadyTimeout = 30 * time.Second

// Start starts the embedded server described by cfg (or connects to
// cfg.NATSURL) and returns the node once it accepts connections. The
// JetStream cluster may still be electing its leader: OpenJournal and
// OpenLease wait for it.
func Start(ctx context.Context, cfg Config) (*Node, error) {
	log := cfg.Logger
	if log == nil {
		log = slog.Default()
	}
	if cfg.Node == "" {
		return nil, errors.New("cluster: start: empty node name")
	}
	n := &Node{name: cfg.Node, log: log.With("node", cfg.Node)}
	if cfg.NATSURL != "" {
		nc, err := nats.Connect(cfg.NATSURL, nats.Name("chatdeck "+cfg.Node), nats.MaxReconnects(-1))
		if err != nil {
			return nil, fmt.Errorf("cluster: connect to %s: %w", redactURL(cfg.NATSURL), err)
		}
		return n.withConn(nc)
	}
	opts, err := serverOptions(cfg)
	if err != nil {
		return nil, fmt.Errorf("cluster: start node %s: %w", cfg.Node, err)
	}
	srv, err := server.NewServer(opts)
	if err != nil {
		return nil, fmt.Errorf("cluster: start node %s: %w", cfg.Node, err)
	}
	srv.SetLoggerV2(slogAdapter{n.log}, false, false, false)
	srv.Start()
	wait := cfg.ReadyTimeout
	if wait <= 0 {
		wait = defaultReadyTimeout
	}
	if dl, ok := ctx.Deadline(); ok {
		wait = min(wait, time.Until(dl))
	}
	if !srv.ReadyForConnections(wait) {
		srv.Shutdown()
		srv.WaitForShutdown()
		return nil, fmt.Errorf("cluster: start node %s: server not ready within %v (ports %s, cluster %s)",
			cfg.Node, wait, cfg.ClientListen, cfg.ClusterListen)
	}
	n.srv = srv
	nc, err := nats.Connect("", nats.InProcessServer(srv), nats.Name("chatdeck "+cfg.Node), nats.MaxReconnects(-1))
	if err != nil {
		srv.Shutdown()
		srv.WaitForShutdown()
		return nil, fmt.Errorf("cluster: start node %s: connect in process: %w", cfg.Node, err)
	}
	return n.withConn(nc)
}

// withConn finishes Start with the node's connection.
func (n *Node) withConn(nc *nats.Conn) (*Node, error) {
	js, err := jetstream.New(nc)
	if err != nil {
		nc.Close()
		n.shutdownServer()
		return nil, fmt.Errorf("cluster: node %s: jetstream: %w", n.name, err)
	}
	n.nc, n.js = nc, js
	return n, nil
}

// serverOptions turns cfg into the embedded server's options: JetStream
// with its store under cfg.Dir and a sync after every write, a cluster
// route listener and explicit routes to every peer.
func serverOptions(cfg Config) (*server.Options, error) {
	if cfg.ClusterName == "" || cfg.Dir == "" || cfg.ClusterListen == "" {
		return nil, errors.New("cluster name, store directory and cluster listen address are required")
	}
	if strings.ContainsAny(cfg.ClusterName, " .*>\t") {
		return nil, fmt.Errorf("cluster name %q: no spaces, dots or wildcards", cfg.ClusterName)
	}
	client := cfg.ClientListen
	if client == "" {
		client = "127.0.0.1:0"
	}
	chost, cport, err := hostPort(client)
	if err != nil {
		return nil, fmt.Errorf("client listen %q: %w", client, err)
	}
	rhost, rport, err := hostPort(cfg.ClusterListen)
	if err != nil {
		return nil, fmt.Errorf("cluster listen %q: %w", cfg.ClusterListen, err)
	}
	var routes []string
	for _, p := range cfg.Peers {
		if _, _, err := hostPort(p); err != nil {
			return nil, fmt.Errorf("peer %q: %w", p, err)
		}
		routes = append(routes, "nats-route://"+p)
	}
	opts := &server.Options{
		ServerName: cfg.Node,
		Host:       chost,
		Port:       cport,
		JetStream:  true,
		StoreDir:   cfg.Dir,
		// Every write to the stream and to the Raft log under it is
		// synced before it counts: an acknowledged record survives a
		// power cut of a quorum's machines, not only a crash of the
		// process.
		SyncAlways: true,
		NoSigs:     true,
		Cluster: server.ClusterOpts{
			Name: cfg.ClusterName,
			Host: rhost,
			Port: rport,
		},
	}
	if len(routes) > 0 {
		opts.Routes = server.RoutesFromStr(strings.Join(routes, ","))
	}
	return opts, nil
}

// hostPort splits host:port; port 0 becomes the server's "any free port".
func hostPort(addr string) (string, int, error) {
	h, p, err := net.SplitHostPort(addr)
	if err != nil {
		return "", 0, err
	}
	port, err := strconv.Atoi(p)
	if err != nil || port < 0 || port > 65535 {
		return "", 0, fmt.Errorf("bad port %q", p)
	}
	if port == 0 {
		port = server.RANDOM_PORT
	}
	if h == "" {
		h = "0.0.0.0"
	}
	return h, port, nil
}

// redactURL drops the user information from a NATS URL list before it is
// shown.
func redactURL(urls string) string {
	parts := strings.Split(urls, ",")
	for i, p := range parts {
		if at := strings.LastIndex(p, "@"); at >= 0 {
			if s := strings.Index(p, "://"); s >= 0 && s < at {
				parts[i] = p[:s+3] + "REDACTED@" + p[at+1:]
			} else {
				parts[i] = "REDACTED@" + p[at+1:]
			}
		}
	}
	return strings.Join(parts, ",")
}

// Name is the node's name.
func (n *Node) Name() string { return n.name }

// Conn is the node's NATS connection (for requests between nodes).
func (n *Node) Conn() *nats.Conn { return n.nc }

// JetStream is the node's JetStream context.
func (n *Node) JetStream() jetstream.JetStream { return n.js }

// ClientURL is the embedded server's client URL ("" when connected to an
// existing deployment).
func (n *Node) ClientURL() string {
	if n.srv == nil {
		return ""
	}
	return n.srv.ClientURL()
}

// ClusterAddr is the host:port the embedded server's routes listen on (""
// when connected to an existing deployment): what the other nodes list in
// their Peers.
func (n *Node) ClusterAddr() string {
	if n.srv == nil {
		return ""
	}
	if a := n.srv.ClusterAddr(); a != nil {
		return a.String()
	}
	return ""
}

// Peers is the names of the JetStream cluster's peers as this node's
// server knows them (nil when connected to an existing deployment or
// while no meta leader is known).
func (n *Node) Peers() []string {
	if n.srv == nil {
		return nil
	}
	return n.srv.JetStreamClusterPeers()
}

// Close closes the connection and shuts the embedded server down, waiting
// until it has stopped.
func (n *Node) Close() error {
	if n.nc != nil {
		n.nc.Close()
	}
	n.shutdownServer()
	return nil
}

func (n *Node) shutdownServer() {
	if n.srv != nil {
		n.srv.Shutdown()
		n.srv.WaitForShutdown()
	}
}

// slogAdapter is the embedded server's logger, writing to slog.
type slogAdapter struct{ log *slog.Logger }

// Noticef logs at Info.
func (a slogAdapter) Noticef(format string, v ...any) { a.log.Info(fmt.Sprintf(format, v...)) }

// Warnf logs at Warn.
func (a slogAdapter) Warnf(format string, v ...any) { a.log.Warn(fmt.Sprintf(format, v...)) }

// Fatalf logs at Error: the server calls it for failures such as a port in
// use and then stops itself; the process must not exit.
func (a slogAdapter) Fatalf(format string, v ...any) { a.log.Error(fmt.Sprintf(format, v...)) }

// Errorf logs at Error.
func (a slogAdapter) Errorf(format string, v ...any) { a.log.Error(fmt.Sprintf(format, v...)) }

// Debugf logs at Debug.
func (a slogAdapter) Debugf(format string, v ...any) { a.log.Debug(fmt.Sprintf(format, v...)) }

// Tracef logs at Debug.
func (a slogAdapter) Tracef(format string, v ...any) { a.log.Debug(fmt.Sprintf(format, v...)) }
