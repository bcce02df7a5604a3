package comm100api_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/chatdeck/chatdeck/comm100api"
	"github.com/chatdeck/chatdeck/comm100api/comm100test"
)

// TestUnauthorizedSaysWhatToFix: a 401 that cannot be healed by a refresh
// says why, for each kind of credentials, and is still an *Error that
// matches ErrUnauthorized.
func TestUnauthorizedSaysWhatToFix(t *testing.T) {
	for _, tc := range []struct {
		name string
		opts comm100test.Options
		auth func(srv *comm100test.Server) comm100api.Auth
		want []string
	}{
		{"API key", comm100test.Options{Email: "a@example.com", APIKey: "k", SiteID: "1"},
			func(*comm100test.Server) comm100api.Auth { return comm100api.APIKey("a@example.com", "wrong", "1") },
			[]string{"401 Unauthorized", "the API key was refused: check the agent's email, API key and site id"}},
		{"access token only", comm100test.Options{AccessToken: "good"},
			func(*comm100test.Server) comm100api.Auth {
				return comm100api.Bearer(comm100api.OAuthConfig{AccessToken: "revoked"})
			},
			[]string{"401 Unauthorized", "cannot be refreshed: no refresh token and client id"}},
		{"refresh refused", comm100test.Options{AccessToken: "good", RefreshToken: "rt-1", ClientID: "cid", ClientSecret: "s"},
			func(srv *comm100test.Server) comm100api.Auth {
				return comm100api.Bearer(comm100api.OAuthConfig{AccessToken: "revoked", RefreshToken: "rt-1", ClientID: "cid",
					ClientSecret: "wrong", TokenURL: srv.TokenURL()})
			},
			[]string{"401 Unauthorized", "refreshing it failed", "invalid_client"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			clock := comm100test.NewFakeClock(start)
			tc.opts.Now = clock.Now
			srv := comm100test.New(tc.opts)
			defer srv.Close()
			c, err := comm100api.New(comm100api.Config{BaseURL: srv.URL(), Clock: clock, Logger: quiet, Auth: tc.auth(srv)})
			if err != nil {
				t.Fatal(err)
			}
			_, err = c.ListAgents(context.Background())
			var apiErr *comm100api.Error
			if !errors.As(err, &apiErr) || apiErr.Status != 401 || !errors.Is(err, comm100api.ErrUnauthorized) {
				t.Fatalf("error %v is not the 401", err)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not say %q", err, w)
				}
			}
			if srv.Calls() != 1 {
				t.Errorf("%d calls, want 1 (a refused refresh is not retried)", srv.Calls())
			}
		})
	}
}
