package main

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/spf13/pflag"
)

// TestClusterConfig: cluster mode's settings come from flags, the
// environment or the config file's [cluster] table, like the others; the
// store defaults under the state directory; without any of them serve is
// single-node; a setting missing or malformed is a usage error (exit 2)
// naming its flag; the config check knows the keys and their types.
func TestClusterConfig(t *testing.T) {
	dir := t.TempDir()
	load := func(args []string, env ...string) (Config, error) {
		t.Helper()
		fs := pflag.NewFlagSet("t", pflag.ContinueOnError)
		addFlags(fs, scopeServe)
		if err := fs.Parse(args); err != nil {
			t.Fatal(err)
		}
		cfg, _, err := loadConfig(fs, func() []string { return append([]string{"HOME=" + dir, "XDG_STATE_HOME=" + dir + "/state"}, env...) })
		return cfg, err
	}
	cfg, err := load(nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, on, err := clusterSettings(cfg.Cluster, nil); on || err != nil {
		t.Errorf("no cluster settings: cluster mode %v, %v; want single-node", on, err)
	}
	if want := filepath.Join(dir, "state", "chatdeck", "cluster"); cfg.Cluster.Dir != want || cfg.Cluster.LeaseTTL != 15*time.Second {
		t.Errorf("defaults: dir %q lease %v, want %q and 15s", cfg.Cluster.Dir, cfg.Cluster.LeaseTTL, want)
	}

	file := filepath.Join(dir, "c.toml")
	if err := os.WriteFile(file, []byte("[cluster]\nname = \"floor\"\nnode = \"from-file\"\nlisten = \"10.0.0.1:6222\"\n"+
		"peers = \"10.0.0.1:6222,10.0.0.2:6222, 10.0.0.3:6222\"\nlease_ttl = \"9s\"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err = load([]string{"--config", file, "--node", "a"}, "CHATDECK_CLUSTER_DIR=/srv/nats")
	if err != nil {
		t.Fatal(err)
	}
	ncfg, on, err := clusterSettings(cfg.Cluster, nil)
	if err != nil || !on {
		t.Fatalf("cluster settings from file, flag and env: %v %v", on, err)
	}
	if ncfg.ClusterName != "floor" || ncfg.Node != "a" || ncfg.ClusterListen != "10.0.0.1:6222" || ncfg.Dir != "/srv/nats" ||
		!slices.Equal(ncfg.Peers, []string{"10.0.0.1:6222", "10.0.0.2:6222", "10.0.0.3:6222"}) || cfg.Cluster.LeaseTTL != 9*time.Second {
		t.Errorf("cluster settings %+v (lease %v): want the file's, --node a, the env's directory", ncfg, cfg.Cluster.LeaseTTL)
	}
	cfg, err = load([]string{"--node", "b"}, "CHATDECK_NATS_URL=nats://u:hunter22@nats.internal:4222")
	if err != nil {
		t.Fatal(err)
	}
	if ncfg, on, err := clusterSettings(cfg.Cluster, nil); err != nil || !on || ncfg.NATSURL != "nats://u:hunter22@nats.internal:4222" {
		t.Errorf("--nats-url alone with --node: %+v %v %v", ncfg, on, err)
	}
	if !slices.Contains(configSecrets(cfg), "hunter22") {
		t.Error("the NATS URL's password is not among the secrets the log redacts")
	}

	bad := []struct {
		args []string
		want string
	}{
		{[]string{"--cluster-name", "x", "--cluster-listen", "127.0.0.1:6222", "--cluster-peers", "127.0.0.1:6222"}, "--node"},
		{[]string{"--node", "a", "--cluster-listen", "127.0.0.1:6222", "--cluster-peers", "127.0.0.1:6222"}, "--cluster-name"},
		{[]string{"--node", "a", "--cluster-name", "x", "--cluster-peers", "127.0.0.1:6222"}, "--cluster-listen"},
		{[]string{"--node", "a", "--cluster-name", "x", "--cluster-listen", "127.0.0.1:6222"}, "--cluster-peers"},
		{[]string{"--node", "a", "--cluster-name", "x", "--cluster-listen", "nowhere", "--cluster-peers", "127.0.0.1:6222"}, `--cluster-listen "nowhere"`},
		{[]string{"--node", "a", "--cluster-name", "x", "--cluster-listen", ":6222", "--cluster-peers", "h1:6222,h2"}, `"h2"`},
		{[]string{"--node", "a.b", "--nats-url", "nats://h:4222"}, `--node "a.b"`},
		{[]string{"--node", "a", "--cluster-name", "x y", "--cluster-listen", ":6222", "--cluster-peers", "h:1"}, `--cluster-name "x y"`},
		{[]string{"--node", "a", "--nats-url", "nats://h:4222", "--cluster-lease-ttl", "3s"}, "--cluster-lease-ttl"},
	}
	for _, b := range bad {
		cfg, err := load(b.args)
		if err != nil {
			t.Fatal(err)
		}
		_, _, err = clusterSettings(cfg.Cluster, nil)
		var u usageError
		if err == nil || !errors.As(err, &u) || !strings.Contains(err.Error(), b.want) {
			t.Errorf("%v: %v, want a usage error naming %s", b.args, err, b.want)
		}
	}

	// The config check knows the keys and their types.
	for text, want := range map[string]string{
		"[cluster]\nnod = \"a\"\n":                           `did you mean "cluster.node"?`,
		"[cluster]\nlease_ttl = 9\n":                         "needs a unit",
		"[cluster]\npeers = [\"h:1\"]\n":                     "not a string",
		"[cluster]\nnats_url = \"nats://h\"\nnode = \"n\"\n": "",
	} {
		if err := os.WriteFile(file, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
		_, err := load([]string{"--config", file})
		if want == "" && err != nil || want != "" && (err == nil || !strings.Contains(err.Error(), want)) {
			t.Errorf("config %q: %v, want %q", text, err, want)
		}
	}
}
