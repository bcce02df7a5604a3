package comm100test_test

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chatdeck/chatdeck/comm100api/comm100test"
)

// fakeClock is a settable clock for Options.Now.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *fakeClock {
	return &fakeClock{t: time.Date(2024, 3, 1, 9, 0, 0, 0, time.UTC)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// reply is an answer read in full.
type reply struct {
	Status int
	Header http.Header
	Body   []byte
}

func (r reply) decode(t *testing.T, v any) {
	t.Helper()
	if err := json.Unmarshal(r.Body, v); err != nil {
		t.Fatalf("decode %q: %v", r.Body, err)
	}
}

// call sends method path (relative to the API base unless it starts with
// "http") with body, after applying edit to the request.
func call(t *testing.T, srv *comm100test.Server, method, path, body string, edit func(*http.Request)) reply {
	t.Helper()
	u := path
	if !strings.HasPrefix(path, "http") {
		u = srv.URL() + "/" + path
	}
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, u, rd)
	if err != nil {
		t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if edit != nil {
		edit(req)
	}
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: read body: %v", method, path, err)
	}
	return reply{Status: resp.StatusCode, Header: resp.Header, Body: b}
}

func bearer(tok string) func(*http.Request) {
	return func(r *http.Request) { r.Header.Set("Authorization", "Bearer "+tok) }
}

// get calls GET path with the default test token.
func get(t *testing.T, srv *comm100test.Server, path string) reply {
	t.Helper()
	return call(t, srv, http.MethodGet, path, "", bearer("test-token"))
}

// put calls PUT path with body and the default test token.
func put(t *testing.T, srv *comm100test.Server, path, body string) reply {
	t.Helper()
	return call(t, srv, http.MethodPut, path, body, bearer("test-token"))
}

func wantStatus(t *testing.T, r reply, want int) {
	t.Helper()
	if r.Status != want {
		t.Fatalf("status %d, want %d; body %q", r.Status, want, r.Body)
	}
}

func newServer(t *testing.T, opts comm100test.Options) *comm100test.Server {
	t.Helper()
	srv := comm100test.New(opts)
	t.Cleanup(srv.Close)
	return srv
}
