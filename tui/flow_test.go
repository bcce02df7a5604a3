package tui_test

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/exp/teatest/v2"

	"github.com/chatdeck/chatdeck/comm100api"
	"github.com/chatdeck/chatdeck/comm100api/comm100test"
	"github.com/chatdeck/chatdeck/ingest/actions"
	"github.com/chatdeck/chatdeck/ingest/hub"
	"github.com/chatdeck/chatdeck/ingest/journal"
	"github.com/chatdeck/chatdeck/ingest/poller"
	"github.com/chatdeck/chatdeck/tui"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// live is a real hub, the fake Comm100 API, one poll done, and Direct
// actions: what `chatdeck demo` runs, without the scenario.
func live(t *testing.T) (*hub.Hub, *comm100test.Server, tui.Options) {
	t.Helper()
	srv := comm100test.New(comm100test.Options{})
	t.Cleanup(srv.Close)
	api, err := comm100api.New(comm100api.Config{BaseURL: srv.URL(), Logger: quiet,
		Auth: comm100api.Bearer(comm100api.OAuthConfig{AccessToken: "test-token"})})
	if err != nil {
		t.Fatal(err)
	}
	h, err := hub.Open(context.Background(), hub.Config{Journal: journal.Options{Path: filepath.Join(t.TempDir(), "j.db")}, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { h.Close() })
	p := poller.New(poller.Config{API: api, Sink: h, Logger: quiet})
	if err := p.Poll(context.Background()); err != nil {
		t.Fatal(err)
	}
	return h, srv, tui.Options{Source: h, Actions: &actions.Direct{API: api, Sink: h}, Refresh: p.Poll, Mode: "test", Context: context.Background()}
}

func waitScreen(t *testing.T, tm *teatest.TestModel, want ...string) {
	t.Helper()
	var seen bytes.Buffer
	teatest.WaitFor(t, tm.Output(), func(b []byte) bool {
		seen.Write(b)
		s := ansi.Strip(seen.String())
		for _, w := range want {
			if !strings.Contains(s, w) {
				return false
			}
		}
		return true
	}, teatest.WithDuration(10*time.Second), teatest.WithCheckInterval(20*time.Millisecond))
}

func TestFlowStatusChange(t *testing.T) {
	h, srv, opts := live(t)
	tm := teatest.NewTestModel(t, tui.New(opts), teatest.WithInitialTermSize(120, 30))
	tm.Type("2")
	tm.Type("a") // the cursor is on the first agent: Alice, online
	// The confirmation's check mark is written whatever the screen held before.
	waitScreen(t, tm, "✓")
	if a, _ := srv.Agent("058cbf51-1c1c-419c-bfe7-d02ff3188cc0"); a.Status != "Away" {
		t.Errorf("the API has Alice %q", a.Status)
	}
	for _, a := range h.View(time.Now()).Agents {
		if a.Name == "Alice" && a.StatusName != "Away" {
			t.Errorf("the board has Alice %q", a.StatusName)
		}
	}
	// The list re-sorts (Alice is away now, below Bruno and Fatima): the
	// selection stays on Alice, so the next keys act on her.
	tm.Type("o")
	// The screen is redrawn by differences: poll the API instead.
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if a, _ := srv.Agent("058cbf51-1c1c-419c-bfe7-d02ff3188cc0"); a.Status == "Online" {
			break
		} else if time.Now().After(deadline) {
			t.Fatalf("after a then o the API has Alice %q, want Online", a.Status)
		}
	}
	tm.Type("s")
	if err := tm.Quit(); err != nil {
		t.Fatal(err)
	}
	final := ansi.Strip(tm.FinalModel(t, teatest.WithFinalTimeout(5*time.Second)).(tui.Model).Render())
	for _, want := range []string{"status for Alice", "Meeting", "Training"} {
		if !strings.Contains(final, want) {
			t.Errorf("final screen lacks %q:\n%s", want, final)
		}
	}
}

func TestFlowFilter(t *testing.T) {
	_, _, opts := live(t)
	tm := teatest.NewTestModel(t, tui.New(opts), teatest.WithInitialTermSize(100, 24))
	tm.Type("2")
	waitScreen(t, tm, "Hana", "Gustav")
	// Keys are handled in order: the final model shows what they did.
	tm.Type("/lunch")
	tm.Send(tea.KeyPressMsg{Code: tea.KeyEnter})
	tm.Type("q")
	final := ansi.Strip(tm.FinalModel(t, teatest.WithFinalTimeout(5*time.Second)).(tui.Model).Render())
	if !strings.Contains(final, "Gustav") || strings.Contains(final, "Hana") || !strings.Contains(final, "1/1") ||
		!strings.Contains(final, "filter: lunch") {
		t.Errorf("filtered screen:\n%s", final)
	}
}
