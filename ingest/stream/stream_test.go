package stream_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/chatdeck/chatdeck/comm100api"
	"github.com/chatdeck/chatdeck/comm100api/comm100test"
	"github.com/chatdeck/chatdeck/ingest/actions"
	"github.com/chatdeck/chatdeck/ingest/board"
	"github.com/chatdeck/chatdeck/ingest/hub"
	"github.com/chatdeck/chatdeck/ingest/journal"
	"github.com/chatdeck/chatdeck/ingest/listener"
	"github.com/chatdeck/chatdeck/ingest/poller"
	"github.com/chatdeck/chatdeck/ingest/stream"
)

const token = "tok"

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// server is `chatdeck serve` in-process: hub on a real SQLite file, the
// listener with the stream, on real loopback HTTP; the fake Comm100 API
// behind Direct actions.
type server struct {
	t      *testing.T
	hub    *hub.Hub
	api    *comm100test.Server
	stream *stream.Server
	http   *httptest.Server
}

func start(t *testing.T, buffer int) *server {
	t.Helper()
	s := &server{t: t}
	var err error
	s.hub, err = hub.Open(context.Background(), hub.Config{Journal: journal.Options{Path: filepath.Join(t.TempDir(), "j.db")}, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	s.api = comm100test.New(comm100test.Options{})
	client, err := comm100api.New(comm100api.Config{BaseURL: s.api.URL(), Logger: quiet, MaxRetries: -1,
		Auth: comm100api.Bearer(comm100api.OAuthConfig{AccessToken: "test-token"})})
	if err != nil {
		t.Fatal(err)
	}
	if err := poller.New(poller.Config{API: client, Sink: s.hub, Logger: quiet}).Poll(context.Background()); err != nil {
		t.Fatal(err)
	}
	acts := &actions.Direct{API: client, Sink: s.hub}
	l, err := listener.New(listener.Config{Token: token, Logger: quiet, Actions: acts}, s.hub)
	if err != nil {
		t.Fatal(err)
	}
	s.stream = &stream.Server{Hub: s.hub, Actions: acts, Buffer: buffer, Logger: quiet, PingEvery: time.Second}
	l.Handle("/v1/stream", l.Bearer(s.stream.ServeHTTP))
	s.http = httptest.NewServer(l)
	t.Cleanup(func() {
		s.stream.Close()
		s.http.Close()
		s.api.Close()
		s.hub.Close()
	})
	return s
}

func (s *server) post(i int) {
	s.t.Helper()
	body := fmt.Sprintf(`{"event":"chat_request","visitor":{"id":"v%d","chat_id":"c%d","status":0,"name":"n%d"}}`, i, i, i)
	resp, err := http.Post(s.http.URL+"/webhooks/comm100?token="+token, "application/json", strings.NewReader(body))
	if err != nil {
		s.t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		s.t.Fatalf("post %d: %s", i, resp.Status)
	}
}

func runClient(t *testing.T, url string) (*stream.Client, func()) {
	t.Helper()
	c := stream.NewClient(url, token, quiet)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = c.Run(ctx) }()
	return c, func() { cancel(); <-done }
}

func waitCursor(t *testing.T, c *stream.Client, want int64) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for c.Cursor() < want {
		if time.Now().After(deadline) {
			t.Fatalf("client cursor %d, want %d", c.Cursor(), want)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// sameBoard compares a replica's view with the server's, as JSON.
func sameBoard(t *testing.T, s *server, c *stream.Client) {
	t.Helper()
	now := time.Now()
	want, _ := json.Marshal(s.hub.View(now).Queue)
	var got []byte
	c.Read(func(b *board.Board) { got, _ = json.Marshal(b.View(now).Queue) })
	if !bytes.Equal(got, want) {
		t.Errorf("replica queue differs:\n got %s\nwant %s", got, want)
	}
	wm, _ := json.Marshal(s.hub.View(now).Metrics)
	var gm []byte
	c.Read(func(b *board.Board) { gm, _ = json.Marshal(b.Metrics(now)) })
	if !bytes.Equal(gm, wm) {
		t.Errorf("replica metrics differ:\n got %s\nwant %s", gm, wm)
	}
}

func TestManyClientsSeeEverythingInOrder(t *testing.T) {
	s := start(t, 0)
	s.post(0)
	var clients []*stream.Client
	for range 20 {
		c, stop := runClient(t, s.http.URL)
		defer stop()
		clients = append(clients, c)
	}
	base := s.hub.Cursor()
	for _, c := range clients {
		waitCursor(t, c, base)
	}
	for i := 1; i <= 50; i++ {
		s.post(i)
	}
	for _, c := range clients {
		waitCursor(t, c, base+50)
		sameBoard(t, s, c)
		if cn := c.Connection(); !cn.Connected || !cn.Synced {
			t.Errorf("connection %+v", cn)
		}
	}
	if live, _ := s.hub.Subscribers(); live != 20 {
		t.Errorf("%d subscribers, want 20", live)
	}
}

// TestReconnectResumesFromCursor cuts a client off, posts while it is
// away, and checks that it catches up from the journal: nothing missed,
// nothing twice (the raw stream's cursors are consecutive).
func TestReconnectResumesFromCursor(t *testing.T) {
	s := start(t, 0)
	for i := range 5 {
		s.post(i)
	}
	u := "ws" + strings.TrimPrefix(s.http.URL, "http") + "/v1/stream"
	hdr := http.Header{"Authorization": {"Bearer " + token}}
	conn, _, err := websocket.DefaultDialer.Dial(u, hdr)
	if err != nil {
		t.Fatal(err)
	}
	var first hub.Message
	// Five posted chats and the two waiting visitors of the fake API's poll.
	if err := conn.ReadJSON(&first); err != nil || first.Type != "snapshot" || first.Board == nil || len(first.Board.Queue) != 7 ||
		first.State == nil || first.Config == nil {
		t.Fatalf("first message %+v %v", first.Type, err)
	}
	cursor := first.Cursor
	conn.Close()
	for i := 5; i < 12; i++ {
		s.post(i)
	}
	conn, _, err = websocket.DefaultDialer.Dial(u+"?after="+cursor, hdr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	for i := 5; i < 12; i++ {
		var m hub.Message
		if err := conn.ReadJSON(&m); err != nil {
			t.Fatal(err)
		}
		if m.Type != "event" || m.Event == nil || m.Event.ChatID != fmt.Sprintf("c%d", i) {
			t.Fatalf("message %d: %s %+v", i, m.Type, m.Event)
		}
	}
	s.post(12)
	var m hub.Message
	if err := conn.ReadJSON(&m); err != nil || m.Event == nil || m.Event.ChatID != "c12" {
		t.Fatalf("live after catch-up: %+v %v", m, err)
	}
	// A cursor from another journal (ahead of this one) gets a snapshot.
	c2, _, err := websocket.DefaultDialer.Dial(u+"?after=999999", hdr)
	if err != nil {
		t.Fatal(err)
	}
	defer c2.Close()
	if err := c2.ReadJSON(&m); err != nil || m.Type != "snapshot" {
		t.Errorf("unknown cursor: %s %v", m.Type, err)
	}
}

func TestClientReplicaSurvivesServerRestartOfConnection(t *testing.T) {
	s := start(t, 0)
	s.post(0)
	c, stop := runClient(t, s.http.URL)
	defer stop()
	waitCursor(t, c, s.hub.Cursor())
	// Close every stream connection (as a network blip would).
	s.http.CloseClientConnections()
	for i := 1; i <= 10; i++ {
		s.post(i)
	}
	waitCursor(t, c, s.hub.Cursor())
	sameBoard(t, s, c)
}

func TestSlowClientIsDroppedOthersKeepUp(t *testing.T) {
	s := start(t, 8)
	u := "ws" + strings.TrimPrefix(s.http.URL, "http") + "/v1/stream"
	hdr := http.Header{"Authorization": {"Bearer " + token}}
	slow, _, err := websocket.DefaultDialer.Dial(u, hdr)
	if err != nil {
		t.Fatal(err)
	}
	defer slow.Close()
	var snap hub.Message
	if err := slow.ReadJSON(&snap); err != nil {
		t.Fatal(err)
	}
	fast, stop := runClient(t, s.http.URL)
	defer stop()
	waitCursor(t, fast, s.hub.Cursor())
	// The slow one stops reading; the server's socket buffers fill, then
	// its 8-message queue: it is dropped. Big payloads fill buffers fast.
	pad := strings.Repeat("x", 64<<10)
	for i := range 200 {
		body := fmt.Sprintf(`{"event":"chat_request","visitor":{"id":"v%d","chat_id":"c%d","status":0,"name":"%s"}}`, i, i, pad)
		resp, err := http.Post(s.http.URL+"/webhooks/comm100?token="+token, "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	waitCursor(t, fast, s.hub.Cursor())
	sameBoard(t, s, fast)
	if _, dropped := s.hub.Subscribers(); dropped < 1 {
		t.Fatalf("the slow client was not dropped")
	}
	// Reading on, it finds its stream ended (with the close reason when
	// the frame could still get through its full buffers).
	_ = slow.SetReadDeadline(time.Now().Add(10 * time.Second))
	got := 0
	for {
		_, _, err := slow.ReadMessage()
		if err == nil {
			got++
			continue
		}
		var ce *websocket.CloseError
		if errors.As(err, &ce) && ce.Code != websocket.CloseAbnormalClosure && ce.Text != stream.ReasonSlow {
			t.Errorf("closed with %q, want %q", ce.Text, stream.ReasonSlow)
		}
		if errors.Is(err, context.DeadlineExceeded) || strings.Contains(err.Error(), "timeout") {
			t.Fatalf("the slow client's stream never ended (%d messages read)", got)
		}
		break
	}
	if got >= 200 {
		t.Errorf("the slow client got all %d events: it was not dropped", got)
	}
	// It catches up on reconnect, from its cursor: every event, in order, once.
	again, _, err := websocket.DefaultDialer.Dial(u+"?after="+snap.Cursor, hdr)
	if err != nil {
		t.Fatal(err)
	}
	defer again.Close()
	for i := range 200 {
		var m hub.Message
		if err := again.ReadJSON(&m); err != nil {
			t.Fatal(err)
		}
		if m.Event == nil || m.Event.ChatID != fmt.Sprintf("c%d", i) {
			t.Fatalf("catch-up message %d: %s %+v", i, m.Type, m.Event)
		}
	}
}

func TestAuthAndOrigin(t *testing.T) {
	s := start(t, 0)
	u := "ws" + strings.TrimPrefix(s.http.URL, "http") + "/v1/stream"
	for _, tc := range []struct {
		name string
		hdr  http.Header
		want int
	}{
		{"no token", http.Header{}, 401},
		{"wrong token", http.Header{"Authorization": {"Bearer nope"}}, 401},
		{"foreign origin", http.Header{"Authorization": {"Bearer " + token}, "Origin": {"https://evil.example"}}, 403},
	} {
		_, resp, err := websocket.DefaultDialer.Dial(u, tc.hdr)
		if err == nil || resp == nil || resp.StatusCode != tc.want {
			code := 0
			if resp != nil {
				code = resp.StatusCode
			}
			t.Errorf("%s: err %v status %d, want %d", tc.name, err, code, tc.want)
		}
	}
	c := stream.NewClient(s.http.URL, "nope", quiet)
	err := c.Run(context.Background())
	if err == nil || !stream.IsFatal(err) || !strings.Contains(err.Error(), "refused the connection (401)") {
		t.Errorf("client with a wrong token: %v, want a fatal refusal naming 401", err)
	}
}

func TestRemoteStatusChange(t *testing.T) {
	s := start(t, 0)
	asker, stop1 := runClient(t, s.http.URL)
	defer stop1()
	watcher, stop2 := runClient(t, s.http.URL)
	defer stop2()
	waitCursor(t, asker, s.hub.Cursor())
	waitCursor(t, watcher, s.hub.Cursor())
	const alice = "058cbf51-1c1c-419c-bfe7-d02ff3188cc0"
	out, err := asker.SetAgentStatus(context.Background(), alice, "meeting")
	if err != nil {
		t.Fatal(err)
	}
	if out.Agent == nil || out.Agent.StatusName != "Meeting" || out.Cursor != s.hub.Cursor() {
		t.Errorf("outcome %+v", out)
	}
	if a, _ := s.api.Agent(alice); a.Status != "Meeting" {
		t.Errorf("API has %q", a.Status)
	}
	waitCursor(t, watcher, out.Cursor)
	var got string
	watcher.Read(func(b *board.Board) {
		for _, a := range b.Agents() {
			if a.ID == alice {
				got = a.StatusName
			}
		}
	})
	if got != "Meeting" {
		t.Errorf("the other terminal sees Alice %q", got)
	}
	_, err = asker.SetAgentStatus(context.Background(), alice, "napping")
	if !errors.Is(err, actions.ErrUnknownStatus) || !strings.Contains(err.Error(), "napping") {
		t.Errorf("refused change: %v", err)
	}
	_, err = asker.SetAgentStatus(context.Background(), "nobody", "away")
	if !errors.Is(err, actions.ErrUnknownAgent) {
		t.Errorf("unknown agent: %v", err)
	}
}

func TestDisconnectedClientSaysSo(t *testing.T) {
	s := start(t, 0)
	c, stop := runClient(t, s.http.URL)
	defer stop()
	waitCursor(t, c, s.hub.Cursor())
	s.stream.Close()
	deadline := time.Now().Add(10 * time.Second)
	for c.Connection().Connected {
		if time.Now().After(deadline) {
			t.Fatal("the client never noticed the server went away")
		}
		time.Sleep(10 * time.Millisecond)
	}
	cn := c.Connection()
	if cn.Err == "" || cn.Attempt < 1 {
		t.Errorf("connection state %+v", cn)
	}
	if _, err := c.SetAgentStatus(context.Background(), "x", "away"); err == nil || !strings.Contains(err.Error(), "not connected") {
		t.Errorf("action while disconnected: %v", err)
	}
}

// TestRemoteActionsBusyBeyondTheBound: with 4 of a terminal's actions in
// flight (the API not answering), its fifth is answered busy at once, and
// the client turns the code into actions.ErrBusy with the server's words
// for the dashboard; the budget's code maps to actions.ErrBudget.
func TestRemoteActionsBusyBeyondTheBound(t *testing.T) {
	s := start(t, 0)
	c, stop := runClient(t, s.http.URL)
	defer stop()
	waitCursor(t, c, s.hub.Cursor())
	const alice = "058cbf51-1c1c-419c-bfe7-d02ff3188cc0"
	s.api.SetFault(comm100test.Fault{Latency: time.Minute})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	for range 4 {
		go func() { _, _ = c.SetAgentStatus(ctx, alice, "away") }()
	}
	deadline := time.Now().Add(10 * time.Second)
	for s.stream.Gate.InFlight() != 4 {
		if time.Now().After(deadline) {
			t.Fatalf("%d actions in flight, want 4", s.stream.Gate.InFlight())
		}
		time.Sleep(5 * time.Millisecond)
	}
	_, err := c.SetAgentStatus(context.Background(), alice, "online")
	var re *stream.RemoteError
	if !errors.Is(err, actions.ErrBusy) || !errors.As(err, &re) || re.Code != "busy" ||
		!strings.Contains(err.Error(), "busy: this client already has 4 actions in flight") {
		t.Errorf("fifth action: %v", err)
	}
	if err := (&stream.RemoteError{Code: "budget_exhausted", Msg: "no call"}); !errors.Is(err, actions.ErrBudget) {
		t.Error("budget_exhausted does not map to actions.ErrBudget")
	}
}
