package listener_test

import (
	"bytes"
	"context"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chatdeck/chatdeck/fixtures"
	"github.com/chatdeck/chatdeck/ingest/hub"
	"github.com/chatdeck/chatdeck/ingest/journal"
	"github.com/chatdeck/chatdeck/ingest/listener"
)

// fuzzEncodings are the Content-Encodings FuzzBodyAndQuery picks from,
// besides the fuzzed one; the body is compressed to match the first two.
var fuzzEncodings = []string{"gzip", "deflate", "", "identity", "br", "gzip, gzip", "x-gzip"}

// FuzzBodyAndQuery sends any body, compressed or not, under any
// Content-Encoding, with any query after the token, to a webhook route:
// the answer is never a 5xx, always a JSON error or an acknowledgement,
// and "missing token" only when no token is in a query that parses.
func FuzzBodyAndQuery(f *testing.F) {
	for i, p := range fixtures.Webhooks() {
		f.Add(p.Body, uint8(i), "", "")
	}
	for i, in := range badCorpus() {
		if len(in.body) > 64<<10 || len(in.query) > 1000 {
			continue
		}
		f.Add(in.body, uint8(i), in.encoding, in.query)
	}
	f.Add([]byte(`{"event":"chat_request"}`), uint8(0x80), "", ";token="+token)
	f.Add([]byte(`{}`), uint8(0x80), "", "&tok%65n="+token)
	h, err := hub.Open(context.Background(), hub.Config{Journal: journal.Options{Path: filepath.Join(fastDir(f), "j.db")}, Logger: quiet})
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { h.Close() })
	l, err := listener.New(listener.Config{Token: token, Logger: quiet, MaxBody: 64 << 10}, h)
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, body []byte, choice uint8, encoding, query string) {
		if int(choice&0x07) < len(fuzzEncodings) {
			encoding = fuzzEncodings[choice&0x07]
		}
		switch {
		case choice&0x40 != 0:
		case encoding == "gzip", encoding == "x-gzip":
			body = gzipped(body)
		case encoding == "deflate":
			body = zlibbed(body)
		}
		raw := "token=" + token + query
		if choice&0x80 != 0 {
			raw = strings.TrimPrefix(query, "&") // the token only if the query has it
		}
		route := webhookRoutes[int(choice>>3&0x07)%len(webhookRoutes)]
		req := httptest.NewRequest("POST", route, bytes.NewReader(body))
		req.URL.RawQuery = raw
		req.Header.Set("Content-Type", "application/json")
		if encoding != "" && !strings.ContainsAny(encoding, "\r\n\x00") {
			req.Header.Set("Content-Encoding", encoding)
		}
		rec := httptest.NewRecorder()
		l.ServeHTTP(rec, req)
		where := "POST " + route + "?" + raw + " (" + encoding + ")"
		checkAnswer(t, where, rec.Code, rec.Body.Bytes())
		if ct := rec.Header().Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
			t.Errorf("%s: answered %d with content type %q", where, rec.Code, ct)
		}
		if strings.Contains(rec.Body.String(), "missing token") {
			if v, err := url.ParseQuery(raw); err != nil || strings.Contains(raw, ";") || v.Get("token") != "" {
				t.Errorf("%s: %q, but the token is there or the query is broken (%v)", where, rec.Body, err)
			}
		}
	})
}

// FuzzRedactQuery: whatever the query, a secret (letters and digits, 6
// or more) given as the token, in any of the encodings a parser undoes,
// or named as a configured secret, shows in no decoding of what is logged.
func FuzzRedactQuery(f *testing.F) {
	f.Add("x=1", "abcdef", uint8(0))
	f.Add("next=%2Fcb%3Ftoken%3D", "s3cretvalue", uint8(1))
	f.Add("a&&b;;c=%zz", "Secret123", uint8(2))
	f.Add(strings.Repeat("a=1&", 600), "tailsecret", uint8(3))
	f.Fuzz(func(t *testing.T, prefix, secret string, form uint8) {
		if len(secret) < 6 || strings.Trim(secret, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789") != "" {
			return
		}
		keys := []string{"token", "TOKEN", "tok%65n", "%54oKeN", "access%5Ftoken", "x.secret", "api-key"}
		values := []string{secret, url.QueryEscape(secret), pctAll(secret), url.QueryEscape(pctAll(secret))}
		q := prefix + "&" + keys[int(form)%len(keys)] + "=" + values[int(form>>3)%len(values)]
		if form&0x80 != 0 {
			q = prefix + "&x=" + values[int(form>>3)%len(values)] // an ordinary name: the configured secret
		}
		out := listener.RedactQuery(q, secret)
		plain := strings.NewReplacer(listener.Redacted, " ", "more parameters", " ").Replace(out)
		for d, i := plain, 0; i < 5; i++ {
			if strings.Contains(d, secret) {
				t.Fatalf("RedactQuery(%q) = %q: shows the secret %q", q, out, secret)
			}
			next, err := url.QueryUnescape(d)
			if err != nil || next == d {
				break
			}
			d = next
		}
	})
}

// pctAll percent-encodes every byte of s.
func pctAll(s string) string {
	var b strings.Builder
	for _, c := range []byte(s) {
		b.WriteString("%" + strings.ToUpper(string("0123456789abcdef"[c>>4])+string("0123456789abcdef"[c&15])))
	}
	return b.String()
}
