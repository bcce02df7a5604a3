package journal

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"runtime/debug"
	"slices"
	"strings"
	"time"
)

// request is one Append waiting for the writer.
type request struct {
	rec    Record
	dedupe Dedupe
	key    [32]byte
	resp   chan result // buffered 1
	// at: the record carries its own Seq (Import).
	at bool
}

// result is the writer's answer to a request.
type result struct {
	seq       int64
	duplicate bool
	err       error
}

// writer is the state owned by the writer goroutine (and by Open before the
// goroutine starts).
type writer struct {
	stmtInsert   *sql.Stmt
	stmtInsertAt *sql.Stmt // Import's: at a given seq
	stmtKeys     *sql.Stmt // the keys among keysPerLookup that are stored
	stmtLatest   *sql.Stmt

	ret retention

	fileErr   string    // why the path does not name the open file, "" while it does (file.go)
	lastWrite time.Time // the latest successful commit
}

// retention is the progress of one retention run. A run deletes at most
// Options.retentionChunk rows per statement, and the writer takes a batch of
// waiting appends between statements.
type retention struct {
	active  bool
	ageDone bool  // no record older than cutoff is left
	cutoff  int64 // unix nanos: records received before it are too old
	byAge   int64 // records deleted in this run because of MaxAge
	byBytes int64 // records deleted in this run because of MaxBytes
	freed   int64 // payload bytes deleted in this run
	failed  bool
}

// prepare prepares the statements the writer runs in every batch.
func (j *Journal) prepare(ctx context.Context) error {
	var err error
	if j.w.stmtInsert, err = j.wdb.PrepareContext(ctx, `
		INSERT INTO events (received_at, source, kind, hint, subject, key, payload)
		VALUES (?, ?, ?, ?, ?, ?, ?)`); err != nil {
		return fmt.Errorf("prepare insert: %w", err)
	}
	if j.w.stmtInsertAt, err = j.wdb.PrepareContext(ctx, `
		INSERT INTO events (seq, received_at, source, kind, hint, subject, key, payload)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)`); err != nil {
		return fmt.Errorf("prepare insert at: %w", err)
	}
	if j.w.stmtKeys, err = j.wdb.PrepareContext(ctx, `SELECT key, min(seq) FROM events WHERE key IN (?`+
		strings.Repeat(", ?", keysPerLookup-1)+`) GROUP BY key`); err != nil {
		return fmt.Errorf("prepare dedupe by keys: %w", err)
	}
	// "subject <> ''" repeats the partial index's WHERE so SQLite may use it.
	if j.w.stmtLatest, err = j.wdb.PrepareContext(ctx, `
		SELECT seq, key FROM events
		WHERE subject = ? AND subject <> ''
		ORDER BY seq DESC LIMIT 1`); err != nil {
		return fmt.Errorf("prepare dedupe by subject: %w", err)
	}
	return nil
}

// run is the writer goroutine: it takes batches of waiting appends, commits
// them, and applies retention between batches. It returns when quit is
// closed, after finishing the batch in hand.
func (j *Journal) run() {
	defer close(j.done)
	// The notifier answers the batches committed so far before the writer
	// says it is done.
	defer func() {
		close(j.committed)
		<-j.notified
	}()
	ctx := context.Background() // a batch once taken is finished, even by Close
	tick := time.NewTicker(j.opts.RetentionEvery)
	defer tick.Stop()
	var probe <-chan time.Time
	if j.opts.ProbeEvery > 0 {
		t := time.NewTicker(j.opts.ProbeEvery)
		defer t.Stop()
		probe = t.C
	}
	batch := make([]*request, 0, j.opts.MaxBatch)
	for {
		var first *request
		if j.w.ret.active {
			// Retention chunks and batches take turns, so neither starves
			// the other.
			j.retainStep(ctx)
			select {
			case <-j.quit:
				return
			case first = <-j.reqs:
			case b := <-j.imports:
				j.process(ctx, b)
				continue
			default:
				continue
			}
		} else {
			select {
			case <-j.quit:
				return
			case first = <-j.reqs:
			case b := <-j.imports:
				j.process(ctx, b)
				continue
			case <-tick.C:
				j.startRetention()
				continue
			case <-probe:
				j.probeTick(ctx)
				continue
			}
		}
		batch = append(batch[:0], first)
	drain:
		for len(batch) < j.opts.MaxBatch {
			select {
			case r := <-j.reqs:
				batch = append(batch, r)
			default:
				break drain
			}
		}
		j.process(ctx, batch)
		clear(batch) // let the requests be collected
		if !j.w.ret.active && j.opts.MaxBytes > 0 && j.bytes.Load() > j.opts.MaxBytes {
			j.startRetention()
		}
	}
}

// process stores one batch and hands it to the notifier, which reports it
// to OnCommit and answers every waiter; a batch that fails is answered at
// once.
func (j *Journal) process(ctx context.Context, batch []*request) {
	if j.opts.onBatch != nil {
		j.opts.onBatch(len(batch))
	}
	// Acknowledged means committed to the file the path names: a commit to
	// a file deleted or replaced under the process would be lost at the
	// next start.
	if err := j.checkFile(); err != nil {
		j.fileProblem(ctx, err)
		err = fmt.Errorf("journal: append: %w: %w", ErrUnavailable, err)
		for _, r := range batch {
			r.resp <- result{err: err}
		}
		return
	}
	j.fileOK()
	stored, results, err := j.commit(ctx, batch)
	if err != nil {
		err = fmt.Errorf("journal: append: %w: %w", ErrUnavailable, err)
		j.writeErr.Store(&writeFailure{at: j.opts.Now(), err: err})
		j.log.Error("journal: batch failed", "appends", len(batch), "err", err)
		for _, r := range batch {
			r.resp <- result{err: err}
		}
		return
	}
	j.writeErr.Store(nil)
	j.w.lastWrite = time.Now()
	if err := j.checkFile(); err != nil {
		// The file went while the batch was committed. The records are in
		// the open file, so the board shows them (it mirrors that file),
		// but none is acknowledged: the senders retry, and a retry is
		// stored once wherever the path leads.
		j.fileProblem(ctx, err)
		err = fmt.Errorf("journal: append: %w: %w", ErrUnavailable, err)
		for i := range results {
			results[i] = result{err: err}
		}
	}
	// OnCommit runs on the notifier, while the writer commits the next
	// batch: a board to update and events to encode do not hold up the
	// journal. The waiters are answered after it, in commit order.
	j.committed <- committedBatch{stored: stored, reqs: slices.Clone(batch), results: results}
}

// committedBatch is a batch committed, for the notifier.
type committedBatch struct {
	stored  []Record
	reqs    []*request
	results []result
}

// notify is the notifier goroutine: for each batch the writer committed, in
// order, it calls OnCommit, then answers the batch's waiters. It returns
// when the writer closes committed.
func (j *Journal) notify() {
	defer close(j.notified)
	for b := range j.committed {
		if len(b.stored) > 0 && j.opts.OnCommit != nil {
			j.callOnCommit(b.stored)
		}
		for i, r := range b.reqs {
			r.resp <- b.results[i]
		}
	}
}

// callOnCommit calls OnCommit, containing a panic in it: the records are
// committed, so the appends still succeed and the writer carries on.
func (j *Journal) callOnCommit(stored []Record) {
	defer func() {
		if p := recover(); p != nil {
			j.log.Error("journal: OnCommit panicked", "panic", p, "first_seq", stored[0].Seq,
				"records", len(stored), "stack", string(debug.Stack()))
		}
	}()
	j.opts.OnCommit(stored)
}

// commit runs batch in one transaction. It returns the records it stored (in
// Seq order) and one result per request; on error nothing was stored.
func (j *Journal) commit(ctx context.Context, batch []*request) (stored []Record, results []result, err error) {
	tx, err := j.wdb.BeginTx(ctx, nil) // BEGIN IMMEDIATE, see dsn
	if err != nil {
		return nil, nil, fmt.Errorf("begin: %w", err)
	}
	defer func() {
		if err != nil {
			tx.Rollback() //nolint:errcheck // the batch failed already; SQLite rolls back a failed commit itself
		}
	}()
	insert := tx.StmtContext(ctx, j.w.stmtInsert)
	// A batch is all imports or all appends (they come on their own
	// channels): only an import's needs the statement with its own Seq.
	var insertAt *sql.Stmt
	if batch[0].at {
		insertAt = tx.StmtContext(ctx, j.w.stmtInsertAt)
		var head int64
		if err := tx.QueryRowContext(ctx, "SELECT coalesce((SELECT seq FROM sqlite_sequence WHERE name = 'events'), 0)").Scan(&head); err != nil {
			return nil, nil, fmt.Errorf("head: %w", err)
		}
		if batch[0].rec.Seq <= head {
			return nil, nil, fmt.Errorf("import at %d: %w %d", batch[0].rec.Seq, errImportOrder, head)
		}
	}
	latest := tx.StmtContext(ctx, j.w.stmtLatest)

	// The content keys of the batch already stored, in a few queries
	// rather than one per append; the keys the batch stores are added as
	// it goes, so that dedupe holds within a batch too.
	stored0, err := storedKeys(ctx, tx.StmtContext(ctx, j.w.stmtKeys), batch)
	if err != nil {
		return nil, nil, fmt.Errorf("dedupe: %w", err)
	}
	results = make([]result, len(batch))
	var added int64
	for i, req := range batch {
		// The latest lookups run inside the transaction, so they see the
		// records inserted earlier in this batch.
		seq, dup, err := lookup(ctx, stored0, latest, req)
		if err != nil {
			return nil, nil, fmt.Errorf("dedupe: %w", err)
		}
		if dup {
			results[i] = result{seq: seq, duplicate: true}
			continue
		}
		r := req.rec
		if req.at {
			if _, err := insertAt.ExecContext(ctx, r.Seq, r.ReceivedAt.UnixNano(), r.Source, r.Kind, r.Hint, r.Subject, req.key[:], r.Payload); err != nil {
				return nil, nil, fmt.Errorf("insert at %d: %w", r.Seq, err)
			}
		} else {
			res, err := insert.ExecContext(ctx, r.ReceivedAt.UnixNano(), r.Source, r.Kind, r.Hint, r.Subject, req.key[:], r.Payload)
			if err != nil {
				return nil, nil, fmt.Errorf("insert: %w", err)
			}
			if r.Seq, err = res.LastInsertId(); err != nil {
				return nil, nil, fmt.Errorf("insert: %w", err)
			}
		}
		results[i] = result{seq: r.Seq}
		if _, ok := stored0[req.key]; !ok {
			stored0[req.key] = r.Seq
		}
		stored = append(stored, r)
		added += int64(len(r.Payload))
	}
	if err = tx.Commit(); err != nil {
		return nil, nil, fmt.Errorf("commit: %w", err)
	}
	j.count.Add(int64(len(stored)))
	j.bytes.Add(added)
	return stored, results, nil
}

// keysPerLookup is how many content keys one query of storedKeys asks
// about.
const keysPerLookup = 64

// storedKeys returns the first Seq stored under each content key of the
// batch that is in the journal (the keys of every request: DedupeLatest
// ones fall back to content dedupe without a subject).
func storedKeys(ctx context.Context, keys *sql.Stmt, batch []*request) (map[[32]byte]int64, error) {
	out := make(map[[32]byte]int64, len(batch))
	args := make([]any, keysPerLookup)
	for start := 0; start < len(batch); start += keysPerLookup {
		chunk := batch[start:min(start+keysPerLookup, len(batch))]
		for i := range args {
			// A short chunk repeats its first key: IN does not mind.
			args[i] = chunk[min(i, len(chunk)-1)].key[:]
		}
		if err := func() error {
			rows, err := keys.QueryContext(ctx, args...)
			if err != nil {
				return err
			}
			defer rows.Close()
			for rows.Next() {
				var k []byte
				var seq int64
				if err := rows.Scan(&k, &seq); err != nil {
					return err
				}
				if len(k) == 32 {
					out[[32]byte(k)] = seq
				}
			}
			return rows.Err()
		}(); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// lookup reports whether req repeats a record already stored, and its Seq.
// stored holds the first Seq of each content key of the batch stored so
// far (storedKeys, then what the batch added).
func lookup(ctx context.Context, stored map[[32]byte]int64, latest *sql.Stmt, req *request) (int64, bool, error) {
	d := req.dedupe
	if d == DedupeLatest && req.rec.Subject == "" {
		d = DedupeContent
	}
	switch d {
	case DedupeContent:
		seq, ok := stored[req.key]
		return seq, ok, nil
	case DedupeLatest:
		var seq int64
		var key []byte
		err := latest.QueryRowContext(ctx, req.rec.Subject).Scan(&seq, &key)
		if errors.Is(err, sql.ErrNoRows) {
			return 0, false, nil
		}
		if err != nil {
			return 0, false, err
		}
		return seq, bytes.Equal(key, req.key[:]), nil
	}
	return 0, false, nil
}

// startRetention begins a retention run, if any limit is set.
func (j *Journal) startRetention() {
	if j.opts.MaxAge <= 0 && j.opts.MaxBytes <= 0 {
		return
	}
	j.w.ret = retention{active: true, ageDone: j.opts.MaxAge <= 0}
	if j.opts.MaxAge > 0 {
		j.w.ret.cutoff = j.opts.Now().Add(-j.opts.MaxAge).UnixNano()
	}
}

// retainStep runs one statement of the current retention run and ends the run
// when nothing is left to delete (or a statement failed; the next tick tries
// again).
func (j *Journal) retainStep(ctx context.Context) {
	ret := &j.w.ret
	switch {
	case ret.failed:
	case !ret.ageDone:
		n, freed, err := j.deleteOlderThan(ctx, ret.cutoff)
		j.retained(n, freed)
		ret.byAge += n
		if err != nil {
			j.log.Error("journal: retention by age failed", "err", err)
			ret.failed = true
		}
		if n < int64(j.opts.retentionChunk) {
			ret.ageDone = true
		}
		return
	case j.opts.MaxBytes > 0 && j.bytes.Load() > j.opts.MaxBytes:
		n, freed, err := j.deleteOldest(ctx, j.bytes.Load()-j.opts.MaxBytes)
		j.retained(n, freed)
		ret.byBytes += n
		if err != nil {
			j.log.Error("journal: retention by size failed", "err", err)
			ret.failed = true
		}
		return
	}
	if ret.byAge > 0 || ret.byBytes > 0 {
		j.log.Info("journal: retention deleted records",
			"by_age", ret.byAge, "by_size", ret.byBytes, "bytes_freed", ret.freed,
			"records", j.count.Load(), "bytes", j.bytes.Load())
	}
	*ret = retention{}
}

// retained accounts for n records of freed payload bytes deleted.
func (j *Journal) retained(n, freed int64) {
	j.w.ret.freed += freed
	j.count.Add(-n)
	j.bytes.Add(-freed)
}

// deleteOlderThan deletes up to Options.retentionChunk records received before
// cutoff (unix nanos) and reports how many and their payload bytes.
func (j *Journal) deleteOlderThan(ctx context.Context, cutoff int64) (n, freed int64, err error) {
	tx, err := j.wdb.BeginTx(ctx, nil)
	if err != nil {
		return 0, 0, fmt.Errorf("delete old records: begin: %w", err)
	}
	defer tx.Rollback() //nolint:errcheck // a no-op after Commit
	rows, err := tx.QueryContext(ctx, `
		DELETE FROM events WHERE seq IN (
			SELECT seq FROM events WHERE received_at < ? LIMIT ?
		) RETURNING length(payload)`, cutoff, j.opts.retentionChunk)
	if err != nil {
		return 0, 0, fmt.Errorf("delete old records: %w", err)
	}
	if n, freed, err = sumRows(rows); err != nil {
		return 0, 0, fmt.Errorf("delete old records: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return 0, 0, fmt.Errorf("delete old records: commit: %w", err)
	}
	return n, freed, nil
}

// deleteOldest deletes the oldest records (lowest Seq) whose payloads add up
// to at least excess bytes, at most Options.retentionChunk of them, and reports how
// many and their payload bytes.
func (j *Journal) deleteOldest(ctx context.Context, excess int64) (n, freed int64, err error) {
	tx, err := j.wdb.BeginTx(ctx, nil)
	if err != nil {
		return 0, 0, fmt.Errorf("delete oldest records: begin: %w", err)
	}
	defer tx.Rollback() //nolint:errcheck // a no-op after Commit
	// The Seq of the last record to go: the first at which the running
	// total of payload bytes reaches excess, or the chunk's last.
	var last sql.NullInt64
	err = tx.QueryRowContext(ctx, `
		SELECT max(seq) FROM (
			SELECT seq, sum(length(payload)) OVER (ORDER BY seq ROWS UNBOUNDED PRECEDING) - length(payload) AS before
			FROM (SELECT seq, payload FROM events ORDER BY seq LIMIT ?)
		) WHERE before < ?`, j.opts.retentionChunk, excess).Scan(&last)
	if err != nil {
		return 0, 0, fmt.Errorf("delete oldest records: %w", err)
	}
	if !last.Valid {
		// Nothing to delete although the counter says there is too much:
		// trust the table, not the counter.
		var count, size int64
		err := tx.QueryRowContext(ctx,
			"SELECT count(*), coalesce(sum(length(payload)), 0) FROM events").Scan(&count, &size)
		if err != nil {
			return 0, 0, fmt.Errorf("delete oldest records: recount: %w", err)
		}
		j.log.Warn("journal: corrected record counters", "records", count, "bytes", size,
			"was_records", j.count.Load(), "was_bytes", j.bytes.Load())
		j.count.Store(count)
		j.bytes.Store(size)
		return 0, 0, nil
	}
	rows, err := tx.QueryContext(ctx,
		`DELETE FROM events WHERE seq <= ? RETURNING length(payload)`, last.Int64)
	if err != nil {
		return 0, 0, fmt.Errorf("delete oldest records: %w", err)
	}
	n, freed, err = sumRows(rows)
	if err != nil {
		return 0, 0, fmt.Errorf("delete oldest records: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return 0, 0, fmt.Errorf("delete oldest records: commit: %w", err)
	}
	return n, freed, nil
}

// sumRows counts rows of one integer column and sums it, then closes rows.
// A DELETE ... RETURNING has taken effect once its rows are read.
func sumRows(rows *sql.Rows) (n, sum int64, err error) {
	defer rows.Close()
	for rows.Next() {
		var v int64
		if err := rows.Scan(&v); err != nil {
			return n, sum, err
		}
		n++
		sum += v
	}
	return n, sum, rows.Err()
}
