package tui

import (
	"context"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/chatdeck/chatdeck/ingest/actions"
	"github.com/chatdeck/chatdeck/ingest/board"
	"github.com/chatdeck/chatdeck/ingest/event"
	"github.com/chatdeck/chatdeck/ingest/stream"
)

// updating reports whether -update was given: the flag is the one
// x/exp/golden (through teatest) registers for golden files.
func updating() bool {
	f := flag.Lookup("update")
	return f != nil && f.Value.String() == "true"
}

var t0 = time.Date(2026, 11, 21, 14, 0, 0, 0, time.UTC)

// memSource is a board behind a lock: the Source the local hub gives,
// without the journal.
type memSource struct {
	mu      sync.RWMutex
	b       *board.Board
	seq     int64
	changed chan struct{}
}

func newMemSource() *memSource {
	return &memSource{b: board.New(board.Config{Capacity: 2}), changed: make(chan struct{})}
}

func (s *memSource) Read(fn func(*board.Board)) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	fn(s.b)
}

func (s *memSource) Polls() map[event.Source]board.PollState {
	return map[event.Source]board.PollState{event.Comm100: {LastOKAt: t0.Add(-3 * time.Second)}}
}

func (s *memSource) Changed() <-chan struct{} {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.changed
}

func (s *memSource) apply(evs ...event.Event) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, ev := range evs {
		s.seq++
		ev.Seq = s.seq
		s.b.Apply(&ev)
	}
	close(s.changed)
	s.changed = make(chan struct{})
}

func sec(n float64) time.Time { return t0.Add(time.Duration(n * float64(time.Second))) }

// seeded is a board with a bit of everything: three waiting visitors, two
// active chats, agents in three states, an offline message, an unknown payload.
func seeded() *memSource {
	s := newMemSource()
	s.apply(seedEvents()...)
	return s
}

// seedEvents are seeded's events, in time order.
func seedEvents() []event.Event {
	return []event.Event{
		{Source: event.Comm100, Kind: event.AgentsSnapshot, ReceivedAt: sec(-600), SnapshotStatuses: []string{"Online", "Away", "Meeting"},
			SnapshotAgents: []event.Agent{
				{ID: "a-ann", Name: "Ann", Status: event.AgentOnline, StatusName: "Online", OngoingChats: 1},
				{ID: "a-bob", Name: "Bob", Status: event.AgentAway, StatusName: "Meeting"},
				{ID: "a-cy", Name: "Cy", Status: event.AgentOffline, StatusName: "Offline"},
			}},
		{Source: event.Comm100, Kind: event.ChatRequested, ChatID: "c1", ReceivedAt: sec(-95),
			Visitor: &event.Visitor{ID: "v1", Name: "Priya"}, Department: &event.Department{Name: "Sales"},
			Messages: []event.Message{{From: event.FromVisitor, Text: "Can I upgrade mid-cycle?"}}},
		{Source: event.Chatlio, Kind: event.ChatRequested, ChatID: "c2", ReceivedAt: sec(-40),
			Visitor: &event.Visitor{ID: "v2", Name: "Jonas"}, Department: &event.Department{Name: "Billing"},
			Messages: []event.Message{{From: event.FromVisitor, Text: "Invoice 2231 is wrong"}}},
		{Source: event.JivoChat, Kind: event.ChatRequested, ChatID: "c3", ReceivedAt: sec(-5),
			Visitor: &event.Visitor{ID: "v3", Name: "Mei"}, Messages: []event.Message{{From: event.FromVisitor, Text: "hello?"}}},
		{Source: event.Comm100, Kind: event.ChatStarted, ChatID: "c4", ReceivedAt: sec(-300),
			Visitor: &event.Visitor{ID: "v4", Name: "Ana"}, Agents: []event.Agent{{ID: "a-ann"}}, Department: &event.Department{Name: "Support"}},
		{Source: event.Comm100, Kind: event.ChatUpdated, ChatID: "c4", ReceivedAt: sec(-120),
			Messages: []event.Message{
				{At: sec(-290), From: event.FromVisitor, Name: "Ana", Text: "My order is late"},
				{At: sec(-250), From: event.FromAgent, Name: "Ann", Text: "Sorry to hear that, let me check the courier for you."},
				{At: sec(-120), From: event.FromVisitor, Name: "Ana", Text: "Thanks!"},
			}},
		{Source: event.JivoChat, Kind: event.ChatAccepted, ChatID: "c5", ReceivedAt: sec(-60),
			Visitor: &event.Visitor{ID: "v5", Name: "John"}, Agents: []event.Agent{{ID: "7", Name: "Thomas"}}},
		{Source: event.Chatlio, Kind: event.OfflineMessage, ReceivedAt: sec(-30),
			Offline: &event.Offline{Name: "Bob Smith", Email: "bob@smith.com", Text: "I love your service!"}},
		{Source: event.Comm100, Kind: event.Unrecognised, VendorEvent: "chat_rated_v9", ReceivedAt: sec(-20), Raw: []byte(`{"event":"chat_rated_v9"}`)},
	}
}

func newModel(s Source, acts actions.Actions, w, h int) Model {
	m := New(Options{Source: s, Actions: acts, Listen: "127.0.0.1:8765", Mode: "demo", Now: func() time.Time { return t0 }})
	next, _ := m.Update(tea.WindowSizeMsg{Width: w, Height: h})
	return next.(Model)
}

func press(m Model, keys ...string) Model {
	for _, k := range keys {
		var msg tea.KeyPressMsg
		switch k {
		case "enter":
			msg = tea.KeyPressMsg{Code: tea.KeyEnter}
		case "esc":
			msg = tea.KeyPressMsg{Code: tea.KeyEscape}
		case "tab":
			msg = tea.KeyPressMsg{Code: tea.KeyTab}
		case "down":
			msg = tea.KeyPressMsg{Code: tea.KeyDown}
		default:
			r := []rune(k)[0]
			msg = tea.KeyPressMsg{Code: r, Text: k}
		}
		next, cmd := m.Update(msg)
		m = next.(Model)
		m = drain(m, cmd)
	}
	return m
}

// drain runs a command and feeds back the messages that matter here
// (action outcomes), skipping the clock and change waits.
func drain(m Model, cmd tea.Cmd) Model {
	if cmd == nil {
		return m
	}
	done := make(chan tea.Msg, 1)
	go func() { done <- cmd() }()
	select {
	case msg := <-done:
		switch msg := msg.(type) {
		case actionMsg, tagMsg, refreshMsg:
			next, _ := m.Update(msg)
			return next.(Model)
		case tea.BatchMsg:
			for _, c := range msg {
				m = drain(m, c)
			}
		}
	case <-time.After(50 * time.Millisecond):
	}
	return m
}

func screen(m Model) string { return ansi.Strip(m.Render()) }

func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name+".golden")
	if updating() {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("no golden file (run go test ./tui -update): %v", err)
	}
	if got != string(want) {
		t.Errorf("%s differs from %s:\n--- got\n%s\n--- want\n%s", name, path, got, want)
	}
}

// TestGoldenScreens draws every pane focused in each layout: single at
// 80x24 (seeded's board), side at 120x40 and the wall at 200x50 (seeded's
// board after an hour of history, for the trends).
func TestGoldenScreens(t *testing.T) {
	for _, size := range []struct {
		w, h int
		kind layoutKind
	}{{80, 24, layoutSingle}, {120, 40, layoutSide}, {200, 50, layoutWall}} {
		for i, pane := range []string{"queue", "agents", "chats", "transcript", "inbox"} {
			src := seeded()
			if size.kind != layoutSingle {
				src = withHistory()
			}
			m := newModel(src, nil, size.w, size.h)
			if m.lay.kind != size.kind {
				t.Fatalf("%dx%d is laid out %s, want %s", size.w, size.h, m.lay.kind, size.kind)
			}
			if pane == "transcript" {
				m = press(m, "3", "j", "enter")
			} else {
				m = press(m, string(rune('1'+i)))
			}
			s := screen(m)
			if lines := strings.Split(s, "\n"); len(lines) != size.h {
				t.Errorf("%s at %dx%d has %d lines", pane, size.w, size.h, len(lines))
			}
			for _, l := range strings.Split(s, "\n") {
				if w := ansi.StringWidth(l); w != size.w {
					t.Errorf("%s at %dx%d: a line is %d wide: %q", pane, size.w, size.h, w, l)
					break
				}
			}
			golden(t, pane+"-"+strconv.Itoa(size.w)+"x"+strconv.Itoa(size.h), s)
		}
	}
}

func TestQueueShowsLongestWaitFirstWithNumbers(t *testing.T) {
	s := screen(newModel(seeded(), nil, 120, 30))
	for _, want := range []string{"Queue 3", "Wait 1m35s", "Active 2", "Agents 1/1/4", "1m35s!! comm100  Priya", "40s!    chatlio  Jonas", "5s      jivochat Mei", "14:00:00"} {
		if !strings.Contains(s, want) {
			t.Errorf("screen lacks %q:\n%s", want, s)
		}
	}
	if strings.Index(s, "Priya") > strings.Index(s, "Jonas") || strings.Index(s, "Jonas") > strings.Index(s, "Mei") {
		t.Error("queue is not longest wait first")
	}
}

func TestNavigationAndFilter(t *testing.T) {
	m := newModel(seeded(), nil, 100, 24)
	m = press(m, "j", "j")
	if m.queuePane().cursor != 2 {
		t.Fatalf("cursor %d after j j, want 2", m.queuePane().cursor)
	}
	m = press(m, "j")
	if m.queuePane().cursor != 2 {
		t.Errorf("cursor ran past the end: %d", m.queuePane().cursor)
	}
	m = press(m, "g")
	if m.queuePane().cursor != 0 {
		t.Errorf("g: cursor %d", m.queuePane().cursor)
	}
	m = press(m, "/", "b", "i", "l", "l")
	if s := screen(m); !strings.Contains(s, "Jonas") || strings.Contains(s, "Priya") || m.total() != 1 {
		t.Errorf("filter 'bill' shows %d rows:\n%s", m.total(), s)
	}
	m = press(m, "enter")
	if m.queuePane().filter != "bill" || m.prompt.active {
		t.Errorf("filter after enter = %q prompt open %v", m.queuePane().filter, m.prompt.active)
	}
	m = press(m, "esc")
	if m.queuePane().filter != "" || m.total() != 3 {
		t.Errorf("esc did not clear the filter: %q, %d rows", m.queuePane().filter, m.total())
	}
	m = press(m, "tab")
	if m.focused().ID() != "agents" {
		t.Errorf("tab → pane %s", m.focused().ID())
	}
	m = press(m, "d")
	if m.ctx.Dept == "" {
		t.Error("d set no department")
	}
}

func TestTranscriptOpensAndSearches(t *testing.T) {
	m := newModel(seeded(), nil, 80, 24)
	m = press(m, "3", "j", "enter")
	s := screen(m)
	if m.focused().ID() != "transcript" || !strings.Contains(s, "comm100 chat c4") || !strings.Contains(s, "[13:55:10] Ana: My order is late") {
		t.Fatalf("transcript:\n%s", s)
	}
	m = press(m, "/", "t", "h", "a", "n", "k", "s", "enter")
	if m.transcriptPane().search != "thanks" || m.flashErr {
		t.Errorf("search %q, flash %q", m.transcriptPane().search, m.flash)
	}
	m = press(m, "/", "n", "o", "p", "e", "enter")
	if !strings.Contains(m.flash, "no match for nope") {
		t.Errorf("a search with no match says nothing: %q", m.flash)
	}
	m = press(m, "esc", "esc")
	if m.focused().ID() != "chats" {
		t.Errorf("esc from transcript → pane %s", m.focused().ID())
	}
}

// recorder is an Actions that records calls and answers as told.
type recorder struct {
	mu    sync.Mutex
	calls []string
	err   error
	gate  chan struct{}
}

func (r *recorder) SetAgentStatus(ctx context.Context, id, status string) (actions.Outcome, error) {
	if r.gate != nil {
		<-r.gate
	}
	r.mu.Lock()
	r.calls = append(r.calls, id+"="+status)
	r.mu.Unlock()
	if r.err != nil {
		return actions.Outcome{}, r.err
	}
	return actions.Outcome{Cursor: 99, Agent: &event.Agent{ID: id, StatusName: strings.ToUpper(status[:1]) + status[1:]}}, nil
}

func (r *recorder) TagVisitor(ctx context.Context, id, name, value string) (actions.Outcome, error) {
	r.mu.Lock()
	r.calls = append(r.calls, "tag "+id+" "+name+"="+value)
	r.mu.Unlock()
	return actions.Outcome{}, r.err
}

func TestStatusChangePendingThenConfirmed(t *testing.T) {
	rec := &recorder{gate: make(chan struct{})}
	m := newModel(seeded(), rec, 100, 24)
	m = press(m, "2") // agents: Ann (online), Bob (away), ...
	next, cmd := m.Update(tea.KeyPressMsg{Code: 'a', Text: "a"})
	m = next.(Model)
	if s := screen(m); !strings.Contains(s, "→ away…") || !strings.Contains(s, "→ Ann: away…") {
		t.Fatalf("no pending shown:\n%s", s)
	}
	close(rec.gate)
	m = drain(m, cmd)
	s := screen(m)
	if len(rec.calls) != 1 || rec.calls[0] != "a-ann=away" {
		t.Errorf("calls %v", rec.calls)
	}
	if strings.Contains(s, "→ away…") || !strings.Contains(s, "✓ Ann is now Away") {
		t.Errorf("not confirmed:\n%s", s)
	}
}

func TestStatusChangeErrorIsShown(t *testing.T) {
	rec := &recorder{err: errors.New("unknown agent: boom")}
	m := newModel(seeded(), rec, 100, 24)
	m = press(m, "2", "o")
	if s := screen(m); !strings.Contains(s, "✗ Ann → online failed: unknown agent: boom") {
		t.Errorf("error not shown:\n%s", s)
	}
	// Not in the agents pane: nothing is called, the user is told why.
	m = press(m, "1", "a")
	if len(rec.calls) != 1 || !strings.Contains(screen(m), "select an agent") {
		t.Errorf("calls %v, screen:\n%s", rec.calls, screen(m))
	}
	// Without an API, status keys explain.
	m = newModel(seeded(), nil, 100, 24)
	if s := screen(press(m, "2", "a")); !strings.Contains(s, "no Comm100 API configured") {
		t.Errorf("no-API message missing:\n%s", s)
	}
}

func TestStatusPickerOffersSiteStatuses(t *testing.T) {
	rec := &recorder{}
	m := newModel(seeded(), rec, 120, 24)
	m = press(m, "2", "s")
	if s := screen(m); !m.picker.active || !strings.Contains(s, "Meeting") {
		t.Fatalf("picker:\n%s", s)
	}
	m = press(m, "j", "j", "enter")
	if len(rec.calls) != 1 || rec.calls[0] != "a-ann=Meeting" {
		t.Errorf("calls %v", rec.calls)
	}
}

func TestAlertsFlashAndRing(t *testing.T) {
	for _, bell := range []bool{false, true} {
		m := New(Options{Source: seeded(), Now: func() time.Time { return t0 },
			Alerts: Alerts{WaitWarn: 30 * time.Second, WaitAlert: 60 * time.Second, ServiceLevel: 0.8, Bell: bell}})
		m.alerting = map[string]bool{}
		cmd := m.checkAlerts()
		if !strings.Contains(m.flash, "a visitor has waited 1m35s") || !m.flashErr {
			t.Errorf("no wait alert: %q", m.flash)
		}
		if (cmd != nil) != bell {
			t.Errorf("bell %v: command %v", bell, cmd != nil)
		}
		// The same alert does not flash again while it lasts.
		m.flash = ""
		if cmd := m.checkAlerts(); cmd != nil || m.flash != "" {
			t.Errorf("alert repeated: %q", m.flash)
		}
	}
}

func TestKeysRemap(t *testing.T) {
	k := DefaultKeyMap()
	if err := k.Remap(map[string][]string{"away": {"A"}, "quit": {}, "online": {"O", "ctrl+o"}}); err != nil {
		t.Fatal(err)
	}
	if got := k.Away.Keys(); len(got) != 1 || got[0] != "A" {
		t.Errorf("away keys %v", got)
	}
	if got := k.Quit.Keys(); len(got) != 1 || got[0] != "ctrl+c" {
		t.Errorf("quit keys %v: ctrl+c must survive", got)
	}
	if err := k.Remap(map[string][]string{"fly": {"f"}}); err == nil || !strings.Contains(err.Error(), "unknown action") {
		t.Errorf("unknown action: %v", err)
	}
	rec := &recorder{}
	m := New(Options{Source: seeded(), Actions: rec, Keys: k, Now: func() time.Time { return t0 }})
	m = press(m, "2", "a")
	if len(rec.calls) != 0 {
		t.Errorf("unbound a still acts: %v", rec.calls)
	}
	m = press(m, "A")
	if len(rec.calls) != 1 {
		t.Errorf("remapped A did nothing: %v", rec.calls)
	}
	if s := screen(press(m, "?")); !strings.Contains(s, "set away") || !strings.Contains(s, "A") {
		t.Errorf("help does not show the remapped key:\n%s", s)
	}
}

func TestBatchedRedraw(t *testing.T) {
	s := seeded()
	m := New(Options{Source: s, Now: func() time.Time { return t0 }, Context: context.Background()})
	wait := m.waitChange()
	got := make(chan tea.Msg, 1)
	go func() { got <- wait() }()
	for i := range 50 {
		s.apply(event.Event{Source: event.Comm100, Kind: event.ChatRequested, ChatID: "burst" + strconv.Itoa(i), ReceivedAt: t0,
			Visitor: &event.Visitor{ID: "b" + strconv.Itoa(i)}})
	}
	if _, ok := (<-got).(changedMsg); !ok {
		t.Fatal("no change message")
	}
	next, _ := m.Update(changedMsg{})
	if m = next.(Model); m.snap.metrics.QueueLength != 53 {
		t.Errorf("after one redraw the queue shows %d, want all 53", m.snap.metrics.QueueLength)
	}
}

func TestResizeAndMouse(t *testing.T) {
	m := newModel(seeded(), nil, 80, 24)
	next, _ := m.Update(tea.WindowSizeMsg{Width: 50, Height: 12})
	m = next.(Model)
	lines := strings.Split(screen(m), "\n")
	if len(lines) != 12 || ansi.StringWidth(lines[0]) != 50 {
		t.Errorf("after resize: %d lines, first %d wide", len(lines), ansi.StringWidth(lines[0]))
	}
	// The header wraps at 50 columns: the rows are where the layout puts them.
	next, _ = m.Update(tea.MouseClickMsg{X: 2, Y: m.lay.paneY + 2})
	if m = next.(Model); m.queuePane().cursor != 1 {
		t.Errorf("click on row 2 → cursor %d", m.queuePane().cursor)
	}
	next, _ = m.Update(tea.MouseWheelMsg{Button: tea.MouseWheelDown})
	if m = next.(Model); m.queuePane().cursor != 2 {
		t.Errorf("wheel → cursor %d", m.queuePane().cursor)
	}
}

// remoteSource is a replica whose connection state the test sets.
type remoteSource struct {
	*memSource
	conn stream.Conn
}

func (r *remoteSource) Connection() stream.Conn { return r.conn }

func TestAttachedScreenShowsConnection(t *testing.T) {
	src := &remoteSource{memSource: seeded(), conn: stream.Conn{Connected: true, Server: "http://hub:8765", Since: sec(-60), Synced: true}}
	m := newModel(src, nil, 120, 24)
	if s := screen(m); !strings.Contains(s, "● server http://hub:8765") || strings.Contains(s, "UNREACHABLE") {
		t.Errorf("connected screen:\n%s", s)
	}
	src.conn = stream.Conn{Server: "http://hub:8765", Since: sec(-12), Err: "connection refused", Attempt: 3}
	next, _ := m.Update(tickMsg(t0))
	s := screen(next.(Model))
	for _, want := range []string{"✗ server http://hub:8765 gone 12s ago", "SERVER UNREACHABLE since 13:59:48", "stale", "attempt 3", "connection refused", "Priya"} {
		if !strings.Contains(s, want) {
			t.Errorf("disconnected screen lacks %q:\n%s", want, s)
		}
	}
}

func TestHelpSaysWhereTheServerIs(t *testing.T) {
	for _, c := range []struct {
		mode, url, file string
		want, not       []string
	}{
		{"demo", "http://127.0.0.1:8765", "/state/chatdeck/token",
			[]string{"API      http://127.0.0.1:8765", "token    /state/chatdeck/token", `curl -H "Authorization: Bearer $(cat /state/chatdeck/token)" http://127.0.0.1:8765/v1/board`}, nil},
		{"live", "http://127.0.0.1:8765", "",
			[]string{"API      http://127.0.0.1:8765", "given by --token or CHATDECK_TOKEN"}, []string{"curl"}},
		{"attach", "https://ops.example.com:8765", "",
			[]string{"attached to https://ops.example.com:8765"}, []string{"token "}},
		{"live", "", "", nil, []string{"API ", "token "}},
	} {
		m := New(Options{Source: seeded(), Mode: c.mode, BaseURL: c.url, TokenFile: c.file, Now: func() time.Time { return t0 }})
		m.resize(140, 40, 2, 0)
		s := screen(press(m, "?"))
		if !strings.Contains(s, "chatdeck keys") {
			t.Fatalf("%s: ? shows no help:\n%s", c.mode, s)
		}
		for _, w := range c.want {
			if !strings.Contains(s, w) {
				t.Errorf("%s %q: help lacks %q:\n%s", c.mode, c.url, w, s)
			}
		}
		for _, n := range c.not {
			if strings.Contains(s, n) {
				t.Errorf("%s %q: help has %q:\n%s", c.mode, c.url, n, s)
			}
		}
	}
	// However short the screen, the server lines stay on it.
	m := New(Options{Source: seeded(), Mode: "demo", BaseURL: "http://127.0.0.1:8765", TokenFile: "/t", Now: func() time.Time { return t0 }})
	m.resize(80, 12, 2, 0)
	if s := screen(press(m, "?")); !strings.Contains(s, "token    /t") || strings.Count(s, "\n") != 11 {
		t.Errorf("12-line help: no token line or not 12 lines:\n%s", s)
	}
}
