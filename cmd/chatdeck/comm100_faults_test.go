package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/spf13/pflag"

	"github.com/chatdeck/chatdeck/comm100api"
	"github.com/chatdeck/chatdeck/comm100api/comm100test"
)

// faultRig is the whole app in process (hub, journal, listener on
// loopback, poller) polling the fake Comm100 API, with the poller's and
// the client's waits on a fake clock shared with the fake API: backoff,
// Retry-After and the budget take no real time, so a test runs hours of
// polling in seconds, and the recovery the poller makes by itself is seen
// at once. The budget is small (20 calls per 5 minutes, half what polling
// every 15 s would take), so that it is what paces the calls.
type faultRig struct {
	t      *testing.T
	clock  *comm100test.FakeClock
	api    *comm100test.Server
	app    *app
	base   string
	budget int
	logs   *logBuffer
}

func newFaultRig(t *testing.T, auth func(api *comm100test.Server) comm100api.Auth, opts comm100test.Options) *faultRig {
	t.Helper()
	r := &faultRig{t: t, clock: comm100test.NewFakeClock(time.Now()), budget: 20, logs: &logBuffer{}}
	opts.Now = r.clock.Now
	r.api = comm100test.New(opts)
	t.Cleanup(r.api.Close)
	client, err := comm100api.New(comm100api.Config{
		BaseURL: r.api.URL(), Auth: auth(r.api), Clock: r.clock,
		Budget:  comm100api.NewBudget(r.budget, comm100api.DocumentedWindow, r.clock),
		Timeout: 300 * time.Millisecond, // a slow API times out in real time
		Logger:  slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	if err != nil {
		t.Fatal(err)
	}
	fs := pflag.NewFlagSet("t", pflag.ContinueOnError)
	addFlags(fs, forAll)
	dir := t.TempDir()
	cfg, _, err := loadConfig(fs, func() []string { return []string{"HOME=" + dir, "XDG_CONFIG_HOME=" + dir} })
	if err != nil {
		t.Fatal(err)
	}
	cfg.DB = filepath.Join(dir, "journal.db")
	cfg.Listen = "127.0.0.1:0"
	cfg.Timezone = "UTC"
	cfg.Comm100.API = r.api.URL()
	log, _, err := newLogger(cfg, r.logs, "cid-secret")
	if err != nil {
		t.Fatal(err)
	}
	r.app, err = startApp(context.Background(), cfg, "tok", log, appOptions{api: client, clock: r.clock})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := r.app.close(); err != nil {
			t.Errorf("close: %v", err)
		}
	})
	r.base = r.app.baseURL()
	return r
}

// pollState is sources.comm100.poll of GET /v1/board.
type pollState struct {
	LastOKAt    time.Time `json:"last_ok_at"`
	LastError   string    `json:"last_error"`
	LastErrorAt time.Time `json:"last_error_at"`
}

// board reads /v1/board: the Comm100 poll state, how many agents, and
// whether the chat with id is on the board.
func (r *faultRig) board(chatID string) (pollState, int, bool) {
	r.t.Helper()
	a := do(http.DefaultClient, "GET", r.base+"/v1/board", "tok", "", nil)
	if a.status != 200 {
		r.t.Fatalf("board: %v", a)
	}
	var v struct {
		Agents  []json.RawMessage `json:"agents"`
		Chats   []struct{ ID string }
		Sources map[string]struct {
			Poll *pollState `json:"poll"`
		} `json:"sources"`
	}
	if err := json.Unmarshal(a.body, &v); err != nil {
		r.t.Fatal(err)
	}
	var ps pollState
	if p := v.Sources["comm100"].Poll; p != nil {
		ps = *p
	}
	found := slices.ContainsFunc(v.Chats, func(c struct{ ID string }) bool { return c.ID == chatID })
	return ps, len(v.Agents), found
}

// waitPollOK waits until the last poll succeeded (after since).
func (r *faultRig) waitPollOK(since time.Time) pollState {
	r.t.Helper()
	var ps pollState
	waitUntil(r.t, 30*time.Second, "a good poll", func() (bool, string) {
		ps, _, _ = r.board("")
		return ps.LastError == "" && ps.LastOKAt.After(since), fmt.Sprintf("%+v", ps)
	})
	return ps
}

// healthz returns /healthz's status and its comm100_api problem.
func (r *faultRig) healthz() (int, string, string) {
	a := do(http.DefaultClient, "GET", r.base+"/healthz", "", "", nil)
	var h struct {
		Status   string
		Problems map[string]string
	}
	_ = json.Unmarshal(a.body, &h)
	return a.status, h.Status, h.Problems["comm100_api"]
}

// checkBudget checks that no 5-minute window (of the fake clock) saw more
// calls than the budget, counting every call the API received whatever it
// answered, and that the API never had to rate-limit.
func (r *faultRig) checkBudget() {
	r.t.Helper()
	var at []time.Time
	for _, q := range r.api.Requests() {
		at = append(at, q.At)
	}
	slices.SortFunc(at, func(a, b time.Time) int { return a.Compare(b) })
	most, lo := 0, 0
	for hi := range at {
		for at[hi].Sub(at[lo]) >= comm100api.DocumentedWindow {
			lo++
		}
		most = max(most, hi-lo+1)
	}
	if most > r.budget || r.api.RateLimited() != 0 {
		r.t.Errorf("%d calls in one 5-minute window (budget %d), %d rate-limited", most, r.budget, r.api.RateLimited())
	}
	span := time.Duration(0)
	if len(at) > 1 {
		span = at[len(at)-1].Sub(at[0])
	}
	r.t.Logf("%d calls over %v of fake time; at most %d in 5 minutes (budget %d)", len(at), span.Round(time.Minute), most, r.budget)
}

// TestComm100FaultsEndToEnd drives the fake Comm100 API through its
// faults while the app polls it: down (503 with Retry-After), slow
// (timeouts), a 429 storm, malformed JSON, and credentials refused even
// after a refresh. For each: the board keeps taking webhooks,
// /v1/board's sources.comm100.poll shows the source stale (the last good
// poll, and the error saying why), /healthz says degraded naming it; when
// the fault clears the poller recovers by itself. A single 401 is healed
// by refreshing the token, unseen. No 5-minute window ever exceeds the
// call budget.
func TestComm100FaultsEndToEnd(t *testing.T) {
	r := newFaultRig(t, func(api *comm100test.Server) comm100api.Auth {
		return comm100api.Bearer(comm100api.OAuthConfig{RefreshToken: "rt-0", ClientID: "cid", ClientSecret: "cid-secret", TokenURL: api.TokenURL()})
	}, comm100test.Options{RefreshToken: "rt-0", ClientID: "cid", ClientSecret: "cid-secret", TokenLifetime: 24 * time.Hour, RateLimit: 300})
	ok := r.waitPollOK(time.Time{})
	if _, agents, _ := r.board(""); agents != 8 {
		t.Fatalf("%d agents after the first poll, want 8", agents)
	}
	if code, status, _ := r.healthz(); code != 200 || status != "ok" {
		t.Fatalf("healthz before any fault: %d %s", code, status)
	}

	faults := []struct {
		name   string
		fault  comm100test.Fault
		reason []string
	}{
		{"down", comm100test.Fault{Down: true, RetryAfter: 5 * time.Second}, []string{"503 Service Unavailable"}},
		{"slow", comm100test.Fault{Latency: 5 * time.Second}, []string{"deadline exceeded"}},
		{"429 storm", comm100test.Fault{Status: 429, RetryAfter: 30 * time.Second}, []string{"429 Too Many Requests"}},
		{"malformed JSON", comm100test.Fault{Malformed: true}, []string{"malformed answer"}},
		{"401 after refresh", comm100test.Fault{Status: 401}, []string{"401 Unauthorized", "refused again right after refreshing"}},
	}
	for i, f := range faults {
		t.Run(f.name, func(t *testing.T) {
			r.t = t
			r.api.SetFault(f.fault)
			var ps pollState
			waitUntil(t, 30*time.Second, "the poll failing", func() (bool, string) {
				ps, _, _ = r.board("")
				return contains(ps.LastError, f.reason...) && ps.LastErrorAt.After(ps.LastOKAt), fmt.Sprintf("%+v", ps)
			})
			if ps.LastOKAt.IsZero() || ps.LastOKAt.Before(ok.LastOKAt) {
				t.Errorf("stale source lost its last good poll: %+v", ps)
			}
			code, status, problem := r.healthz()
			if code != 200 || status != "degraded" || !contains(problem, f.reason...) || !strings.Contains(problem, "last good poll") {
				t.Errorf("healthz: %d %s %q, want 200 degraded naming %q and the last good poll", code, status, problem, f.reason)
			}
			// Webhooks still land on the board.
			id := fmt.Sprintf("during-%d", i)
			if a := postWebhook(http.DefaultClient, r.base, "tok", chatRequestBody(id)); a.status != 200 {
				t.Errorf("webhook during the fault: %v", a)
			}
			if _, agents, found := r.board(id); !found || agents != 8 {
				t.Errorf("board during the fault: chat on it %v, %d agents (want 8, kept from the last good poll)", found, agents)
			}
			// Clearing the fault is all it takes.
			r.api.ClearFault()
			ok = r.waitPollOK(ps.LastErrorAt)
			if code, status, problem := r.healthz(); code != 200 || status != "ok" {
				t.Errorf("healthz after recovery: %d %s %q", code, status, problem)
			}
		})
	}
	r.t = t

	// One refused token: refreshed and retried, no failed poll.
	tokenCalls, since := r.api.TokenCalls(), r.clock.Now()
	r.api.SetFault(comm100test.Fault{Status: 401, Count: 1})
	waitUntil(t, 30*time.Second, "a token refresh", func() (bool, string) {
		return r.api.TokenCalls() > tokenCalls, fmt.Sprint(r.api.TokenCalls())
	})
	ps := r.waitPollOK(since)
	if ps.LastErrorAt.After(since) {
		t.Errorf("a 401 healed by a refresh still failed a poll: %+v", ps)
	}
	r.checkBudget()
	if strings.Contains(r.logs.String(), "cid-secret") {
		t.Error("the log shows the client secret")
	}
}

// TestComm100UnrefreshableTokenSaysWhatToFix: a refused access token with
// no refresh token makes the source stale with a message saying that it
// cannot be refreshed; a new valid token is not needed for webhooks.
func TestComm100UnrefreshableTokenSaysWhatToFix(t *testing.T) {
	r := newFaultRig(t, func(*comm100test.Server) comm100api.Auth {
		return comm100api.Bearer(comm100api.OAuthConfig{AccessToken: "at-1"})
	}, comm100test.Options{AccessToken: "at-1"})
	r.waitPollOK(time.Time{})
	r.api.SetFault(comm100test.Fault{Status: 401})
	want := []string{"401 Unauthorized", "cannot be refreshed", "no refresh token and client id"}
	waitUntil(t, 30*time.Second, "the poll failing", func() (bool, string) {
		ps, _, _ := r.board("")
		return contains(ps.LastError, want...), ps.LastError
	})
	if code, status, problem := r.healthz(); code != 200 || status != "degraded" || !contains(problem, want...) {
		t.Errorf("healthz: %d %s %q", code, status, problem)
	}
	if a := postWebhook(http.DefaultClient, r.base, "tok", chatRequestBody("w1")); a.status != 200 {
		t.Errorf("webhook with the API refusing: %v", a)
	}
	r.api.ClearFault()
	r.waitPollOK(r.clock.Now().Add(-time.Nanosecond))
	r.checkBudget()
}
