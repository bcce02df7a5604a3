package comm100api_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/chatdeck/chatdeck/comm100api"
	"github.com/chatdeck/chatdeck/comm100api/comm100test"
)

var start = time.Date(2026, 11, 21, 9, 0, 0, 0, time.UTC)

const alice = "058cbf51-1c1c-419c-bfe7-d02ff3188cc0"

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// setup returns a fake server and a client on one fake clock.
func setup(t *testing.T, opts comm100test.Options, cfg comm100api.Config) (*comm100test.Server, *comm100api.Client, *comm100test.FakeClock) {
	t.Helper()
	clock := comm100test.NewFakeClock(start)
	opts.Now = clock.Now
	srv := comm100test.New(opts)
	t.Cleanup(srv.Close)
	cfg.BaseURL = srv.URL()
	cfg.Clock = clock
	cfg.Logger = quiet
	if cfg.Auth == nil {
		cfg.Auth = comm100api.Bearer(comm100api.OAuthConfig{AccessToken: "test-token"})
	}
	if cfg.Budget == nil {
		cfg.Budget = comm100api.DefaultBudget(clock)
	}
	c, err := comm100api.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return srv, c, clock
}

func TestTypedCalls(t *testing.T) {
	srv, c, _ := setup(t, comm100test.Options{}, comm100api.Config{})
	ctx := context.Background()
	agents, err := c.ListAgents(ctx)
	if err != nil || len(agents) != 8 {
		t.Fatalf("ListAgents = %d agents, %v", len(agents), err)
	}
	if agents[0].ID != alice || agents[0].Status != "Online" || agents[0].OngoingChats != 2 {
		t.Errorf("agents[0] = %+v", agents[0])
	}
	got, err := c.SetAgentStatus(ctx, strings.ToUpper(alice), "MEETING")
	if err != nil || got.Status != "Meeting" {
		t.Fatalf("SetAgentStatus MEETING = %+v, %v", got, err)
	}
	if a, _ := srv.Agent(alice); a.Status != "Meeting" {
		t.Errorf("server has %q", a.Status)
	}
	if a, err := c.GetAgent(ctx, alice); err != nil || a.Status != "Meeting" {
		t.Errorf("GetAgent = %+v, %v", a, err)
	}
	_, err = c.SetAgentStatus(ctx, alice, "napping")
	if !errors.Is(err, comm100api.ErrBadRequest) || !strings.Contains(err.Error(), "napping") {
		t.Errorf("unknown status: %v", err)
	}
	_, err = c.GetAgent(ctx, "00000000-0000-0000-0000-000000000001")
	if !errors.Is(err, comm100api.ErrNotFound) || comm100api.StatusOf(err) != 404 {
		t.Errorf("unknown agent: %v", err)
	}
	visitors, err := c.ListVisitors(ctx)
	if err != nil || len(visitors) != 6 {
		t.Fatalf("ListVisitors = %d, %v", len(visitors), err)
	}
	v := visitors[0]
	if v.Status != "waitingForChat" || v.DepartmentID != comm100test.DemoDeptSales || v.VisitTime == "" || v.ProductService != "Pro plan" {
		t.Errorf("visitor 0 = %+v", v)
	}
	v, err = c.SetVisitorVariables(ctx, v.ID, []comm100api.FieldValue{{Name: "tag", Value: "vip"}})
	if err != nil || !hasVar(v.CustomVariableResults, "tag", "vip") {
		t.Errorf("SetVisitorVariables = %+v, %v", v.CustomVariableResults, err)
	}
	away, err := c.ListAwayStatuses(ctx)
	if err != nil || len(away) != 3 || away[0].Name != "Meeting" || !away[0].IsEnabled {
		t.Errorf("away statuses = %+v, %v", away, err)
	}
	dir, err := c.ListAgentDirectory(ctx)
	if err != nil || len(dir) != 8 || dir[2].Name() != "Chen W." || dir[2].Email != "chen.wei@example.com" {
		t.Errorf("directory = %+v, %v", dir, err)
	}
	depts, err := c.ListDepartments(ctx)
	if err != nil || len(depts) != 4 || depts[0].Name != "Sales" {
		t.Errorf("departments = %+v, %v", depts, err)
	}
	hook, err := c.CreateWebhook(ctx, "chatStarts", "https://example.com/webhooks/comm100?token=x")
	if err != nil || hook.ID == "" || hook.Event != "chatStarts" {
		t.Fatalf("CreateWebhook = %+v, %v", hook, err)
	}
	hooks, err := c.ListWebhooks(ctx)
	if err != nil || len(hooks) != 1 || hooks[0].TargetURL != "https://example.com/webhooks/comm100?token=x" {
		t.Errorf("ListWebhooks = %+v, %v", hooks, err)
	}
}

func hasVar(vars []comm100api.FieldValue, name, value string) bool {
	for _, v := range vars {
		if v.Name == name && v.Value == value {
			return true
		}
	}
	return false
}

func TestAPIKeyAuthAndUnauthorized(t *testing.T) {
	opts := comm100test.Options{Email: "sup@example.com", APIKey: "k-123", SiteID: "10100116"}
	srv, c, _ := setup(t, opts, comm100api.Config{Auth: comm100api.APIKey("sup@example.com", "k-123", "10100116")})
	if _, err := c.ListAgents(context.Background()); err != nil {
		t.Fatalf("API key auth: %v", err)
	}
	bad, err := comm100api.New(comm100api.Config{BaseURL: srv.URL(), Auth: comm100api.APIKey("sup@example.com", "wrong", "10100116"), Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	before := srv.Calls()
	_, err = bad.ListAgents(context.Background())
	var apiErr *comm100api.Error
	if !errors.As(err, &apiErr) || apiErr.Status != 401 || !errors.Is(err, comm100api.ErrUnauthorized) || apiErr.Body == "" {
		t.Fatalf("wrong key: %v", err)
	}
	if n := srv.Calls() - before; n != 1 {
		t.Errorf("a 401 without a way to refresh was tried %d times, want 1", n)
	}
}

func TestOAuthRefreshAndRotation(t *testing.T) {
	var rotated atomic.Value
	clock := comm100test.NewFakeClock(start)
	srv := comm100test.New(comm100test.Options{Now: clock.Now, ClientID: "cid", ClientSecret: "sec", RefreshToken: "rt-0", TokenLifetime: time.Hour})
	defer srv.Close()
	c, err := comm100api.New(comm100api.Config{BaseURL: srv.URL(), Clock: clock, Logger: quiet,
		Auth: comm100api.Bearer(comm100api.OAuthConfig{AccessToken: "stale", RefreshToken: "rt-0", ClientID: "cid", ClientSecret: "sec",
			TokenURL: srv.TokenURL(), OnRotate: func(t *oauth2.Token) { rotated.Store(t.RefreshToken) }})})
	if err != nil {
		t.Fatal(err)
	}
	// The stale token gets a 401; the client refreshes and retries.
	if _, err := c.ListAgents(context.Background()); err != nil {
		t.Fatalf("after refresh: %v", err)
	}
	kept, _ := rotated.Load().(string)
	if kept == "" || kept == "rt-0" || kept != srv.RefreshToken() {
		t.Errorf("rotated refresh token kept = %q, server accepts %q", kept, srv.RefreshToken())
	}
	// An hour later the token has expired: refreshed again, with the rotated refresh token.
	clock.Advance(2 * time.Hour)
	if _, err := c.ListAgents(context.Background()); err != nil {
		t.Fatalf("after expiry: %v", err)
	}
	if srv.TokenCalls() != 2 {
		t.Errorf("token endpoint called %d times, want 2", srv.TokenCalls())
	}
}

func TestRetryAfterIsHonoured(t *testing.T) {
	srv, c, clock := setup(t, comm100test.Options{}, comm100api.Config{})
	srv.SetFault(comm100test.Fault{Status: 429, Count: 2, RetryAfter: 7 * time.Second})
	if _, err := c.ListAgents(context.Background()); err != nil {
		t.Fatalf("after two 429s: %v", err)
	}
	slept, naps := clock.Slept()
	if srv.Calls() != 3 || naps != 2 || slept < 14*time.Second || slept > 14*time.Second*11/10 {
		t.Errorf("calls %d, slept %v in %d naps; want 3 calls and 14 s (+≤10%% jitter) in 2", srv.Calls(), slept, naps)
	}
}

func TestRetryAfterIsCapped(t *testing.T) {
	srv, c, clock := setup(t, comm100test.Options{}, comm100api.Config{MaxRetryAfter: 20 * time.Second})
	srv.SetFault(comm100test.Fault{Status: 503, Count: 1, RetryAfter: time.Hour})
	if _, err := c.ListAgents(context.Background()); err != nil {
		t.Fatal(err)
	}
	if slept, _ := clock.Slept(); slept < 20*time.Second || slept > 22*time.Second {
		t.Errorf("slept %v, want the 20 s cap (+≤10%%)", slept)
	}
}

func TestBackoffWithoutRetryAfterThenGiveUp(t *testing.T) {
	srv, c, clock := setup(t, comm100test.Options{}, comm100api.Config{MaxRetries: 3})
	srv.SetFault(comm100test.Fault{Down: true})
	_, err := c.ListAgents(context.Background())
	if !errors.Is(err, comm100api.ErrUnavailable) || !strings.Contains(err.Error(), "Service Unavailable") {
		t.Fatalf("down: %v", err)
	}
	slept, naps := clock.Slept()
	// Exponential from 1 s (×1.5, ±50%): three waits of at least 0.5+0.75+1.125 s.
	if srv.Calls() != 4 || naps != 3 || slept < 2375*time.Millisecond {
		t.Errorf("calls %d, %d naps, slept %v; want 4 calls, 3 growing waits", srv.Calls(), naps, slept)
	}
}

func TestOtherErrorsAreNotRetried(t *testing.T) {
	for _, status := range []int{400, 403, 404, 500} {
		srv, c, _ := setup(t, comm100test.Options{}, comm100api.Config{})
		srv.SetFault(comm100test.Fault{Status: status, Count: 1})
		_, err := c.ListAgents(context.Background())
		if comm100api.StatusOf(err) != status || srv.Calls() != 1 {
			t.Errorf("%d: err %v after %d calls, want the status after 1", status, err, srv.Calls())
		}
	}
}

func TestMalformedAnswer(t *testing.T) {
	srv, c, _ := setup(t, comm100test.Options{}, comm100api.Config{})
	srv.SetFault(comm100test.Fault{Malformed: true})
	_, err := c.ListAgents(context.Background())
	var m *comm100api.MalformedError
	if !errors.As(err, &m) || m.Path != "livechat/agents" || m.Body == "" {
		t.Errorf("malformed: %v", err)
	}
}

func TestTimeout(t *testing.T) {
	srv := comm100test.New(comm100test.Options{})
	defer srv.Close()
	srv.SetFault(comm100test.Fault{Latency: 5 * time.Second})
	c, _ := comm100api.New(comm100api.Config{BaseURL: srv.URL(), Logger: quiet, Timeout: 50 * time.Millisecond, MaxRetries: -1,
		Auth: comm100api.Bearer(comm100api.OAuthConfig{AccessToken: "test-token"})})
	_, err := c.ListAgents(context.Background())
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("slow API: %v, want a deadline error", err)
	}
}

// TestBudgetKeepsUnderTheLimit makes 400 calls with a budget of 150 per
// 5 minutes, on a clock shared with the fake: no 5-minute window ever sees
// more than 150, the fake never answers 429, and the calls take as long as
// the budget says they must.
func TestBudgetKeepsUnderTheLimit(t *testing.T) {
	clock := comm100test.NewFakeClock(start)
	budget := comm100api.NewBudget(150, 5*time.Minute, clock)
	srv := comm100test.New(comm100test.Options{Now: clock.Now})
	defer srv.Close()
	c, err := comm100api.New(comm100api.Config{BaseURL: srv.URL(), Budget: budget, Clock: clock, Logger: quiet,
		Auth: comm100api.Bearer(comm100api.OAuthConfig{AccessToken: "test-token"})})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 400 {
		if _, err := c.ListAgents(context.Background()); err != nil {
			t.Fatalf("call %d: %v", i, err)
		}
	}
	if srv.MaxCallsInWindow() > 150 || srv.RateLimited() != 0 {
		t.Errorf("max calls in a window %d, rate limited %d; want ≤150 and 0", srv.MaxCallsInWindow(), srv.RateLimited())
	}
	// 400 calls at 150 per 300 s, with a burst of 7: at least (400-7)/143*300 s.
	if elapsed := clock.Now().Sub(start); elapsed < 820*time.Second {
		t.Errorf("400 calls took %v of clock, want ≥ 820 s", elapsed)
	}
	if calls, per := budget.Limit(); calls != 150 || per != 5*time.Minute || budget.String() != "150 calls per 5m0s" {
		t.Errorf("budget = %d per %v", calls, per)
	}
}

func TestTokenURLFor(t *testing.T) {
	for in, want := range map[string]string{
		"https://api15.comm100.io/v4":  "https://dash15.comm100.io/oauth/token",
		"https://api11.comm100.io/v4/": "https://dash11.comm100.io/oauth/token",
		"http://127.0.0.1:9/v4":        "",
	} {
		if got := comm100api.TokenURLFor(in); got != want {
			t.Errorf("TokenURLFor(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestNewRejectsBadConfig(t *testing.T) {
	if _, err := comm100api.New(comm100api.Config{BaseURL: "api15.comm100.io", Auth: comm100api.APIKey("a", "b", "c")}); err == nil {
		t.Error("a base without scheme was accepted")
	}
	if _, err := comm100api.New(comm100api.Config{BaseURL: "https://api15.comm100.io/v4"}); err == nil {
		t.Error("no credentials was accepted")
	}
}
