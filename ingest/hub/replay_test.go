package hub

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"github.com/chatdeck/chatdeck/fixtures/traffic"
	"github.com/chatdeck/chatdeck/ingest/board"
	"github.com/chatdeck/chatdeck/ingest/event"
	"github.com/chatdeck/chatdeck/ingest/journal"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// fill journals n webhooks of the demo scenario through Ingest, in order,
// then a payload that no longer decodes. It saves no checkpoint: the
// tests here are of replaying the whole journal.
func fill(t *testing.T, path string, n int) {
	t.Helper()
	ctx := context.Background()
	h, err := Open(ctx, Config{Journal: journal.Options{Path: path}, Logger: quiet, CheckpointEvery: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	hooks, err := traffic.Scenario(3, time.Now().Add(-time.Hour), n, 20)
	if err != nil {
		t.Fatal(err)
	}
	for i, w := range hooks {
		ev, err := traffic.Decode(w)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := h.Ingest(ctx, &ev, w.Hint); err != nil {
			t.Fatalf("ingest %d: %v", i, err)
		}
	}
	// A Chatlio record with a hint the decoder does not know.
	bad := event.Event{Source: event.Chatlio, Kind: event.ChatUpdated, ReceivedAt: time.Now(), Raw: json.RawMessage(`{"x":1}`)}
	if _, err := h.Ingest(ctx, &bad, "no-such-kind"); err != nil {
		t.Fatal(err)
	}
}

// sequential is the board the journal makes applied one record at a time.
func sequential(t *testing.T, path string) *board.Board {
	t.Helper()
	j, err := journal.Open(context.Background(), journal.Options{Path: path, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	b := board.New(board.Config{})
	if err := j.Replay(context.Background(), 0, func(r journal.Record) error {
		ev, _ := RecordEvent(r)
		b.Apply(&ev)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return b
}

func stateJSON(t *testing.T, b *board.Board) string {
	t.Helper()
	data, err := json.Marshal(b.State())
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

// TestReplayInParallelIsInOrder: the board rebuilt at Open, decoded on
// several goroutines, is the board of the journal applied in order.
func TestReplayInParallelIsInOrder(t *testing.T) {
	path := filepath.Join(t.TempDir(), "j.db")
	const n = 3*replayBatchSize + 17
	fill(t, path, n)
	want := sequential(t, path)
	if want.Cursor() != n+1 {
		t.Fatalf("journal holds %d records, want %d", want.Cursor(), n+1)
	}
	for _, workers := range []int{1, 3} {
		j, err := journal.Open(context.Background(), journal.Options{Path: path, Logger: quiet})
		if err != nil {
			t.Fatal(err)
		}
		got := board.New(board.Config{})
		var seqs []int64
		applied, bad, err := replayJournal(context.Background(), j, 0, workers, func(ev *event.Event) {
			seqs = append(seqs, ev.Seq)
			got.Apply(ev)
		})
		_ = j.Close()
		if err != nil || applied != n+1 || bad != 1 {
			t.Fatalf("%d workers: replayed %d (%d bad), %v; want %d (1 bad)", workers, applied, bad, err, n+1)
		}
		for i, s := range seqs {
			if s != int64(i+1) {
				t.Fatalf("%d workers: event %d has cursor %d", workers, i, s)
			}
		}
		if a, b := stateJSON(t, want), stateJSON(t, got); a != b {
			t.Errorf("%d workers: the replayed board differs from the one applied in order", workers)
		}
	}
	h, err := Open(context.Background(), Config{Journal: journal.Options{Path: path}, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	var got string
	h.Read(func(b *board.Board) { got = stateJSON(t, b) })
	if got != stateJSON(t, want) {
		t.Error("Open's board differs from the journal applied in order")
	}
}

// TestReplayStopsWithItsContext: a replay whose context ends returns the
// context's error, and every goroutine it started has returned.
func TestReplayStopsWithItsContext(t *testing.T) {
	path := filepath.Join(t.TempDir(), "j.db")
	fill(t, path, 2*replayBatchSize)
	j, err := journal.Open(context.Background(), journal.Options{Path: path, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	ctx, cancel := context.WithCancel(context.Background())
	applied := 0
	_, _, err = replayJournal(ctx, j, 0, 2, func(*event.Event) {
		if applied++; applied == 10 {
			cancel()
		}
	})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("replay after cancel = %v, want context.Canceled", err)
	}
	if applied >= 2*replayBatchSize {
		t.Errorf("applied all %d events after cancel", applied)
	}
}
