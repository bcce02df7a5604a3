package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/chatdeck/chatdeck/comm100api"
	"github.com/chatdeck/chatdeck/comm100api/comm100test"
	"github.com/chatdeck/chatdeck/fixtures/scenario"
)

func newDemo() *cobra.Command {
	cmd := &cobra.Command{
		Use:     "demo",
		Short:   "Run the dashboard on a simulated day of traffic: no credentials needed",
		Example: "  chatdeck demo\n  chatdeck demo --speed 20 --seed 3\n  chatdeck demo --listen 127.0.0.1:8765   # then, from another terminal:\n  curl -s -H \"Authorization: Bearer $(cat ~/.local/state/chatdeck/token)\" http://127.0.0.1:8765/v1/board",
		Long: `demo runs everything embedded: the listener on a loopback port (with the same
JSON API as serve), a fake Comm100 API seeded with agents, visitors, departments
and away statuses, and a scenario that posts real webhooks of all three vendors
over HTTP. Status keys work against the fake API.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, _, err := loadConfig(cmd.Flags(), os.Environ)
			if err != nil {
				return err
			}
			d, err := newDemoSetup(cmd.Flags(), cfg)
			if err != nil {
				return err
			}
			defer d.close()
			return runDashboard(cmd.Context(), d.cfg, "demo", d.appOptions(cmd.Flags()), d.start)
		},
	}
	addFlags(cmd.Flags(), scopeDemo)
	addDemoFlags(cmd.Flags())
	return cmd
}

func addDemoFlags(fs *pflag.FlagSet) {
	fs.Int64("seed", 1, "demo: seed of the scenario (the same seed gives the same day)")
	fs.Float64("speed", 1, "demo: scenario speed (2 = twice as fast; 0 holds it still)")
}

// demoSetup is the demo's fake API and throwaway journal.
type demoSetup struct {
	cfg Config
	// tokenFile is where the token is kept; empty when it was given.
	tokenFile string
	fake      *comm100test.Server
	tmp       string
	seed      int64
	speed     float64
	runner    *scenario.Runner
}

func newDemoSetup(fs *pflag.FlagSet, cfg Config) (*demoSetup, error) {
	d := &demoSetup{cfg: cfg}
	d.seed, _ = fs.GetInt64("seed")
	d.speed, _ = fs.GetFloat64("speed")
	if d.speed < 0 {
		return nil, fmt.Errorf("--speed %v: want 0 or more", d.speed)
	}
	if !fs.Changed("db") && os.Getenv("CHATDECK_DB") == "" {
		tmp, err := os.MkdirTemp("", "chatdeck-demo")
		if err != nil {
			return nil, fmt.Errorf("demo journal: %w", err)
		}
		d.tmp = tmp
		d.cfg.DB = filepath.Join(tmp, "journal.db")
	}
	if d.cfg.Token == "" {
		// The token serve keeps, in the state directory (not beside the
		// throwaway journal): scripts and attach use the same one.
		token, file, err := ensureTokenFile(filepath.Join(stateDir(os.Environ), "chatdeck", "token"))
		if err != nil {
			return nil, err
		}
		d.cfg.Token, d.tokenFile = token, file
	}
	if d.cfg.Comm100.PollInterval > 5*time.Second {
		d.cfg.Comm100.PollInterval = 5 * time.Second
	}
	d.fake = comm100test.New(comm100test.Options{AccessToken: "demo-token"})
	d.cfg.Comm100.API = d.fake.URL()
	return d, nil
}

func (d *demoSetup) appOptions(fs *pflag.FlagSet) appOptions {
	api, _ := comm100api.New(comm100api.Config{
		BaseURL: d.fake.URL(),
		Auth:    comm100api.Bearer(comm100api.OAuthConfig{AccessToken: "demo-token"}),
		Budget:  comm100api.NewBudget(d.cfg.Comm100.Budget, comm100api.DocumentedWindow, nil),
		Logger:  slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	return appOptions{api: api, anyPort: !fs.Changed("listen") && os.Getenv("CHATDECK_LISTEN") == "", tokenFile: d.tokenFile}
}

// start runs the scenario against the app's listener until stopped.
func (d *demoSetup) start(ctx context.Context, a *app) (func(), error) {
	var agents []scenario.Agent
	for _, ag := range d.fake.Agents() {
		agents = append(agents, scenario.Agent{ID: ag.ID, Name: ag.DisplayName, Email: ag.Email})
	}
	// The script and the runner share the speed, so that each payload is
	// stamped with the moment the runner posts it.
	script := scenario.New(scenario.Options{Seed: d.seed, Comm100Agents: agents, Start: time.Now(), Speed: d.speed})
	d.runner = &scenario.Runner{BaseURL: a.baseURL(), Token: a.token, Speed: d.speed,
		Client: a.selfClient(scenario.DefaultTimeout), SetAgentStatus: d.fake.SetAgentStatus, Logger: a.log}
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = d.runner.Run(runCtx, script)
	}()
	a.log.Info("demo scenario running", "seed", d.seed, "speed", d.speed, "api", d.fake.URL(),
		"url", a.baseURL(), "token_file", d.tokenFile)
	return func() { cancel(); <-done }, nil
}

func (d *demoSetup) close() {
	d.fake.Close()
	if d.tmp != "" {
		_ = os.RemoveAll(d.tmp)
	}
}
