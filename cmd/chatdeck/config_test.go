package main

import (
	"os"
	"path/filepath"
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
	addFlags(fs)
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

func TestConfigErrors(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.toml")
	if err := os.WriteFile(bad, []byte("capacity = \n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{{"--config", bad}, {"--config", filepath.Join(dir, "missing.toml")}, {"--sl-target", "soon"}} {
		fs := pflag.NewFlagSet("t", pflag.ContinueOnError)
		addFlags(fs)
		if err := fs.Parse(args); err != nil {
			t.Fatal(err)
		}
		if _, _, err := loadConfig(fs, func() []string { return []string{"HOME=" + dir} }); err == nil {
			t.Errorf("%v: no error", args)
		}
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
		addFlags(fs)
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
