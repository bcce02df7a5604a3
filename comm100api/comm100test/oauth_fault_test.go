package comm100test_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chatdeck/chatdeck/comm100api/comm100test"
)

type tokenReply struct {
	AccessToken  string `json:"access_token"`
	TokenType    string `json:"token_type"`
	ExpiresIn    int    `json:"expires_in"`
	RefreshToken string `json:"refresh_token"`
	Error        string `json:"error"`
}

func refresh(t *testing.T, srv *comm100test.Server, form url.Values, basic bool) (int, tokenReply) {
	t.Helper()
	if basic {
		id, secret := form.Get("client_id"), form.Get("client_secret")
		form = url.Values{"grant_type": form["grant_type"], "refresh_token": form["refresh_token"]}
		req, _ := http.NewRequest("POST", srv.TokenURL(), strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.SetBasicAuth(url.QueryEscape(id), url.QueryEscape(secret))
		return doToken(t, srv, req)
	}
	req, _ := http.NewRequest("POST", srv.TokenURL(), strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return doToken(t, srv, req)
}

func doToken(t *testing.T, srv *comm100test.Server, req *http.Request) (int, tokenReply) {
	t.Helper()
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var tr tokenReply
	if err := json.NewDecoder(resp.Body).Decode(&tr); err != nil {
		t.Fatalf("token reply: %v", err)
	}
	return resp.StatusCode, tr
}

func form(refreshToken, secret string) url.Values {
	return url.Values{"grant_type": {"refresh_token"}, "refresh_token": {refreshToken},
		"client_id": {"chatdeck"}, "client_secret": {secret}}
}

func TestOAuthRefreshRotation(t *testing.T) {
	clk := newClock()
	srv := newServer(t, comm100test.Options{Now: clk.Now, ClientID: "chatdeck", ClientSecret: "s3cret",
		RefreshToken: "r0", TokenLifetime: time.Hour})

	// No static token is configured, so nothing works before a refresh.
	wantStatus(t, get(t, srv, "livechat/agents"), 401)

	code, tok := refresh(t, srv, form("r0", "s3cret"), false)
	if code != 200 || tok.AccessToken == "" || tok.TokenType != "bearer" || tok.ExpiresIn != 3600 ||
		tok.RefreshToken == "" || tok.RefreshToken == "r0" {
		t.Fatalf("refresh: %d %+v", code, tok)
	}
	if srv.RefreshToken() != tok.RefreshToken {
		t.Errorf("RefreshToken() = %q, want %q", srv.RefreshToken(), tok.RefreshToken)
	}
	wantStatus(t, call(t, srv, "GET", "livechat/agents", "", bearer(tok.AccessToken)), 200)

	// The old refresh token was rotated away.
	if code, e := refresh(t, srv, form("r0", "s3cret"), false); code != 400 || e.Error != "invalid_grant" {
		t.Errorf("reuse of old refresh token: %d %+v", code, e)
	}
	// A wrong client is rejected before the refresh token is looked at, and
	// does not consume it.
	if code, e := refresh(t, srv, form(tok.RefreshToken, "wrong"), false); code != 401 || e.Error != "invalid_client" {
		t.Errorf("wrong secret: %d %+v", code, e)
	}
	if code, e := refresh(t, srv, url.Values{"grant_type": {"password"}, "client_id": {"chatdeck"}, "client_secret": {"s3cret"}}, false); code != 400 || e.Error != "unsupported_grant_type" {
		t.Errorf("password grant: %d %+v", code, e)
	}

	// Expiry per the clock.
	clk.Advance(59 * time.Minute)
	wantStatus(t, call(t, srv, "GET", "livechat/agents", "", bearer(tok.AccessToken)), 200)
	clk.Advance(time.Minute + time.Second)
	r := call(t, srv, "GET", "livechat/agents", "", bearer(tok.AccessToken))
	wantStatus(t, r, 401)
	if !strings.Contains(string(r.Body), "expired") {
		t.Errorf("expired token body %q", r.Body)
	}

	// Refresh again, with client credentials in HTTP Basic this time.
	code, tok2 := refresh(t, srv, form(tok.RefreshToken, "s3cret"), true)
	if code != 200 || tok2.AccessToken == tok.AccessToken || tok2.RefreshToken == tok.RefreshToken {
		t.Fatalf("second refresh: %d %+v", code, tok2)
	}
	wantStatus(t, call(t, srv, "GET", "livechat/agents", "", bearer(tok2.AccessToken)), 200)
	if code, _ := refresh(t, srv, form(tok.RefreshToken, "s3cret"), false); code != 400 {
		t.Errorf("first rotated token reused: %d", code)
	}

	// Token calls are not API calls.
	if srv.Calls() != 5 {
		t.Errorf("Calls() = %d, want 5", srv.Calls())
	}
	if srv.TokenCalls() < 6 {
		t.Errorf("TokenCalls() = %d", srv.TokenCalls())
	}
	resp, err := srv.Client().Get(srv.TokenURL())
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 405 {
		t.Errorf("GET token: %d", resp.StatusCode)
	}
}

func TestFaultDown(t *testing.T) {
	srv := newServer(t, comm100test.Options{})
	srv.SetFault(comm100test.Fault{Down: true, RetryAfter: 30 * time.Second})
	for _, p := range []string{"livechat/agents", "global/departments", "no/such/route"} {
		r := get(t, srv, p)
		wantStatus(t, r, 503)
		if string(r.Body) != "Service Unavailable" || !strings.HasPrefix(r.Header.Get("Content-Type"), "text/plain") ||
			r.Header.Get("Retry-After") != "30" {
			t.Errorf("%s: %q %v", p, r.Body, r.Header)
		}
	}
	srv.ClearFault()
	wantStatus(t, get(t, srv, "livechat/agents"), 200)
	if srv.Calls() != 4 || srv.MaxCallsInWindow() != 1 || srv.RateLimited() != 0 {
		t.Errorf("Calls %d MaxCallsInWindow %d RateLimited %d", srv.Calls(), srv.MaxCallsInWindow(), srv.RateLimited())
	}
}

func TestFaultLatency(t *testing.T) {
	srv := newServer(t, comm100test.Options{})
	srv.SetFault(comm100test.Fault{Latency: 150 * time.Millisecond})
	start := time.Now()
	wantStatus(t, get(t, srv, "livechat/agents"), 200)
	if d := time.Since(start); d < 150*time.Millisecond {
		t.Errorf("answered after %v, want ≥150ms", d)
	}

	// Cancellable: the client's deadline ends the wait.
	srv.SetFault(comm100test.Fault{Latency: time.Hour})
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", srv.URL()+"/livechat/agents", nil)
	req.Header.Set("Authorization", "Bearer test-token")
	start = time.Now()
	_, err := srv.Client().Do(req)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("err %v, want deadline exceeded", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("cancel took %v", d)
	}
	// The server notices the cancellation and logs 499.
	deadline := time.Now().Add(5 * time.Second)
	for {
		reqs := srv.Requests()
		if last := reqs[len(reqs)-1]; last.Status == comm100test.StatusClientClosed {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("requests %+v", srv.Requests())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestCloseEndsLatencyWait(t *testing.T) {
	srv := comm100test.New(comm100test.Options{})
	srv.SetFault(comm100test.Fault{Latency: time.Hour})
	done := make(chan int, 1)
	go func() {
		req, _ := http.NewRequest("GET", srv.URL()+"/livechat/agents", nil)
		req.Header.Set("Authorization", "Bearer test-token")
		resp, err := srv.Client().Do(req)
		if err != nil {
			done <- 0
			return
		}
		resp.Body.Close()
		done <- resp.StatusCode
	}()
	for srv.Calls() == 0 {
		time.Sleep(5 * time.Millisecond)
	}
	closed := make(chan struct{})
	go func() { srv.Close(); close(closed) }()
	select {
	case <-closed:
	case <-time.After(5 * time.Second):
		t.Fatal("Close hung on a latency wait")
	}
	if code := <-done; code != 503 {
		t.Errorf("pending call answered %d", code)
	}
	srv.Close() // idempotent
}

func TestFaultMalformed(t *testing.T) {
	srv := newServer(t, comm100test.Options{})
	srv.SetFault(comm100test.Fault{Malformed: true})
	for _, p := range []string{"livechat/agents", "livechat/agents/" + alice, "livechat/visitors", "global/agentAwayStatuses", "livechat/webhooks"} {
		r := get(t, srv, p)
		wantStatus(t, r, 200)
		if json.Valid(r.Body) {
			t.Errorf("%s: body is valid JSON: %q", p, r.Body)
		}
	}
	r := call(t, srv, "POST", "livechat/webhooks", `{"event":"chatStarts","targetUrl":"https://x.example/h"}`, bearer("test-token"))
	wantStatus(t, r, 201)
	if json.Valid(r.Body) {
		t.Errorf("201 body valid: %q", r.Body)
	}
	// Error answers stay intact.
	r = get(t, srv, "livechat/agents/nobody")
	wantStatus(t, r, 404)
	if !json.Valid(r.Body) {
		t.Errorf("404 body %q", r.Body)
	}
	srv.ClearFault()
	if r := get(t, srv, "livechat/agents"); !json.Valid(r.Body) {
		t.Errorf("after ClearFault: %q", r.Body)
	}
}

func TestFaultStatusCount(t *testing.T) {
	srv := newServer(t, comm100test.Options{})

	srv.SetFault(comm100test.Fault{Status: 500, Count: 2})
	var got []int
	for range 4 {
		got = append(got, get(t, srv, "livechat/agents").Status)
	}
	if want := []int{500, 500, 200, 200}; !slices.Equal(got, want) {
		t.Errorf("statuses %v, want %v", got, want)
	}

	srv.SetFault(comm100test.Fault{Status: 429, Count: 1, RetryAfter: 6500 * time.Millisecond})
	r := get(t, srv, "livechat/agents")
	wantStatus(t, r, 429)
	if r.Header.Get("Retry-After") != "7" {
		t.Errorf("Retry-After %q, want 7", r.Header.Get("Retry-After"))
	}
	wantStatus(t, get(t, srv, "livechat/agents"), 200)
	if srv.RateLimited() != 0 {
		t.Errorf("RateLimited() = %d: injected 429s must not count", srv.RateLimited())
	}

	srv.SetFault(comm100test.Fault{Status: 503, Count: 1})
	r = get(t, srv, "livechat/agents")
	wantStatus(t, r, 503)
	if r.Header.Get("Retry-After") != "" {
		t.Errorf("Retry-After %q, want none", r.Header.Get("Retry-After"))
	}

	// An injected 401 even with good credentials; Count <= 0 means until cleared.
	srv.SetFault(comm100test.Fault{Status: 401})
	for range 3 {
		wantStatus(t, get(t, srv, "livechat/agents"), 401)
	}
	srv.ClearFault()
	wantStatus(t, get(t, srv, "livechat/agents"), 200)
	if srv.Calls() != 11 {
		t.Errorf("Calls() = %d, want 11", srv.Calls())
	}

	defer func() {
		if recover() == nil {
			t.Error("SetFault(Status: 42) did not panic")
		}
	}()
	srv.SetFault(comm100test.Fault{Status: 42})
}
