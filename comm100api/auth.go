package comm100api

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"golang.org/x/oauth2"
)

// Auth puts credentials on a request. The two documented ways are Bearer
// (OAuth2 access token, optionally refreshed) and APIKey.
type Auth interface {
	apply(ctx context.Context, req *http.Request) error
	// refresh gets new credentials after a 401, or says why it cannot
	// (for the error the caller sees).
	refresh(ctx context.Context) error
}

// APIKey authenticates with HTTP Basic (the agent's email and API key) and
// ?siteId= on every call.
func APIKey(email, key, siteID string) Auth { return &apiKey{email, key, siteID} }

type apiKey struct{ email, key, siteID string }

func (a *apiKey) apply(_ context.Context, req *http.Request) error {
	req.SetBasicAuth(a.email, a.key)
	q := req.URL.Query()
	q.Set("siteId", a.siteID)
	req.URL.RawQuery = q.Encode()
	return nil
}

func (a *apiKey) refresh(context.Context) error {
	return errors.New("the API key was refused: check the agent's email, API key and site id")
}

// OAuthConfig configures bearer-token authentication.
type OAuthConfig struct {
	AccessToken string
	// With RefreshToken and ClientID the token is refreshed when it expires
	// or the API answers 401; otherwise an expired token is an error.
	RefreshToken string
	ClientID     string
	ClientSecret string
	// TokenURL is https://dashNN.comm100.io/oauth/token; see TokenURLFor.
	TokenURL string
	// OnRotate is called with each new token whose refresh token differs
	// from the one before (Comm100 may rotate it): keep it, the old one
	// may no longer work.
	OnRotate func(*oauth2.Token)
	// HTTPClient fetches tokens; http.DefaultClient if nil.
	HTTPClient *http.Client
}

// Bearer authenticates with an OAuth2 access token, refreshing it with
// golang.org/x/oauth2 when a refresh token and client id are configured.
func Bearer(cfg OAuthConfig) Auth {
	return &bearer{cfg: cfg, tok: &oauth2.Token{AccessToken: cfg.AccessToken, RefreshToken: cfg.RefreshToken, TokenType: "Bearer"}}
}

type bearer struct {
	cfg OAuthConfig
	mu  sync.Mutex
	tok *oauth2.Token
}

func (b *bearer) canRefresh() bool {
	return b.tok.RefreshToken != "" && b.cfg.ClientID != "" && b.cfg.TokenURL != ""
}

func (b *bearer) apply(ctx context.Context, req *http.Request) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if !b.tok.Valid() {
		if !b.canRefresh() {
			return errors.New("comm100 API: no valid access token, and no refresh token and client id to get one")
		}
		if err := b.refreshLocked(ctx); err != nil {
			return err
		}
	}
	req.Header.Set("Authorization", "Bearer "+b.tok.AccessToken)
	return nil
}

func (b *bearer) refresh(ctx context.Context) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if !b.canRefresh() {
		return errors.New("the access token was refused and cannot be refreshed: no refresh token and client id are configured")
	}
	if err := b.refreshLocked(ctx); err != nil {
		return fmt.Errorf("the access token was refused and refreshing it failed: %w", err)
	}
	return nil
}

func (b *bearer) refreshLocked(ctx context.Context) error {
	conf := &oauth2.Config{ClientID: b.cfg.ClientID, ClientSecret: b.cfg.ClientSecret,
		Endpoint: oauth2.Endpoint{TokenURL: b.cfg.TokenURL, AuthStyle: oauth2.AuthStyleInParams}}
	if b.cfg.HTTPClient != nil {
		ctx = context.WithValue(ctx, oauth2.HTTPClient, b.cfg.HTTPClient)
	}
	// An expired token makes the source refresh.
	src := conf.TokenSource(ctx, &oauth2.Token{RefreshToken: b.tok.RefreshToken, Expiry: time.Unix(1, 0)})
	nt, err := src.Token()
	if err != nil {
		return fmt.Errorf("comm100 API: refreshing the access token: %w", err)
	}
	rotated := nt.RefreshToken != "" && nt.RefreshToken != b.tok.RefreshToken
	if nt.RefreshToken == "" {
		nt.RefreshToken = b.tok.RefreshToken
	}
	b.tok = nt
	if rotated && b.cfg.OnRotate != nil {
		b.cfg.OnRotate(nt)
	}
	return nil
}

// TokenURLFor derives the OAuth token URL from an API base: the API at
// apiNN.comm100.io issues tokens at dashNN.comm100.io/oauth/token. It
// returns "" when the base does not look like that.
func TokenURLFor(apiBase string) string {
	u, err := url.Parse(apiBase)
	if err != nil || !strings.HasPrefix(u.Host, "api") || !strings.HasSuffix(u.Host, ".comm100.io") {
		return ""
	}
	return u.Scheme + "://dash" + strings.TrimPrefix(u.Host, "api") + "/oauth/token"
}
