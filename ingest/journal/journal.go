// Package journal is chatdeck's durable event journal: every accepted webhook
// is appended to an embedded SQLite database (modernc.org/sqlite, pure Go)
// before it is acknowledged, so the board can be rebuilt by replaying it.
//
// Appends are group-committed: a single writer goroutine owned by the Journal
// takes every request waiting at that moment (up to Options.MaxBatch), stores
// them in one transaction and pays for one fsync. Retries of an event already
// stored are recognised (see Dedupe), old records are dropped by age and by
// total size (see Options), and readers page through the journal by sequence
// number without ever waiting for the writer (WAL mode, separate connections).
package journal

import (
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	_ "modernc.org/sqlite" // registers the "sqlite" database/sql driver

	"github.com/chatdeck/chatdeck/ingest/decode"
)

// ErrClosed is returned by every method of a Journal once Close has been called.
var ErrClosed = errors.New("journal: closed")

// ErrUnavailable wraps every failure to write (disk full, read-only file, I/O
// error, lock held elsewhere), so callers can answer 503:
// errors.Is(err, ErrUnavailable).
var ErrUnavailable = errors.New("journal unavailable")

// Record is one journalled event.
type Record struct {
	Seq        int64     // assigned by Append; the cursor
	ReceivedAt time.Time // stored with nanosecond precision (unix nanos), returned in UTC
	Source     string    // "comm100", "chatlio", "jivochat"
	Kind       string    // normalised kind, e.g. "chat_ended"
	Hint       string    // route hint the decoder needs again on replay (e.g. chatlio "transcript"); may be ""
	Subject    string    // what the event is about, used by DedupeLatest (e.g. "agent:comm100:123"); may be ""
	Payload    []byte    // the raw JSON payload
	// Value is not stored: Append hands it to OnCommit untouched, so the
	// caller can pass along what it already decoded. Nil on Replay and Page.
	Value any
	// ValidJSON is not stored: the caller checked that Payload is valid
	// JSON (the listener's decode.Normalise did), so that Append need not
	// check it again to compute its ContentKey. False is always safe.
	ValidJSON bool
}

// Dedupe says how Append recognises a retry of an event already journalled.
type Dedupe int

// The ways Append can recognise a retry.
const (
	// DedupeContent: a duplicate iff a record with the same content key (see
	// ContentKey) is still in the journal.
	DedupeContent Dedupe = iota
	// DedupeLatest: a duplicate iff the latest record with the same Subject has
	// the same content key. This suits state events such as "agent went away"
	// that legitimately repeat after other changes. A record with an empty
	// Subject has nothing to compare against, so it is treated as
	// DedupeContent.
	DedupeLatest
	// DedupeNone: never a duplicate.
	DedupeNone
)

// String returns the name of the mode.
func (d Dedupe) String() string {
	switch d {
	case DedupeContent:
		return "content"
	case DedupeLatest:
		return "latest"
	case DedupeNone:
		return "none"
	}
	return fmt.Sprintf("Dedupe(%d)", int(d))
}

// ContentKey is the identity Append deduplicates on: sha256 over source, 0x00,
// hint, 0x00, and the payload with insignificant JSON whitespace removed
// (json.Compact; a payload that is not valid JSON is hashed as it is).
func ContentKey(source, hint string, payload []byte) [32]byte {
	return contentKey(source, hint, payload, decode.Valid(payload))
}

// ContentKey is the record's ContentKey, without checking its payload again
// when the record says it is valid JSON.
func (r Record) ContentKey() [32]byte {
	return contentKey(r.Source, r.Hint, r.Payload, r.ValidJSON || decode.Valid(r.Payload))
}

// contentKey is ContentKey for a payload whose validity is known.
func contentKey(source, hint string, payload []byte, valid bool) [32]byte {
	h := sha256.New()
	h.Write([]byte(source))
	h.Write([]byte{0})
	h.Write([]byte(hint))
	h.Write([]byte{0})
	if valid {
		// For valid JSON, json.Compact only drops the white space outside
		// strings: done here without its byte-by-byte state machine.
		h.Write(compactValid(make([]byte, 0, len(payload)), payload))
	} else {
		h.Write(payload)
	}
	var key [32]byte
	h.Sum(key[:0])
	return key
}

// compactValid appends src, which is valid JSON, to dst without the white
// space outside its strings: what json.Compact writes.
func compactValid(dst, src []byte) []byte {
	for i := 0; i < len(src); {
		switch c := src[i]; c {
		case ' ', '\t', '\n', '\r':
			i++
		case '"':
			// Copy the string whole: up to the quote no backslash escapes.
			j := i + 1
			for j < len(src) {
				k := bytes.IndexByte(src[j:], '"')
				if k < 0 {
					j = len(src)
					break
				}
				j += k
				n := 0
				for b := j - 1; b > i && src[b] == '\\'; b-- {
					n++
				}
				j++
				if n%2 == 0 {
					break
				}
			}
			dst = append(dst, src[i:j]...)
			i = j
		default:
			// A run of structure and literals, up to the next string or
			// space.
			j := i + 1
			for j < len(src) {
				if d := src[j]; d == '"' || d == ' ' || d == '\t' || d == '\n' || d == '\r' {
					break
				}
				j++
			}
			dst = append(dst, src[i:j]...)
			i = j
		}
	}
	return dst
}

// Options configures Open. Only Path is required.
type Options struct {
	// Path is the SQLite file. Its parent directory is created (0700) if
	// missing.
	Path string
	// MaxAge is the retention by age: records with ReceivedAt older than
	// Now()-MaxAge are deleted. 0 means no age limit.
	MaxAge time.Duration
	// MaxBytes is the retention by size: the oldest records (lowest Seq) are
	// deleted while the sum of payload bytes exceeds it. 0 means no limit.
	MaxBytes int64
	// RetentionEvery is how often the writer applies retention; default one
	// minute. Retention also runs once in Open, and the size limit is
	// checked after every commit.
	RetentionEvery time.Duration
	// MaxBatch is the most appends stored in one transaction; default 512.
	MaxBatch int
	// BusyTimeout is how long a write waits for a lock held by another
	// connection to the file before failing with ErrUnavailable; default 5s.
	BusyTimeout time.Duration
	// OnCommit, if set, is called after each successful commit that
	// stored something, with the newly stored (non-duplicate) records of
	// that batch in Seq order, before the corresponding Append calls
	// return (and before any later Append, duplicates included, returns).
	// It is called from one goroutine of the journal's, batch after batch
	// in commit order, never concurrently, while the writer goes on to
	// commit the next batch; it should be quick: appends wait for it. The
	// slice and the records belong to the callee.
	OnCommit func([]Record)
	// Now is the clock for retention; default time.Now. Append also uses
	// it for a Record whose ReceivedAt is zero.
	Now func() time.Time
	// ProbeEvery is how often the writer checks that the path still names
	// the open file and, when nothing was written for that long or the
	// last write failed, that the journal can write (a one-row
	// transaction); default 5s, negative: never (Open probes once
	// anyway).
	ProbeEvery time.Duration
	// Logger receives retention and failure reports; default slog.Default().
	Logger *slog.Logger

	// onBatch, if set, is called by the writer with each batch it has taken,
	// before the transaction starts. Tests use it to observe and pace the
	// writer.
	onBatch func(n int)
	// retentionChunk overrides defaultRetentionChunk; tests make it small.
	retentionChunk int
}

// Defaults for Options.
const (
	defaultRetentionEvery = time.Minute
	defaultMaxBatch       = 512
	defaultBusyTimeout    = 5 * time.Second

	schemaVersion         = 2
	replayChunk           = 1000 // records per read query in Replay
	writerCacheKiB        = 32 << 10
	walCheckpointPages    = 8192
	defaultRetentionChunk = 5000 // most rows one retention statement deletes
)

// The earliest and latest ReceivedAt that fit in int64 unix nanoseconds.
var (
	minReceivedAt = time.Unix(0, -1<<63)
	maxReceivedAt = time.Unix(0, 1<<63-1)
)

// Journal is an open journal. Its methods are safe for concurrent use.
type Journal struct {
	opts Options // with defaults applied
	log  *slog.Logger

	wdb *sql.DB // the writer's connection (MaxOpenConns 1); used only by the writer goroutine and Open
	rdb *sql.DB // readers' connections (query_only)

	reqs    chan *request   // unbuffered: a request is taken when the writer receives it
	imports chan []*request // Import's batches, unbuffered likewise
	quit    chan struct{}   // closed by Close
	done    chan struct{}   // closed when the writer goroutine has returned

	committed chan committedBatch // the writer's committed batches, to the notifier
	notified  chan struct{}       // closed when the notifier goroutine has returned

	closed    atomic.Bool
	closeOnce sync.Once

	count atomic.Int64 // records held; written only by the writer (and Open)
	bytes atomic.Int64 // payload bytes held; written only by the writer (and Open)

	replayChunk int // records per query in Replay; a field so tests can make chunks small

	// writeErr is the failure of the latest batch the writer could not
	// commit, nil once one commits again: Ping reports it, so health says
	// the journal cannot store while appends fail.
	writeErr atomic.Pointer[writeFailure]

	// lock holds the single-writer lock (lock_unix.go) while open; file is
	// the journal's own descriptor on the database, its identity
	// (file.go). Both are closed after the databases.
	lock *os.File
	file *os.File
	// rescued is where the content of a journal deleted under the
	// process was saved (file.go), nil until then.
	rescued atomic.Pointer[string]

	w writer // state owned by the writer goroutine
}

// Open opens (creating if needed) the journal at opts.Path, applies
// retention once, and starts the writer goroutine; Close stops it.
func Open(ctx context.Context, opts Options) (*Journal, error) {
	if opts.Path == "" {
		return nil, errors.New("journal: open: empty path")
	}
	if opts.MaxAge < 0 || opts.MaxBytes < 0 || opts.MaxBatch < 0 || opts.RetentionEvery < 0 || opts.BusyTimeout < 0 {
		return nil, errors.New("journal: open: negative option")
	}
	if opts.RetentionEvery == 0 {
		opts.RetentionEvery = defaultRetentionEvery
	}
	if opts.MaxBatch == 0 {
		opts.MaxBatch = defaultMaxBatch
	}
	if opts.BusyTimeout == 0 {
		opts.BusyTimeout = defaultBusyTimeout
	}
	if opts.ProbeEvery == 0 {
		opts.ProbeEvery = defaultProbeEvery
	}
	if opts.retentionChunk == 0 {
		opts.retentionChunk = defaultRetentionChunk
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	path, err := filepath.Abs(opts.Path)
	if err != nil {
		return nil, fmt.Errorf("journal: open %s: %w", opts.Path, err)
	}
	opts.Path = path
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("journal: open %s: %w", path, err)
	}

	j := &Journal{
		opts:        opts,
		log:         opts.Logger.With("journal", path),
		reqs:        make(chan *request),
		imports:     make(chan []*request),
		quit:        make(chan struct{}),
		done:        make(chan struct{}),
		committed:   make(chan committedBatch, 2),
		notified:    make(chan struct{}),
		replayChunk: replayChunk,
	}
	// One journal has one writer: a second process would interleave its
	// records with this one's and each board would miss the other's.
	if j.lock, err = lockWriter(path); err != nil {
		return nil, fmt.Errorf("journal: open %s: %w", path, err)
	}
	if err := j.open(ctx); err != nil {
		j.closeDBs()
		j.closeFiles()
		// SQLite says "disk I/O error" when it cannot size its shared
		// memory file on a full disk: say what the disk has.
		if free, ok := freeSpace(filepath.Dir(path)); ok && free < 1<<20 {
			return nil, fmt.Errorf("journal: open %s: %w (the filesystem holding it has %d bytes free)", path, err, free)
		}
		return nil, fmt.Errorf("journal: open %s: %w", path, err)
	}
	go j.notify()
	go j.run()
	return j, nil
}

// open connects both databases, migrates the schema, loads the counters and
// applies retention.
func (j *Journal) open(ctx context.Context) error {
	var err error
	j.wdb, err = sql.Open("sqlite", dsn(j.opts.Path, j.opts.BusyTimeout, true))
	if err != nil {
		return err
	}
	// One connection: the writer goroutine is its only user, and SQLite
	// allows one writer anyway. Keep it open so statements stay prepared.
	j.wdb.SetMaxOpenConns(1)
	j.wdb.SetMaxIdleConns(1)
	j.wdb.SetConnMaxLifetime(0)
	j.wdb.SetConnMaxIdleTime(0)
	if err := j.migrate(ctx); err != nil {
		return err
	}
	if err := j.openIdentity(); err != nil {
		return err
	}
	if err := j.loadCounters(ctx); err != nil {
		return err
	}
	// The reader is opened after the writer has switched the file to WAL
	// and created the schema.
	j.rdb, err = sql.Open("sqlite", dsn(j.opts.Path, j.opts.BusyTimeout, false))
	if err != nil {
		return err
	}
	if err := j.rdb.PingContext(ctx); err != nil {
		return fmt.Errorf("reader: %w", err)
	}
	if err := j.prepare(ctx); err != nil {
		return err
	}
	// Retention runs to completion before Open returns.
	j.startRetention()
	for j.w.ret.active {
		if err := ctx.Err(); err != nil {
			return err
		}
		j.retainStep(ctx)
	}
	// Health tells the truth from the start: a journal that cannot write
	// (a full disk, say) is reported before the first append fails.
	j.probe(ctx)
	return nil
}

// dsn builds the modernc.org/sqlite data source name for path. The writer's
// connection switches the file to WAL, syncs fully on commit and begins its
// transactions with BEGIN IMMEDIATE; readers are query_only.
//
// The writer also keeps a larger page cache (32 MiB: the content-key index
// of a journal of a million records is about 60 MiB, and every append
// reads and writes one of its pages at random) and lets the WAL grow to
// 8,192 pages before checkpointing (SQLite's default is 1,000): index
// pages written by many commits go to the database once per checkpoint,
// not once per thousand pages, which makes appends about a fifth cheaper
// (measured with bench/ingest.sh when they were set).
func dsn(path string, busy time.Duration, writer bool) string {
	ms := busy.Milliseconds()
	if ms < 1 {
		ms = 1
	}
	q := url.Values{}
	q.Add("_pragma", fmt.Sprintf("busy_timeout(%d)", ms))
	q.Add("_pragma", "foreign_keys(1)")
	if writer {
		q.Add("_pragma", "journal_mode(WAL)")
		q.Add("_pragma", "synchronous(FULL)")
		q.Add("_pragma", fmt.Sprintf("cache_size(%d)", -writerCacheKiB))
		q.Add("_pragma", fmt.Sprintf("wal_autocheckpoint(%d)", walCheckpointPages))
		q.Set("_txlock", "immediate")
	} else {
		q.Add("_pragma", "query_only(1)")
		// A reader never creates the file: one opened after the journal's
		// file was deleted would otherwise leave an empty database at the
		// path (file.go).
		q.Set("mode", "rw")
	}
	// url.URL escapes '?', '#', '%' and spaces in the path, which SQLite's
	// URI parser decodes again.
	u := url.URL{Scheme: "file", Path: filepath.ToSlash(path), RawQuery: q.Encode()}
	return u.String()
}

// The schema, version 1.
const schemaV1 = `
CREATE TABLE IF NOT EXISTS events (
	seq         INTEGER PRIMARY KEY AUTOINCREMENT,
	received_at INTEGER NOT NULL,
	source      TEXT    NOT NULL,
	kind        TEXT    NOT NULL,
	hint        TEXT    NOT NULL DEFAULT '',
	subject     TEXT    NOT NULL DEFAULT '',
	key         BLOB    NOT NULL,
	payload     BLOB    NOT NULL
);
CREATE INDEX IF NOT EXISTS events_key ON events (key);
CREATE INDEX IF NOT EXISTS events_subject_seq ON events (subject, seq) WHERE subject <> '';
CREATE INDEX IF NOT EXISTS events_received_at ON events (received_at);
PRAGMA user_version = 1;
`

// Version 2 adds the checkpoint (checkpoint.go): one row at most.
const schemaV2 = `
CREATE TABLE IF NOT EXISTS checkpoints (
	id          INTEGER PRIMARY KEY CHECK (id = 1),
	seq         INTEGER NOT NULL,
	saved_at    INTEGER NOT NULL,
	fingerprint TEXT    NOT NULL,
	state       BLOB    NOT NULL
);
PRAGMA user_version = 2;
`

// migrate creates the schema in a fresh file, brings an older one up to
// date, and refuses a file written by a newer version.
func (j *Journal) migrate(ctx context.Context) error {
	var v int
	if err := j.wdb.QueryRowContext(ctx, "PRAGMA user_version").Scan(&v); err != nil {
		return fmt.Errorf("schema version: %w", err)
	}
	switch {
	case v == schemaVersion:
		return nil
	case v > schemaVersion:
		return fmt.Errorf("schema version %d is newer than this program's %d", v, schemaVersion)
	}
	tx, err := j.wdb.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("create schema: %w", err)
	}
	defer tx.Rollback() //nolint:errcheck // after Commit this is a no-op
	if v < 1 {
		if _, err := tx.ExecContext(ctx, schemaV1); err != nil {
			return fmt.Errorf("create schema: %w", err)
		}
	}
	if _, err := tx.ExecContext(ctx, schemaV2); err != nil {
		return fmt.Errorf("migrate schema to version 2: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("create schema: %w", err)
	}
	return nil
}

// loadCounters reads the record count and payload bytes once; afterwards the
// writer keeps them up to date.
func (j *Journal) loadCounters(ctx context.Context) error {
	var n, b int64
	err := j.wdb.QueryRowContext(ctx,
		"SELECT count(*), coalesce(sum(length(payload)), 0) FROM events").Scan(&n, &b)
	if err != nil {
		return fmt.Errorf("count records: %w", err)
	}
	j.count.Store(n)
	j.bytes.Store(b)
	return nil
}

// Append journals r (r.Seq is ignored; a zero r.ReceivedAt becomes Now()) and
// returns once it is durably committed or recognised as a duplicate.
// duplicate=true means nothing new was stored and seq is the Seq of the
// existing record.
//
// Concurrent Appends share one transaction and one fsync. If ctx is done
// before the writer has taken the request, Append returns ctx.Err() and
// nothing is stored; once taken, Append waits for and returns the outcome
// even if ctx ends meanwhile (the wait is bounded by Options.BusyTimeout plus
// the commit itself).
//
// A failure to write wraps ErrUnavailable; after Close, Append returns
// ErrClosed.
func (j *Journal) Append(ctx context.Context, r Record, d Dedupe) (seq int64, duplicate bool, err error) {
	if d < DedupeContent || d > DedupeNone {
		return 0, false, fmt.Errorf("journal: append: unknown dedupe mode %v", d)
	}
	if j.closed.Load() {
		return 0, false, ErrClosed
	}
	if err := ctx.Err(); err != nil {
		return 0, false, err
	}
	if r.ReceivedAt.IsZero() {
		r.ReceivedAt = j.opts.Now()
	}
	if r.ReceivedAt.Before(minReceivedAt) || r.ReceivedAt.After(maxReceivedAt) {
		return 0, false, fmt.Errorf("journal: append: received_at %v out of range", r.ReceivedAt)
	}
	r.Seq = 0
	r.ReceivedAt = time.Unix(0, r.ReceivedAt.UnixNano()).UTC() // as Replay will return it
	// Copy the payload: OnCommit may keep it after the caller reuses its buffer.
	p := make([]byte, len(r.Payload))
	copy(p, r.Payload)
	r.Payload = p

	req := &request{
		rec:    r,
		dedupe: d,
		key:    r.ContentKey(),
		resp:   make(chan result, 1), // the writer never blocks on an abandoned request
	}
	select {
	case j.reqs <- req:
	case <-ctx.Done():
		return 0, false, ctx.Err()
	case <-j.quit:
		return 0, false, ErrClosed
	}
	res := <-req.resp
	return res.seq, res.duplicate, res.err
}

// Replay calls fn for every record with Seq > after, in Seq order, and stops
// at the first error fn returns, returning it. Records are read in chunks of
// a thousand, each with its own short read transaction, and fn is never
// called while a read transaction is open; records appended while Replay runs
// may or may not be seen.
func (j *Journal) Replay(ctx context.Context, after int64, fn func(Record) error) error {
	for {
		recs, err := j.page(ctx, after, j.replayChunk)
		if err != nil {
			return fmt.Errorf("journal: replay after %d: %w", after, err)
		}
		for _, r := range recs {
			if err := ctx.Err(); err != nil {
				return err
			}
			if err := fn(r); err != nil {
				return err
			}
			after = r.Seq
		}
		if len(recs) < j.replayChunk {
			return nil
		}
	}
}

// Page returns up to limit records with Seq > after, in Seq order. The slice
// is never nil; it is empty when there is nothing after the cursor or limit is
// not positive.
func (j *Journal) Page(ctx context.Context, after int64, limit int) ([]Record, error) {
	recs, err := j.page(ctx, after, limit)
	if err != nil {
		return nil, fmt.Errorf("journal: page after %d: %w", after, err)
	}
	return recs, nil
}

func (j *Journal) page(ctx context.Context, after int64, limit int) ([]Record, error) {
	if j.closed.Load() {
		return nil, ErrClosed
	}
	if limit <= 0 {
		return []Record{}, nil
	}
	rows, err := j.rdb.QueryContext(ctx, `
		SELECT seq, received_at, source, kind, hint, subject, payload
		FROM events WHERE seq > ? ORDER BY seq LIMIT ?`, after, limit)
	if err != nil {
		return nil, j.readErr(err)
	}
	defer rows.Close()
	recs := make([]Record, 0, min(limit, replayChunk))
	for rows.Next() {
		var r Record
		var ns int64
		if err := rows.Scan(&r.Seq, &ns, &r.Source, &r.Kind, &r.Hint, &r.Subject, &r.Payload); err != nil {
			return nil, err
		}
		r.ReceivedAt = time.Unix(0, ns).UTC()
		if r.Payload == nil {
			r.Payload = []byte{}
		}
		recs = append(recs, r)
	}
	if err := rows.Err(); err != nil {
		return nil, j.readErr(err)
	}
	return recs, nil
}

// LastSeq returns the highest Seq stored (0 if the journal is empty).
func (j *Journal) LastSeq(ctx context.Context) (int64, error) {
	if j.closed.Load() {
		return 0, ErrClosed
	}
	var seq int64
	err := j.rdb.QueryRowContext(ctx, "SELECT coalesce(max(seq), 0) FROM events").Scan(&seq)
	if err != nil {
		return 0, fmt.Errorf("journal: last seq: %w", j.readErr(err))
	}
	return seq, nil
}

// Head returns the highest Seq ever assigned (0 if none): LastSeq, plus
// records retention has deleted since. The next record this journal
// appends gets Head()+1.
func (j *Journal) Head(ctx context.Context) (int64, error) {
	if j.closed.Load() {
		return 0, ErrClosed
	}
	var seq int64
	err := j.rdb.QueryRowContext(ctx,
		"SELECT coalesce((SELECT seq FROM sqlite_sequence WHERE name = 'events'), 0)").Scan(&seq)
	if err != nil {
		return 0, fmt.Errorf("journal: head: %w", j.readErr(err))
	}
	return seq, nil
}

// Stats returns the number of records and the payload bytes held. The
// figures are kept by the writer as it commits and deletes, so Stats costs
// no query.
func (j *Journal) Stats(ctx context.Context) (count int64, bytes int64, err error) {
	if j.closed.Load() {
		return 0, 0, ErrClosed
	}
	if err := ctx.Err(); err != nil {
		return 0, 0, err
	}
	return j.count.Load(), j.bytes.Load(), nil
}

// writeFailure is a batch that failed to commit, and when.
type writeFailure struct {
	at  time.Time
	err error
}

// Ping checks that the database answers a read and that the latest batch
// of appends did not fail to commit (used by /healthz). A write failure is
// reported, wrapping ErrUnavailable, until a batch commits again.
func (j *Journal) Ping(ctx context.Context) error {
	if j.closed.Load() {
		return ErrClosed
	}
	if err := j.checkFile(); err != nil {
		return fmt.Errorf("journal: ping: %w: %w", ErrUnavailable, err)
	}
	if f := j.writeErr.Load(); f != nil {
		return fmt.Errorf("journal: ping: the last write failed at %s: %w", f.at.UTC().Format(time.RFC3339), f.err)
	}
	var v int
	if err := j.rdb.QueryRowContext(ctx, "PRAGMA user_version").Scan(&v); err != nil {
		return fmt.Errorf("journal: ping: %w", j.readErr(err))
	}
	if v != schemaVersion {
		return fmt.Errorf("journal: ping: schema version %d, want %d", v, schemaVersion)
	}
	return nil
}

// readErr reports ErrClosed for a read that failed because Close ran under it.
func (j *Journal) readErr(err error) error {
	if j.closed.Load() {
		return ErrClosed
	}
	return err
}

// Close stops the writer and closes the database. Appends already taken by
// the writer complete; the others return ErrClosed. Close waits for the
// writer goroutine to return. Calling Close again does nothing and returns
// nil.
func (j *Journal) Close() error {
	var err error
	j.closeOnce.Do(func() {
		j.closed.Store(true)
		close(j.quit)
		<-j.done
		err = j.closeDBs()
		j.closeFiles()
		if err != nil {
			err = fmt.Errorf("journal: close: %w", err)
		}
	})
	return err
}

// closeFiles closes the identity descriptor, then releases the writer
// lock. The databases must be closed first.
func (j *Journal) closeFiles() {
	if j.file != nil {
		j.file.Close()
	}
	if j.lock != nil {
		j.lock.Close()
	}
}

// closeDBs closes the prepared statements and both databases.
func (j *Journal) closeDBs() error {
	var errs []error
	for _, s := range []*sql.Stmt{j.w.stmtInsert, j.w.stmtInsertAt, j.w.stmtKeys, j.w.stmtLatest} {
		if s != nil {
			errs = append(errs, s.Close())
		}
	}
	if j.wdb != nil {
		errs = append(errs, j.wdb.Close())
	}
	if j.rdb != nil {
		errs = append(errs, j.rdb.Close())
	}
	return errors.Join(errs...)
}
