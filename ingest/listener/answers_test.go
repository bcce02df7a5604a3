package listener_test

import (
	"log/slog"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chatdeck/chatdeck/ingest/listener"
)

// TestOddQueryNamesTheProblem: a token in a query that Go's parser drops
// (a ';' separator, more than 10,000 parameters, a broken escape) or given
// twice is never answered "missing token": the answer is 400 naming what
// is wrong with the query, without echoing the token, on webhook and API
// routes alike; nothing reaches the journal. 10,000 parameters are fine.
func TestOddQueryNamesTheProblem(t *testing.T) {
	s := start(t, filepath.Join(t.TempDir(), "j.db"))
	many := func(n int) string { return "token=" + token + strings.Repeat("&a=1", n-1) }
	for _, tc := range []struct {
		name, query, names string
	}{
		{"semicolon after the token", "token=" + token + ";x=1", `";" is not a separator`},
		{"semicolon before the token", "x=1;token=" + token, `";" is not a separator`},
		{"10,001 parameters", many(10_001), "10001 parameters, more than the 10000 allowed"},
		{"100,000 parameters", many(100_000), "100000 parameters"},
		{"broken escape", "token=" + token + "&x=%zz", `invalid URL escape "%zz"`},
		{"token twice", "token=" + token + "&token=" + token, "token given 2 times: give it once"},
		{"token twice, one empty", "token=&token=" + token, "token given 2 times"},
	} {
		for _, route := range []string{"/webhooks/comm100", "/webhooks/chatlio/feedback", "/webhooks/jivochat"} {
			r := s.do("POST", route+"?"+tc.query, "application/json", chatRequest("q"), "")
			msg := errorOf(t, r)
			if r.status != 400 || !strings.Contains(msg, tc.names) || strings.Contains(msg, token) {
				t.Errorf("%s → %s: %d %q, want 400 naming %q (and not the token)", tc.name, route, r.status, msg, tc.names)
			}
		}
	}
	if r := s.do("GET", "/v1/events?after=0;limit=5", "", nil, token); r.status != 400 || !strings.Contains(errorOf(t, r), `";"`) {
		t.Errorf("events with ';': %d %s, want 400", r.status, r.body)
	}
	if v := s.board(); v.Cursor != 0 {
		t.Errorf("an odd query reached the journal: cursor %d", v.Cursor)
	}
	if r := s.do("POST", "/webhooks/comm100?"+many(10_000), "application/json", chatRequest("q"), ""); r.status != 200 {
		t.Errorf("10,000 parameters: %d %s, want 200", r.status, r.body)
	}
}

// TestUnknownRoutesAndMethodsAreJSON: what no route takes is a JSON
// error: 404 for an unknown path, 405 with Allow for a known path and
// another method, whether the route was registered with its method
// ("GET /metrics", as the server adds it) or checks it itself.
func TestUnknownRoutesAndMethodsAreJSON(t *testing.T) {
	s, l := startCfg(t, listener.Config{})
	l.Handle("GET /metrics", http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("# metrics\n")) }))
	for _, tc := range []struct {
		method, path string
		status       int
		allow, names string
	}{
		{"GET", "/nope", 404, "", "no route /nope"},
		{"POST", "/webhooks/chatlio/", 404, "", "no route"},
		{"GET", "/v1", 404, "", "no route /v1"},
		{"POST", "/metrics", 405, "GET, HEAD", "POST not allowed on /metrics: use GET, HEAD"},
		{"DELETE", "/metrics", 405, "GET, HEAD", "DELETE not allowed"},
		{"DELETE", "/v1/board", 405, "GET", "use GET"},
		{"PUT", "/webhooks/comm100", 405, "POST", "use POST"},
		{"GET", "/v1/agents/a1/status", 405, "POST", "use POST"},
	} {
		req, _ := http.NewRequest(tc.method, s.srv.URL+tc.path, nil)
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := s.srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		a := rawAnswer{status: resp.StatusCode, header: resp.Header}
		a.body = readAll(t, resp)
		msg := a.jsonError(t)
		if a.status != tc.status || a.header.Get("Allow") != tc.allow || !strings.Contains(msg, tc.names) {
			t.Errorf("%s %s: %d Allow %q %q, want %d Allow %q naming %q", tc.method, tc.path, a.status,
				a.header.Get("Allow"), msg, tc.status, tc.allow, tc.names)
		}
	}
	if r := s.do("GET", "/metrics", "", nil, ""); r.status != 200 || string(r.body) != "# metrics\n" {
		t.Errorf("GET /metrics: %d %q", r.status, r.body)
	}
}

func readAll(t *testing.T, resp *http.Response) []byte {
	t.Helper()
	defer resp.Body.Close()
	var b strings.Builder
	buf := make([]byte, 4096)
	for {
		n, err := resp.Body.Read(buf)
		b.Write(buf[:n])
		if err != nil {
			return []byte(b.String())
		}
	}
}

// TestRequestLogRedactsEveryEncoding captures the debug request log while
// secrets are sent in every encoding a parser might undo: percent-encoded
// names and values, mixed case, '+' in values, repeated names, a URL
// inside a value (encoded twice), a name that decodes to "&token", the
// configured token under an ordinary name or in the path. None shows, in
// any of the forms sent; ordinary parameters stay as they were.
func TestRequestLogRedactsEveryEncoding(t *testing.T) {
	var buf syncBuffer
	log := slog.New(slog.NewJSONHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	s, _ := startCfg(t, listener.Config{Logger: log})
	pct := func(s string) string { // every byte percent-encoded, mixed case
		var b strings.Builder
		for i, c := range []byte(s) {
			h := "0123456789ABCDEF"
			if i%2 == 1 {
				h = "0123456789abcdef"
			}
			b.WriteByte('%')
			b.WriteByte(h[c>>4])
			b.WriteByte(h[c&15])
		}
		return b.String()
	}
	queries := []string{
		"tok%65n=" + pct(token) + "&x=1", // the case: decodes straight back to the token
		"%54oKeN=guess-one-1111",
		"ToKeN=guess-two-2222",
		"token=plus+guess+3333&y=2",
		"token=rep-first-4444&token=rep-second-5555",
		"access%5Ftoken=guess-six-6666",
		"next=%2Fcb%3Ftok%2565n%3Dembedded-7777%26z%3D1",
		"x%26token=smuggled-8888",
		"x=" + pct(token),
		"x=" + url.QueryEscape(pct(token)),
		"hub.secret=hub-9999&api-key=key-aaaa",
		"token=semi-bbbb;x=1",
	}
	secrets := []string{token, "guess-one-1111", "guess-two-2222", "3333", "rep-first-4444", "rep-second-5555",
		"guess-six-6666", "embedded-7777", "smuggled-8888", "hub-9999", "key-aaaa", "semi-bbbb"}
	for _, q := range queries {
		s.do("POST", "/webhooks/comm100?"+q, "application/json", []byte(`{}`), "")
	}
	s.do("GET", "/webhooks/"+token, "", nil, "")
	out := buf.String()
	for _, sec := range secrets {
		for _, form := range []string{sec, url.QueryEscape(sec), pct(sec), strings.ToLower(pct(sec))} {
			if strings.Contains(out, form) {
				t.Errorf("the log shows %q:\n%s", form, out)
			}
		}
	}
	if n := strings.Count(out, `"msg":"request"`); n != len(queries)+1 {
		t.Errorf("%d request lines, want %d:\n%s", n, len(queries)+1, out)
	}
	for _, want := range []string{`"query":"tok%65n=REDACTED&x=1"`, `"query":"token=REDACTED&y=2"`,
		`"query":"token=REDACTED&token=REDACTED"`, `"query":"next=REDACTED"`, `"query":"x%26token=REDACTED"`,
		`"query":"hub.secret=REDACTED&api-key=REDACTED"`, `"query":"token=REDACTED;x=1"`, `"path":"REDACTED"`} {
		if !strings.Contains(out, want) {
			t.Errorf("the log lacks %s:\n%s", want, out)
		}
	}
}

func TestRedactQuery(t *testing.T) {
	long := "token=t&" + strings.Repeat("a=1&", 2000) + "token=late-secret"
	for in, want := range map[string]string{
		"":                                 "",
		"x=1&y=%41+b":                      "x=1&y=%41+b",
		"tok%65n=%53ecret&x=1":             "tok%65n=REDACTED&x=1",
		"TOKEN=a&Token=b&tokeN":            "TOKEN=REDACTED&Token=REDACTED&tokeN",
		"mytoken=keep&tokenizer=keep":      "mytoken=keep&tokenizer=keep",
		"a&&b;;c=%zz":                      "a&&b;;c=%zz",
		"x_token=1&client%5fsecret=2":      "x_token=REDACTED&client%5fsecret=REDACTED",
		"r=Bearer+abc.def":                 "r=REDACTED",
		"r=https%3A%2F%2Fh%2F%3Fkey%3Dpub": "r=https%3A%2F%2Fh%2F%3Fkey%3Dpub",
	} {
		if got := listener.RedactQuery(in); got != want {
			t.Errorf("RedactQuery(%q) = %q, want %q", in, got, want)
		}
	}
	if got := listener.RedactQuery("a=CONFIGURED-x&b=%43ONFIGURED-x", "CONFIGURED-x"); got != "a=REDACTED&b=REDACTED" {
		t.Errorf("configured secret: %q", got)
	}
	got := listener.RedactQuery(long)
	if len(got) > 2100 || strings.Contains(got, "late-secret") || !strings.HasPrefix(got, "token=REDACTED&a=1") ||
		!strings.HasSuffix(got, " more parameters)") {
		t.Errorf("a long query is logged as %d bytes ending %q", len(got), got[max(0, len(got)-60):])
	}
}
