package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/term"
	"github.com/spf13/cobra"

	"github.com/chatdeck/chatdeck/tui"
)

func newRun() *cobra.Command {
	cmd := &cobra.Command{
		Use:     "run",
		Short:   "Run the dashboard with the embedded listener and Comm100 polling (the default)",
		Example: "  chatdeck run\n  COMM100_API_BASE=https://api15.comm100.io/v4 COMM100_ACCESS_TOKEN=… chatdeck run --timezone Europe/London",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, _, err := loadConfig(cmd.Flags(), os.Environ)
			if err != nil {
				return err
			}
			return runDashboard(cmd.Context(), cfg, "live", appOptions{}, nil)
		},
	}
	addFlags(cmd.Flags(), scopeRun)
	return cmd
}

// testPanicEnv, when set in the environment, makes the dashboard's refresh
// key (r) panic, so that the end-to-end test can check the terminal is
// restored after a panic. It is not for users.
const testPanicEnv = "CHATDECK_TEST_PANIC"

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
	if cfg.Cluster.set() {
		// A dashboard is no cluster node (a demo's made-up traffic must
		// never reach a real stream): it watches one with attach.
		return usageError{errors.New("the dashboard is no cluster node: cluster mode is for chatdeck serve (these cluster settings come from the environment or the config file's [cluster] table); to watch a cluster: chatdeck attach NODE-URL")}
	}
	if err := needTerminal(os.Stdin, os.Stdout); err != nil {
		return err
	}
	cfg = tuiLogConfig(cfg)
	token, tokenFile, err := ensureToken(cfg)
	if err != nil {
		return err
	}
	if tokenFile == "" {
		tokenFile = opt.tokenFile
	}
	log, closeLog, err := newLogger(cfg, io.Discard, append(configSecrets(cfg), token)...)
	if err != nil {
		return err
	}
	defer closeLog()
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
		BaseURL: a.baseURL(), TokenFile: tokenFile,
		Alerts: tui.Alerts{WaitWarn: cfg.Alerts.WaitWarn, WaitAlert: cfg.Alerts.WaitAlert,
			ServiceLevel: cfg.Alerts.ServiceLevel, Bell: cfg.Alerts.Bell}}
	if a.api != nil {
		opts.Actions, opts.Refresh = a.actions, a.refresh
	}
	if os.Getenv(testPanicEnv) != "" && opts.Refresh != nil {
		opts.Refresh = func(context.Context) error {
			panic(testPanicEnv + " is set: the refresh key panics on purpose")
		}
	}
	log.Info("dashboard starting", "mode", mode, "addr", a.addr)
	return runTUI(ctx, opts, os.Stdin, os.Stdout)
}

// needTerminal refuses to start the dashboard without a terminal to draw
// on and read keys from, before anything binds a port: Bubble Tea's own
// error for a pipe ("could not create cancelable reader") says nothing a
// user can act on.
func needTerminal(in, out *os.File) error {
	for _, f := range []*os.File{in, out} {
		if !term.IsTerminal(f.Fd()) {
			return fmt.Errorf("the dashboard needs a terminal, and %s is not one (for no screen: chatdeck serve, or serve --demo)", f.Name())
		}
	}
	return nil
}

// signalGrace is how long the dashboard has to quit by itself after SIGINT
// or SIGTERM before its context is cancelled.
const signalGrace = 2 * time.Second

// runTUI runs the dashboard until the user quits or a signal ends ctx.
//
// Bubble Tea catches SIGINT and SIGTERM itself and quits cleanly, giving the
// terminal back. Cancelling its context at the same moment races with that:
// in bubbletea v2.0.10 its signal goroutine then blocks for ever sending
// the quit message to an event loop that has already returned, and its
// shutdown waits for that goroutine, so the process hangs with the
// terminal still in the alternate screen (charmbracelet/bubbletea#1806).
// So the dashboard's context is cut loose from the signals, and cancelled
// only when the program has not quit by itself within signalGrace (a signal
// that came before Bubble Tea was listening).
func runTUI(ctx context.Context, opts tui.Options, in io.Reader, out io.Writer) error {
	if ctx.Err() != nil {
		return nil // stopped before the dashboard started
	}
	tctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	defer cancel()
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		select {
		case <-done:
		case <-ctx.Done():
			t := time.NewTimer(signalGrace)
			defer t.Stop()
			select {
			case <-done:
			case <-t.C:
				cancel()
			}
		}
	})
	err := tui.Run(tctx, opts, in, out)
	close(done)
	wg.Wait()
	if err != nil && ctx.Err() != nil && (errors.Is(err, tea.ErrInterrupted) || errors.Is(err, tea.ErrProgramKilled)) {
		return nil // stopped by the signal, as asked
	}
	return err
}
