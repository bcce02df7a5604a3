package main

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"golang.org/x/oauth2"

	"github.com/chatdeck/chatdeck/comm100api"
)

// comm100Client builds the API client from the configuration, or returns
// nil when no API base is configured (webhooks only).
func comm100Client(cfg Config, log *slog.Logger, onCall func(string, string, int, error, time.Duration)) (*comm100api.Client, error) {
	c := cfg.Comm100
	if c.API == "" {
		return nil, nil
	}
	var auth comm100api.Auth
	rotated := filepath.Join(filepath.Dir(cfg.DB), "comm100-refresh-token")
	switch {
	case c.AccessToken != "" || c.RefreshToken != "":
		refresh := c.RefreshToken
		// A refresh token rotated by an earlier run is newer than the
		// configured one, which may no longer work.
		if b, err := os.ReadFile(rotated); err == nil && strings.TrimSpace(string(b)) != "" {
			refresh = strings.TrimSpace(string(b))
		}
		tokenURL := c.TokenURL
		if tokenURL == "" {
			tokenURL = comm100api.TokenURLFor(c.API)
		}
		auth = comm100api.Bearer(comm100api.OAuthConfig{
			AccessToken: c.AccessToken, RefreshToken: refresh, ClientID: c.ClientID, ClientSecret: c.ClientSecret,
			TokenURL: tokenURL,
			OnRotate: func(t *oauth2.Token) {
				if err := os.WriteFile(rotated, []byte(t.RefreshToken+"\n"), 0o600); err != nil {
					log.Error("keeping the rotated Comm100 refresh token failed", "file", rotated, "err", err)
					return
				}
				log.Info("Comm100 refresh token rotated and kept", "file", rotated)
			},
		})
	case c.Email != "" && c.APIKey != "" && c.SiteID != "":
		auth = comm100api.APIKey(c.Email, c.APIKey, c.SiteID)
	default:
		return nil, errors.New("comm100: an API base is set but no credentials: set COMM100_ACCESS_TOKEN, or COMM100_EMAIL, COMM100_API_KEY and COMM100_SITE_ID")
	}
	if c.Budget < 1 || c.Budget > comm100api.DocumentedLimit {
		return nil, fmt.Errorf("comm100 budget %d: want 1 to %d calls per 5 minutes", c.Budget, comm100api.DocumentedLimit)
	}
	return comm100api.New(comm100api.Config{
		BaseURL: c.API,
		Auth:    auth,
		Budget:  comm100api.NewBudget(c.Budget, comm100api.DocumentedWindow, nil),
		Logger:  log,
		OnCall:  onCall,
	})
}
