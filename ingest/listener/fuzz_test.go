package listener_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/chatdeck/chatdeck/fixtures"
	"github.com/chatdeck/chatdeck/ingest/hub"
	"github.com/chatdeck/chatdeck/ingest/journal"
	"github.com/chatdeck/chatdeck/ingest/listener"
)

// fuzzContentTypes are the content types FuzzListener picks from, besides
// the fuzzed one.
var fuzzContentTypes = []string{"application/json", "", "application/json; charset=utf-8",
	"application/json; charset=iso-8859-1", "text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x"}

// fuzzRoute builds a request target from a route choice and a fuzzed
// string (a Chatlio kind, a cursor, a path).
func fuzzRoute(choice uint8, s string) (method, target string) {
	tok := "?token=" + token
	if choice&0x80 != 0 {
		tok = "?token=" + url.QueryEscape(s)
	}
	switch choice & 0x0f % 10 {
	case 0:
		return "POST", "/webhooks/comm100" + tok
	case 1:
		return "POST", "/webhooks/chatlio/" + url.PathEscape(s) + tok
	case 2:
		return "POST", "/webhooks/jivochat" + tok
	case 3:
		return "POST", webhookRoutes[int(choice>>4)%len(webhookRoutes)] + tok
	case 4:
		return "GET", "/v1/events?after=" + url.QueryEscape(s) + "&limit=" + url.QueryEscape(s)
	case 5:
		return "GET", "/v1/board"
	case 6:
		return "GET", "/healthz"
	case 7:
		return "POST", "/" + strings.TrimLeft(url.PathEscape(s), "/") + tok
	case 8:
		return "GET", "/webhooks/comm100" + tok // wrong method
	}
	return "POST", "/webhooks/" + url.PathEscape(s) + tok
}

// fastDir is a temporary directory in memory (/dev/shm) when there is one,
// where a commit's fsync costs nothing: the fuzzer runs, and minimises
// what it finds, far faster. Elsewhere it is an ordinary one.
func fastDir(f *testing.F) string {
	if fi, err := os.Stat("/dev/shm"); err == nil && fi.IsDir() {
		if dir, err := os.MkdirTemp("/dev/shm", "chatdeck-fuzz-"); err == nil {
			f.Cleanup(func() { os.RemoveAll(dir) })
			return dir
		}
	}
	return f.TempDir()
}

// FuzzListener sends any body, to any route, with any content type, to the
// real handler over a real journal: the answer is never a 5xx (the journal
// is healthy, so not even 503) and never a panic (the handler would turn
// it into a 500), a 4xx is a JSON error naming the problem, a 2xx an
// acknowledgement.
func FuzzListener(f *testing.F) {
	for _, p := range fixtures.Webhooks() {
		route := uint8(0)
		switch p.Source {
		case "chatlio":
			route = 1
		case "jivochat":
			route = 2
		}
		kind := strings.TrimPrefix(p.Route, "/webhooks/chatlio/")
		f.Add(p.Body, route, uint8(0), "", kind)
		f.Add(p.Body[:len(p.Body)/2], route, uint8(1), "", kind)
	}
	for i, in := range badCorpus() {
		if len(in.body) > 64<<10 {
			continue // the huge ones are in TestBadInputCorpus
		}
		f.Add(in.body, uint8(i%10), uint8(0xff), in.ctype, "transcript")
	}
	f.Add([]byte(`{"event":"chat_request"}`), uint8(4), uint8(0), "", "-1")
	f.Add([]byte(`{}`), uint8(0x80), uint8(0), "", "wrong")

	h, err := hub.Open(context.Background(), hub.Config{Journal: journal.Options{Path: filepath.Join(fastDir(f), "j.db")}, Logger: quiet})
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { h.Close() })
	l, err := listener.New(listener.Config{Token: token, Logger: quiet, MaxBody: 64 << 10}, h)
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, body []byte, route, ctChoice uint8, ctype, s string) {
		method, target := fuzzRoute(route, s)
		if int(ctChoice) < len(fuzzContentTypes) {
			ctype = fuzzContentTypes[ctChoice]
		}
		req := httptest.NewRequest(method, target, bytes.NewReader(body))
		if ctype != "" && !strings.ContainsAny(ctype, "\r\n\x00") {
			req.Header.Set("Content-Type", ctype)
		}
		if strings.HasPrefix(target, "/v1/") {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		rec := httptest.NewRecorder()
		l.ServeHTTP(rec, req)
		checkAnswer(t, method+" "+target, rec.Code, rec.Body.Bytes())
		if ct := rec.Header().Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
			t.Errorf("%s %s: answered %d with content type %q", method, target, rec.Code, ct)
		}
		// What was acknowledged reads back from the journal, as JSON.
		var ack listener.Ack
		if !strings.HasPrefix(target, "/webhooks/") || rec.Code != 200 || json.Unmarshal(rec.Body.Bytes(), &ack) != nil || !ack.OK {
			return
		}
		seq, err := strconv.ParseInt(ack.Cursor, 10, 64)
		if err != nil {
			t.Fatalf("ack cursor %q", ack.Cursor)
		}
		req = httptest.NewRequest("GET", "/v1/events?limit=1&after="+strconv.FormatInt(seq-1, 10), nil)
		req.Header.Set("Authorization", "Bearer "+token)
		rec = httptest.NewRecorder()
		l.ServeHTTP(rec, req)
		var page listener.EventsPage
		if err := json.Unmarshal(rec.Body.Bytes(), &page); rec.Code != 200 || err != nil || len(page.Events) != 1 || page.Events[0].Cursor != ack.Cursor {
			t.Fatalf("event %s does not read back: %d %v %.300s", ack.Cursor, rec.Code, err, rec.Body)
		}
		if !json.Valid(page.Events[0].Payload) {
			t.Fatalf("event %s reads back as invalid JSON: %q", ack.Cursor, page.Events[0].Payload)
		}
	})
}
