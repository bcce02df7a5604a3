package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/chatdeck/chatdeck/ingest/listener"
)

// newLogger logs JSON lines to stderr, or to cfg.LogFile, hiding secrets:
// see redactHandler. secrets are values never to be written (the token,
// Comm100 credentials).
func newLogger(cfg Config, stderr io.Writer, secrets ...string) (*slog.Logger, func(), error) {
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
	h := newRedactHandler(slog.NewJSONHandler(out, &slog.HandlerOptions{Level: level}), secrets...)
	return slog.New(h), closeFn, nil
}

// configSecrets are the secrets of a configuration, besides the token.
func configSecrets(cfg Config) []string {
	c := cfg.Comm100
	return append([]string{cfg.Token, c.AccessToken, c.RefreshToken, c.ClientSecret, c.APIKey}, urlSecrets(cfg.Cluster.NATSURL)...)
}

// minSecret is the shortest secret replaced wherever it appears: shorter
// ones would blot out ordinary words (they are still hidden where they are
// a query parameter's value).
const minSecret = 8

// redactHandler passes records on with secrets replaced by REDACTED in the
// message and in every attribute (strings, errors, Stringers, groups): the
// values of secret query parameters (listener.Redact: ?token=… in a URL in
// an error, say) and the known secrets themselves, raw or URL-escaped.
// http.Server's ErrorLog goes through it too (slog.NewLogLogger).
type redactHandler struct {
	next    slog.Handler
	secrets []string
}

func newRedactHandler(next slog.Handler, secrets ...string) *redactHandler {
	var keep []string
	for _, s := range secrets {
		if len(s) < minSecret {
			continue
		}
		keep = append(keep, s)
		if q := url.QueryEscape(s); q != s {
			keep = append(keep, q)
		}
	}
	// Longest first, so that a secret containing another is replaced whole.
	slices.SortFunc(keep, func(a, b string) int { return len(b) - len(a) })
	return &redactHandler{next: next, secrets: slices.Compact(keep)}
}

// Enabled reports whether the next handler takes records of level l.
func (h *redactHandler) Enabled(ctx context.Context, l slog.Level) bool {
	return h.next.Enabled(ctx, l)
}

// Handle passes r on, redacted.
func (h *redactHandler) Handle(ctx context.Context, r slog.Record) error {
	out := slog.NewRecord(r.Time, r.Level, h.redact(r.Message), r.PC)
	r.Attrs(func(a slog.Attr) bool {
		out.AddAttrs(h.attr(a))
		return true
	})
	return h.next.Handle(ctx, out)
}

// WithAttrs redacts the attributes once, here.
func (h *redactHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	red := make([]slog.Attr, len(attrs))
	for i, a := range attrs {
		red[i] = h.attr(a)
	}
	return &redactHandler{next: h.next.WithAttrs(red), secrets: h.secrets}
}

// WithGroup opens a group in the next handler.
func (h *redactHandler) WithGroup(name string) slog.Handler {
	return &redactHandler{next: h.next.WithGroup(name), secrets: h.secrets}
}

func (h *redactHandler) attr(a slog.Attr) slog.Attr {
	a.Value = a.Value.Resolve()
	switch a.Value.Kind() {
	case slog.KindString:
		a.Value = slog.StringValue(h.redact(a.Value.String()))
	case slog.KindGroup:
		g := a.Value.Group()
		red := make([]slog.Attr, len(g))
		for i, x := range g {
			red[i] = h.attr(x)
		}
		a.Value = slog.GroupValue(red...)
	case slog.KindAny:
		var s string
		switch v := a.Value.Any().(type) {
		case error:
			s = v.Error()
		case fmt.Stringer:
			s = v.String()
		default:
			s = fmt.Sprintf("%+v", v)
		}
		if r := h.redact(s); r != s {
			a.Value = slog.StringValue(r)
		}
	}
	return a
}

func (h *redactHandler) redact(s string) string {
	s = listener.Redact(s)
	for _, sec := range h.secrets {
		s = strings.ReplaceAll(s, sec, listener.Redacted)
	}
	return s
}

// urlSecrets are the passwords and tokens in the user information of a
// comma-separated list of URLs (nats://user:pass@host).
func urlSecrets(urls string) []string {
	var out []string
	for _, u := range strings.Split(urls, ",") {
		at := strings.LastIndex(u, "@")
		if at < 0 {
			continue
		}
		info := u[:at]
		if s := strings.Index(info, "://"); s >= 0 {
			info = info[s+3:]
		}
		if _, pass, ok := strings.Cut(info, ":"); ok {
			out = append(out, pass)
		} else {
			out = append(out, info) // a token
		}
	}
	return out
}
