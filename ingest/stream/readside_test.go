package stream_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/chatdeck/chatdeck/ingest/board"
	"github.com/chatdeck/chatdeck/ingest/event"
	"github.com/chatdeck/chatdeck/ingest/hub"
	"github.com/chatdeck/chatdeck/ingest/journal"
	"github.com/chatdeck/chatdeck/ingest/listener"
	"github.com/chatdeck/chatdeck/ingest/stream"
	"github.com/chatdeck/chatdeck/ingest/telemetry"
	"github.com/chatdeck/chatdeck/ingest/wire"
)

// readServer is the read side of `chatdeck serve` in-process, wired as the
// binary wires it: hub on a real SQLite file, listener with /v1/stream and
// /metrics on real loopback HTTP, one guard counting into the metrics.
type readServer struct {
	t      *testing.T
	db     string
	hub    *hub.Hub
	stream *stream.Server
	http   *httptest.Server
}

func startRead(t *testing.T, db string, maxMessage int64) *readServer {
	t.Helper()
	s := &readServer{t: t, db: db}
	metrics := telemetry.New()
	guard := wire.NewGuard(quiet, metrics.Unencodable)
	var err error
	s.hub, err = hub.Open(context.Background(), hub.Config{Journal: journal.Options{Path: db}, Logger: quiet,
		CheckpointEvery: time.Hour, Guard: guard})
	if err != nil {
		t.Fatal(err)
	}
	l, err := listener.New(listener.Config{Token: token, Logger: quiet, Guard: guard}, s.hub)
	if err != nil {
		t.Fatal(err)
	}
	s.stream = &stream.Server{Hub: s.hub, Logger: quiet, MaxMessage: maxMessage}
	l.Handle("/v1/stream", l.Bearer(s.stream.ServeHTTP))
	l.Handle("GET /metrics", metrics.Handler())
	s.http = httptest.NewServer(l)
	t.Cleanup(s.stop)
	return s
}

func (s *readServer) stop() {
	if s.http == nil {
		return
	}
	s.stream.Close()
	s.http.Close()
	if err := s.hub.Close(); err != nil {
		s.t.Error(err)
	}
	s.http = nil
}

func (s *readServer) get(path string) (int, []byte) {
	s.t.Helper()
	req, _ := http.NewRequest("GET", s.http.URL+path, nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	var b strings.Builder
	if _, err := bufio.NewReader(resp.Body).WriteTo(&b); err != nil {
		s.t.Fatal(err)
	}
	return resp.StatusCode, []byte(b.String())
}

// metric returns the value of one series of /metrics, 0 if absent.
func (s *readServer) metric(series string) float64 {
	s.t.Helper()
	_, body := s.get("/metrics")
	for line := range strings.Lines(string(body)) {
		if rest, ok := strings.CutPrefix(line, series+" "); ok {
			v, _ := strconv.ParseFloat(strings.TrimSpace(rest), 64)
			return v
		}
	}
	return 0
}

func (s *readServer) ingest(ev *event.Event) int64 {
	s.t.Helper()
	res, err := s.hub.Ingest(context.Background(), ev, "")
	if err != nil {
		s.t.Fatal(err)
	}
	return res.Seq
}

// boardChats decodes GET /v1/board, which must be a whole 200 JSON
// object, and returns its chats' ids.
func (s *readServer) boardChats() map[string]bool {
	s.t.Helper()
	code, body := s.get("/v1/board")
	var v struct {
		Chats []struct {
			ID string `json:"id"`
		} `json:"chats"`
		Metrics map[string]any `json:"metrics"`
	}
	if err := json.Unmarshal(body, &v); code != 200 || err != nil || v.Metrics == nil {
		s.t.Fatalf("GET /v1/board: %d %v: %.300s", code, err, body)
	}
	ids := map[string]bool{}
	for _, c := range v.Chats {
		ids[c.ID] = true
	}
	return ids
}

func stillAttached(t *testing.T, c *stream.Client) {
	t.Helper()
	if cn := c.Connection(); !cn.Connected || !cn.Synced || cn.Attempt != 0 {
		t.Errorf("the client did not stay attached: %+v", cn)
	}
}

// TestUnencodableTimesDoNotPoisonTheReadSide applies to the board, past
// the decoder, chats whose times JSON cannot encode (year 10000 and year
// -1 in their own zones, a +24:00 zone): /v1/board stays a whole 200 JSON
// object with every chat, an attached replica stays attached and gets
// them, a new one syncs, checkpoints are saved, the metric counts each
// part that replaced them, and a restart comes back with every chat.
func TestUnencodableTimesDoNotPoisonTheReadSide(t *testing.T) {
	s := startRead(t, filepath.Join(t.TempDir(), "j.db"), 0)
	ok := s.ingest(&event.Event{Source: event.Comm100, Kind: event.ChatRequested, ChatID: "good", ReceivedAt: time.Now(),
		Visitor: &event.Visitor{ID: "vg", Name: "Good"}, Raw: json.RawMessage(`{"n":"good"}`)})
	c, stop := runClient(t, s.http.URL)
	defer stop()
	waitCursor(t, c, ok)

	bad := []time.Time{
		time.Date(9999, 12, 31, 23, 0, 0, 0, time.UTC).In(time.FixedZone("", 14*3600)),
		time.Date(0, 1, 1, 0, 30, 0, 0, time.UTC).In(time.FixedZone("", -3600)),
		time.Date(2026, 1, 2, 3, 4, 5, 0, time.FixedZone("", 24*3600)),
	}
	var last int64
	for i, at := range bad {
		last = s.ingest(&event.Event{Source: event.Comm100, Kind: event.ChatRequested, ChatID: fmt.Sprintf("bad%d", i),
			ReceivedAt: time.Now(), Visitor: &event.Visitor{ID: fmt.Sprintf("vb%d", i), Name: "Bad", FirstVisit: at, VisitTime: at},
			Messages: []event.Message{{At: at, From: event.FromVisitor, Text: "hello"}},
			Raw:      json.RawMessage(fmt.Sprintf(`{"n":"bad %d"}`, i))})
	}
	// The test means something only if the board holds what JSON refuses.
	if _, err := json.Marshal(s.hub.View(time.Now())); err == nil {
		t.Fatal("the board encodes as it is: the test needs one that JSON cannot carry")
	}

	want := map[string]bool{"good": true, "bad0": true, "bad1": true, "bad2": true}
	if got := s.boardChats(); len(got) != len(want) || !got["bad0"] || !got["bad2"] {
		t.Errorf("/v1/board chats %v, want %v", got, want)
	}
	waitCursor(t, c, last)
	stillAttached(t, c)
	c.Read(func(b *board.Board) {
		if _, ok := b.Chat(event.Comm100, "bad1"); !ok {
			t.Error("the attached replica lacks the chat with a bad time")
		}
	})
	c2, stop2 := runClient(t, s.http.URL)
	defer stop2()
	waitCursor(t, c2, last)
	stillAttached(t, c2)
	if live, _ := s.hub.Subscribers(); live != 2 {
		t.Errorf("%d subscribers, want 2", live)
	}
	if err := s.hub.Checkpoint(context.Background()); err != nil {
		t.Errorf("checkpoint: %v", err)
	}
	for _, part := range []string{"board", "event", "snapshot", "checkpoint"} {
		series := `chatdeck_unencodable_values_total{part="` + part + `",reason="time"}`
		if n := s.metric(series); n < 1 {
			t.Errorf("%s = %v, want at least 1", series, n)
		}
	}

	stop()
	stop2()
	s.stop()
	j, err := journal.Open(context.Background(), journal.Options{Path: s.db, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	cp, found, err := j.LoadCheckpoint(context.Background())
	j.Close()
	if err != nil || !found || cp.Seq != last {
		t.Fatalf("checkpoint after close: cursor %d found %v err %v, want cursor %d", cp.Seq, found, err, last)
	}
	s = startRead(t, s.db, 0)
	if got := s.boardChats(); len(got) != len(want) {
		t.Errorf("after restart /v1/board chats %v, want %v", got, want)
	}
	c3, stop3 := runClient(t, s.http.URL)
	defer stop3()
	waitCursor(t, c3, last)
	stillAttached(t, c3)
}

// nested is a JSON object n levels deep.
func nested(n int) string {
	return strings.Repeat(`{"a":`, n) + "1" + strings.Repeat("}", n)
}

// TestDeepPayloadReachesTheClient posts a payload as deep as JSON
// decoders take (10,000 levels), over HTTP: it is journalled, and the
// attached client, a client catching up from before it, and the events
// page all decode what they are sent, the payload's text as a string.
func TestDeepPayloadReachesTheClient(t *testing.T) {
	s := startRead(t, filepath.Join(t.TempDir(), "j.db"), 0)
	first := s.ingest(&event.Event{Source: event.Comm100, Kind: event.ChatRequested, ChatID: "c0", ReceivedAt: time.Now(),
		Visitor: &event.Visitor{ID: "v0"}, Raw: json.RawMessage(`{"n":0}`)})
	c, stop := runClient(t, s.http.URL)
	defer stop()
	waitCursor(t, c, first)

	body := nested(wire.MaxDepth)
	resp, err := http.Post(s.http.URL+"/webhooks/comm100?token="+token, "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("posting the deep payload: %s", resp.Status)
	}
	deep := s.hub.Cursor()
	after := s.ingest(&event.Event{Source: event.Comm100, Kind: event.ChatRequested, ChatID: "c1", ReceivedAt: time.Now(),
		Visitor: &event.Visitor{ID: "v1"}, Raw: json.RawMessage(`{"n":1}`)})
	waitCursor(t, c, after)
	stillAttached(t, c)

	// Catching up from before it: the message decodes, the text is there.
	u := "ws" + strings.TrimPrefix(s.http.URL, "http") + "/v1/stream?after=" + strconv.FormatInt(first, 10)
	conn, _, err := websocket.DefaultDialer.Dial(u, http.Header{"Authorization": {"Bearer " + token}})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	var m hub.Message
	if err := conn.ReadJSON(&m); err != nil || m.Event == nil || m.Event.Seq != deep {
		t.Fatalf("catch-up: %+v %v", m.Event, err)
	}
	var text string
	if err := json.Unmarshal(m.Event.Raw, &text); err != nil || text != body {
		t.Errorf("catch-up payload is not the text posted as a string: %v", err)
	}

	code, page := s.get("/v1/events?after=" + strconv.FormatInt(first, 10))
	var p listener.EventsPage
	if err := json.Unmarshal(page, &p); code != 200 || err != nil || len(p.Events) != 2 {
		t.Fatalf("/v1/events: %d %v, %d events", code, err, len(p.Events))
	}
	text = ""
	if e := p.Events[0]; !e.PayloadAsString || json.Unmarshal(e.Payload, &text) != nil || text != body {
		t.Errorf("/v1/events: the deep payload is not its text as a string (as string: %v)", e.PayloadAsString)
	}
	if e := p.Events[1]; e.PayloadAsString || string(e.Payload) != `{"n":1}` {
		t.Errorf("/v1/events: a shallow payload changed: %s", e.Payload)
	}
	if n := s.metric(`chatdeck_unencodable_values_total{part="event",reason="depth"}`); n < 1 {
		t.Errorf("the deep payload was not counted: %v", n)
	}
}

// TestSnapshotBiggerThanTheClientReadsComesInParts: a client that reads
// at most 8 KiB in one message syncs a board whose snapshot is many times
// that, and gets an event bigger than that, without a reconnect.
func TestSnapshotBiggerThanTheClientReadsComesInParts(t *testing.T) {
	s := startRead(t, filepath.Join(t.TempDir(), "j.db"), 0)
	for i := range 300 {
		s.ingest(&event.Event{Source: event.Comm100, Kind: event.ChatRequested, ChatID: fmt.Sprintf("c%d", i), ReceivedAt: time.Now(),
			Visitor: &event.Visitor{ID: fmt.Sprintf("v%d", i), Name: strings.Repeat("n", 100)}, Raw: json.RawMessage(fmt.Sprintf(`{"n":%d}`, i))})
	}
	_, snap, err := s.hub.SubscribeSnapshot(1, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	const limit = 8 << 10
	if len(snap) < 20*limit {
		t.Fatalf("snapshot %d bytes: the test wants one far over %d", len(snap), limit)
	}
	c := stream.NewClient(s.http.URL, token, quiet)
	c.ReadLimit = limit
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = c.Run(ctx) }()
	defer func() { cancel(); <-done }()
	waitCursor(t, c, s.hub.Cursor())
	stillAttached(t, c)
	big := s.ingest(&event.Event{Source: event.Comm100, Kind: event.ChatRequested, ChatID: "big", ReceivedAt: time.Now(),
		Visitor: &event.Visitor{ID: "vbig"}, Raw: json.RawMessage(`{"pad":"` + strings.Repeat("x", 3*limit) + `"}`)})
	waitCursor(t, c, big)
	stillAttached(t, c)
	now := time.Now()
	want, _ := json.Marshal(s.hub.View(now).Chats)
	var got []byte
	c.Read(func(b *board.Board) { got, _ = json.Marshal(b.View(now).Chats) })
	if string(got) != string(want) {
		t.Errorf("the replica's chats differ from the server's (%d and %d bytes)", len(got), len(want))
	}

	// Every message a raw reader sees is within the limit it asked for.
	u := "ws" + strings.TrimPrefix(s.http.URL, "http") + "/v1/stream?max_message=" + strconv.Itoa(limit)
	conn, _, err := websocket.DefaultDialer.Dial(u, http.Header{"Authorization": {"Bearer " + token}})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetReadLimit(limit)
	var m hub.Message
	parts := 0
	for m.Part == 0 || m.Part < m.Parts {
		if err := conn.ReadJSON(&m); err != nil || m.Type != "part" || m.Part != parts+1 {
			t.Fatalf("part %d: %s %d/%d %v", parts+1, m.Type, m.Part, m.Parts, err)
		}
		parts++
	}
	if parts < 20 {
		t.Errorf("snapshot in %d parts", parts)
	}
	t.Logf("snapshot of %d bytes in %d parts of at most %d", len(snap), parts, limit)

	// A limit below the least is refused, with a JSON error.
	_, resp, err := websocket.DefaultDialer.Dial(strings.Replace(u, strconv.Itoa(limit), "100", 1),
		http.Header{"Authorization": {"Bearer " + token}})
	if err == nil || resp == nil || resp.StatusCode != 400 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
		t.Errorf("max_message=100: %v %+v", err, resp)
	}
}
