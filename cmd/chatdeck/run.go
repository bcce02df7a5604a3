package main

import (
	"context"
	"io"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/chatdeck/chatdeck/tui"
)

func newRun() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "run",
		Short: "Run the dashboard with the embedded listener and Comm100 polling (the default)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, _, err := loadConfig(cmd.Flags(), os.Environ)
			if err != nil {
				return err
			}
			return runDashboard(cmd.Context(), cfg, "live", appOptions{}, nil)
		},
	}
	addFlags(cmd.Flags())
	return cmd
}

// tuiLogConfig sends logs to a file in the state directory: the dashboard
// owns the screen.
func tuiLogConfig(cfg Config) Config {
	if cfg.LogFile == "" {
		cfg.LogFile = filepath.Join(stateDir(os.Environ), "chatdeck", "chatdeck.log")
	}
	return cfg
}

// runDashboard starts the app and runs the dashboard on the terminal.
// around, if set, starts extra work (the demo scenario) once the app runs
// and returns its stop function.
func runDashboard(ctx context.Context, cfg Config, mode string, opt appOptions,
	around func(ctx context.Context, a *app) (stop func(), err error)) error {
	cfg = tuiLogConfig(cfg)
	log, closeLog, err := newLogger(cfg, io.Discard)
	if err != nil {
		return err
	}
	defer closeLog()
	token, _, err := ensureToken(cfg)
	if err != nil {
		return err
	}
	a, err := startApp(ctx, cfg, token, log, opt)
	if err != nil {
		return err
	}
	defer func() { _ = a.close() }()
	if around != nil {
		stop, err := around(ctx, a)
		if err != nil {
			return err
		}
		defer stop()
	}
	keys := tui.DefaultKeyMap()
	if err := keys.Remap(cfg.Keys); err != nil {
		return err
	}
	opts := tui.Options{Source: a.hub, Listen: a.addr, Mode: mode, Keys: keys,
		Alerts: tui.Alerts{WaitWarn: cfg.Alerts.WaitWarn, WaitAlert: cfg.Alerts.WaitAlert,
			ServiceLevel: cfg.Alerts.ServiceLevel, Bell: cfg.Alerts.Bell}}
	if a.api != nil {
		opts.Actions, opts.Refresh = a.actions, a.refresh
	}
	log.Info("dashboard starting", "mode", mode, "addr", a.addr)
	return tui.Run(ctx, opts, os.Stdin, os.Stdout)
}
