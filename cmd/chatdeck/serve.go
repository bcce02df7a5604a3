package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"
)

func newServe() *cobra.Command {
	cmd := &cobra.Command{
		Use:     "serve",
		Short:   "Run the listener, journal and board headless",
		Example: "  chatdeck serve --listen 0.0.0.0:8765 --tls-cert cert.pem --tls-key key.pem\n  chatdeck serve --demo --speed 10",
		Long: `serve runs chatdeck headless: the webhook listener, the journal and the
live board, with the JSON API on the same address. It stops cleanly on
SIGINT or SIGTERM: requests in flight have 3 s to finish, what remains is
cut (and logged), the journal closes, and it exits 0.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, cfgPath, err := loadConfig(cmd.Flags(), os.Environ)
			if err != nil {
				return err
			}
			if demo, _ := cmd.Flags().GetBool("demo"); demo {
				d, err := newDemoSetup(cmd.Flags(), cfg)
				if err != nil {
					return err
				}
				defer d.close()
				return serve(cmd.Context(), d.cfg, cfgPath, cmd.ErrOrStderr(), d.appOptions(cmd.Flags()), d.start)
			}
			return serve(cmd.Context(), cfg, cfgPath, cmd.ErrOrStderr(), appOptions{}, nil)
		},
	}
	addFlags(cmd.Flags(), scopeServe)
	cmd.Flags().Bool("demo", false, "run the demo scenario and fake Comm100 API headless")
	addDemoFlags(cmd.Flags())
	return cmd
}

// serve runs until ctx ends.
func serve(ctx context.Context, cfg Config, cfgPath string, stderr io.Writer, opt appOptions,
	around func(ctx context.Context, a *app) (stop func(), err error)) error {
	token, tokenFile, err := ensureToken(cfg)
	if err != nil {
		return err
	}
	log, closeLog, err := newLogger(cfg, stderr, append(configSecrets(cfg), token)...)
	if err != nil {
		return err
	}
	defer closeLog()
	a, err := startApp(ctx, cfg, token, log, opt)
	if err != nil {
		return err
	}
	if around != nil {
		stop, err := around(ctx, a)
		if err != nil {
			_ = a.close()
			return err
		}
		defer stop()
	}
	node := ""
	if a.cluster != nil {
		node = a.cluster.node.Name()
	}
	log.Info("chatdeck serving", "addr", a.addr, "url", a.baseURL(), "tls", a.tls != nil, "journal", cfg.DB, "node", node,
		"config", cfgPath, "token_file", tokenFile, "webhook_rate", cfg.WebhookRate, "webhook_burst", cfg.WebhookBurst)
	select {
	case err := <-a.served:
		a.served <- err
		_ = a.close()
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	return a.close()
}

func isLoopback(a net.Addr) bool {
	ta, ok := a.(*net.TCPAddr)
	return ok && ta.IP.IsLoopback()
}

// ensureToken returns the configured token or, when none is, the one kept
// in the state directory beside the journal (created on first run), so that
// webhook URLs pasted into vendors' pages stay valid across restarts.
func ensureToken(cfg Config) (token, file string, err error) {
	if cfg.Token != "" {
		return cfg.Token, "", nil
	}
	return ensureTokenFile(filepath.Join(filepath.Dir(cfg.DB), "token"))
}

// ensureTokenFile reads the token kept in file, making one the first time.
func ensureTokenFile(file string) (token, kept string, err error) {
	if b, err := os.ReadFile(file); err == nil {
		if t := strings.TrimSpace(string(b)); t != "" {
			return t, file, nil
		}
	} else if !errors.Is(err, os.ErrNotExist) {
		return "", "", fmt.Errorf("token file: %w", err)
	}
	buf := make([]byte, 24)
	if _, err := rand.Read(buf); err != nil {
		return "", "", fmt.Errorf("token: %w", err)
	}
	token = hex.EncodeToString(buf)
	if err := os.MkdirAll(filepath.Dir(file), 0o700); err != nil {
		return "", "", fmt.Errorf("token file: %w", err)
	}
	if err := os.WriteFile(file, []byte(token+"\n"), 0o600); err != nil {
		return "", "", fmt.Errorf("token file: %w", err)
	}
	return token, file, nil
}
