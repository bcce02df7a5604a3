package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/chatdeck/chatdeck/ingest/actions"
	"github.com/chatdeck/chatdeck/ingest/board"
	"github.com/chatdeck/chatdeck/ingest/hub"
	"github.com/chatdeck/chatdeck/ingest/journal"
	"github.com/chatdeck/chatdeck/ingest/listener"
	"github.com/chatdeck/chatdeck/ingest/poller"
)

func newServe() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run the listener, journal and board headless",
		Long: `serve runs chatdeck headless: the webhook listener, the journal and the
live board, with the JSON API on the same address. It stops cleanly on
SIGINT or SIGTERM: requests in flight finish and the journal closes.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, cfgPath, err := loadConfig(cmd.Flags(), os.Environ)
			if err != nil {
				return err
			}
			return serve(cmd.Context(), cfg, cfgPath, cmd.ErrOrStderr())
		},
	}
	addFlags(cmd.Flags())
	return cmd
}

// serve runs until ctx ends.
func serve(ctx context.Context, cfg Config, cfgPath string, stderr io.Writer) error {
	log, closeLog, err := newLogger(cfg, stderr)
	if err != nil {
		return err
	}
	defer closeLog()
	token, tokenFile, err := ensureToken(cfg)
	if err != nil {
		return err
	}
	loc, err := time.LoadLocation(cfg.Timezone)
	if err != nil {
		return fmt.Errorf("timezone %q: %w", cfg.Timezone, err)
	}
	h, err := hub.Open(ctx, hub.Config{
		Journal: journal.Options{Path: cfg.DB, MaxAge: cfg.RetentionAge, MaxBytes: cfg.RetentionBytes, Logger: log},
		Board: board.Config{SLTarget: cfg.SLTarget, Window: cfg.Window, ShortAbandon: cfg.ShortAbandon,
			Capacity: cfg.Capacity, Location: loc},
		Logger: log,
	})
	if err != nil {
		return err
	}
	defer func() {
		if err := h.Close(); err != nil {
			log.Error("closing journal", "err", err)
		}
		log.Info("journal closed")
	}()
	api, err := comm100Client(cfg, log)
	if err != nil {
		return err
	}
	var acts actions.Actions
	if api != nil {
		acts = &actions.Direct{API: api, Sink: h}
		p := poller.New(poller.Config{API: api, Sink: h, Interval: cfg.Comm100.PollInterval, Logger: log})
		pollCtx, stopPoll := context.WithCancel(ctx)
		polled := make(chan struct{})
		go func() {
			defer close(polled)
			_ = p.Run(pollCtx)
		}()
		// Runs before the journal closes (defers run last-in first-out).
		defer func() { stopPoll(); <-polled }()
		log.Info("polling Comm100", "api", api.BaseURL(), "every", cfg.Comm100.PollInterval, "budget", api.Budget().String())
	}
	l, err := listener.New(listener.Config{Token: token, MaxBody: cfg.MaxBody, Logger: log, Actions: acts}, h)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", cfg.Listen, err)
	}
	if !isLoopback(ln.Addr()) {
		log.Warn("listening beyond loopback: anyone who can reach this address can try the token", "addr", ln.Addr().String())
	}
	srv := &http.Server{
		Handler:           l,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		IdleTimeout:       120 * time.Second,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
		BaseContext:       func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
	}
	log.Info("chatdeck serving", "addr", ln.Addr().String(), "journal", cfg.DB, "config", cfgPath, "token_file", tokenFile)
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	log.Info("stopping: finishing requests in flight")
	shutCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 15*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutCtx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("serve: %w", err)
	}
	return nil
}

func isLoopback(a net.Addr) bool {
	ta, ok := a.(*net.TCPAddr)
	return ok && ta.IP.IsLoopback()
}

// newLogger logs JSON lines to stderr, or to cfg.LogFile.
func newLogger(cfg Config, stderr io.Writer) (*slog.Logger, func(), error) {
	var level slog.Level
	if err := level.UnmarshalText([]byte(cfg.LogLevel)); err != nil {
		return nil, nil, fmt.Errorf("log level %q: %w", cfg.LogLevel, err)
	}
	out, closeFn := stderr, func() {}
	if cfg.LogFile != "" {
		if err := os.MkdirAll(filepath.Dir(cfg.LogFile), 0o700); err != nil {
			return nil, nil, fmt.Errorf("log file: %w", err)
		}
		f, err := os.OpenFile(cfg.LogFile, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
		if err != nil {
			return nil, nil, fmt.Errorf("log file: %w", err)
		}
		out, closeFn = f, func() { _ = f.Close() }
	}
	return slog.New(slog.NewJSONHandler(out, &slog.HandlerOptions{Level: level})), closeFn, nil
}

// ensureToken returns the configured token or, when none is, the one kept
// in the state directory beside the journal (created on first run), so that
// webhook URLs pasted into vendors' pages stay valid across restarts.
func ensureToken(cfg Config) (token, file string, err error) {
	if cfg.Token != "" {
		return cfg.Token, "", nil
	}
	file = filepath.Join(filepath.Dir(cfg.DB), "token")
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
