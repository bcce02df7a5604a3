package poller_test

import (
	"context"
	"io"
	"log/slog"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/chatdeck/chatdeck/comm100api"
	"github.com/chatdeck/chatdeck/comm100api/comm100test"
	"github.com/chatdeck/chatdeck/ingest/board"
	"github.com/chatdeck/chatdeck/ingest/event"
	"github.com/chatdeck/chatdeck/ingest/hub"
	"github.com/chatdeck/chatdeck/ingest/journal"
	"github.com/chatdeck/chatdeck/ingest/poller"
)

var (
	start = time.Date(2026, 11, 21, 9, 0, 0, 0, time.UTC)
	quiet = slog.New(slog.NewTextHandler(io.Discard, nil))
)

type rig struct {
	clock *comm100test.FakeClock
	srv   *comm100test.Server
	api   *comm100api.Client
	hub   *hub.Hub
	p     *poller.Poller
}

func newRig(t *testing.T, budget int) *rig {
	t.Helper()
	r := &rig{clock: comm100test.NewFakeClock(start)}
	r.srv = comm100test.New(comm100test.Options{Now: r.clock.Now})
	t.Cleanup(r.srv.Close)
	var err error
	r.api, err = comm100api.New(comm100api.Config{BaseURL: r.srv.URL(), Clock: r.clock, Logger: quiet,
		Budget: comm100api.NewBudget(budget, 5*time.Minute, r.clock),
		Auth:   comm100api.Bearer(comm100api.OAuthConfig{AccessToken: "test-token"})})
	if err != nil {
		t.Fatal(err)
	}
	r.hub, err = hub.Open(context.Background(), hub.Config{Journal: journal.Options{Path: filepath.Join(t.TempDir(), "j.db")}, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.hub.Close() })
	r.p = poller.New(poller.Config{API: r.api, Sink: r.hub, Clock: r.clock, Logger: quiet, Interval: 10 * time.Second})
	return r
}

func TestPollFillsAgentsAndQueue(t *testing.T) {
	r := newRig(t, 150)
	if err := r.p.Poll(context.Background()); err != nil {
		t.Fatal(err)
	}
	v := r.hub.View(start.Add(time.Minute))
	if len(v.Agents) != 8 {
		t.Fatalf("%d agents, want 8", len(v.Agents))
	}
	byName := map[string]board.Agent{}
	for _, a := range v.Agents {
		byName[a.Name] = a
	}
	for name, want := range map[string]event.AgentStatus{"Alice": event.AgentOnline, "Chen W.": event.AgentAway,
		"Dana": event.AgentAway, "Emeka": event.AgentOffline} {
		if a := byName[name]; a.Status != want || a.Source != event.Comm100 {
			t.Errorf("%s = %+v, want %s", name, a, want)
		}
	}
	if byName["Dana"].StatusName != "Meeting" || byName["Alice"].OngoingChats != 2 {
		t.Errorf("Dana %q, Alice ongoing %d", byName["Dana"].StatusName, byName["Alice"].OngoingChats)
	}
	if len(v.Queue) != 2 || v.Queue[0].Department == "" || !v.Queue[0].FromPoll {
		t.Fatalf("queue = %+v, want the 2 waiting visitors with department names", v.Queue)
	}
	depts := []string{v.Queue[0].Department, v.Queue[1].Department}
	slices.Sort(depts)
	if !slices.Equal(depts, []string{"Sales", "Technical"}) {
		t.Errorf("queue departments %v", depts)
	}
	if got := v.StatusOptions[event.Comm100]; !slices.Equal(got, []string{"Online", "Away", "Meeting", "Lunch", "Training"}) {
		t.Errorf("status options %v", got)
	}
	poll := v.Sources[event.Comm100].Poll
	if poll == nil || !poll.LastOKAt.Equal(r.clock.Now()) || poll.LastError != "" {
		t.Errorf("poll state %+v", poll)
	}
	// A second poll that finds nothing new journals nothing.
	before := v.Cursor
	if err := r.p.Poll(context.Background()); err != nil {
		t.Fatal(err)
	}
	if after := r.hub.View(start).Cursor; after != before {
		t.Errorf("an unchanged poll moved the cursor %d → %d", before, after)
	}
	// A visitor stops waiting, an agent goes away: the next poll shows both.
	r.srv.RemoveVisitor(v.Queue[0].ID)
	if err := r.srv.SetAgentStatus("058cbf51-1c1c-419c-bfe7-d02ff3188cc0", "Lunch"); err != nil {
		t.Fatal(err)
	}
	if err := r.p.Poll(context.Background()); err != nil {
		t.Fatal(err)
	}
	v = r.hub.View(start)
	if len(v.Queue) != 1 {
		t.Errorf("queue has %d, want 1", len(v.Queue))
	}
	for _, a := range v.Agents {
		if a.Name == "Alice" && (a.Status != event.AgentAway || a.StatusName != "Lunch") {
			t.Errorf("Alice = %+v, want away (Lunch)", a)
		}
	}
}

func TestPollFailureShowsStaleAndRecovers(t *testing.T) {
	r := newRig(t, 150)
	if err := r.p.Poll(context.Background()); err != nil {
		t.Fatal(err)
	}
	okAt := r.clock.Now()
	r.clock.Advance(time.Minute)
	r.srv.SetFault(comm100test.Fault{Status: 401, Count: 100})
	if err := r.p.Poll(context.Background()); err == nil {
		t.Fatal("poll against a 401 succeeded")
	}
	v := r.hub.View(r.clock.Now())
	poll := v.Sources[event.Comm100].Poll
	if poll == nil || !poll.LastOKAt.Equal(okAt) || poll.LastError == "" || !poll.LastErrorAt.After(okAt) {
		t.Errorf("poll state after failure %+v, want last ok %v and an error", poll, okAt)
	}
	if len(v.Agents) != 8 {
		t.Errorf("failure emptied the board: %d agents", len(v.Agents))
	}
	r.srv.ClearFault()
	if err := r.p.Poll(context.Background()); err != nil {
		t.Fatal(err)
	}
	if poll := r.hub.View(r.clock.Now()).Sources[event.Comm100].Poll; poll.LastError != "" || !poll.LastOKAt.After(okAt) {
		t.Errorf("poll state after recovery %+v", poll)
	}
}

// TestRunStaysInBudget lets the poller run for hours of fake time, with
// failures on the way, and checks the fake never saw more calls in a
// window than the budget allows.
func TestRunStaysInBudget(t *testing.T) {
	r := newRig(t, 60)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- r.p.Run(ctx) }()
	deadline := time.Now().Add(20 * time.Second)
	for r.srv.Calls() < 300 && time.Now().Before(deadline) {
		if r.srv.Calls() > 100 && r.srv.Calls() < 110 {
			r.srv.SetFault(comm100test.Fault{Status: 503, Count: 20})
		}
		time.Sleep(time.Millisecond)
	}
	cancel()
	if err := <-done; err != context.Canceled {
		t.Errorf("Run returned %v", err)
	}
	if r.srv.Calls() < 300 {
		t.Fatalf("only %d calls in 20 s", r.srv.Calls())
	}
	if m := r.srv.MaxCallsInWindow(); m > 60 || r.srv.RateLimited() != 0 {
		t.Errorf("max calls in a 5-minute window %d, 429s %d; want ≤ 60 and 0", m, r.srv.RateLimited())
	}
}
