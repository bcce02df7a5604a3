package listener_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf16"

	"github.com/chatdeck/chatdeck/fixtures"
	"github.com/chatdeck/chatdeck/ingest/listener"
)

// badInput is one entry of the bad-input corpus: a body and its content
// type. want, if set, is a status it must get (on every route), and
// names a text its error must contain.
type badInput struct {
	name, ctype string
	body        []byte
	want        int
	names       string
	// encoding is the Content-Encoding sent; query is added after the
	// right token.
	encoding, query string
}

// nested returns a JSON object holding depth nested arrays (or objects).
func nested(depth int, objects bool) []byte {
	open, closing := "[", "]"
	if objects {
		open, closing = `{"a":`, "}"
	}
	var b bytes.Buffer
	b.WriteString(`{"event":"chat_started","deep":`)
	b.WriteString(strings.Repeat(open, depth))
	b.WriteString("1")
	b.WriteString(strings.Repeat(closing, depth))
	b.WriteString("}")
	return b.Bytes()
}

func utf16le(s string) []byte {
	out := []byte{0xff, 0xfe}
	for _, u := range utf16.Encode([]rune(s)) {
		out = append(out, byte(u), byte(u>>8))
	}
	return out
}

// badCorpus is what vendors, proxies and attackers may send instead of a
// webhook. Every entry must be answered 2xx or 4xx, never 5xx.
func badCorpus() []badInput {
	huge := strings.Repeat("é", 400_000) // 800 kB of UTF-8, under the 1 MiB limit
	c := []badInput{
		{name: "empty", ctype: "application/json", want: 400, names: "empty body"},
		{name: "whitespace", ctype: "application/json", body: []byte(" \r\n\t "), want: 400, names: "empty body"},
		{name: "null", ctype: "application/json", body: []byte("null"), want: 400, names: "got null"},
		{name: "true", ctype: "application/json", body: []byte("true"), want: 400},
		{name: "number", ctype: "application/json", body: []byte("42"), want: 400},
		{name: "string", ctype: "application/json", body: []byte(`"chat_started"`), want: 400},
		{name: "empty array", ctype: "application/json", body: []byte("[]"), want: 400, names: "array"},
		{name: "array of events", ctype: "application/json", body: []byte(`[{"event":"chat_started"}]`), want: 400, names: "array"},
		{name: "two objects", ctype: "application/json", body: []byte(`{} {}`), want: 400},
		{name: "trailing garbage", ctype: "application/json", body: []byte(`{"event":"chat_started"} x`), want: 400},
		{name: "unclosed", ctype: "application/json", body: []byte(`{"event":"chat_started"`), want: 400, names: "invalid JSON"},
		{name: "bare key", ctype: "application/json", body: []byte(`{event:1}`), want: 400, names: "invalid JSON"},
		{name: "NaN", ctype: "application/json", body: []byte(`{"event":"chat_started","x":NaN}`), want: 400},
		{name: "BOM only", ctype: "application/json", body: []byte("\xef\xbb\xbf"), want: 400},
		{name: "NUL bytes", ctype: "application/json", body: []byte("{\x00\x00}"), want: 400},
		{name: "binary", ctype: "application/octet-stream", body: []byte{0x89, 'P', 'N', 'G', 0, 1, 2, 0xff}, want: 400},
		{name: "wrong types", ctype: "application/json", body: []byte(`{"event":5,"event_name":["x"],"chat_id":{"a":1},"visitor":7,"chat":"x","agents":"y"}`)},
		{name: "wrong nested types", ctype: "application/json", body: []byte(`{"event":"chat_ended","event_name":"chat_finished","conversationUUID":1,"chat":{"id":[1],"messages":"m","transcript":5},"visitor":{"id":{"x":1},"name":3}}`)},
		{name: "huge numbers", ctype: "application/json", body: []byte(`{"event":"chat_started","event_name":"chat_accepted","chat_id":1e400,"time":-1e999,"visitor":{"id":123456789012345678901234567890}}`)},
		{name: "huge string", ctype: "application/json", body: []byte(`{"event":"offline_message_submitted","event_name":"offline_message","message":"` + huge + `","visitor":{"name":"` + huge[:1000] + `"}}`)},
		{name: "many keys", ctype: "application/json", body: []byte(`{` + strings.Repeat(`"k":1,`, 100_000) + `"event":"chat_started"}`)},
		{name: "deep arrays", ctype: "application/json", body: nested(200_000, false)},
		{name: "deep objects", ctype: "application/json", body: nested(100_000, true)},
		// As deep as a JSON decoder takes (10,000 levels with the outer
		// object): valid, so kept; its envelope must not make what is
		// sent undecodable.
		{name: "deep objects at the decoder's limit", ctype: "application/json", body: nested(9999, true)},
		{name: "deep arrays at the decoder's limit", ctype: "application/json", body: nested(9999, false)},
		{name: "invalid UTF-8", ctype: "application/json", body: []byte("{\"event\":\"chat_started\",\"visitor\":{\"name\":\"\xff\xfe\xc3\x28\xed\xa0\x80\"}}")},
		{name: "latin-1 labelled", ctype: "application/json; charset=iso-8859-1", body: []byte("{\"event\":\"chat_started\",\"visitor\":{\"name\":\"Jos\xe9\"}}")},
		{name: "unknown charset", ctype: "application/json; charset=klingon", body: []byte(`{"event":"chat_started"}`)},
		{name: "utf-16", ctype: "application/json", body: utf16le(`{"event":"chat_started","event_name":"chat_accepted"}`)},
		{name: "lone surrogate escape", ctype: "application/json", body: []byte(`{"event":"chat_started","visitor":{"name":"\ud800"}}`)},
		{name: "form", ctype: "application/x-www-form-urlencoded", body: []byte("event=chat_started&token=x"), want: 415, names: "not JSON"},
		{name: "xml", ctype: "application/xml", body: []byte(`<event>chat_started</event>`), want: 415, names: "application/xml"},
		{name: "html", ctype: "text/html", body: []byte(`<html><body>502 Bad Gateway</body></html>`), want: 415, names: "text/html"},
		{name: "bad content type", ctype: "application/json; ;;=", body: []byte(`{`), want: 415},
		{name: "JSON labelled as an image", ctype: "image/png", body: []byte(`{"event":"chat_request","visitor":{"id":"img","chat_id":"img"}}`)},
		{name: "too large", ctype: "application/json", body: append(append([]byte(`{"x":"`), bytes.Repeat([]byte("a"), listener.DefaultMaxBody)...), `"}`...), want: 413, names: "larger than"},
	}
	good := fixtures.MustRead("comm100/chat_request.json")
	bomb := gzipped(append([]byte(`{"event":"chat_request","pad":"`), bytes.Repeat([]byte(" "), 8<<20)...))
	c = append(c,
		badInput{name: "gzip", ctype: "application/json", encoding: "gzip", body: gzipped(good)},
		badInput{name: "deflate", ctype: "application/json", encoding: "deflate", body: zlibbed(good)},
		badInput{name: "gzip bomb", ctype: "application/json", encoding: "gzip", body: bomb, want: 413, names: "decoded gzip body larger than"},
		badInput{name: "gzip of garbage", ctype: "application/json", encoding: "gzip", body: gzipped([]byte{0xff, 0, 1}), want: 400, names: "invalid JSON"},
		badInput{name: "gzip label on plain JSON", ctype: "application/json", encoding: "gzip", body: good, want: 400, names: "not gzip data"},
		badInput{name: "deflate label on plain JSON", ctype: "application/json", encoding: "deflate", body: good, want: 400, names: "not deflate data"},
		badInput{name: "raw deflate", ctype: "application/json", encoding: "deflate", body: rawDeflated(good), want: 400, names: "not deflate data"},
		badInput{name: "truncated gzip", ctype: "application/json", encoding: "gzip", body: gzipped(good)[:30], want: 400, names: "not gzip data"},
		badInput{name: "empty gzip", ctype: "application/json", encoding: "gzip", want: 400, names: "not gzip data"},
		badInput{name: "gzip of nothing", ctype: "application/json", encoding: "gzip", body: gzipped(nil), want: 400, names: "empty body"},
		badInput{name: "brotli", ctype: "application/json", encoding: "br", body: good, want: 415, names: `"br" is not supported`},
		badInput{name: "two codings", ctype: "application/json", encoding: "gzip, deflate", body: zlibbed(gzipped(good)), want: 415, names: "one coding at most"},
		badInput{name: "odd coding", ctype: "application/json", encoding: "gzip;q=1", body: good, want: 415, names: "not supported"},
		badInput{name: "semicolon query", ctype: "application/json", query: ";x=1", body: good, want: 400, names: `";" is not a separator`},
		badInput{name: "10,001 parameters", ctype: "application/json", query: strings.Repeat("&a", 10_000), body: good, want: 400, names: "10001 parameters"},
		badInput{name: "broken escape", ctype: "application/json", query: "&x=%g0", body: good, want: 400, names: "invalid URL escape"},
		badInput{name: "token twice", ctype: "application/json", query: "&token=" + token, body: good, want: 400, names: "token given 2 times"},
		badInput{name: "token twice, other", ctype: "application/json", query: "&TOKEN=x&token=guess", body: good, want: 400, names: "token given 2 times"},
	)
	for _, p := range fixtures.Webhooks() {
		c = append(c, badInput{name: "truncated " + p.File, ctype: "application/json", body: p.Body[:len(p.Body)/2], want: 400, names: "invalid JSON"})
	}
	return c
}

// webhookRoutes are every webhook route.
var webhookRoutes = []string{
	"/webhooks/comm100",
	"/webhooks/chatlio/conversation-started", "/webhooks/chatlio/unanswered", "/webhooks/chatlio/feedback",
	"/webhooks/chatlio/offline-message", "/webhooks/chatlio/transcript",
	"/webhooks/jivochat",
}

// TestBadInputCorpus posts the whole corpus to every webhook route over
// HTTP: each answer is 2xx or 4xx; a 4xx is a JSON error that names what
// was wrong, a 2xx an acknowledgement; afterwards the server is healthy
// and takes a good webhook.
func TestBadInputCorpus(t *testing.T) {
	s := start(t, filepath.Join(t.TempDir(), "j.db"))
	for _, in := range badCorpus() {
		for _, route := range webhookRoutes {
			r := s.doEncoded(route+"?token="+token+in.query, in.ctype, in.encoding, in.body)
			where := fmt.Sprintf("%s → %s", in.name, route)
			checkAnswer(t, where, r.status, r.body)
			if in.want != 0 && r.status != in.want {
				t.Errorf("%s: %d %.200s, want %d", where, r.status, r.body, in.want)
			}
			if in.names != "" && r.status >= 400 {
				if msg := errorOf(t, r); !strings.Contains(msg, in.names) {
					t.Errorf("%s: error %q does not name %q", where, msg, in.names)
				}
			}
		}
	}
	if r := s.do("GET", "/healthz", "", nil, ""); r.status != 200 || r.json(t)["status"] != "ok" {
		t.Errorf("healthz after the corpus: %d %s", r.status, r.body)
	}
	for _, p := range fixtures.Webhooks() {
		if r := s.post(p.Route, p.Body); r.status != 200 {
			t.Errorf("%s after the corpus: %d %s", p.File, r.status, r.body)
		}
	}
	v := s.board()
	if findChat(v, "comm100", "16c2cc3a-1b15-4b4f-9298-1cd04d6cec15") == nil {
		t.Error("a good webhook after the corpus is not on the board")
	}
	// What was kept reads back: every page decodes, to the end.
	for after, pages := "", 0; pages < 1000; pages++ {
		r := s.do("GET", "/v1/events?limit=1000&after="+after, "", nil, token)
		var page listener.EventsPage
		if err := json.Unmarshal(r.body, &page); r.status != 200 || err != nil {
			t.Fatalf("events after the corpus, after %q: %d %v", after, r.status, err)
		}
		if after = page.Next; after == "" {
			break
		}
	}
}

// doEncoded posts body with a content type and Content-Encoding.
func (s *server) doEncoded(target, ctype, encoding string, body []byte) reply {
	s.t.Helper()
	req, err := http.NewRequest("POST", s.srv.URL+target, bytes.NewReader(body))
	if err != nil {
		s.t.Fatal(err)
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	if encoding != "" {
		req.Header.Set("Content-Encoding", encoding)
	}
	resp, err := s.srv.Client().Do(req)
	if err != nil {
		s.t.Fatalf("POST %.100s: %v", target, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return reply{resp.StatusCode, b}
}

// checkAnswer checks the listener's contract for one answer: never 5xx
// (the journal is healthy here), a 4xx is a JSON error with a message, a
// 2xx is an acknowledgement.
func checkAnswer(t *testing.T, where string, status int, body []byte) {
	t.Helper()
	// Raw values: a payload read back may hold numbers no float64 holds.
	var m map[string]json.RawMessage
	jsonErr := json.Unmarshal(body, &m)
	has := func(key, value string) bool { return value == "" && m[key] != nil || string(m[key]) == value }
	switch {
	case status >= 500:
		t.Errorf("%s: %d %.300s", where, status, body)
	case status >= 400:
		var msg string
		if jsonErr != nil || json.Unmarshal(m["error"], &msg) != nil || strings.TrimSpace(msg) == "" {
			t.Errorf("%s: %d without a named error: %.300s", where, status, body)
		}
	case status >= 200 && status < 300:
		if jsonErr != nil || !(has("ok", "true") || has("result", `"ok"`) || has("status", "") || has("events", "") || has("queue", "")) {
			t.Errorf("%s: %d with an answer that is no acknowledgement (%v): %.300s", where, status, jsonErr, body)
		}
	default:
		t.Errorf("%s: status %d", where, status)
	}
}
