package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/spf13/pflag"
)

func TestConfigPrecedence(t *testing.T) {
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "chatdeck"), 0o700); err != nil {
		t.Fatal(err)
	}
	file := "listen = \"0.0.0.0:1\"\ncapacity = 5\nsl_target = \"45s\"\nwindow = \"1h\"\n[comm100]\nsite_id = \"from-file\"\n"
	if err := os.WriteFile(filepath.Join(dir, "chatdeck", "config.toml"), []byte(file), 0o600); err != nil {
		t.Fatal(err)
	}
	environ := func() []string {
		return []string{"HOME=/home/x", "XDG_CONFIG_HOME=" + dir, "CHATDECK_LISTEN=127.0.0.1:2", "CHATDECK_CAPACITY=6",
			"COMM100_SITE_ID=10100116", "COMM100_API_KEY=key", "UNRELATED=1"}
	}
	fs := pflag.NewFlagSet("t", pflag.ContinueOnError)
	addFlags(fs, forAll)
	if err := fs.Parse([]string{"--capacity", "7"}); err != nil {
		t.Fatal(err)
	}
	cfg, path, err := loadConfig(fs, environ)
	if err != nil {
		t.Fatal(err)
	}
	if path != filepath.Join(dir, "chatdeck", "config.toml") {
		t.Errorf("config path %s", path)
	}
	checks := []struct {
		name      string
		got, want any
	}{
		{"capacity (flag beats env and file)", cfg.Capacity, 7},
		{"listen (env beats file)", cfg.Listen, "127.0.0.1:2"},
		{"sl_target (file beats default)", cfg.SLTarget, 45 * time.Second},
		{"window (file)", cfg.Window, time.Hour},
		{"short_abandon (default)", cfg.ShortAbandon, 5 * time.Second},
		{"max_body (default)", cfg.MaxBody, int64(1 << 20)},
		{"site id (env beats file)", cfg.Comm100.SiteID, "10100116"},
		{"api key (env)", cfg.Comm100.APIKey, "key"},
		{"db (state default)", cfg.DB, "/home/x/.local/state/chatdeck/journal.db"},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %v, want %v", c.name, c.got, c.want)
		}
	}
}

// TestConfigErrors: every error names the key, the value and where it came
// from; unknown keys name the nearest known one; a duration needs its unit;
// flags have their types.
func TestConfigErrors(t *testing.T) {
	dir := t.TempDir()
	write := func(name, text string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	cases := []struct {
		name string
		args []string
		env  []string
		want []string // all in the error
	}{
		{"not TOML", []string{"--config", write("bad.toml", "capacity = \n")}, nil, []string{"bad.toml"}},
		{"missing file", []string{"--config", filepath.Join(dir, "missing.toml")}, nil, []string{"missing.toml"}},
		{"typo", []string{"--config", write("typo.toml", "listen = \"x:1\"\n\n# the target\nsl_targte = \"45s\"\n")}, nil,
			[]string{"typo.toml:4", `unknown key "sl_targte"`, `did you mean "sl_target"?`}},
		{"unknown table", []string{"--config", write("table.toml", "[alert]\nbell = true\n")}, nil,
			[]string{"table.toml:2", `unknown key "alert.bell"`, `did you mean "alerts.bell"?`}},
		{"every mistake at once", []string{"--config", write("two.toml", "sl_target = 45\n[alert]\nbell = true\n")}, nil,
			[]string{"two.toml:1: sl_target = 45: a duration needs a unit", `two.toml:3: unknown key "alert.bell"`}},
		{"far from anything", []string{"--config", write("far.toml", "zzzzzzzzzzzz = 1\n")}, nil,
			[]string{`unknown key "zzzzzzzzzzzz"`}},
		{"bare number duration", []string{"--config", write("bare.toml", "capacity = 4\nsl_target = 45\n")}, nil,
			[]string{"bare.toml:2", "sl_target = 45", `a duration needs a unit, e.g. "45s"`}},
		{"duration in a table", []string{"--config", write("alerts.toml", "[alerts]\nwait_warn = 30\n")}, nil,
			[]string{"alerts.toml:2", "alerts.wait_warn = 30", "needs a unit"}},
		{"not a number", []string{"--config", write("cap.toml", "capacity = \"three\"\n")}, nil,
			[]string{"cap.toml:1", `capacity = "three"`, "not a whole number"}},
		{"not a boolean", []string{"--config", write("bell.toml", "[alerts]\nbell = \"loud\"\n")}, nil,
			[]string{"bell.toml:2", "not a boolean"}},
		{"env bare duration", nil, []string{"CHATDECK_SL_TARGET=45"}, []string{"CHATDECK_SL_TARGET=45", "sl_target", "needs a unit"}},
		{"env not a number", nil, []string{"CHATDECK_CAPACITY=lots"}, []string{"CHATDECK_CAPACITY=lots", "capacity", "not a whole number"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			fs := pflag.NewFlagSet("t", pflag.ContinueOnError)
			addFlags(fs, forAll)
			if err := fs.Parse(tc.args); err != nil {
				t.Fatal(err)
			}
			_, _, err := loadConfig(fs, func() []string { return append([]string{"HOME=" + dir}, tc.env...) })
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not say %q", err, w)
				}
			}
		})
	}
	// Flags are typed: the flag parser refuses what is not of the type.
	for _, args := range [][]string{{"--sl-target", "soon"}, {"--sl-target", "45"}, {"--capacity", "x"}, {"--bell=loud"}} {
		fs := pflag.NewFlagSet("t", pflag.ContinueOnError)
		fs.SetOutput(io.Discard)
		addFlags(fs, forAll)
		if err := fs.Parse(args); err == nil || !strings.Contains(err.Error(), strings.SplitN(strings.TrimPrefix(args[0], "--"), "=", 2)[0]) {
			t.Errorf("%v: error %v, want one naming the flag", args, err)
		}
	}
	// A boolean flag needs no value.
	fs := pflag.NewFlagSet("t", pflag.ContinueOnError)
	addFlags(fs, forAll)
	if err := fs.Parse([]string{"--bell", "--sl-target", "45s"}); err != nil {
		t.Fatal(err)
	}
	cfg, _, err := loadConfig(fs, func() []string { return []string{"HOME=" + dir} })
	if err != nil || !cfg.Alerts.Bell || cfg.SLTarget != 45*time.Second {
		t.Errorf("--bell --sl-target 45s: bell %v, target %v, err %v", cfg.Alerts.Bell, cfg.SLTarget, err)
	}
}

// TestSecurityConfig: TLS files and the webhook rate limit come from
// flags, the environment or the config file, with generous defaults.
func TestSecurityConfig(t *testing.T) {
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "chatdeck"), 0o700); err != nil {
		t.Fatal(err)
	}
	file := "tls_cert = \"/etc/c.pem\"\ntls_key = \"/etc/k.pem\"\nwebhook_burst = 9\n"
	if err := os.WriteFile(filepath.Join(dir, "chatdeck", "config.toml"), []byte(file), 0o600); err != nil {
		t.Fatal(err)
	}
	load := func(args []string, env ...string) Config {
		t.Helper()
		fs := pflag.NewFlagSet("t", pflag.ContinueOnError)
		addFlags(fs, forAll)
		if err := fs.Parse(args); err != nil {
			t.Fatal(err)
		}
		cfg, _, err := loadConfig(fs, func() []string { return append([]string{"HOME=" + dir, "XDG_CONFIG_HOME=" + dir}, env...) })
		if err != nil {
			t.Fatal(err)
		}
		return cfg
	}
	cfg := load(nil)
	if cfg.TLSCert != "/etc/c.pem" || cfg.TLSKey != "/etc/k.pem" || cfg.WebhookRate != 50 || cfg.WebhookBurst != 9 {
		t.Errorf("file and defaults: cert %q key %q rate %v burst %d", cfg.TLSCert, cfg.TLSKey, cfg.WebhookRate, cfg.WebhookBurst)
	}
	cfg = load([]string{"--tls-key", "/flag/k.pem", "--webhook-burst", "3"}, "CHATDECK_TLS_CERT=/env/c.pem", "CHATDECK_WEBHOOK_RATE=2.5")
	if cfg.TLSCert != "/env/c.pem" || cfg.TLSKey != "/flag/k.pem" || cfg.WebhookRate != 2.5 || cfg.WebhookBurst != 3 {
		t.Errorf("env and flags: cert %q key %q rate %v burst %d", cfg.TLSCert, cfg.TLSKey, cfg.WebhookRate, cfg.WebhookBurst)
	}
	if cfg := load([]string{"--webhook-rate", "0"}); cfg.WebhookRate != 0 {
		t.Errorf("--webhook-rate 0 gave %v", cfg.WebhookRate)
	}
}

// TestEachCommandItsOwnFlags: a command offers the flags it reads and no
// other.
func TestEachCommandItsOwnFlags(t *testing.T) {
	root := newRoot()
	cases := map[string]struct{ has, hasNot []string }{
		"run": {[]string{"listen", "db", "comm100-api", "bell", "sl-target", "token"}, []string{"cluster-name", "node", "nats-url"}},
		"serve": {[]string{"listen", "db", "comm100-api", "sl-target", "retention-age", "cluster-name", "node", "cluster-listen",
			"cluster-peers", "cluster-dir", "nats-url", "cluster-lease-ttl"}, []string{"bell"}},
		"demo":     {[]string{"listen", "db", "bell", "sl-target"}, []string{"comm100-api"}},
		"attach":   {[]string{"token", "bell", "sl-target", "timezone"}, []string{"db", "listen", "comm100-api", "retention-age", "max-body"}},
		"webhooks": {[]string{"listen", "token", "tls-cert", "comm100-api"}, []string{"db", "bell", "capacity", "sl-target"}},
	}
	for name, c := range cases {
		cmd, _, err := root.Find([]string{name})
		if err != nil || cmd.Name() != name {
			t.Fatalf("no command %s: %v", name, err)
		}
		for _, f := range c.has {
			if cmd.Flags().Lookup(f) == nil {
				t.Errorf("%s has no --%s", name, f)
			}
		}
		for _, f := range c.hasNot {
			if cmd.Flags().Lookup(f) != nil {
				t.Errorf("%s offers --%s, which it ignores", name, f)
			}
		}
	}
}

// TestVersion: --version and version print the version line with the Go
// version.
func TestVersion(t *testing.T) {
	for _, args := range [][]string{{"--version"}, {"version"}} {
		root := newRoot()
		var out strings.Builder
		root.SetOut(&out)
		root.SetArgs(args)
		if err := root.Execute(); err != nil {
			t.Fatalf("%v: %v", args, err)
		}
		if got := out.String(); !strings.HasPrefix(got, "chatdeck ") || !strings.Contains(got, runtime.Version()) {
			t.Errorf("%v printed %q, want chatdeck's version and %s", args, got, runtime.Version())
		}
	}
}

// TestInfoJSON: chatdeck info --json names the files and sources, and no
// secret's value.
func TestInfoJSON(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("HOME", dir)
	t.Setenv("XDG_STATE_HOME", filepath.Join(dir, "state"))
	t.Setenv("XDG_CONFIG_HOME", filepath.Join(dir, "conf"))
	t.Setenv("COMM100_API_BASE", "https://api15.comm100.io/v4")
	t.Setenv("COMM100_ACCESS_TOKEN", "very-secret-access")
	t.Setenv("COMM100_CLIENT_SECRET", "very-secret-client")
	t.Setenv("CHATDECK_TOKEN", "very-secret-token")
	root := newRoot()
	var out strings.Builder
	root.SetOut(&out)
	root.SetArgs([]string{"info", "--json", "--listen", "127.0.0.1:9999"})
	if err := root.Execute(); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(out.String(), "very-secret") {
		t.Fatalf("info shows a secret: %s", out.String())
	}
	var in Info
	if err := json.Unmarshal([]byte(out.String()), &in); err != nil {
		t.Fatalf("info --json: %v\n%s", err, out.String())
	}
	want := Info{
		ConfigFile: fileInfo{Path: filepath.Join(dir, "conf", "chatdeck", "config.toml")},
		StateDir:   filepath.Join(dir, "state", "chatdeck"),
		Journal:    fileInfo{Path: filepath.Join(dir, "state", "chatdeck", "journal.db")},
		LogFile:    filepath.Join(dir, "state", "chatdeck", "chatdeck.log"),
		ServeLog:   "stderr",
		Token:      tokenInfo{From: "config"},
		Listen:     "127.0.0.1:9999",
		URL:        "http://127.0.0.1:9999",
		Sources: sourceInfo{Webhooks: []string{"/webhooks/comm100", "/webhooks/chatlio/{kind}", "/webhooks/jivochat"},
			Comm100API: apiInfo{Configured: true, Base: "https://api15.comm100.io/v4", Auth: "oauth"}},
	}
	in.Version = ""
	if g, w := fmt.Sprintf("%+v", in), fmt.Sprintf("%+v", want); g != w {
		t.Errorf("info:\n got %s\nwant %s", g, w)
	}

	// Cluster mode, as the environment sets it for serve: the embedded
	// servers' routes and store, or an existing NATS without its password.
	for _, tc := range []struct {
		env  map[string]string
		want clusterInfo
		text string
	}{
		{map[string]string{"CHATDECK_CLUSTER_NAME": "floor", "CHATDECK_NODE": "a", "CHATDECK_CLUSTER_LISTEN": "10.0.0.1:6222",
			"CHATDECK_CLUSTER_PEERS": "10.0.0.1:6222, 10.0.0.2:6222"},
			clusterInfo{Configured: true, Name: "floor", Node: "a", Listen: "10.0.0.1:6222", Peers: []string{"10.0.0.1:6222", "10.0.0.2:6222"},
				Dir: filepath.Join(dir, "state", "chatdeck", "cluster")},
			"cluster      floor, node a, routes on 10.0.0.1:6222, peers 10.0.0.1:6222,10.0.0.2:6222, store " + filepath.Join(dir, "state", "chatdeck", "cluster")},
		{map[string]string{"CHATDECK_NODE": "b", "CHATDECK_NATS_URL": "nats://ops:very-secret-pw@nats.example:4222"},
			clusterInfo{Configured: true, Node: "b", NATSURL: "nats://nats.example:4222"},
			"cluster      node b on NATS nats://nats.example:4222"},
	} {
		for k, v := range tc.env {
			t.Setenv(k, v)
		}
		for _, asJSON := range []bool{true, false} {
			root := newRoot()
			var out strings.Builder
			root.SetOut(&out)
			args := []string{"info"}
			if asJSON {
				args = append(args, "--json")
			}
			root.SetArgs(args)
			if err := root.Execute(); err != nil {
				t.Fatal(err)
			}
			if strings.Contains(out.String(), "very-secret") {
				t.Fatalf("info shows a secret: %s", out.String())
			}
			if !asJSON {
				if !strings.Contains(out.String(), tc.text+"\n") {
					t.Errorf("info text lacks %q:\n%s", tc.text, out.String())
				}
				continue
			}
			var in Info
			if err := json.Unmarshal([]byte(out.String()), &in); err != nil {
				t.Fatal(err)
			}
			if g, w := fmt.Sprintf("%+v", in.Cluster), fmt.Sprintf("%+v", tc.want); g != w {
				t.Errorf("info cluster:\n got %s\nwant %s", g, w)
			}
		}
		for k := range tc.env {
			t.Setenv(k, "")
		}
	}
}

// TestWebhooksPublicURL: --public-url prints every vendor's URL under the
// public address, registering nothing; a base that cannot be one is an
// error naming the flag.
func TestWebhooksPublicURL(t *testing.T) {
	t.Setenv("XDG_STATE_HOME", t.TempDir())
	run := func(args ...string) (string, error) {
		root := newRoot()
		var out strings.Builder
		root.SetOut(&out)
		root.SetArgs(append([]string{"webhooks", "--token", "T0k"}, args...))
		err := root.Execute()
		return out.String(), err
	}
	out, err := run("--public-url", "https://chat-ops.example.com/deck/")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"https://chat-ops.example.com/deck/webhooks/comm100?token=T0k",
		"https://chat-ops.example.com/deck/webhooks/chatlio/transcript?token=T0k",
		"https://chat-ops.example.com/deck/webhooks/jivochat?token=T0k",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %s:\n%s", want, out)
		}
	}
	if strings.Contains(out, "registered") {
		t.Errorf("--public-url registered something:\n%s", out)
	}
	for _, bad := range []string{"chat-ops.example.com", "ftp://x", "https://x/?a=b", "https://"} {
		if _, err := run("--public-url", bad); err == nil || !strings.Contains(err.Error(), "--public-url") {
			t.Errorf("--public-url %s: %v, want an error naming the flag", bad, err)
		}
	}
}

// TestEveryCommandHasAnExample: chatdeck help CMD shows one.
func TestEveryCommandHasAnExample(t *testing.T) {
	root := newRoot()
	for _, c := range root.Commands() {
		if c.Name() == "help" || c.Name() == "completion" {
			continue
		}
		if strings.TrimSpace(c.Example) == "" {
			t.Errorf("chatdeck %s has no example", c.Name())
		}
	}
}
