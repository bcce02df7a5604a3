package listener_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chatdeck/chatdeck/fixtures"
	"github.com/chatdeck/chatdeck/ingest/board"
	"github.com/chatdeck/chatdeck/ingest/event"
	"github.com/chatdeck/chatdeck/ingest/hub"
	"github.com/chatdeck/chatdeck/ingest/journal"
	"github.com/chatdeck/chatdeck/ingest/listener"
)

const token = "s3cret-token"

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// server is a hub on a real SQLite file behind the listener, on a real
// loopback HTTP server.
type server struct {
	t   *testing.T
	db  string
	hub *hub.Hub
	srv *httptest.Server
}

func start(t *testing.T, db string) *server {
	t.Helper()
	h, err := hub.Open(context.Background(), hub.Config{Journal: journal.Options{Path: db}, Logger: quiet})
	if err != nil {
		t.Fatalf("open hub: %v", err)
	}
	l, err := listener.New(listener.Config{Token: token, Logger: quiet}, h)
	if err != nil {
		t.Fatalf("listener: %v", err)
	}
	s := &server{t: t, db: db, hub: h, srv: httptest.NewServer(l)}
	t.Cleanup(s.stop)
	return s
}

func (s *server) stop() {
	if s.srv != nil {
		s.srv.Close()
		s.srv = nil
		if err := s.hub.Close(); err != nil {
			s.t.Errorf("close hub: %v", err)
		}
	}
}

type reply struct {
	status int
	body   []byte
}

func (r reply) json(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.body, &m); err != nil {
		t.Fatalf("answer is not a JSON object: %q", r.body)
	}
	return m
}

func (s *server) do(method, path, contentType string, body []byte, bearer string) reply {
	s.t.Helper()
	req, err := http.NewRequest(method, s.srv.URL+path, bytes.NewReader(body))
	if err != nil {
		s.t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	resp, err := s.srv.Client().Do(req)
	if err != nil {
		s.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return reply{resp.StatusCode, b}
}

func (s *server) post(route string, body []byte) reply {
	s.t.Helper()
	return s.do(http.MethodPost, route+"?token="+token, "application/json", body, "")
}

func (s *server) board() board.View {
	s.t.Helper()
	r := s.do(http.MethodGet, "/v1/board", "", nil, token)
	if r.status != http.StatusOK {
		s.t.Fatalf("GET /v1/board: %d %s", r.status, r.body)
	}
	var v board.View
	if err := json.Unmarshal(r.body, &v); err != nil {
		s.t.Fatalf("board JSON: %v", err)
	}
	return v
}

func findChat(v board.View, src event.Source, id string) *board.Chat {
	for i := range v.Chats {
		if v.Chats[i].Source == src && v.Chats[i].ID == id {
			return &v.Chats[i]
		}
	}
	return nil
}

// TestEveryFixtureLandsAndSurvivesRestart posts every payload over HTTP and
// checks the board shows what each carried, that a second post of each is
// one chat, and that a restart rebuilds the same board from the journal.
func TestEveryFixtureLandsAndSurvivesRestart(t *testing.T) {
	db := filepath.Join(t.TempDir(), "journal.db")
	s := start(t, db)
	for _, p := range fixtures.Webhooks() {
		r := s.post(p.Route, p.Body)
		if r.status != http.StatusOK {
			t.Fatalf("%s: %d %s", p.File, r.status, r.body)
		}
		m := r.json(t)
		if p.Source == "jivochat" {
			if m["result"] != "ok" {
				t.Errorf("%s: jivo reply %s, want result ok", p.File, r.body)
			}
		} else if m["ok"] != true || m["cursor"] == "" {
			t.Errorf("%s: ack %s", p.File, r.body)
		}
	}
	before := s.board()
	checkFixtureBoard(t, before)

	// Vendors retry: every payload again is a duplicate and changes nothing.
	for _, p := range fixtures.Webhooks() {
		r := s.post(p.Route, p.Body)
		if r.status != http.StatusOK {
			t.Fatalf("retry %s: %d %s", p.File, r.status, r.body)
		}
		if p.Source != "jivochat" && r.json(t)["duplicate"] != true {
			t.Errorf("retry %s not recognised as a duplicate: %s", p.File, r.body)
		}
	}
	again := s.board()
	if len(again.Chats) != len(before.Chats) || len(again.OfflineMessages) != len(before.OfflineMessages) ||
		len(again.Inbox) != len(before.Inbox) || again.Cursor != before.Cursor {
		t.Errorf("retries changed the board: chats %d→%d offline %d→%d inbox %d→%d cursor %d→%d",
			len(before.Chats), len(again.Chats), len(before.OfflineMessages), len(again.OfflineMessages),
			len(before.Inbox), len(again.Inbox), before.Cursor, again.Cursor)
	}

	s.stop()
	s2 := start(t, db)
	after := s2.board()
	checkFixtureBoard(t, after)
	if after.Cursor != before.Cursor || len(after.Chats) != len(before.Chats) || len(after.Agents) != len(before.Agents) ||
		len(after.Queue) != len(before.Queue) || len(after.OfflineMessages) != len(before.OfflineMessages) {
		t.Errorf("restart changed the board: cursor %d→%d chats %d→%d agents %d→%d queue %d→%d",
			before.Cursor, after.Cursor, len(before.Chats), len(after.Chats), len(before.Agents), len(after.Agents),
			len(before.Queue), len(after.Queue))
	}
	if after.Metrics.Today.Answered != before.Metrics.Today.Answered || after.Metrics.Today.CSATGood != before.Metrics.Today.CSATGood {
		t.Errorf("restart changed today's metrics: %+v → %+v", before.Metrics.Today, after.Metrics.Today)
	}
}

// checkFixtureBoard checks the values the fixtures carry.
func checkFixtureBoard(t *testing.T, v board.View) {
	t.Helper()
	// Comm100 chat_started then chat_ended of the same chat: ended, with the
	// transcript, the agent, and the department name from the chat.
	c := findChat(v, event.Comm100, "16c2cc3a-1b15-4b4f-9298-1cd04d6cec15")
	if c == nil {
		t.Fatal("comm100 chat 16c2cc3a… not on the board")
	}
	if c.State != board.Ended || c.Visitor.Name != "testName" || c.Visitor.Email != "test@email.com" ||
		c.Department != "Support" || len(c.Messages) != 5 || c.WrapUp == nil || c.WrapUp.Category != "Billing question" {
		t.Errorf("comm100 chat = state %s visitor %q/%q dept %q messages %d wrapup %+v",
			c.State, c.Visitor.Name, c.Visitor.Email, c.Department, len(c.Messages), c.WrapUp)
	}
	if len(c.Messages) > 1 && (c.Messages[1].Name != "Walid" || c.Messages[1].From != event.FromAgent) {
		t.Errorf("comm100 message 1 = %+v, want Walid as agent", c.Messages[1])
	}
	if !c.EndedAt.Equal(time.UnixMilli(1584416219323)) {
		t.Errorf("comm100 ended at %v, want the payload's end_time", c.EndedAt)
	}
	// Comm100 legacy chat with numeric ids, rating 5.
	if c := findChat(v, event.Comm100, "99012"); c == nil || c.State != board.Ended || c.Rating == nil || c.Rating.Value != "5" ||
		c.Visitor.ID != "4410217" || len(c.Messages) != 6 || !c.Messages[0].At.Equal(time.UnixMilli(1584436500000)) {
		t.Errorf("comm100 legacy chat = %+v", c)
	}
	// Comm100 chat_request then chat_transferred: active with two agents.
	if c := findChat(v, event.Comm100, "a1b2c3d4-e5f6-4789-9abc-def012345678"); c == nil || c.State != board.Active || len(c.Agents) != 2 ||
		c.Department != "Billing" || c.Visitor.Name != "Priya" {
		t.Errorf("comm100 transferred chat = %+v", c)
	}
	// Chatlio: the shared-sample conversation became a feedback... the
	// transcript is a different conversation with the same UUID: ended.
	if c := findChat(v, event.Chatlio, "e3d1800d-2d9e-4966-4500-9ff986cfa197"); c == nil || c.State != board.Ended ||
		len(c.Messages) != 2 || c.Messages[0].Text != "Hi! I love your webhooks!" || c.Rating == nil || c.Rating.Value != "up" {
		t.Errorf("chatlio conversation = %+v", c)
	}
	// Jivo: chats 3537 (accepted), 4043 (updated), 9998 (assigned) active; 7676 finished.
	for _, id := range []string{"3537", "4043", "9998"} {
		if c := findChat(v, event.JivoChat, id); c == nil || c.State != board.Active || c.Visitor.Name != "John Smith" ||
			len(c.Agents) != 1 || c.Agents[0].Name != "Thomas Anderson" || c.Department != "Sales" {
			t.Errorf("jivo chat %s = %+v", id, c)
		}
	}
	if c := findChat(v, event.JivoChat, "7676"); c == nil || c.State != board.Ended || len(c.Messages) != 1 || c.Messages[0].From != event.FromAgent {
		t.Errorf("jivo finished chat = %+v", c)
	}
	// Offline messages from all three vendors.
	want := map[string]string{
		"comm100":  "Hej! Could someone call me about invoice 2231? Tack — Jonas",
		"chatlio":  "I just want to say I love your service!",
		"jivochat": "Message text",
	}
	for _, o := range v.OfflineMessages {
		if want[string(o.Source)] == o.Text {
			delete(want, string(o.Source))
		}
	}
	if len(want) > 0 {
		t.Errorf("offline messages missing: %v (have %+v)", want, v.OfflineMessages)
	}
	// Agents: the Comm100 agent who went away, by GUID.
	var away bool
	for _, a := range v.Agents {
		if a.Source == event.Comm100 && a.ID == "c97a2afe-a38f-46f8-a55b-8ac9f873cd09" && a.Status == event.AgentAway {
			away = true
		}
	}
	if !away {
		t.Errorf("agent c97a2afe… not away: %+v", v.Agents)
	}
	// The Jivo call and the Chatlio unanswered visitor are in the inbox.
	types := map[board.InboxType]bool{}
	for _, i := range v.Inbox {
		types[i.Type] = true
	}
	if !types[board.InboxCall] || !types[board.InboxUnanswered] || !types[board.InboxFeedback] {
		t.Errorf("inbox types = %v, want call, unanswered, feedback", types)
	}
	if v.Sources[event.Comm100].Events == 0 || v.Sources[event.Chatlio].Events == 0 || v.Sources[event.JivoChat].Events == 0 {
		t.Errorf("sources = %+v", v.Sources)
	}
}

func TestBadInputGetsNamedErrors(t *testing.T) {
	s := start(t, filepath.Join(t.TempDir(), "j.db"))
	big := append([]byte(`{"event":"chat_started","pad":"`), bytes.Repeat([]byte("x"), listener.DefaultMaxBody)...)
	big = append(big, `"}`...)
	cases := []struct {
		name, method, path, ctype string
		body                      []byte
		bearer                    string
		status                    int
		contains                  string
	}{
		{"no token", "POST", "/webhooks/comm100", "application/json", []byte(`{}`), "", 401, "missing token"},
		{"wrong token", "POST", "/webhooks/comm100?token=nope", "application/json", []byte(`{}`), "", 401, "wrong token"},
		{"empty body", "POST", "/webhooks/comm100?token=" + token, "application/json", nil, "", 400, "empty body"},
		{"not json", "POST", "/webhooks/jivochat?token=" + token, "application/json", []byte(`{"event_name":`), "", 400, "invalid JSON"},
		{"array", "POST", "/webhooks/comm100?token=" + token, "application/json", []byte(`[1,2]`), "", 400, "got an array"},
		{"null", "POST", "/webhooks/comm100?token=" + token, "application/json", []byte(`null`), "", 400, "got null"},
		{"too large", "POST", "/webhooks/comm100?token=" + token, "application/json", big, "", 413, "larger than"},
		{"form body", "POST", "/webhooks/comm100?token=" + token, "application/x-www-form-urlencoded", []byte(`a=b`), "", 415, "not JSON"},
		{"multipart body", "POST", "/webhooks/comm100?token=" + token, "multipart/form-data; boundary=x", []byte("--x\r\n"), "", 415, "multipart/form-data"},
		{"unknown chatlio kind", "POST", "/webhooks/chatlio/party?token=" + token, "application/json", []byte(`{}`), "", 404, "party"},
		{"unknown route", "GET", "/nope", "", nil, "", 404, "no route"},
		{"wrong method", "GET", "/webhooks/comm100?token=" + token, "", nil, "", 405, "use POST"},
		{"board without token", "GET", "/v1/board", "", nil, "", 401, "bearer"},
		{"board wrong token", "GET", "/v1/board", "", nil, "nope", 401, "wrong token"},
		{"events bad cursor", "GET", "/v1/events?after=x", "", nil, token, 400, "after"},
		{"events bad limit", "GET", "/v1/events?limit=0", "", nil, token, 400, "limit"},
		{"status without token", "POST", "/v1/agents/a1/status", "application/json", []byte(`{"status":"away"}`), "", 401, "bearer"},
		{"status bad body", "POST", "/v1/agents/a1/status", "application/json", []byte(`away`), token, 400, "body"},
		{"status missing", "POST", "/v1/agents/a1/status", "application/json", []byte(`{}`), token, 400, "status: missing"},
		{"status without API", "POST", "/v1/agents/a1/status", "application/json", []byte(`{"status":"away"}`), token, 503, "no Comm100 API"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := s.do(tc.method, tc.path, tc.ctype, tc.body, tc.bearer)
			if r.status != tc.status {
				t.Fatalf("status %d, want %d: %s", r.status, tc.status, r.body)
			}
			msg, _ := r.json(t)["error"].(string)
			if !strings.Contains(msg, tc.contains) {
				t.Errorf("error %q does not name %q", msg, tc.contains)
			}
		})
	}
	if v := s.board(); len(v.Chats) != 0 || v.Cursor != 0 {
		t.Errorf("bad input reached the board: %d chats, cursor %d", len(v.Chats), v.Cursor)
	}
	if r := s.do("GET", "/healthz", "", nil, ""); r.status != 200 || r.json(t)["status"] != "ok" {
		t.Errorf("healthz after bad input: %d %s", r.status, r.body)
	}
}

// TestValidObjectsAreKept: a JSON object on a vendor route is answered 200
// and journalled, whatever it lacks; the board places it as well as it can
// (a chat keyed by its visitor) or says in the inbox what it lacks.
func TestValidObjectsAreKept(t *testing.T) {
	db := filepath.Join(t.TempDir(), "j.db")
	s := start(t, db)
	posts := []struct {
		name, route, body string
		inbox             board.InboxType // the inbox entry it makes, if any
		inboxSays         string
	}{
		{"wrong field type", "/webhooks/comm100", `{"event":"chat_ended","visitor":"oops","chat":{"id":"w1"}}`, "", ""},
		{"no chat id, a visitor", "/webhooks/comm100", `{"event":"chat_request","visitor":{"id":"v-9","name":"Nina"}}`, "", ""},
		{"no chat id, no visitor", "/webhooks/jivochat", `{"event_name":"chat_accepted"}`, board.InboxIncomplete, "chat_id: missing"},
		{"transcript without conversation", "/webhooks/chatlio/transcript", `{"messages":[{"text":"hi"}]}`, board.InboxIncomplete, "conversationUUID: missing"},
		{"event an object", "/webhooks/comm100", `{"event":{"name":"chat_started"}}`, board.InboxUnrecognised, "event: expected a string"},
		{"event an array", "/webhooks/comm100", `{"event":["chat_started"]}`, board.InboxUnrecognised, "event: expected a string"},
		{"unknown event_name", "/webhooks/jivochat", `{"event_name":"chat_exploded","chat_id":5}`, board.InboxUnrecognised, "chat_exploded"},
		{"status naming no agent", "/webhooks/comm100", `{"event":"away"}`, board.InboxIncomplete, "operator_id: missing"},
		{"a time from 1975", "/webhooks/comm100", `{"event":"chat_ended","chat":{"id":"w2","end_time":"/Date(158441574)/"}}`, "", ""},
	}
	for i, p := range posts {
		r := s.post(p.route, []byte(p.body))
		if r.status != http.StatusOK {
			t.Fatalf("%s: status %d, want 200: %s", p.name, r.status, r.body)
		}
		m := r.json(t)
		if p.route == "/webhooks/jivochat" {
			if m["result"] != "ok" {
				t.Errorf("%s: Jivo answer %s, want result ok", p.name, r.body)
			}
		} else if m["cursor"] != strconv.Itoa(i+1) {
			t.Errorf("%s: cursor %v, want %d: every post journalled", p.name, m["cursor"], i+1)
		}
	}
	check := func(v board.View) {
		t.Helper()
		if v.Cursor != int64(len(posts)) {
			t.Errorf("board cursor %d, want %d", v.Cursor, len(posts))
		}
		if c := findChat(v, event.Comm100, "w1"); c == nil || c.State != board.Missed {
			t.Errorf("chat w1 with a bad visitor: %+v, want it on the board, missed (never answered)", c)
		}
		if c := findChat(v, event.Comm100, "visitor-chat:v-9"); c == nil || !c.KeyedByVisitor || c.State != board.Waiting || c.Visitor.Name != "Nina" {
			t.Errorf("chat without id: %+v, want it waiting, keyed by its visitor", c)
		}
		if c := findChat(v, event.Comm100, "w2"); c == nil || !c.EndedAt.After(time.Now().Add(-time.Hour)) {
			t.Errorf("chat w2 with a 1975 end_time: %+v, want it ended at its receipt", c)
		}
		for _, p := range posts {
			if p.inbox == "" {
				continue
			}
			found := false
			for _, it := range v.Inbox {
				found = found || (it.Type == p.inbox && strings.Contains(it.Text, p.inboxSays))
			}
			if !found {
				t.Errorf("%s: no %s inbox entry saying %q in %+v", p.name, p.inbox, p.inboxSays, v.Inbox)
			}
		}
	}
	check(s.board())
	s.stop()
	check(start(t, db).board()) // the journal replays to the same board
}

func TestMislabelledJSONIsTaken(t *testing.T) {
	s := start(t, filepath.Join(t.TempDir(), "j.db"))
	r := s.do("POST", "/webhooks/comm100?token="+token, "application/x-www-form-urlencoded",
		[]byte(`{"event":"away","operator_id":"abc"}`), "")
	if r.status != 200 || r.json(t)["kind"] != "agent_status_changed" {
		t.Fatalf("JSON labelled as a form: %d %s", r.status, r.body)
	}
}

func TestUnknownButValidIsKept(t *testing.T) {
	s := start(t, filepath.Join(t.TempDir(), "j.db"))
	for _, c := range []struct{ route, body string }{
		{"/webhooks/comm100", `{"event":"chat_rated_v9","stars":4}`},
		{"/webhooks/jivochat", `{"event_name":"client_mood_changed","mood":"happy"}`},
		{"/webhooks/comm100", `{"hello":"world"}`},
	} {
		r := s.post(c.route, []byte(c.body))
		if r.status != 200 {
			t.Fatalf("%s: %d %s", c.body, r.status, r.body)
		}
	}
	v := s.board()
	if len(v.Inbox) != 3 || v.Inbox[0].Type != board.InboxUnrecognised || v.Inbox[0].Text != `{"hello":"world"}` ||
		v.Inbox[2].VendorEvent != "chat_rated_v9" {
		t.Errorf("inbox = %+v", v.Inbox)
	}
	r := s.do("GET", "/v1/events?limit=10", "", nil, token)
	var page listener.EventsPage
	if err := json.Unmarshal(r.body, &page); err != nil || len(page.Events) != 3 {
		t.Fatalf("events: %v %s", err, r.body)
	}
	if page.Events[1].Kind != "unrecognised" || string(page.Events[1].Payload) != `{"event_name":"client_mood_changed","mood":"happy"}` {
		t.Errorf("event 2 = %+v", page.Events[1])
	}
}

func TestEventsPaging(t *testing.T) {
	s := start(t, filepath.Join(t.TempDir(), "j.db"))
	for i := range 5 {
		s.post("/webhooks/comm100", fmt.Appendf(nil, `{"event":"chat_request","visitor":{"id":"v%d","chat_id":"c%d","status":0}}`, i, i))
	}
	var got []string
	after := ""
	for range 10 {
		r := s.do("GET", "/v1/events?limit=2&after="+after, "", nil, token)
		var page listener.EventsPage
		if err := json.Unmarshal(r.body, &page); err != nil {
			t.Fatal(err)
		}
		for _, e := range page.Events {
			got = append(got, e.Cursor)
			if e.Source != "comm100" || e.Kind != "chat_requested" || e.ReceivedAt.IsZero() {
				t.Errorf("event %+v", e)
			}
		}
		if page.Next == "" {
			break
		}
		after = page.Next
	}
	if strings.Join(got, ",") != "1,2,3,4,5" {
		t.Errorf("paged cursors %v, want 1..5 once each", got)
	}
}

func TestJivoCustomDataIsTheVisitorsOwn(t *testing.T) {
	s := start(t, filepath.Join(t.TempDir(), "j.db"))
	finished := `{"event_name":"chat_finished","chat_id":100,"user_token":"tok-A","visitor":{"name":"Ann","number":11},
		"agents":[{"id":5,"name":"Thomas"}],"chat":{"messages":[{"timestamp":1700000000,"type":"agent","agent_id":5,"message":"hi"}],"rate":"positive"}}`
	other := `{"event_name":"chat_finished","chat_id":200,"visitor":{"name":"Bob","number":22},
		"agents":[{"id":6,"name":"Mallory"}],"chat":{"messages":[],"rate":"negative"}}`
	for _, b := range []string{finished, other} {
		if r := s.post("/webhooks/jivochat", []byte(b)); r.status != 200 {
			t.Fatalf("%d %s", r.status, r.body)
		}
	}
	accepted := `{"event_name":"chat_accepted","chat_id":101,"user_token":"tok-A","visitor":{"name":"Ann","number":11},"agent":{"id":5,"name":"Thomas"}}`
	r := s.post("/webhooks/jivochat", []byte(accepted))
	var rep listener.JivoReply
	if err := json.Unmarshal(r.body, &rep); err != nil || rep.Result != "ok" {
		t.Fatalf("reply %s: %v", r.body, err)
	}
	got := map[string]string{}
	for _, f := range rep.CustomData {
		got[f.Title] = f.Content
	}
	if got["Earlier chats"] != "1" || got["Last rating"] != "positive" || got["Last agent"] != "Thomas" {
		t.Errorf("custom_data = %+v", rep.CustomData)
	}
	if strings.Contains(string(r.body), "Mallory") || strings.Contains(string(r.body), "negative") {
		t.Errorf("reply leaks another visitor's history: %s", r.body)
	}
	stranger := `{"event_name":"chat_accepted","chat_id":300,"visitor":{"name":"Cy","number":33},"agent":{"id":5,"name":"Thomas"}}`
	r = s.post("/webhooks/jivochat", []byte(stranger))
	if !strings.Contains(string(r.body), "first chat") {
		t.Errorf("a first-time visitor's reply = %s", r.body)
	}
}

func TestConcurrentWebhooksAllLand(t *testing.T) {
	s := start(t, filepath.Join(t.TempDir(), "j.db"))
	const n = 64
	var wg sync.WaitGroup
	errs := make(chan string, n)
	for i := range n {
		wg.Go(func() {
			body := fmt.Appendf(nil, `{"event":"chat_request","visitor":{"id":"v%d","chat_id":"c%d","status":0,"name":"n%d"}}`, i, i, i)
			req, _ := http.NewRequest("POST", s.srv.URL+"/webhooks/comm100?token="+token, bytes.NewReader(body))
			resp, err := s.srv.Client().Do(req)
			if err != nil {
				errs <- err.Error()
				return
			}
			resp.Body.Close()
			if resp.StatusCode != 200 {
				errs <- resp.Status
			}
		})
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
	v := s.board()
	if len(v.Queue) != n || v.Metrics.QueueLength != n || v.Cursor != n {
		t.Errorf("queue %d, metric %d, cursor %d; want %d each", len(v.Queue), v.Metrics.QueueLength, v.Cursor, n)
	}
}

// panicky is a Store whose board read panics, to prove a handler panic is
// one 500, not a dead server.
type panicky struct{ listener.Store }

func (panicky) View(time.Time) board.View { panic("boom") }

func TestPanicIsA500(t *testing.T) {
	h, err := hub.Open(context.Background(), hub.Config{Journal: journal.Options{Path: filepath.Join(t.TempDir(), "j.db")}, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	l, _ := listener.New(listener.Config{Token: token, Logger: quiet}, panicky{h})
	srv := httptest.NewServer(l)
	defer srv.Close()
	req, _ := http.NewRequest("GET", srv.URL+"/v1/board", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 500 || !strings.Contains(string(b), `"error"`) {
		t.Errorf("panic answered %d %s, want 500 with a JSON error", resp.StatusCode, b)
	}
	resp, err = srv.Client().Get(srv.URL + "/healthz")
	if err != nil || resp.StatusCode != 200 {
		t.Errorf("server dead after a panic: %v", err)
	}
	resp.Body.Close()
}
