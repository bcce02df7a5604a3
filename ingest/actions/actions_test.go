package actions_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"github.com/chatdeck/chatdeck/comm100api"
	"github.com/chatdeck/chatdeck/comm100api/comm100test"
	"github.com/chatdeck/chatdeck/ingest/actions"
	"github.com/chatdeck/chatdeck/ingest/event"
	"github.com/chatdeck/chatdeck/ingest/hub"
	"github.com/chatdeck/chatdeck/ingest/journal"
)

const alice = "058cbf51-1c1c-419c-bfe7-d02ff3188cc0"

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

func rig(t *testing.T) (*comm100test.Server, *hub.Hub, *actions.Direct) {
	t.Helper()
	srv := comm100test.New(comm100test.Options{})
	t.Cleanup(srv.Close)
	api, err := comm100api.New(comm100api.Config{BaseURL: srv.URL(), Logger: quiet, MaxRetries: -1,
		Auth: comm100api.Bearer(comm100api.OAuthConfig{AccessToken: "test-token"})})
	if err != nil {
		t.Fatal(err)
	}
	h, err := hub.Open(context.Background(), hub.Config{Journal: journal.Options{Path: filepath.Join(t.TempDir(), "j.db")}, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { h.Close() })
	return srv, h, &actions.Direct{API: api, Sink: h}
}

func TestSetAgentStatus(t *testing.T) {
	srv, h, d := rig(t)
	out, err := d.SetAgentStatus(context.Background(), alice, "lunch")
	if err != nil {
		t.Fatal(err)
	}
	if out.Cursor != 1 || out.Agent == nil || out.Agent.StatusName != "Lunch" || out.Agent.Status != event.AgentAway {
		t.Errorf("outcome %+v agent %+v", out, out.Agent)
	}
	if a, _ := srv.Agent(alice); a.Status != "Lunch" {
		t.Errorf("fake has %q", a.Status)
	}
	v := h.View(time.Now())
	if len(v.Agents) != 1 || v.Agents[0].ID != alice || v.Agents[0].StatusName != "Lunch" || v.Cursor != 1 {
		t.Errorf("board agents %+v cursor %d", v.Agents, v.Cursor)
	}
}

func TestFailuresLeaveTheBoardAlone(t *testing.T) {
	srv, h, d := rig(t)
	cases := []struct {
		name   string
		setup  func()
		agent  string
		status string
		want   error
	}{
		{"unknown status", func() {}, alice, "napping", actions.ErrUnknownStatus},
		{"unknown agent", func() {}, "00000000-0000-0000-0000-0000000000aa", "away", actions.ErrUnknownAgent},
		{"empty status", func() {}, alice, " ", actions.ErrInvalid},
		{"api down", func() { srv.SetFault(comm100test.Fault{Down: true}) }, alice, "away", actions.ErrUpstream},
		{"unauthorized", func() { srv.SetFault(comm100test.Fault{Status: 401, Count: 1}) }, alice, "away", actions.ErrUpstream},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			c.setup()
			defer srv.ClearFault()
			_, err := d.SetAgentStatus(context.Background(), c.agent, c.status)
			if !errors.Is(err, c.want) {
				t.Errorf("err = %v, want %v", err, c.want)
			}
		})
	}
	if v := h.View(time.Now()); v.Cursor != 0 || len(v.Agents) != 0 {
		t.Errorf("failed actions changed the board: cursor %d, %d agents", v.Cursor, len(v.Agents))
	}
	if a, _ := srv.Agent(alice); a.Status != "Online" {
		t.Errorf("fake agent status %q, want unchanged Online", a.Status)
	}
	var none *actions.Direct
	if _, err := none.SetAgentStatus(context.Background(), alice, "away"); !errors.Is(err, actions.ErrNotConfigured) {
		t.Errorf("nil Direct: %v", err)
	}
}

func TestTagVisitor(t *testing.T) {
	srv, _, d := rig(t)
	vs := srv.Visitors()
	out, err := d.TagVisitor(context.Background(), vs[0].ID, "priority", "high")
	if err != nil {
		t.Fatal(err)
	}
	if out.Visitor == nil || out.Visitor.ID != vs[0].ID || out.Cursor != 1 {
		t.Fatalf("outcome %+v", out)
	}
	found := false
	for _, f := range out.Visitor.Variables {
		found = found || (f.Name == "priority" && f.Value == "high")
	}
	if !found {
		t.Errorf("variables %+v lack priority=high", out.Visitor.Variables)
	}
	if _, err := d.TagVisitor(context.Background(), "nobody", "x", "y"); !errors.Is(err, actions.ErrUnknownVisitor) {
		t.Errorf("unknown visitor: %v", err)
	}
}
