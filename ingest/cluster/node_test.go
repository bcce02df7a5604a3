package cluster

import (
	"context"
	"log/slog"
	"net"
	"strings"
	"testing"
	"time"
)

// TestStartRefusesBadConfig: a configuration that cannot work is refused
// at once with the field it is about, before any server starts.
func TestStartRefusesBadConfig(t *testing.T) {
	ok := Config{ClusterName: "c", Node: "n1", ClusterListen: "127.0.0.1:0", Dir: t.TempDir(),
		Logger: slog.New(slog.DiscardHandler)}
	for _, tc := range []struct {
		name string
		edit func(*Config)
		want string
	}{
		{"no node", func(c *Config) { c.Node = "" }, "empty node name"},
		{"no cluster name", func(c *Config) { c.ClusterName = "" }, "cluster name"},
		{"no store", func(c *Config) { c.Dir = "" }, "store directory"},
		{"dotted cluster name", func(c *Config) { c.ClusterName = "a.b" }, `cluster name "a.b"`},
		{"cluster listen without port", func(c *Config) { c.ClusterListen = "127.0.0.1" }, `cluster listen "127.0.0.1"`},
		{"client port out of range", func(c *Config) { c.ClientListen = "127.0.0.1:70000" }, `client listen "127.0.0.1:70000"`},
		{"peer without port", func(c *Config) { c.Peers = []string{"127.0.0.1:1", "peer"} }, `peer "peer"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := ok
			tc.edit(&cfg)
			n, err := Start(context.Background(), cfg)
			if err == nil {
				n.Close()
				t.Fatalf("Start accepted %+v", cfg)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Start: %v, want it to name %q", err, tc.want)
			}
		})
	}
}

// TestStartFailsOnAPortInUse: a cluster port another process holds ends
// Start with an error within its ready timeout; the process goes on.
func TestStartFailsOnAPortInUse(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	cfg := Config{ClusterName: "c", Node: "n1", ClusterListen: l.Addr().String(), Dir: t.TempDir(),
		ReadyTimeout: time.Second, Logger: slog.New(slog.DiscardHandler)}
	start := time.Now()
	n, err := Start(context.Background(), cfg)
	if err == nil {
		n.Close()
		t.Fatalf("Start succeeded on cluster port %s, which is in use", l.Addr())
	}
	if !strings.Contains(err.Error(), "not ready") || time.Since(start) > 10*time.Second {
		t.Fatalf("Start on a port in use: %v after %v, want \"not ready\" within the 1s timeout", err, time.Since(start))
	}
}

// TestRedactURL: credentials in --nats-url never reach an error message.
func TestRedactURL(t *testing.T) {
	got := redactURL("nats://user:pa55@10.0.0.1:4222,tls://tok3n@10.0.0.2:4222,10.0.0.3:4222")
	want := "nats://REDACTED@10.0.0.1:4222,tls://REDACTED@10.0.0.2:4222,10.0.0.3:4222"
	if got != want {
		t.Fatalf("redactURL = %q, want %q", got, want)
	}
}
