package hub

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"runtime/debug"
	"time"

	"github.com/chatdeck/chatdeck/ingest/board"
	"github.com/chatdeck/chatdeck/ingest/journal"
)

// The board is saved in the journal as a checkpoint (its State, as JSON)
// every Config.CheckpointEvery and when the hub closes, so that a start-up
// restores it and replays only the events journalled after it: start-up
// costs the board's size plus what came since, not the journal's length.
//
// A checkpoint is used only if the same build with the same board
// configuration made it (its fingerprint): a new version, which may decode
// or fold events differently, or a new service-level target, rebuilds the
// board from the whole journal once, as before checkpoints. Anything wrong
// with a checkpoint (undecodable, ahead of the journal) is logged and the
// whole journal replayed: a checkpoint can only make start-up faster.

// ErrBoardIncomplete is wrapped by Checkpoint when the board missed
// records of the journal: a checkpoint of it would hide them from every
// later start-up.
var ErrBoardIncomplete = errors.New("the board missed journal records")

// defaultCheckpointEvery is how often the board is saved when
// Config.CheckpointEvery is zero.
const defaultCheckpointEvery = 5 * time.Minute

// Fingerprint is what a checkpoint made by this build for a board of cfg
// carries: a hash of the State format, the board's configuration (defaults
// filled in) and the build.
func Fingerprint(cfg board.Config) string {
	return fingerprint(board.New(cfg).Config())
}

// fingerprint is Fingerprint for a configuration with its defaults filled.
func fingerprint(cfg board.Config) string {
	h := sha256.New()
	fmt.Fprintf(h, "state v%d\n", board.StateVersion)
	fmt.Fprintf(h, "board %v %v %v %d %v %d %v %v %d %s\n", cfg.SLTarget, cfg.Window, cfg.ShortAbandon, cfg.Capacity,
		cfg.KeepEnded, cfg.MaxEnded, cfg.StaleAfter, cfg.KeepHistory, cfg.InboxSize, cfg.Location)
	if bi, ok := debug.ReadBuildInfo(); ok {
		fmt.Fprintf(h, "build %s %s", bi.Main.Path, bi.Main.Version)
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" || s.Key == "vcs.modified" {
				fmt.Fprintf(h, " %s=%s", s.Key, s.Value)
			}
		}
	}
	return hex.EncodeToString(h.Sum(nil)[:16])
}

// restore puts the journal's checkpoint on the board, if there is one this
// build can use, and returns the Seq to replay after (0: everything).
func (h *Hub) restore(ctx context.Context) int64 {
	cp, ok, err := h.journal.LoadCheckpoint(ctx)
	switch {
	case err != nil:
		h.log.Warn("hub: checkpoint unreadable, replaying the whole journal", "err", err)
		return 0
	case !ok:
		return 0
	case cp.Fingerprint != h.fingerprint:
		h.log.Info("hub: checkpoint made by another build or board configuration, replaying the whole journal",
			"checkpoint_cursor", cp.Seq)
		return 0
	}
	last, err := h.journal.LastSeq(ctx)
	if err != nil || cp.Seq > last {
		h.log.Warn("hub: checkpoint ahead of the journal, replaying the whole journal",
			"checkpoint_cursor", cp.Seq, "journal_cursor", last, "err", err)
		return 0
	}
	var st board.State
	if err := json.Unmarshal(cp.State, &st); err != nil {
		h.log.Warn("hub: checkpoint undecodable, replaying the whole journal", "err", err)
		return 0
	}
	b, err := board.Restore(h.board.Config(), st)
	if err == nil && b.Cursor() != cp.Seq {
		err = fmt.Errorf("the state's cursor is %d", b.Cursor())
	}
	if err != nil {
		h.log.Warn("hub: checkpoint not restorable, replaying the whole journal", "err", err, "checkpoint_cursor", cp.Seq)
		return 0
	}
	h.board = b
	h.savedSeq = cp.Seq
	return cp.Seq
}

// Checkpoint saves the board in the journal now, unless the board has not
// changed since the last save. The board is copied under the read lock (so
// ingest waits only for the copy); it is encoded and written after.
func (h *Hub) Checkpoint(ctx context.Context) error {
	h.saving.Lock()
	defer h.saving.Unlock()
	h.mu.RLock()
	// The board's own cursor, never the journal's head: a checkpoint
	// covers only what this board applied, and only when it applied
	// every record up to it.
	seq := h.board.Cursor()
	if seq == h.savedSeq {
		h.mu.RUnlock()
		return nil
	}
	if h.missed != "" {
		h.mu.RUnlock()
		return fmt.Errorf("hub: checkpoint at %d: %w: %s", seq, ErrBoardIncomplete, h.missed)
	}
	st := h.board.State()
	h.mu.RUnlock()
	data, err := h.guard.Marshal("checkpoint", st)
	if err != nil {
		return fmt.Errorf("hub: checkpoint at %d: %w", seq, err)
	}
	cp := journal.Checkpoint{Seq: seq, SavedAt: time.Now().UTC(), Fingerprint: h.fingerprint, State: data}
	if err := h.journal.SaveCheckpoint(ctx, cp); err != nil {
		return fmt.Errorf("hub: %w", err)
	}
	h.savedSeq = seq
	return nil
}

// checkpoints saves the board every interval until stop is closed.
func (h *Hub) checkpoints(every time.Duration, stop <-chan struct{}) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-stop:
			return
		case <-t.C:
			start := time.Now()
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			err := h.Checkpoint(ctx)
			cancel()
			if err != nil {
				h.log.Error("hub: saving the board's checkpoint", "err", err)
				continue
			}
			h.log.Debug("hub: checkpoint saved", "took", time.Since(start).Round(time.Millisecond))
		}
	}
}
