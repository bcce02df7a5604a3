package hub

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/chatdeck/chatdeck/fixtures/traffic"
	"github.com/chatdeck/chatdeck/ingest/board"
	"github.com/chatdeck/chatdeck/ingest/journal"
)

// ingestHooks journals webhooks through h, in order.
func ingestHooks(t *testing.T, h *Hub, hooks []traffic.Webhook) {
	t.Helper()
	for i, w := range hooks {
		ev, err := traffic.Decode(w)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := h.Ingest(context.Background(), &ev, w.Hint); err != nil {
			t.Fatalf("ingest %d: %v", i, err)
		}
	}
}

// TestCheckpointThenTailIsTheWholeReplay: a hub that starts from the
// checkpoint and replays the events after it has the board a replay of
// the whole journal makes; another board configuration does not use the
// checkpoint.
func TestCheckpointThenTailIsTheWholeReplay(t *testing.T) {
	path := filepath.Join(t.TempDir(), "j.db")
	hooks, err := traffic.Scenario(5, time.Now().Add(-2*time.Hour), 1500, 20)
	if err != nil {
		t.Fatal(err)
	}
	const first = 1000
	open := func(cfg Config) *Hub {
		t.Helper()
		cfg.Journal, cfg.Logger = journal.Options{Path: path}, quiet
		h, err := Open(context.Background(), cfg)
		if err != nil {
			t.Fatal(err)
		}
		return h
	}
	// The checkpoint is saved on Close, at the first 1,000 events.
	a := open(Config{CheckpointEvery: time.Hour})
	ingestHooks(t, a, hooks[:first])
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	// Then 500 more events, with checkpoints off: the checkpoint stays
	// where it was, 500 events behind.
	b := open(Config{CheckpointEvery: -1})
	if b.savedSeq != 0 {
		t.Errorf("a hub with checkpoints off restored one (at %d)", b.savedSeq)
	}
	ingestHooks(t, b, hooks[first:])
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}

	want := stateJSON(t, sequential(t, path))
	c := open(Config{})
	if c.savedSeq != first {
		t.Errorf("start-up restored the checkpoint at %d, want %d", c.savedSeq, first)
	}
	var got string
	var cursor int64
	c.Read(func(b *board.Board) { got, cursor = stateJSON(t, b), b.Cursor() })
	if cursor != int64(len(hooks)) {
		t.Errorf("cursor after checkpoint + tail = %d, want %d", cursor, len(hooks))
	}
	if got != want {
		t.Error("the board from the checkpoint and the tail differs from the whole journal replayed")
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	cp, ok, err := openCheckpoint(t, path)
	if err != nil || !ok || cp.Seq != int64(len(hooks)) {
		t.Errorf("checkpoint after Close at %d (ok %v, %v), want %d", cp.Seq, ok, err, len(hooks))
	}

	// Another service-level target: the checkpoint is not this board's.
	d := open(Config{Board: board.Config{SLTarget: 20 * time.Second}, CheckpointEvery: -1})
	defer d.Close()
	if d.savedSeq != 0 {
		t.Errorf("a board of another configuration restored the checkpoint at %d", d.savedSeq)
	}
	d.Read(func(b *board.Board) { cursor = b.Cursor() })
	if cursor != int64(len(hooks)) {
		t.Errorf("cursor after a whole replay = %d, want %d", cursor, len(hooks))
	}
}

// TestBadCheckpointIsIgnored: a checkpoint that claims events the journal
// does not hold (a journal file swapped under it), that does not decode,
// or whose State this build cannot restore, is not used: the whole
// journal is replayed.
func TestBadCheckpointIsIgnored(t *testing.T) {
	hooks, err := traffic.Scenario(6, time.Now().Add(-time.Hour), 50, 20)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name  string
		spoil func(cp *journal.Checkpoint)
	}{
		{"ahead of the journal", func(cp *journal.Checkpoint) { cp.Seq += 10 }},
		{"undecodable", func(cp *journal.Checkpoint) { cp.State = []byte(`{"version":`) }},
		{"another State version", func(cp *journal.Checkpoint) { cp.State = []byte(`{"version":99,"cursor":"50"}`) }},
		{"cursor not the checkpoint's", func(cp *journal.Checkpoint) { cp.Seq-- }},
	} {
		t.Run(c.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "j.db")
			h, err := Open(context.Background(), Config{Journal: journal.Options{Path: path}, Logger: quiet})
			if err != nil {
				t.Fatal(err)
			}
			ingestHooks(t, h, hooks)
			if err := h.Checkpoint(context.Background()); err != nil {
				t.Fatal(err)
			}
			cp, _, err := h.journal.LoadCheckpoint(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			c.spoil(&cp)
			if err := h.journal.SaveCheckpoint(context.Background(), cp); err != nil {
				t.Fatal(err)
			}
			if err := h.Close(); err != nil { // the board has not changed: Close saves nothing over it
				t.Fatal(err)
			}
			h2, err := Open(context.Background(), Config{Journal: journal.Options{Path: path}, Logger: quiet})
			if err != nil {
				t.Fatal(err)
			}
			defer h2.Close()
			if h2.savedSeq != 0 {
				t.Errorf("restored the checkpoint (at %d)", h2.savedSeq)
			}
			var cursor int64
			h2.Read(func(b *board.Board) { cursor = b.Cursor() })
			if cursor != int64(len(hooks)) {
				t.Errorf("cursor = %d, want %d (the whole journal replayed)", cursor, len(hooks))
			}
		})
	}
}

func openCheckpoint(t *testing.T, path string) (journal.Checkpoint, bool, error) {
	t.Helper()
	j, err := journal.Open(context.Background(), journal.Options{Path: path, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	return j.LoadCheckpoint(context.Background())
}
