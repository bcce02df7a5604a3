package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/chatdeck/chatdeck/ingest/stream"
	"github.com/chatdeck/chatdeck/tui"
)

func newAttach() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "attach URL",
		Short: "Run the dashboard on a remote chatdeck serve, over WebSocket",
		Long: `attach runs the same dashboard as chatdeck run on the board of a remote
chatdeck serve (e.g. chatdeck attach https://chat-ops.example.com:8765). Status
changes go through the server, which holds the Comm100 credentials. The token is
--token, CHATDECK_TOKEN, or the token file of a server on this machine. While the
server is unreachable the screen says so, and attach reconnects with backoff,
resuming from the last event it had. A server that refuses the token (401,
403) or an address that cannot be one ends attach at once, with the reason.`,
		Example: "  chatdeck attach https://chat-ops.example.com:8765 --token \"$T\"\n  chatdeck attach 127.0.0.1:8765   # a server on this machine: its token file is read",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg, _, err := loadConfig(cmd.Flags(), os.Environ)
			if err != nil {
				return err
			}
			base, err := stream.ServerURL(args[0])
			if err != nil {
				return fmt.Errorf("attach: %w", err)
			}
			cfg = tuiLogConfig(cfg)
			token, tokenFile := cfg.Token, ""
			if token == "" {
				// A server on this machine: its token file. attach never
				// makes one (a new token would only be refused).
				file := filepath.Join(filepath.Dir(cfg.DB), "token")
				b, err := os.ReadFile(file)
				if token = strings.TrimSpace(string(b)); err != nil || token == "" {
					return fmt.Errorf("attach: no token: pass --token or CHATDECK_TOKEN (no server's token in %s)", file)
				}
				tokenFile = file
			}
			log, closeLog, err := newLogger(cfg, io.Discard, append(configSecrets(cfg), token)...)
			if err != nil {
				return err
			}
			defer closeLog()
			keys := tui.DefaultKeyMap()
			if err := keys.Remap(cfg.Keys); err != nil {
				return err
			}
			client := stream.NewClient(base, token, log)
			return attach(cmd.Context(), client, tui.Options{Source: client, Actions: client, Mode: "attach", Keys: keys,
				BaseURL: strings.TrimSuffix(base, "/"), TokenFile: tokenFile,
				Alerts: tui.Alerts{WaitWarn: cfg.Alerts.WaitWarn, WaitAlert: cfg.Alerts.WaitAlert,
					ServiceLevel: cfg.Alerts.ServiceLevel, Bell: cfg.Alerts.Bell}})
		},
	}
	addFlags(cmd.Flags(), scopeAttach)
	return cmd
}

// firstContact is how long attach waits for the server before it shows the
// dashboard anyway (which then says it is reconnecting).
const firstContact = 5 * time.Second

// attach runs the dashboard on client's replica. A refusal before the
// screen starts ends attach at once with the reason; one later (a token
// revoked) quits the dashboard and ends attach with it. Only network
// failures are retried, on screen.
func attach(ctx context.Context, client *stream.Client, opts tui.Options) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- client.Run(ctx) }()
	deadline := time.NewTimer(firstContact)
	defer deadline.Stop()
	tick := time.NewTicker(25 * time.Millisecond)
	defer tick.Stop()
wait:
	for !client.Connection().Connected {
		select {
		case err := <-done:
			if err != nil && !errors.Is(err, context.Canceled) {
				return fmt.Errorf("attach: %w", err)
			}
			return nil
		case <-deadline.C:
			break wait
		case <-tick.C:
		case <-ctx.Done():
			<-done
			return nil
		}
	}
	// After the first contact, so that a refused token is told as such
	// whatever the terminal.
	if err := needTerminal(os.Stdin, os.Stdout); err != nil {
		cancel()
		<-done
		return err
	}
	tuiCtx, stopTUI := context.WithCancel(ctx)
	defer stopTUI()
	var runErr error
	ran := make(chan struct{})
	go func() {
		defer close(ran)
		runErr = <-done
		stopTUI() // a refusal ends the dashboard too
	}()
	err := runTUI(tuiCtx, opts, os.Stdin, os.Stdout)
	cancel()
	<-ran
	if runErr != nil && !errors.Is(runErr, context.Canceled) {
		return fmt.Errorf("attach: %w", runErr)
	}
	return err
}
