package actions_test

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chatdeck/chatdeck/comm100api"
	"github.com/chatdeck/chatdeck/comm100api/comm100test"
	"github.com/chatdeck/chatdeck/ingest/actions"
	"github.com/chatdeck/chatdeck/ingest/hub"
	"github.com/chatdeck/chatdeck/ingest/journal"
)

func TestGateBoundsPerClientAndInAll(t *testing.T) {
	g := actions.NewGate(2, 3)
	var dones []func()
	enter := func(client string) error {
		done, err := g.Enter(client)
		if err == nil {
			dones = append(dones, done)
		}
		return err
	}
	for i := range 2 {
		if err := enter("a"); err != nil {
			t.Fatalf("action %d of one client: %v", i, err)
		}
	}
	var be *actions.BusyError
	if err := enter("a"); !errors.As(err, &be) || !be.Client || !errors.Is(err, actions.ErrBusy) ||
		!strings.Contains(err.Error(), "this client already has 2 actions in flight (at most 2 per client and 3 in all)") {
		t.Fatalf("third of one client: %v", err)
	}
	if enter("b") != nil {
		t.Fatal("another client's first refused")
	}
	if err := enter("c"); !errors.As(err, &be) || be.Client || !strings.Contains(err.Error(), "the server already has 3") {
		t.Fatalf("beyond the total: %v", err)
	}
	if g.InFlight() != 3 || g.Refused() != 2 {
		t.Errorf("in flight %d, refused %d; want 3 and 2", g.InFlight(), g.Refused())
	}
	dones[0]()
	dones[0]() // twice gives back one place only
	if g.InFlight() != 2 || enter("a") != nil || enter("c") == nil {
		t.Errorf("after one ended: in flight %d", g.InFlight())
	}
	for _, d := range dones {
		d()
	}
	if g.InFlight() != 0 {
		t.Errorf("in flight %d after all ended", g.InFlight())
	}
}

// TestActionsYieldTheBudget: an action whose call finds no budget is
// refused at once with ErrBudget, saying so; it never reaches the API.
func TestActionsYieldTheBudget(t *testing.T) {
	clock := comm100test.NewFakeClock(time.Date(2026, 11, 21, 9, 0, 0, 0, time.UTC))
	srv := comm100test.New(comm100test.Options{Now: clock.Now})
	t.Cleanup(srv.Close)
	budget := comm100api.NewBudget(20, 5*time.Minute, clock) // a bucket of 1
	api, err := comm100api.New(comm100api.Config{BaseURL: srv.URL(), Logger: quiet, Clock: clock, Budget: budget,
		Auth: comm100api.Bearer(comm100api.OAuthConfig{AccessToken: "test-token"})})
	if err != nil {
		t.Fatal(err)
	}
	h, err := hub.Open(context.Background(), hub.Config{Journal: journal.Options{Path: filepath.Join(t.TempDir(), "j.db")}, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { h.Close() })
	d := &actions.Direct{API: api, Sink: h}
	if _, err := d.SetAgentStatus(context.Background(), alice, "away"); err != nil {
		t.Fatal(err)
	}
	_, err = d.SetAgentStatus(context.Background(), alice, "online")
	var be *comm100api.BudgetError
	if !errors.Is(err, actions.ErrBudget) || !errors.As(err, &be) || be.Class != comm100api.ClassAction ||
		errors.Is(err, actions.ErrUpstream) || !strings.Contains(err.Error(), "no call free within 5s for an action") {
		t.Errorf("second action: %v", err)
	}
	if srv.Calls() != 1 {
		t.Errorf("the API saw %d calls, want 1", srv.Calls())
	}
	if slept, _ := clock.Slept(); slept != 0 {
		t.Errorf("the refused action waited %v", slept)
	}
}
