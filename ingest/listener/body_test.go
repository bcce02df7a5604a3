package listener_test

import (
	"bufio"
	"bytes"
	"compress/flate"
	"compress/gzip"
	"compress/zlib"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chatdeck/chatdeck/fixtures"
	"github.com/chatdeck/chatdeck/ingest/hub"
	"github.com/chatdeck/chatdeck/ingest/journal"
	"github.com/chatdeck/chatdeck/ingest/listener"
)

// startTimed is startCfg on a loopback server whose whole-request read
// timeout is readTimeout, as chatdeck serve sets one.
func startTimed(t *testing.T, cfg listener.Config, readTimeout time.Duration) *server {
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
	srv := httptest.NewUnstartedServer(l)
	srv.Config.ReadTimeout = readTimeout
	srv.Start()
	s := &server{t: t, hub: h, srv: srv}
	t.Cleanup(s.stop)
	return s
}

// rawAnswer is what a server answered on a raw connection.
type rawAnswer struct {
	status int
	header http.Header
	body   []byte
	close  bool // the server closes the connection after it
	err    error
}

func (a rawAnswer) jsonError(t *testing.T) string {
	t.Helper()
	if ct := a.header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("answer %d has content type %q, want application/json: %s", a.status, ct, a.body)
	}
	var e listener.ErrorBody
	if err := json.Unmarshal(a.body, &e); err != nil || e.Error == "" {
		t.Errorf("answer %d is not a JSON error: %q", a.status, a.body)
	}
	return e.Error
}

// rawRequest writes head (the request line and headers, without the blank
// line) and body to a new loopback connection, half-closes it when
// closeWrite, and reads the answer.
func rawRequest(t *testing.T, s *server, head string, body []byte, closeWrite bool) rawAnswer {
	t.Helper()
	conn, err := net.Dial("tcp", strings.TrimPrefix(s.srv.URL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(20 * time.Second))
	if _, err := io.WriteString(conn, head+"\r\nHost: chatdeck\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	if _, err := conn.Write(body); err != nil {
		t.Fatal(err)
	}
	if closeWrite {
		_ = conn.(*net.TCPConn).CloseWrite()
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		return rawAnswer{err: err}
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return rawAnswer{status: resp.StatusCode, header: resp.Header, body: b, close: resp.Close, err: err}
}

// TestStalledBodyIs408 sends a webhook over a raw loopback connection with
// part of its body and then nothing: the answer, when the server's read
// timeout passes, is 408 with a JSON error that says so and shows no
// socket address; the connection is closed after it.
func TestStalledBodyIs408(t *testing.T) {
	s := startTimed(t, listener.Config{}, 300*time.Millisecond)
	for _, route := range []string{"/webhooks/comm100", "/webhooks/chatlio/transcript", "/webhooks/jivochat", "/v1/agents/a1/status"} {
		head := "POST " + route + "?token=" + token + " HTTP/1.1\r\nAuthorization: Bearer " + token +
			"\r\nContent-Type: application/json\r\nContent-Length: 100"
		a := rawRequest(t, s, head, []byte(`{"event":`), false)
		if a.err != nil || a.status != http.StatusRequestTimeout {
			t.Errorf("%s stalled: %d %s %v, want 408", route, a.status, a.body, a.err)
			continue
		}
		msg := a.jsonError(t)
		if !strings.Contains(msg, "not received in time") || !strings.Contains(msg, "9 bytes") || strings.Contains(msg, "127.0.0.1") {
			t.Errorf("%s stalled: error %q, want it to say the body did not come in time (9 bytes), without addresses", route, msg)
		}
		if !a.close {
			t.Errorf("%s stalled: the connection is kept open", route)
		}
	}
	if v := s.board(); v.Cursor != 0 {
		t.Errorf("a stalled body reached the journal: cursor %d", v.Cursor)
	}
}

// TestCutBodyIs400WithoutAddresses: a sender that closes its side halfway
// through the body gets 400 saying how much came, with no socket address.
func TestCutBodyIs400WithoutAddresses(t *testing.T) {
	s := startTimed(t, listener.Config{}, 10*time.Second)
	head := "POST /webhooks/comm100?token=" + token + " HTTP/1.1\r\nContent-Type: application/json\r\nContent-Length: 100"
	a := rawRequest(t, s, head, []byte(`{"event":`), true)
	if a.err != nil || a.status != http.StatusBadRequest {
		t.Fatalf("cut body: %d %s %v, want 400", a.status, a.body, a.err)
	}
	if msg := a.jsonError(t); msg != "body cut short after 9 bytes of 100" {
		t.Errorf("cut body: error %q", msg)
	}
}

// TestDeclaredLengthOverLimitIs413BeforeReading sends only the headers of
// a webhook whose Content-Length is over the limit: the answer is 413 at
// once (were the body read, the server would wait for it and time out).
func TestDeclaredLengthOverLimitIs413BeforeReading(t *testing.T) {
	s := startTimed(t, listener.Config{MaxBody: 1000}, 5*time.Second)
	for _, route := range []string{"/webhooks/comm100", "/webhooks/chatlio/feedback", "/webhooks/jivochat"} {
		head := "POST " + route + "?token=" + token + " HTTP/1.1\r\nContent-Type: application/json\r\nContent-Length: 10000000"
		start := time.Now()
		a := rawRequest(t, s, head, nil, false)
		if a.err != nil || a.status != http.StatusRequestEntityTooLarge {
			t.Errorf("%s: %d %s %v, want 413", route, a.status, a.body, a.err)
			continue
		}
		if msg := a.jsonError(t); msg != "Content-Length 10000000 larger than 1000 bytes" {
			t.Errorf("%s: error %q", route, msg)
		}
		if d := time.Since(start); d >= 5*time.Second {
			t.Errorf("%s: the 413 came after %v, at the read timeout: the server waited for the body", route, d)
		}
	}
	// The action route has its own, smaller limit.
	head := "POST /v1/agents/a1/status HTTP/1.1\r\nAuthorization: Bearer " + token + "\r\nContent-Length: 5000"
	if a := rawRequest(t, s, head, nil, false); a.status != 413 || a.jsonError(t) != "Content-Length 5000 larger than 4096 bytes" {
		t.Errorf("status route: %d %s, want 413", a.status, a.body)
	}
}

func gzipped(b []byte) []byte {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	_, _ = zw.Write(b)
	_ = zw.Close()
	return buf.Bytes()
}

func zlibbed(b []byte) []byte {
	var buf bytes.Buffer
	zw := zlib.NewWriter(&buf)
	_, _ = zw.Write(b)
	_ = zw.Close()
	return buf.Bytes()
}

func rawDeflated(b []byte) []byte {
	var buf bytes.Buffer
	zw, _ := flate.NewWriter(&buf, flate.BestCompression)
	_, _ = zw.Write(b)
	_ = zw.Close()
	return buf.Bytes()
}

// encoded posts body to route with a Content-Encoding.
func (s *server) encoded(route, encoding string, body []byte) reply {
	s.t.Helper()
	req, err := http.NewRequest("POST", s.srv.URL+route+"?token="+token, bytes.NewReader(body))
	if err != nil {
		s.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Content-Encoding", encoding)
	resp, err := s.srv.Client().Do(req)
	if err != nil {
		s.t.Fatalf("POST %s: %v", route, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode == http.StatusUnsupportedMediaType && resp.Header.Get("Accept-Encoding") != "gzip, deflate, identity" {
		s.t.Errorf("415 for %q without Accept-Encoding: %q", encoding, resp.Header.Get("Accept-Encoding"))
	}
	return reply{resp.StatusCode, b}
}

// TestCompressedWebhooksAreDecoded posts every vendor's fixtures gzip and
// deflate (zlib, as RFC 9110 has it) encoded: each is
// taken as if sent plain, and the board is what the plain ones make.
func TestCompressedWebhooksAreDecoded(t *testing.T) {
	s := start(t, filepath.Join(t.TempDir(), "j.db"))
	codings := []struct {
		name   string
		encode func([]byte) []byte
	}{{"gzip", gzipped}, {"deflate", zlibbed}, {"x-gzip", gzipped}, {"identity, gzip", gzipped}}
	seen := map[string]bool{}
	for i, p := range fixtures.Webhooks() {
		c := codings[i%len(codings)]
		r := s.encoded(p.Route, c.name, c.encode(p.Body))
		if r.status != 200 {
			t.Errorf("%s as %s: %d %s", p.File, c.name, r.status, r.body)
		}
		seen[p.Source] = true
	}
	if len(seen) != 3 {
		t.Fatalf("fixtures of %d vendors, want 3", len(seen))
	}
	checkFixtureBoard(t, s.board())
}

// TestCompressedBodyLimitIsOnTheDecodedSize: a gzip or deflate body small
// on the wire that inflates past the limit (a zip bomb) is 413, on every
// vendor's route; one that inflates to just under it is taken.
func TestCompressedBodyLimitIsOnTheDecodedSize(t *testing.T) {
	const limit = 256 << 10
	s, _ := startCfg(t, listener.Config{MaxBody: limit})
	bomb := append([]byte(`{"event":"chat_request","pad":"`), bytes.Repeat([]byte("0"), 4<<20)...)
	for _, route := range []string{"/webhooks/comm100", "/webhooks/chatlio/unanswered", "/webhooks/jivochat"} {
		for name, body := range map[string][]byte{"gzip": gzipped(bomb), "deflate": zlibbed(bomb)} {
			if len(body) > limit {
				t.Fatalf("the %s bomb is %d bytes on the wire, over the limit", name, len(body))
			}
			r := s.encoded(route, name, body)
			if r.status != 413 || errorOf(t, r) != "decoded "+name+" body larger than 262144 bytes" {
				t.Errorf("%s bomb to %s: %d %s, want 413", name, route, r.status, r.body)
			}
		}
	}
	fits := append([]byte(`{"event":"chat_request","visitor":{"id":"v1","chat_id":"c1"},"pad":"`), bytes.Repeat([]byte("0"), limit-200)...)
	fits = append(fits, `"}`...)
	if r := s.encoded("/webhooks/comm100", "gzip", gzipped(fits)); r.status != 200 {
		t.Errorf("gzip body inflating to %d bytes: %d %s, want 200", len(fits), r.status, r.body)
	}
	if v := s.board(); v.Cursor != 1 {
		t.Errorf("cursor %d, want 1 (only the body that fits)", v.Cursor)
	}
}

// TestUnknownOrBrokenContentEncoding: an encoding chatdeck does not decode
// is 415 naming it (with Accept-Encoding), never "invalid JSON"; a body
// that is not what its encoding says is 400 naming the encoding.
func TestUnknownOrBrokenContentEncoding(t *testing.T) {
	s := start(t, filepath.Join(t.TempDir(), "j.db"))
	good := fixtures.MustRead("comm100/chat_request.json")
	for _, tc := range []struct {
		encoding string
		body     []byte
		status   int
		names    string
	}{
		{"br", good, 415, `Content-Encoding "br" is not supported`},
		{"zstd", gzipped(good), 415, `"zstd"`},
		{"compress", good, 415, `"compress"`},
		{"gzip, gzip", gzipped(gzipped(good)), 415, "one coding at most"},
		{"gzip", good, 400, "Content-Encoding gzip but the body is not gzip data"},
		{"deflate", good, 400, "Content-Encoding deflate but the body is not deflate data"},
		{"deflate", rawDeflated(good), 400, "not deflate data: zlib: invalid header"},
		{"gzip", gzipped(good)[:20], 400, "not gzip data: unexpected EOF"},
		{"gzip", nil, 400, "not gzip data"},
	} {
		for _, route := range []string{"/webhooks/comm100", "/webhooks/chatlio/transcript", "/webhooks/jivochat"} {
			r := s.encoded(route, tc.encoding, tc.body)
			msg := errorOf(t, r)
			if r.status != tc.status || !strings.Contains(msg, tc.names) || strings.Contains(msg, "invalid JSON") {
				t.Errorf("%s (%d bytes) to %s: %d %q, want %d naming %q", tc.encoding, len(tc.body), route, r.status, msg, tc.status, tc.names)
			}
		}
	}
	if v := s.board(); v.Cursor != 0 {
		t.Errorf("cursor %d, want 0", v.Cursor)
	}
}
