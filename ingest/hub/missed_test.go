package hub

import (
	"context"
	"database/sql"
	"errors"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chatdeck/chatdeck/ingest/decode"
	"github.com/chatdeck/chatdeck/ingest/event"
	"github.com/chatdeck/chatdeck/ingest/journal"
)

// chatRequest is a Comm100 chat_request from visitor id.
func chatRequest(id string) []byte {
	return []byte(`{"event":"chat_request","visitor":{"id":"` + id + `","chat_id":"` + id + `","status":0,"name":"V ` + id + `"}}`)
}

// ingestRequest journals a chat request from visitor id through h.
func ingestRequest(t *testing.T, h *Hub, id string) int64 {
	t.Helper()
	ev, err := decode.Decode(decode.Input{Source: event.Comm100, Body: chatRequest(id), ReceivedAt: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	res, err := h.Ingest(context.Background(), &ev, "")
	if err != nil {
		t.Fatal(err)
	}
	return res.Seq
}

// foreignAppend stores a chat request in the journal's file the way a
// writer that ignores chatdeck's lock would (an older build, a script):
// straight into the table, behind the open hub's back.
func foreignAppend(t *testing.T, path, id string) {
	t.Helper()
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	p := chatRequest(id)
	key := journal.ContentKey("comm100", "", p)
	if _, err := db.Exec(`INSERT INTO events (received_at, source, kind, hint, subject, key, payload) VALUES (?, 'comm100', 'chat_requested', '', '', ?, ?)`,
		time.Now().UnixNano(), key[:], p); err != nil {
		t.Fatal(err)
	}
}

// queueIDs are the waiting visitors' ids, sorted.
func queueIDs(h *Hub) []string {
	var ids []string
	for _, q := range h.View(time.Now()).Queue {
		ids = append(ids, q.ID)
	}
	slices.Sort(ids)
	return ids
}

// TestCheckpointNeverCoversRecordsTheBoardMissed: a record that reaches
// the journal's file but not the board (written by another process) is
// noticed when the next record's cursor skips it; from then on no
// checkpoint is saved (one at the board's cursor would hide the record
// from every later start-up), health names the missed cursors, and the
// next start-up replays from the checkpoint before it, so the board has
// every record.
func TestCheckpointNeverCoversRecordsTheBoardMissed(t *testing.T) {
	path := filepath.Join(t.TempDir(), "j.db")
	open := func(cfg Config) *Hub {
		t.Helper()
		cfg.Journal, cfg.Logger = journal.Options{Path: path}, quiet
		h, err := Open(context.Background(), cfg)
		if err != nil {
			t.Fatal(err)
		}
		return h
	}
	h := open(Config{CheckpointEvery: time.Hour})
	ingestRequest(t, h, "a")
	if err := h.Checkpoint(context.Background()); err != nil {
		t.Fatalf("checkpoint of a complete board: %v", err)
	}
	foreignAppend(t, path, "b")
	if seq := ingestRequest(t, h, "c"); seq != 3 {
		t.Fatalf("c got cursor %d, want 3 (after the foreign record)", seq)
	}
	if got := queueIDs(h); !slices.Equal(got, []string{"a", "c"}) {
		t.Fatalf("the running board's queue: %v, want a and c (b never reached it)", got)
	}
	err := h.Checkpoint(context.Background())
	if !errors.Is(err, ErrBoardIncomplete) || !strings.Contains(err.Error(), "cursors 2 to 2") {
		t.Errorf("checkpoint of a board that missed cursor 2: %v, want ErrBoardIncomplete naming it", err)
	}
	problems, unhealthy := h.Health(context.Background())
	if unhealthy || !strings.Contains(problems["board"], "never applied journal cursors 2 to 2") {
		t.Errorf("health: %v (unhealthy %v), want the board degraded, naming cursor 2", problems, unhealthy)
	}
	if err := h.Close(); err != nil { // Close's save is refused too (and logged)
		t.Fatal(err)
	}
	if cp, ok, err := openCheckpoint(t, path); err != nil || !ok || cp.Seq != 1 {
		t.Fatalf("the checkpoint after close: seq %d, %v, %v; want the one at 1, before the gap", cp.Seq, ok, err)
	}

	h2 := open(Config{})
	defer h2.Close()
	if got := queueIDs(h2); !slices.Equal(got, []string{"a", "b", "c"}) {
		t.Errorf("the queue after a restart: %v, want a, b and c", got)
	}
	if problems, _ := h2.Health(context.Background()); problems["board"] != "" {
		t.Errorf("health after the restart: %v", problems)
	}
	ingestRequest(t, h2, "d")
	if err := h2.Checkpoint(context.Background()); err != nil {
		t.Errorf("checkpoint after the restart: %v", err)
	}
}

// TestNoFalseGapAfterRetentionEmptiedTheJournal: retention may delete
// every record; the next one still follows the journal's head, so the
// board is complete and checkpoints go on.
func TestNoFalseGapAfterRetentionEmptiedTheJournal(t *testing.T) {
	path := filepath.Join(t.TempDir(), "j.db")
	h, err := Open(context.Background(), Config{Journal: journal.Options{Path: path}, Logger: quiet, CheckpointEvery: -1})
	if err != nil {
		t.Fatal(err)
	}
	ingestRequest(t, h, "old")
	h.Close()
	h, err = Open(context.Background(), Config{Journal: journal.Options{Path: path, MaxAge: time.Nanosecond}, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	if seq := ingestRequest(t, h, "new"); seq != 2 {
		t.Fatalf("new got cursor %d, want 2", seq)
	}
	if err := h.Checkpoint(context.Background()); err != nil {
		t.Errorf("checkpoint: %v", err)
	}
}
