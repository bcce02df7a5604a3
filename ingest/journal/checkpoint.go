package journal

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// Checkpoint is a state built from the journal's records up to Seq, saved
// in the journal so that a start-up can restore it and replay only the
// records after Seq instead of the whole journal. The journal keeps one:
// each save replaces the one before. What State holds is the caller's
// business; Fingerprint says what made it (the caller's configuration and
// version), so that a caller can refuse a checkpoint it would not have made.
type Checkpoint struct {
	Seq         int64
	SavedAt     time.Time
	Fingerprint string
	State       []byte
}

// SaveCheckpoint stores cp in place of the checkpoint before, durably. It
// shares the writer's connection, so appends wait while it is written.
func (j *Journal) SaveCheckpoint(ctx context.Context, cp Checkpoint) error {
	if j.closed.Load() {
		return ErrClosed
	}
	_, err := j.wdb.ExecContext(ctx, `
		INSERT INTO checkpoints (id, seq, saved_at, fingerprint, state) VALUES (1, ?, ?, ?, ?)
		ON CONFLICT (id) DO UPDATE SET seq = excluded.seq, saved_at = excluded.saved_at,
			fingerprint = excluded.fingerprint, state = excluded.state`,
		cp.Seq, cp.SavedAt.UnixNano(), cp.Fingerprint, cp.State)
	if err != nil {
		return fmt.Errorf("journal: save checkpoint at %d: %w", cp.Seq, j.readErr(err))
	}
	return nil
}

// LoadCheckpoint returns the checkpoint saved last; ok is false when there
// is none.
func (j *Journal) LoadCheckpoint(ctx context.Context) (cp Checkpoint, ok bool, err error) {
	var at int64
	err = j.rdb.QueryRowContext(ctx, `SELECT seq, saved_at, fingerprint, state FROM checkpoints WHERE id = 1`).
		Scan(&cp.Seq, &at, &cp.Fingerprint, &cp.State)
	if errors.Is(err, sql.ErrNoRows) {
		return Checkpoint{}, false, nil
	}
	if err != nil {
		return Checkpoint{}, false, fmt.Errorf("journal: load checkpoint: %w", j.readErr(err))
	}
	cp.SavedAt = time.Unix(0, at).UTC()
	return cp, true, nil
}
