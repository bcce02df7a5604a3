package hub

import (
	"context"

	"github.com/chatdeck/chatdeck/ingest/journal"
)

// Journal is what the hub keeps its events in: the SQLite journal
// (*journal.Journal) on one node, or a journal on a replicated stream with
// a local SQLite copy in cluster mode. The hub does not know which.
//
// The contract both keep:
//   - Append returns once the record is durable and the OnCommit the
//     journal was opened with has been called with it on this node (so a
//     2xx means this node's board shows it); duplicate means nothing new was
//     stored and seq is the existing record's. A failure to store wraps
//     journal.ErrUnavailable.
//   - OnCommit is called with the records stored, batch after batch in Seq
//     order, never concurrently. Seqs rise but may skip numbers at which
//     nothing was stored (a replicated journal's repeats that its copy did
//     not keep); a record of the journal that OnCommit was never given is
//     a miss (see Hub.missedLocked).
//   - Replay, Page and PageBytes read records with Seq above a cursor, in
//     Seq order; LastSeq is the highest Seq held, Head the highest ever
//     stored (retention may have deleted records since).
//   - One checkpoint is kept (LoadCheckpoint, SaveCheckpoint).
//   - Ping says whether the journal can store now; Close stops it.
type Journal interface {
	Append(ctx context.Context, r journal.Record, d journal.Dedupe) (seq int64, duplicate bool, err error)
	Replay(ctx context.Context, after int64, fn func(journal.Record) error) error
	Page(ctx context.Context, after int64, limit int) ([]journal.Record, error)
	PageBytes(ctx context.Context, after int64, limit int, maxBytes int64) (recs []journal.Record, more bool, err error)
	LastSeq(ctx context.Context) (int64, error)
	Head(ctx context.Context) (int64, error)
	LoadCheckpoint(ctx context.Context) (cp journal.Checkpoint, ok bool, err error)
	SaveCheckpoint(ctx context.Context, cp journal.Checkpoint) error
	Ping(ctx context.Context) error
	Close() error
}

// OpenJournal opens a Journal with opts (opts.OnCommit set by the hub).
type OpenJournal func(ctx context.Context, opts journal.Options) (Journal, error)

// openSQLite is the default OpenJournal: the SQLite journal at opts.Path.
func openSQLite(ctx context.Context, opts journal.Options) (Journal, error) {
	j, err := journal.Open(ctx, opts)
	if err != nil {
		return nil, err
	}
	return j, nil
}

// Starter is a Journal that records reach from elsewhere (a replicated
// stream's follower): the hub calls Start once its board is rebuilt, and
// from then on OnCommit may be called for records that no Append of this
// node's made. Start returns when the feed has started; the journal's
// Close stops it.
type Starter interface {
	Start(ctx context.Context) error
}
