package main

import (
	"context"
	"errors"
	"io"
	"os"

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
resuming from the last event it had.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg, _, err := loadConfig(cmd.Flags(), os.Environ)
			if err != nil {
				return err
			}
			cfg = tuiLogConfig(cfg)
			token := cfg.Token
			if token == "" {
				if token, _, err = ensureToken(cfg); err != nil {
					return err
				}
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
			client := stream.NewClient(args[0], token, log)
			ctx, cancel := context.WithCancel(cmd.Context())
			done := make(chan error, 1)
			go func() { done <- client.Run(ctx) }()
			err = runTUI(ctx, tui.Options{Source: client, Actions: client, Mode: "attach", Keys: keys,
				Alerts: tui.Alerts{WaitWarn: cfg.Alerts.WaitWarn, WaitAlert: cfg.Alerts.WaitAlert,
					ServiceLevel: cfg.Alerts.ServiceLevel, Bell: cfg.Alerts.Bell}}, os.Stdin, os.Stdout)
			cancel()
			if runErr := <-done; runErr != nil && !errors.Is(runErr, context.Canceled) && err == nil {
				err = runErr
			}
			return err
		},
	}
	addFlags(cmd.Flags(), scopeAttach)
	return cmd
}
