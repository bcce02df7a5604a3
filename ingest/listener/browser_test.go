package listener_test

import (
	"bytes"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chatdeck/chatdeck/ingest/event"
	"github.com/chatdeck/chatdeck/ingest/listener"
)

const (
	browserKey = "pk_live_4f2a"
	shop       = "https://shop.example.com"
)

// browserServer is a listener with the browser routes on.
func browserServer(t *testing.T, now func() time.Time) *server {
	t.Helper()
	s, _ := startCfg(t, listener.Config{Now: now, Browser: listener.BrowserConfig{Key: browserKey, Origins: []string{shop + "/", "http://127.0.0.1:9"}}})
	return s
}

// browserPost posts body as a visitor's page at origin would (text/plain,
// as navigator.sendBeacon sends a string).
func (s *server) browserPost(key, origin, body string) (reply, http.Header) {
	s.t.Helper()
	req, err := http.NewRequest(http.MethodPost, s.srv.URL+"/browser/jivochat?key="+key, strings.NewReader(body))
	if err != nil {
		s.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "text/plain;charset=UTF-8")
	if origin != "" {
		req.Header.Set("Origin", origin)
	}
	resp, err := s.srv.Client().Do(req)
	if err != nil {
		s.t.Fatalf("POST /browser/jivochat: %v", err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return reply{resp.StatusCode, b}, resp.Header
}

func msg(callback, number string) string {
	return `{"event":"` + callback + `","visitor_number":"` + number + `","at":"2026-03-01T09:00:00.000Z"}`
}

// TestBrowserRoutesOffWithoutKey: no key, no browser routes (404 JSON).
func TestBrowserRoutesOffWithoutKey(t *testing.T) {
	s := start(t, t.TempDir()+"/j.db")
	for _, r := range []reply{s.do(http.MethodGet, "/browser/jivo.js", "", nil, ""),
		s.do(http.MethodPost, "/browser/jivochat?key=x", "text/plain", []byte(msg("jivo_onMessageSent", "1")), "")} {
		if r.status != http.StatusNotFound || !strings.Contains(string(r.body), `"error"`) {
			t.Errorf("without a browser key: %d %s, want 404 with a JSON error", r.status, r.body)
		}
	}
}

// TestBrowserKeyNeedsOrigins: a key without origins (or a bad origin) is
// refused at start, naming the problem.
func TestBrowserKeyNeedsOrigins(t *testing.T) {
	for _, bc := range []listener.BrowserConfig{{Key: "k"}, {Key: "k", Origins: []string{"shop.example.com"}},
		{Key: "k", Origins: []string{"https://shop.example.com/cart"}}, {Origins: []string{shop}}} {
		_, err := listener.New(listener.Config{Token: token, Browser: bc}, nil)
		if err == nil || !strings.Contains(err.Error(), "browser") {
			t.Errorf("%+v: err %v, want a refusal naming the browser settings", bc, err)
		}
	}
}

// TestBrowserScript: the script is served without a token, as cacheable
// JavaScript, and reports to /browser/jivochat with the tag's data-key.
func TestBrowserScript(t *testing.T) {
	s := browserServer(t, nil)
	resp, err := s.srv.Client().Get(s.srv.URL + "/browser/jivo.js")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/javascript; charset=utf-8" ||
		!strings.Contains(resp.Header.Get("Cache-Control"), "max-age=") {
		t.Fatalf("GET /browser/jivo.js: %d %v", resp.StatusCode, resp.Header)
	}
	for _, want := range []string{"/browser/jivochat", "data-key", "getVisitorNumber", "sendBeacon", "jivo_onMessageSent", "jivo_onAccept", "jivo_onClose", "jivo_onIntroduction"} {
		if !bytes.Contains(body, []byte(want)) {
			t.Errorf("script lacks %q", want)
		}
	}
}

// TestBrowserKeyOriginAndLimits: wrong key 401, origin not allowed 403
// (neither with CORS headers), CORS and preflight for allowed origins, 413 over
// 8 KiB, 400 naming the field for what the script never sends, all JSON.
func TestBrowserKeyOriginAndLimits(t *testing.T) {
	s := browserServer(t, nil)
	check := func(what string, r reply, h http.Header, status int, errHas string) {
		t.Helper()
		if r.status != status {
			t.Errorf("%s: %d %s, want %d", what, r.status, r.body, status)
			return
		}
		if errHas != "" && !strings.Contains(errorOf(t, r), errHas) {
			t.Errorf("%s: error %q, want it to say %q", what, errorOf(t, r), errHas)
		}
		if (status == 401 || status == 403) && h.Get("Access-Control-Allow-Origin") != "" {
			t.Errorf("%s: refused but answered CORS %q", what, h.Get("Access-Control-Allow-Origin"))
		}
	}
	r, h := s.browserPost("wrong", shop, msg("jivo_onMessageSent", "1"))
	check("wrong key", r, h, 401, "browser key")
	r, h = s.browserPost("", shop, msg("jivo_onMessageSent", "1"))
	check("no key", r, h, 401, "browser key")
	r, h = s.browserPost(token, shop, msg("jivo_onMessageSent", "1"))
	check("the webhook token as key", r, h, 401, "browser key")
	r, h = s.browserPost(browserKey, "https://evil.example.com", msg("jivo_onMessageSent", "1"))
	check("other origin", r, h, 403, "evil.example.com")
	r, h = s.browserPost(browserKey, "", msg("jivo_onMessageSent", "1"))
	check("no origin", r, h, 403, "not allowed")
	r, h = s.browserPost(browserKey, shop, `{"event":"jivo_onMessageSent","visitor_number":"1","pad":"`+strings.Repeat("x", 8200)+`"}`)
	check("over 8 KiB", r, h, 413, "8192")
	r, h = s.browserPost(browserKey, shop, `{"event":"jivo_onHack","visitor_number":"1"}`)
	check("unknown event", r, h, 400, "event")
	r, h = s.browserPost(browserKey, shop, `{"event":"jivo_onAccept","visitor_number":"1 OR 2"}`)
	check("not a visitor number", r, h, 400, "visitor_number")
	r, h = s.browserPost(browserKey, shop, `not json`)
	check("not JSON", r, h, 400, "")
	r, h = s.browserPost(browserKey, "HTTPS://SHOP.example.com", msg("jivo_onMessageSent", "1"))
	check("allowed origin", r, h, 200, "")
	if h.Get("Access-Control-Allow-Origin") != "HTTPS://SHOP.example.com" || !strings.Contains(h.Get("Vary"), "Origin") {
		t.Errorf("allowed origin: CORS %q, Vary %q", h.Get("Access-Control-Allow-Origin"), h.Get("Vary"))
	}

	pre := func(origin string) *http.Response {
		req, _ := http.NewRequest(http.MethodOptions, s.srv.URL+"/browser/jivochat?key="+browserKey, nil)
		req.Header.Set("Origin", origin)
		req.Header.Set("Access-Control-Request-Method", "POST")
		resp, err := s.srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp
	}
	if resp := pre(shop); resp.StatusCode != 204 || resp.Header.Get("Access-Control-Allow-Origin") != shop ||
		!strings.Contains(resp.Header.Get("Access-Control-Allow-Methods"), "POST") {
		t.Errorf("preflight from %s: %d %v", shop, resp.StatusCode, resp.Header)
	}
	if resp := pre("https://evil.example.com"); resp.StatusCode != 403 || resp.Header.Get("Access-Control-Allow-Origin") != "" {
		t.Errorf("preflight from another origin: %d %v, want 403 without CORS", resp.StatusCode, resp.Header)
	}
}

// TestBrowserRateLimit: past the burst an address gets 429 with
// Retry-After, before the key is checked; the bucket refills.
func TestBrowserRateLimit(t *testing.T) {
	clk := newClock()
	s, _ := startCfg(t, listener.Config{Now: clk.now, Browser: listener.BrowserConfig{Key: browserKey, Origins: []string{shop}, Rate: 1, Burst: 2}})
	for i := range 2 {
		if r, _ := s.browserPost("wrong", shop, msg("jivo_onOpen", "1")); r.status != 401 {
			t.Fatalf("post %d: %d %s, want 401", i, r.status, r.body)
		}
	}
	r, h := s.browserPost(browserKey, shop, msg("jivo_onOpen", "1"))
	if r.status != 429 || h.Get("Retry-After") != "1" || !strings.Contains(errorOf(t, r), "browser events per second") {
		t.Fatalf("past the burst: %d %s (Retry-After %q), want 429", r.status, r.body, h.Get("Retry-After"))
	}
	clk.advance(time.Second)
	if r, _ := s.browserPost(browserKey, shop, msg("jivo_onOpen", "1")); r.status != 200 {
		t.Fatalf("after a second: %d %s, want 200", r.status, r.body)
	}
}

// TestBrowserEventsOnTheBoard: over HTTP, the browser's events queue the
// visitor and are journalled as untrusted JivoChat events; the
// chat_accepted webhook of the same visitor number answers the wait
// (receipt to receipt); forged browser events move neither that chat nor
// another visitor.
func TestBrowserEventsOnTheBoard(t *testing.T) {
	clk := newClock()
	s := browserServer(t, clk.now)
	post := func(body string) {
		t.Helper()
		if r, _ := s.browserPost(browserKey, shop, body); r.status != 200 {
			t.Fatalf("POST %s: %d %s", body, r.status, r.body)
		}
	}
	post(msg("jivo_onMessageSent", "2846"))
	post(msg("jivo_onMessageSent", "77"))
	clk.advance(2 * time.Second)
	post(`{"event":"jivo_onIntroduction","visitor_number":2846,"contact":{"name":"John Smith","email":"email@example.com"}}`)
	v := s.board()
	if len(v.Queue) != 2 || v.Queue[0].ChatID != "browser:2846" || !v.Queue[0].FromBrowser || v.Queue[0].Name != "John Smith" {
		t.Fatalf("queue = %+v, want 2846 (John Smith) then 77, from the browser", v.Queue)
	}
	recs, _, err := s.hub.Events(t.Context(), 0, 10, 1<<20)
	if err != nil || len(recs) == 0 || recs[0].Source != string(event.JivoChat) || recs[0].Hint != "browser" {
		t.Fatalf("journal: %+v %v, want jivochat records with hint browser", recs, err)
	}

	clk.advance(10 * time.Second)
	accepted := `{"event_name":"chat_accepted","chat_id":3537,"visitor":{"number":"2846","name":"John Smith"},"agent":{"id":"2224","name":"Thomas Anderson"}}`
	if r := s.post("/webhooks/jivochat", []byte(accepted)); r.status != 200 {
		t.Fatalf("chat_accepted: %d %s", r.status, r.body)
	}
	clk.advance(time.Second)
	post(msg("jivo_onClose", "2846"))  // forged: the webhook spoke of that chat
	post(msg("jivo_onAccept", "2846")) // idem
	v = s.board()
	c := findChat(v, event.JivoChat, "3537")
	if c == nil || c.State != "active" || len(c.Agents) != 1 || c.Agents[0].ID != "2224" {
		t.Fatalf("chat 3537 = %+v, want active with Thomas Anderson", c)
	}
	if len(v.Queue) != 1 || v.Queue[0].ChatID != "browser:77" {
		t.Fatalf("queue = %+v, want only visitor 77 still waiting", v.Queue)
	}
	if asa := v.Metrics.Today.ASASeconds; asa == nil || *asa != 12 || v.Metrics.Today.Answered != 1 || v.Metrics.Today.Arrivals != 2 {
		t.Fatalf("today = %+v, want 2 arrivals, 1 answered with ASA 12 s", v.Metrics.Today)
	}
	if v.Metrics.AgentsTotal != 1 {
		t.Errorf("agents_total = %d, want 1 (the webhook's agent only)", v.Metrics.AgentsTotal)
	}
}
