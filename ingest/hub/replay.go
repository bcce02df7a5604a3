package hub

import (
	"context"
	"fmt"

	"github.com/chatdeck/chatdeck/ingest/event"
	"github.com/chatdeck/chatdeck/ingest/journal"
)

// Replayer is what the hub reads a journal through: journal.Journal, or a
// journal.Reader beside a running server.
type Replayer interface {
	Replay(ctx context.Context, after int64, fn func(journal.Record) error) error
}

// ReplayEvents reads every record of j after the cursor and calls apply
// with its event, decoded as the hub's start-up decodes it (RecordEvent), in
// journal order, on the calling goroutine. Decoding runs on workers
// goroutines, a few batches ahead at most, so memory stays bounded
// whatever the journal's length. It returns the events applied and how
// many of them no longer decoded (applied as Unrecognised).
func ReplayEvents(ctx context.Context, j Replayer, after int64, workers int, apply func(*event.Event)) (n, bad int, err error) {
	n, bad, err = replayJournal(ctx, j, after, workers, apply)
	if err != nil {
		return n, bad, fmt.Errorf("hub: replay after %d: %w", after, err)
	}
	return n, bad, nil
}
