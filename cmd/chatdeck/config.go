package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/knadh/koanf/parsers/toml/v2"
	"github.com/knadh/koanf/providers/confmap"
	"github.com/knadh/koanf/providers/env/v2"
	"github.com/knadh/koanf/providers/file"
	"github.com/knadh/koanf/providers/posflag"
	"github.com/knadh/koanf/v2"
	"github.com/spf13/pflag"
)

// Config is chatdeck's configuration: flags, then environment, then the
// config file (TOML, in the XDG config directory), then defaults.
type Config struct {
	Listen         string        `koanf:"listen"`
	Token          string        `koanf:"token"`
	DB             string        `koanf:"db"`
	MaxBody        int64         `koanf:"max_body"`
	RetentionAge   time.Duration `koanf:"retention_age"`
	RetentionBytes int64         `koanf:"retention_bytes"`
	// CheckpointEvery is how often the board is saved in the journal, so
	// that a start-up replays only what came after (negative: never).
	CheckpointEvery time.Duration `koanf:"checkpoint_every"`
	SLTarget        time.Duration `koanf:"sl_target"`
	Window          time.Duration `koanf:"window"`
	ShortAbandon    time.Duration `koanf:"short_abandon"`
	Capacity        int           `koanf:"capacity"`
	Timezone        string        `koanf:"timezone"`
	LogLevel        string        `koanf:"log_level"`
	LogFile         string        `koanf:"log_file"`
	// TLSCert and TLSKey are PEM files: with both set the listener speaks
	// HTTPS only.
	TLSCert string `koanf:"tls_cert"`
	TLSKey  string `koanf:"tls_key"`
	// WebhookRate limits webhooks per second per client address (0: no
	// limit); WebhookBurst is how many may come at once.
	WebhookRate  float64       `koanf:"webhook_rate"`
	WebhookBurst int           `koanf:"webhook_burst"`
	Comm100      Comm100Config `koanf:"comm100"`
	// Keys remaps the dashboard's keys: action name → keys ([] unbinds).
	Keys   map[string][]string `koanf:"keys"`
	Alerts AlertsConfig        `koanf:"alerts"`
	// BrowserKey turns on the JivoChat browser routes (/browser/...):
	// publishable, it sits in the site's pages. BrowserOrigins are the
	// sites allowed to post with it, separated by commas.
	BrowserKey     string `koanf:"browser_key"`
	BrowserOrigins string `koanf:"browser_origins"`
	// Cluster is cluster mode (cluster.go); unset: one node on SQLite.
	Cluster ClusterConfig `koanf:"cluster"`
}

// ClusterConfig is cluster mode's settings: an embedded NATS server with
// JetStream joining its peers (Name, Listen, Peers, Dir), or an existing
// deployment (NATSURL); Node names this node either way.
type ClusterConfig struct {
	Name    string `koanf:"name"`
	Node    string `koanf:"node"`
	Listen  string `koanf:"listen"`
	Peers   string `koanf:"peers"` // host:port,host:port
	Dir     string `koanf:"dir"`
	NATSURL string `koanf:"nats_url"`
	// LeaseTTL is how long the Comm100 poller's lease lives unrenewed.
	LeaseTTL time.Duration `koanf:"lease_ttl"`
}

// AlertsConfig holds the dashboard's alert thresholds.
type AlertsConfig struct {
	WaitWarn     time.Duration `koanf:"wait_warn"`
	WaitAlert    time.Duration `koanf:"wait_alert"`
	ServiceLevel float64       `koanf:"service_level"`
	Bell         bool          `koanf:"bell"`
}

// Comm100Config holds the Comm100 API settings.
type Comm100Config struct {
	API          string        `koanf:"api"`
	AccessToken  string        `koanf:"access_token"`
	RefreshToken string        `koanf:"refresh_token"`
	ClientID     string        `koanf:"client_id"`
	ClientSecret string        `koanf:"client_secret"`
	TokenURL     string        `koanf:"token_url"`
	Email        string        `koanf:"email"`
	APIKey       string        `koanf:"api_key"`
	SiteID       string        `koanf:"site_id"`
	Budget       int           `koanf:"budget"`
	PollInterval time.Duration `koanf:"poll_interval"`
}

// setting is one configuration key with its flag, environment variable and
// default. Secrets have no flag: they never need the command line. scope
// says which commands take its flag (all read every key from the file and
// the environment; a flag a command would ignore is not offered).
type setting struct {
	key, flag, env, def, usage string
	scope                      scope
}

// scope is a set of the kinds of command a flag belongs to.
type scope uint8

const (
	// forServer: commands that run the listener, journal and board (run,
	// demo, serve).
	forServer scope = 1 << iota
	// forLive: commands that talk to the real Comm100 API (run, serve).
	forLive
	// forScreen: commands that run the dashboard (run, demo, attach).
	forScreen
	// forBoard: commands that keep a board (all but webhooks).
	forBoard
	// forWebhooks: chatdeck webhooks.
	forWebhooks
	// forAttach: chatdeck attach.
	forAttach
	// forCluster: cluster mode (serve).
	forCluster

	scopeRun     = forServer | forLive | forScreen | forBoard
	scopeDemo    = forServer | forScreen | forBoard
	scopeServe   = forServer | forLive | forBoard | forCluster
	scopeAttach  = forAttach | forScreen | forBoard
	scopeWebhook = forWebhooks
	forAll       = scopeRun | scopeDemo | scopeServe | scopeAttach | scopeWebhook
)

var settings = []setting{
	{"listen", "listen", "CHATDECK_LISTEN", "127.0.0.1:8765", "address to listen on for webhooks and the API", forServer | forWebhooks},
	{"token", "token", "CHATDECK_TOKEN", "", "token guarding webhooks and the API (default: generated once, kept in the state directory)", forServer | forAttach | forWebhooks},
	{"db", "db", "CHATDECK_DB", "", "journal file (default: chatdeck/journal.db in the XDG state directory)", forServer},
	{"max_body", "max-body", "CHATDECK_MAX_BODY", "1048576", "largest webhook body accepted, in bytes", forServer},
	{"tls_cert", "tls-cert", "CHATDECK_TLS_CERT", "", "TLS certificate (PEM, with any intermediates): serve HTTPS (with --tls-key)", forServer | forWebhooks},
	{"tls_key", "tls-key", "CHATDECK_TLS_KEY", "", "TLS private key (PEM) of --tls-cert", forServer},
	{"webhook_rate", "webhook-rate", "CHATDECK_WEBHOOK_RATE", "50", "webhooks per second one client address may send on average (0: no limit); beyond it 429", forServer},
	{"webhook_burst", "webhook-burst", "CHATDECK_WEBHOOK_BURST", "200", "webhooks one client address may send at once", forServer},
	{"browser_key", "browser-key", "CHATDECK_BROWSER_KEY", "", "publishable key of the JivoChat browser script (/browser/jivo.js); unset: no browser routes", forServer | forWebhooks},
	{"browser_origins", "browser-origins", "CHATDECK_BROWSER_ORIGINS", "", "sites allowed to post browser events, comma-separated (e.g. https://shop.example.com); required with --browser-key", forServer},
	{"retention_age", "retention-age", "CHATDECK_RETENTION_AGE", "720h", "journal keeps events this long (0: forever)", forServer},
	{"retention_bytes", "retention-bytes", "CHATDECK_RETENTION_BYTES", "2147483648", "journal keeps at most this many payload bytes (0: no limit)", forServer},
	{"checkpoint_every", "checkpoint-every", "CHATDECK_CHECKPOINT_EVERY", "5m", "save the board in the journal this often, and on exit, so that start-up replays only what came after (-1s: never; start-up replays the whole journal)", forServer},
	{"sl_target", "sl-target", "CHATDECK_SL_TARGET", "30s", "service level target: answered within this", forBoard},
	{"window", "window", "CHATDECK_WINDOW", "30m", "rolling window of the windowed metrics", forBoard},
	{"short_abandon", "short-abandon", "CHATDECK_SHORT_ABANDON", "5s", "visitors leaving sooner than this are short abandons", forBoard},
	{"capacity", "capacity", "CHATDECK_CAPACITY", "3", "chats one agent can hold at once", forBoard},
	{"timezone", "timezone", "CHATDECK_TIMEZONE", "Local", "time zone that \"today\" is counted in (IANA name)", forBoard},
	{"log_level", "log-level", "CHATDECK_LOG_LEVEL", "info", "log level: debug, info, warn, error", forAll},
	{"log_file", "log-file", "CHATDECK_LOG_FILE", "", "log to this file instead of stderr", forAll},
	{"alerts.wait_warn", "", "CHATDECK_WAIT_WARN", "30s", "", 0},
	{"alerts.wait_alert", "", "CHATDECK_WAIT_ALERT", "60s", "", 0},
	{"alerts.service_level", "", "CHATDECK_SL_ALERT", "0.8", "", 0},
	{"alerts.bell", "bell", "CHATDECK_BELL", "false", "ring the terminal bell on alerts", forScreen},
	{"comm100.api", "comm100-api", "COMM100_API_BASE", "", "Comm100 API base URL, e.g. https://api15.comm100.io/v4", forLive | forWebhooks},
	{"comm100.budget", "comm100-budget", "COMM100_BUDGET", "150", "most Comm100 API calls per 5 minutes, polls and actions together (documented limit: 300)", forServer},
	{"comm100.poll_interval", "poll-interval", "COMM100_POLL_INTERVAL", "15s", "how often to poll Comm100 agents and visitors", forServer},
	{"cluster.name", "cluster-name", "CHATDECK_CLUSTER_NAME", "", "cluster mode: the cluster's name, the same on every node (with --node and --cluster-listen and --cluster-peers, or --nats-url)", forCluster},
	{"cluster.node", "node", "CHATDECK_NODE", "", "cluster mode: this node's name, unique in the cluster", forCluster},
	{"cluster.listen", "cluster-listen", "CHATDECK_CLUSTER_LISTEN", "", "cluster mode: host:port the routes between the nodes listen on", forCluster},
	{"cluster.peers", "cluster-peers", "CHATDECK_CLUSTER_PEERS", "", "cluster mode: every node's --cluster-listen, comma-separated (this node's own may be among them)", forCluster},
	{"cluster.dir", "cluster-dir", "CHATDECK_CLUSTER_DIR", "", "cluster mode: where the embedded NATS server keeps its JetStream files (default: chatdeck/cluster in the XDG state directory)", forCluster},
	{"cluster.nats_url", "nats-url", "CHATDECK_NATS_URL", "", "cluster mode: use this NATS deployment with JetStream (nats://host:4222,...) instead of embedding a server", forCluster},
	{"cluster.lease_ttl", "cluster-lease-ttl", "CHATDECK_CLUSTER_LEASE_TTL", "15s", "cluster mode: how long the Comm100 poller's lease lives unrenewed (the poller moves within it when its node dies)", forCluster},
	{"comm100.token_url", "", "COMM100_TOKEN_URL", "", "", 0},
	{"comm100.access_token", "", "COMM100_ACCESS_TOKEN", "", "", 0},
	{"comm100.refresh_token", "", "COMM100_REFRESH_TOKEN", "", "", 0},
	{"comm100.client_id", "", "COMM100_CLIENT_ID", "", "", 0},
	{"comm100.client_secret", "", "COMM100_CLIENT_SECRET", "", "", 0},
	{"comm100.email", "", "COMM100_EMAIL", "", "", 0},
	{"comm100.api_key", "", "COMM100_API_KEY", "", "", 0},
	{"comm100.site_id", "", "COMM100_SITE_ID", "", "", 0},
}

// addFlags registers on fs --config and the flags of the settings in sc.
func addFlags(fs *pflag.FlagSet, sc scope) {
	fs.String("config", "", "config file (default: chatdeck/config.toml in the XDG config directory; env CHATDECK_CONFIG)")
	kinds, _ := keyKinds()
	for _, s := range settings {
		if s.flag == "" || s.scope&sc == 0 {
			continue
		}
		usage := s.usage + " (env " + s.env + ")"
		switch t := kinds[s.key]; {
		case t == durationType:
			d, _ := time.ParseDuration(s.def)
			fs.Duration(s.flag, d, usage)
		case t.Kind() == reflect.Bool:
			fs.Bool(s.flag, s.def == "true", usage)
		case t.Kind() >= reflect.Int && t.Kind() <= reflect.Int64:
			n, _ := strconv.ParseInt(s.def, 10, 64)
			fs.Int64(s.flag, n, usage)
		case t.Kind() == reflect.Float64:
			f, _ := strconv.ParseFloat(s.def, 64)
			fs.Float64(s.flag, f, usage)
		default:
			fs.String(s.flag, s.def, usage)
		}
	}
}

// loadConfig reads the configuration. environ is os.Environ in production.
func loadConfig(flags *pflag.FlagSet, environ func() []string) (Config, string, error) {
	k := koanf.New(".")
	defaults := map[string]any{}
	for _, s := range settings {
		defaults[s.key] = s.def
	}
	if err := k.Load(confmap.Provider(defaults, "."), nil); err != nil {
		return Config{}, "", fmt.Errorf("config: defaults: %w", err)
	}
	path, _ := flags.GetString("config")
	explicit := path != ""
	if !explicit {
		path = envValue(environ, "CHATDECK_CONFIG")
		explicit = path != ""
	}
	if !explicit {
		path = filepath.Join(configDir(environ), "chatdeck", "config.toml")
	}
	kf := koanf.New(".")
	if err := kf.Load(file.Provider(path), toml.Parser()); err != nil {
		if explicit || !errors.Is(err, fs.ErrNotExist) && !isNotExist(err) {
			return Config{}, "", fmt.Errorf("config: %s: %w", path, err)
		}
	}
	if err := checkFile(path, kf.All()); err != nil {
		return Config{}, "", err
	}
	if err := k.Merge(kf); err != nil {
		return Config{}, "", fmt.Errorf("config: %s: %w", path, err)
	}
	byEnv := map[string]string{}
	byFlag := map[string]string{}
	for _, s := range settings {
		byEnv[s.env] = s.key
		if s.flag != "" {
			byFlag[s.flag] = s.key
		}
	}
	var envErr error
	err := k.Load(env.Provider(".", env.Opt{
		EnvironFunc: environ,
		TransformFunc: func(name, v string) (string, any) {
			if key, ok := byEnv[name]; ok && v != "" {
				if err := checkEnv(name, key, v); err != nil && envErr == nil {
					envErr = err
				}
				return key, v
			}
			return "", nil
		},
	}), nil)
	if err == nil {
		err = envErr
	}
	if err != nil {
		return Config{}, "", fmt.Errorf("config: environment: %w", err)
	}
	err = k.Load(posflag.ProviderWithFlag(flags, ".", nil, func(f *pflag.Flag) (string, any) {
		key, ok := byFlag[f.Name]
		if !ok || !f.Changed {
			return "", nil
		}
		return key, f.Value.String()
	}), nil)
	if err != nil {
		return Config{}, "", fmt.Errorf("config: flags: %w", err)
	}
	var cfg Config
	if err := k.Unmarshal("", &cfg); err != nil {
		return Config{}, "", fmt.Errorf("config: %w", err)
	}
	if cfg.DB == "" {
		cfg.DB = filepath.Join(stateDir(environ), "chatdeck", "journal.db")
	}
	if cfg.Cluster.Dir == "" {
		cfg.Cluster.Dir = filepath.Join(stateDir(environ), "chatdeck", "cluster")
	}
	return cfg, path, nil
}

func isNotExist(err error) bool {
	var pe *fs.PathError
	return errors.As(err, &pe) && errors.Is(pe.Err, fs.ErrNotExist)
}

func envValue(environ func() []string, name string) string {
	for _, kv := range environ() {
		if k, v, ok := strings.Cut(kv, "="); ok && k == name {
			return v
		}
	}
	return ""
}

// configDir is $XDG_CONFIG_HOME, else ~/.config.
func configDir(environ func() []string) string {
	if d := envValue(environ, "XDG_CONFIG_HOME"); d != "" {
		return d
	}
	return filepath.Join(homeDir(environ), ".config")
}

// stateDir is $XDG_STATE_HOME, else ~/.local/state.
func stateDir(environ func() []string) string {
	if d := envValue(environ, "XDG_STATE_HOME"); d != "" {
		return d
	}
	return filepath.Join(homeDir(environ), ".local", "state")
}

func homeDir(environ func() []string) string {
	if h := envValue(environ, "HOME"); h != "" {
		return h
	}
	if h, err := os.UserHomeDir(); err == nil {
		return h
	}
	return "."
}
