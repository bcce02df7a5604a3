package journal

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"time"
)

// Reader reads a journal that another process may be writing: the file is
// opened read-only (SQLite's mode=ro, query_only), as a WAL reader, so it
// never takes the writer's lock, never blocks the writer's appends or
// checkpoints, and changes nothing (no schema, no retention). Its methods
// are those of Journal's that read.
type Reader struct {
	j *Journal // only its readers' connections are open
}

// OpenReader opens the journal at path for reading. The file must exist
// and hold a journal this program can read.
func OpenReader(ctx context.Context, path string) (*Reader, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("journal: open %s for reading: %w", path, err)
	}
	if _, err := os.Stat(abs); err != nil {
		return nil, fmt.Errorf("journal: open %s for reading: %w", abs, err)
	}
	db, err := sql.Open("sqlite", readerDSN(abs, defaultBusyTimeout))
	if err != nil {
		return nil, fmt.Errorf("journal: open %s for reading: %w", abs, err)
	}
	r := &Reader{j: &Journal{rdb: db, replayChunk: replayChunk}}
	var v int
	if err := db.QueryRowContext(ctx, "PRAGMA user_version").Scan(&v); err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("journal: open %s for reading: %w", abs, err)
	}
	switch {
	case v == 0:
		err = errors.New("not a chatdeck journal (no schema)")
	case v > schemaVersion:
		err = fmt.Errorf("schema version %d is newer than this program's %d", v, schemaVersion)
	}
	if err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("journal: open %s for reading: %w", abs, err)
	}
	return r, nil
}

// readerDSN is dsn's reader for a file opened read-only.
func readerDSN(path string, busy time.Duration) string {
	q := url.Values{}
	q.Set("mode", "ro")
	q.Add("_pragma", fmt.Sprintf("busy_timeout(%d)", max(busy.Milliseconds(), 1)))
	q.Add("_pragma", "query_only(1)")
	u := url.URL{Scheme: "file", Path: filepath.ToSlash(path), RawQuery: q.Encode()}
	return u.String()
}

// Replay is Journal.Replay: fn with every record after the cursor, in Seq
// order, read in chunks each in its own short read transaction.
func (r *Reader) Replay(ctx context.Context, after int64, fn func(Record) error) error {
	return r.j.Replay(ctx, after, fn)
}

// Span returns the lowest and highest Seq stored (0, 0 when empty).
func (r *Reader) Span(ctx context.Context) (first, last int64, err error) {
	err = r.j.rdb.QueryRowContext(ctx, "SELECT coalesce(min(seq), 0), coalesce(max(seq), 0) FROM events").Scan(&first, &last)
	if err != nil {
		return 0, 0, fmt.Errorf("journal: span: %w", err)
	}
	return first, last, nil
}

// Close closes the reader's connections.
func (r *Reader) Close() error {
	if err := r.j.rdb.Close(); err != nil {
		return fmt.Errorf("journal: close reader: %w", err)
	}
	return nil
}
