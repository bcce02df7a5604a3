package hub

import (
	"context"
	"database/sql"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chatdeck/chatdeck/ingest/journal"
)

// startedJournal is the SQLite journal with a Start that notes whether
// the hub's Open had returned when it was called.
type startedJournal struct {
	*journal.Journal
	hub            **Hub
	starts         int
	duringOpenCall bool
}

func (s *startedJournal) Start(context.Context) error {
	s.starts++
	s.duringOpenCall = *s.hub == nil
	return nil
}

// TestOpenJournalAndStarter opens the hub through Config.OpenJournal: the
// options it gets carry the hub's OnCommit, Start is called once, before
// Open returns, and the hub works as with
// the default journal.
func TestOpenJournalAndStarter(t *testing.T) {
	path := filepath.Join(t.TempDir(), "j.db")
	h0, err := Open(context.Background(), Config{Journal: journal.Options{Path: path}, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	ingestRequest(t, h0, "a")
	ingestRequest(t, h0, "b")
	if err := h0.Close(); err != nil {
		t.Fatal(err)
	}
	var h *Hub
	var sj *startedJournal
	var gotCommit bool
	h, err = Open(context.Background(), Config{Journal: journal.Options{Path: path}, Logger: quiet, CheckpointEvery: -1,
		OpenJournal: func(ctx context.Context, opts journal.Options) (Journal, error) {
			gotCommit = opts.OnCommit != nil
			j, err := journal.Open(ctx, opts)
			if err != nil {
				return nil, err
			}
			sj = &startedJournal{Journal: j, hub: &h}
			return sj, nil
		}})
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	if !gotCommit {
		t.Error("OpenJournal was given options without the hub's OnCommit")
	}
	if sj.starts != 1 || !sj.duringOpenCall {
		t.Errorf("Start called %d times (want 1), during Open: %v", sj.starts, sj.duringOpenCall)
	}
	if c := h.Cursor(); c != 2 {
		t.Errorf("board cursor after replay through OpenJournal %d, want 2", c)
	}
	if seq := ingestRequest(t, h, "c"); seq != 3 || h.Cursor() != 3 {
		t.Errorf("append through OpenJournal: seq %d, board cursor %d, want 3 and 3", seq, h.Cursor())
	}
}

// failingStart is a journal whose feed cannot start.
type failingStart struct{ *journal.Journal }

func (failingStart) Start(context.Context) error { return errors.New("no feed") }

// TestStarterFailureFailsOpen: a journal whose Start fails makes Open
// fail, naming it, and closes the journal.
func TestStarterFailureFailsOpen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "j.db")
	var j *journal.Journal
	_, err := Open(context.Background(), Config{Journal: journal.Options{Path: path}, Logger: quiet,
		OpenJournal: func(ctx context.Context, opts journal.Options) (Journal, error) {
			var err error
			j, err = journal.Open(ctx, opts)
			return failingStart{j}, err
		}})
	if err == nil || !strings.Contains(err.Error(), "no feed") {
		t.Fatalf("Open with a failing Start: %v, want the error", err)
	}
	if err := j.Ping(context.Background()); !errors.Is(err, journal.ErrClosed) {
		t.Errorf("journal after the failed Open: %v, want closed", err)
	}
}

// TestGapWithNothingHeldIsNoMiss: a Seq the journal skipped without
// holding a record there (a foreign writer's record deleted again, as a
// replicated journal's copy skips the repeats it does not keep) is not a
// miss: checkpoints go on. One it holds is (TestForeignWriterIsAMiss...).
func TestGapWithNothingHeldIsNoMiss(t *testing.T) {
	path := filepath.Join(t.TempDir(), "j.db")
	h, err := Open(context.Background(), Config{Journal: journal.Options{Path: path}, Logger: quiet, CheckpointEvery: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	ingestRequest(t, h, "a")
	foreignAppend(t, path, "ghost") // seq 2
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`DELETE FROM events WHERE seq = 2`); err != nil {
		t.Fatal(err)
	}
	db.Close()
	if seq := ingestRequest(t, h, "b"); seq != 3 {
		t.Fatalf("append after the gap: seq %d, want 3", seq)
	}
	if problems, _ := h.Health(context.Background()); problems["board"] != "" {
		t.Errorf("a gap with nothing held was reported as a miss: %q", problems["board"])
	}
	if err := h.Checkpoint(context.Background()); err != nil {
		t.Errorf("checkpoint after a gap with nothing held: %v", err)
	}
	foreignAppend(t, path, "real") // seq 4, held
	ingestRequest(t, h, "c")       // seq 5
	if problems, _ := h.Health(context.Background()); !strings.Contains(problems["board"], "4 to 4") {
		t.Errorf("a gap holding a record: board problem %q, want cursors 4 to 4 named", problems["board"])
	}
}
