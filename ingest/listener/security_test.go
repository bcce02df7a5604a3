package listener_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"go/ast"
	"go/parser"
	gotoken "go/token"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chatdeck/chatdeck/ingest/hub"
	"github.com/chatdeck/chatdeck/ingest/journal"
	"github.com/chatdeck/chatdeck/ingest/listener"
)

// startCfg is start with a listener configuration of the test's own (the
// token is always the package's).
func startCfg(t *testing.T, cfg listener.Config) (*server, *listener.Listener) {
	t.Helper()
	h, err := hub.Open(context.Background(), hub.Config{Journal: journal.Options{Path: filepath.Join(t.TempDir(), "j.db")}, Logger: quiet})
	if err != nil {
		t.Fatalf("open hub: %v", err)
	}
	cfg.Token = token
	if cfg.Logger == nil {
		cfg.Logger = quiet
	}
	l, err := listener.New(cfg, h)
	if err != nil {
		t.Fatalf("listener: %v", err)
	}
	s := &server{t: t, hub: h, srv: httptest.NewServer(l)}
	t.Cleanup(s.stop)
	return s, l
}

// clock is a settable clock for the listener.
type clock struct{ ns atomic.Int64 }

func newClock() *clock {
	c := &clock{}
	c.ns.Store(time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC).UnixNano())
	return c
}
func (c *clock) now() time.Time          { return time.Unix(0, c.ns.Load()) }
func (c *clock) advance(d time.Duration) { c.ns.Add(int64(d)) }
func chatRequest(id string) []byte {
	return []byte(`{"event":"chat_request","visitor":{"id":"` + id + `","chat_id":"c-` + id + `","status":0}}`)
}
func errorOf(t *testing.T, r reply) string { t.Helper(); s, _ := r.json(t)["error"].(string); return s }

// TestWebhookRateLimitPerAddress: past the burst an address gets 429 with
// Retry-After and a JSON error, a wrong token is limited too (guessing is
// slowed), the API routes are not limited, another address is not
// affected, and the bucket refills with time.
func TestWebhookRateLimitPerAddress(t *testing.T) {
	clk := newClock()
	var observed sync.Map
	s, l := startCfg(t, listener.Config{WebhookRate: 1, WebhookBurst: 3, Now: clk.now,
		ObserveWebhook: func(source, kind string, status int) { observed.Store(kind, status) }})
	for i := range 3 {
		if r := s.post("/webhooks/comm100", chatRequest(string(rune('a'+i)))); r.status != 200 {
			t.Fatalf("request %d within the burst: %d %s", i+1, r.status, r.body)
		}
	}
	req, _ := http.NewRequest("POST", s.srv.URL+"/webhooks/comm100?token="+token, bytes.NewReader(chatRequest("d")))
	resp, err := s.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 429 || resp.Header.Get("Retry-After") != "1" || !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
		t.Fatalf("past the burst: %d, Retry-After %q, %s; want 429, 1, JSON", resp.StatusCode, resp.Header.Get("Retry-After"), resp.Header.Get("Content-Type"))
	}
	r := s.post("/webhooks/jivochat", []byte(`{}`))
	if r.status != 429 || !strings.Contains(errorOf(t, r), "rate limit") || !strings.Contains(errorOf(t, r), "127.0.0.1") {
		t.Errorf("limited request: %d %s, want 429 naming the rate limit and the address", r.status, r.body)
	}
	if r := s.do("POST", "/webhooks/comm100?token=guess", "application/json", []byte(`{}`), ""); r.status != 429 {
		t.Errorf("a wrong token past the limit: %d, want 429 (before the token is checked)", r.status)
	}
	if st, _ := observed.Load("rate_limited"); st != 429 {
		t.Errorf("metrics did not see a rate_limited webhook: %v", st)
	}
	if r := s.do("GET", "/v1/board", "", nil, token); r.status != 200 {
		t.Errorf("the API is limited with the webhooks: %d", r.status)
	}
	// Another address has its own bucket.
	other := httptest.NewRequest("POST", "/webhooks/comm100?token="+token, bytes.NewReader(chatRequest("e")))
	other.RemoteAddr = "192.0.2.9:5000"
	other.Header.Set("Content-Type", "application/json")
	rec := httptest.NewRecorder()
	l.ServeHTTP(rec, other)
	if rec.Code != 200 {
		t.Errorf("another address was limited: %d %s", rec.Code, rec.Body)
	}
	// A second later one more fits.
	clk.advance(time.Second)
	if r := s.post("/webhooks/comm100", chatRequest("f")); r.status != 200 {
		t.Errorf("after the refill: %d %s", r.status, r.body)
	}
	if r := s.post("/webhooks/comm100", chatRequest("g")); r.status != 429 {
		t.Errorf("right after the refill was spent: %d, want 429", r.status)
	}
	// Nothing refused reached the journal: a, b, c, e, f.
	if v := s.board(); v.Cursor != 5 {
		t.Errorf("cursor %d, want 5", v.Cursor)
	}
}

func TestNegativeRateLimitIsRefused(t *testing.T) {
	if _, err := listener.New(listener.Config{Token: token, WebhookRate: -1}, nil); err == nil {
		t.Error("a negative rate was accepted")
	}
}

// TestRequestLogRedactsTokens captures the listener's log at debug level:
// every request is logged with its query, and no token (right or wrong)
// appears in it.
func TestRequestLogRedactsTokens(t *testing.T) {
	var buf syncBuffer
	log := slog.New(slog.NewJSONHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	s, _ := startCfg(t, listener.Config{Logger: log})
	s.post("/webhooks/comm100", chatRequest("x"))
	s.do("POST", "/webhooks/comm100?x=1&token=wrong-guess-1234&y=2", "application/json", []byte(`{}`), "")
	s.do("POST", "/webhooks/chatlio/nope?TOKEN=another-guess-5678", "application/json", []byte(`{}`), "")
	s.do("GET", "/v1/events?access_token=third-guess-9012", "", nil, token)
	out := buf.String()
	for _, secret := range []string{token, "wrong-guess-1234", "another-guess-5678", "third-guess-9012"} {
		if strings.Contains(out, secret) {
			t.Errorf("the log shows %q:\n%s", secret, out)
		}
	}
	if n := strings.Count(out, `"msg":"request"`); n != 4 {
		t.Errorf("%d request lines, want 4:\n%s", n, out)
	}
	for _, want := range []string{`"query":"token=REDACTED"`, `"query":"x=1&token=REDACTED&y=2"`, `TOKEN=REDACTED`, `access_token=REDACTED`} {
		if !strings.Contains(out, want) {
			t.Errorf("the log lacks %s:\n%s", want, out)
		}
	}
}

func TestRedact(t *testing.T) {
	for in, want := range map[string]string{
		"/webhooks/comm100?token=abc":                           "/webhooks/comm100?token=REDACTED",
		`Post "http://h/webhooks/jivochat?token=a%2Fb": EOF`:    `Post "http://h/webhooks/jivochat?token=REDACTED": EOF`,
		"a=1&Token=x;y=2":                                       "a=1&Token=REDACTED;y=2",
		"u?refresh_token=r1&client_secret=s1&grant_type=x":      "u?refresh_token=REDACTED&client_secret=REDACTED&grant_type=x",
		"next=%2Fcb%3Ftoken%3Dsecret%26x%3D1":                   "next=%2Fcb%3Ftoken%3DREDACTED%26x%3D1",
		"Authorization: Bearer eyJhbGciOi.x-y_z":                "Authorization: Bearer REDACTED",
		"mytoken=keep; tokenizer=keep, the token is not logged": "mytoken=keep; tokenizer=keep, the token is not logged",
	} {
		if got := listener.Redact(in); got != want {
			t.Errorf("Redact(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestTokensComparedInConstantTime reads the listener's source: every
// comparison that involves a token is against the empty string, and the
// check itself is crypto/subtle's constant-time compare (of SHA-256 sums,
// so that not even the length leaks).
func TestTokensComparedInConstantTime(t *testing.T) {
	fset := gotoken.NewFileSet()
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	subtleCalls := 0
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		file, err := parser.ParseFile(fset, f, src, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(file, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.BinaryExpr:
				if n.Op != gotoken.EQL && n.Op != gotoken.NEQ {
					return true
				}
				if (mentionsToken(n.X) || mentionsToken(n.Y)) && !isConstantTimeCompare(n.X) && !isConstantTimeCompare(n.Y) {
					if !isEmptyString(n.X) && !isEmptyString(n.Y) {
						t.Errorf("%s: a token compared with %s: %s", fset.Position(n.Pos()), n.Op, src[fset.Position(n.Pos()).Offset:fset.Position(n.End()).Offset])
					}
				}
			case *ast.CallExpr:
				if sel, ok := n.Fun.(*ast.SelectorExpr); ok {
					if id, ok := sel.X.(*ast.Ident); ok {
						name := id.Name + "." + sel.Sel.Name
						switch name {
						case "subtle.ConstantTimeCompare":
							subtleCalls++
						case "bytes.Equal", "strings.EqualFold", "strings.Compare", "bytes.Compare":
							for _, a := range n.Args {
								if mentionsToken(a) {
									t.Errorf("%s: a token compared with %s", fset.Position(n.Pos()), name)
								}
							}
						}
					}
				}
			}
			return true
		})
	}
	if subtleCalls != 1 {
		t.Errorf("%d calls of subtle.ConstantTimeCompare, want the one in secretOK", subtleCalls)
	}
	// And the check works: right token in, wrong tokens of every length out.
	s := start(t, filepath.Join(t.TempDir(), "j.db"))
	for _, tok := range []string{"", "s", token[:len(token)-1], token + "x", strings.ToUpper(token)} {
		if r := s.do("GET", "/v1/board", "", nil, tok); r.status != 401 {
			t.Errorf("token %q: %d, want 401", tok, r.status)
		}
	}
}

func mentionsToken(e ast.Expr) bool {
	found := false
	ast.Inspect(e, func(n ast.Node) bool {
		if id, ok := n.(*ast.Ident); ok {
			l := strings.ToLower(id.Name)
			if l == "tok" || strings.Contains(l, "token") {
				found = true
			}
		}
		return !found
	})
	return found
}

func isConstantTimeCompare(e ast.Expr) bool {
	call, ok := e.(*ast.CallExpr)
	if !ok {
		return false
	}
	sel, ok := call.Fun.(*ast.SelectorExpr)
	if !ok {
		return false
	}
	id, ok := sel.X.(*ast.Ident)
	return ok && id.Name == "subtle" && sel.Sel.Name == "ConstantTimeCompare"
}

func isEmptyString(e ast.Expr) bool {
	lit, ok := e.(*ast.BasicLit)
	return ok && lit.Kind == gotoken.STRING && (lit.Value == `""` || lit.Value == "``")
}

// TestWebhookMetricLabelsAreBounded: whatever path a client tries below
// /webhooks/, the source label is one of the vendors or "unknown".
func TestWebhookMetricLabelsAreBounded(t *testing.T) {
	var mu sync.Mutex
	seen := map[string]int{}
	s, _ := startCfg(t, listener.Config{ObserveWebhook: func(source, kind string, status int) {
		mu.Lock()
		defer mu.Unlock()
		seen[source+"/"+kind]++
	}})
	for _, p := range []string{"/webhooks/x1", "/webhooks/x2/y", "/webhooks/%00", "/webhooks/comm100", "/webhooks/chatlio/zzz"} {
		s.post(p, []byte(`{"event":"chat_request","visitor":{"id":"v","chat_id":"c"}}`))
	}
	mu.Lock()
	defer mu.Unlock()
	want := map[string]int{"unknown/invalid": 3, "comm100/chat_requested": 1, "chatlio/invalid": 1}
	if len(seen) != len(want) {
		t.Errorf("labels %v, want %v", seen, want)
	}
	for k, n := range want {
		if seen[k] != n {
			t.Errorf("labels %v, want %v", seen, want)
			break
		}
	}
}

// failingBody is a request body whose read fails.
type failingBody struct{}

func (failingBody) Read([]byte) (int, error) { return 0, errors.New("connection reset by peer") }
func (failingBody) Close() error             { return nil }

// TestStatusBodyReadErrorIsNotTooLarge: a body that cannot be read is a
// 400 saying so, not a 413.
func TestStatusBodyReadErrorIsNotTooLarge(t *testing.T) {
	_, l := startCfg(t, listener.Config{})
	req := httptest.NewRequest("POST", "/v1/agents/a1/status", nil)
	req.Body = failingBody{}
	req.Header.Set("Authorization", "Bearer "+token)
	rec := httptest.NewRecorder()
	l.ServeHTTP(rec, req)
	if rec.Code != 400 || !strings.Contains(rec.Body.String(), "connection reset") {
		t.Errorf("unreadable body: %d %s, want 400 saying why", rec.Code, rec.Body)
	}
	req = httptest.NewRequest("POST", "/v1/agents/a1/status", bytes.NewReader(bytes.Repeat([]byte("x"), 5000)))
	req.Header.Set("Authorization", "Bearer "+token)
	rec = httptest.NewRecorder()
	l.ServeHTTP(rec, req)
	if rec.Code != 413 {
		t.Errorf("5000-byte body: %d, want 413", rec.Code)
	}
}

// TestJivoCustomDataRevealsNoOneElse: a visitor's custom_data is built
// from their own chats only: not from a namesake, not from another
// vendor's visitor with the same id, and it carries only the four fields.
func TestJivoCustomDataRevealsNoOneElse(t *testing.T) {
	s := start(t, filepath.Join(t.TempDir(), "j.db"))
	post := func(body string) reply {
		t.Helper()
		r := s.post("/webhooks/jivochat", []byte(body))
		if r.status != 200 {
			t.Fatalf("%d %s", r.status, r.body)
		}
		return r
	}
	// Eve (number 66) has two chats with agent Mallory, rated negative.
	for _, id := range []string{"600", "601"} {
		post(`{"event_name":"chat_finished","chat_id":` + id + `,"visitor":{"name":"Ann","number":66,"email":"eve@example.com"},
			"agents":[{"id":6,"name":"Mallory"}],"chat":{"messages":[{"timestamp":1700000000,"type":"visitor","message":"my card is 4111"}],"rate":"negative"}}`)
	}
	// A Comm100 visitor whose id is "77" chatted too.
	if r := s.post("/webhooks/comm100", []byte(`{"event":"chat_ended","chat":{"id":"cx","visitor_id":"77"},"visitor":{"id":"77","name":"Ann"},"agent":{"id":"a","name":"Trent"}}`)); r.status != 200 {
		t.Fatalf("%d %s", r.status, r.body)
	}
	for _, tc := range []struct{ name, body string }{
		{"a namesake", `{"event_name":"chat_accepted","chat_id":700,"visitor":{"name":"Ann","number":77,"email":"eve@example.com"},"agent":{"id":5,"name":"Thomas"}}`},
		{"no identity", `{"event_name":"chat_accepted","chat_id":701,"visitor":{"name":"Ann"},"agent":{"id":5,"name":"Thomas"}}`},
	} {
		r := post(tc.body)
		if !strings.Contains(string(r.body), "first chat") {
			t.Errorf("%s: custom_data %s, want none: first chat", tc.name, r.body)
		}
		for _, leak := range []string{"Mallory", "negative", "4111", "Trent", "eve@", "600", "601"} {
			if strings.Contains(string(r.body), leak) {
				t.Errorf("%s: the reply leaks %q: %s", tc.name, leak, r.body)
			}
		}
	}
	// Eve herself sees her own history, in the four fields and no others.
	var rep listener.JivoReply
	r := post(`{"event_name":"chat_accepted","chat_id":602,"visitor":{"name":"Ann","number":66},"agent":{"id":5,"name":"Thomas"}}`)
	if err := json.Unmarshal(r.body, &rep); err != nil {
		t.Fatal(err)
	}
	allowed := map[string]bool{"Earlier chats": true, "Last chat": true, "Last rating": true, "Last agent": true}
	got := map[string]string{}
	for _, f := range rep.CustomData {
		if !allowed[f.Title] {
			t.Errorf("custom_data has a field %q", f.Title)
		}
		got[f.Title] = f.Content
	}
	if got["Earlier chats"] != "2" || got["Last agent"] != "Mallory" || got["Last rating"] != "negative" {
		t.Errorf("own history = %v", got)
	}
	if strings.Contains(string(r.body), "4111") {
		t.Errorf("the reply carries chat text: %s", r.body)
	}
}

// syncBuffer is a bytes.Buffer safe for the handler and the test.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
