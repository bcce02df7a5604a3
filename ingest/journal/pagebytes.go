package journal

import (
	"context"
	"fmt"
)

// PageBytes is Page bounded by payload bytes as well as by count: it
// returns the records after the cursor, up to limit of them, stopping
// before the one that would take their payloads past maxBytes (the first
// record always comes, whatever its size, so that a reader always moves
// on). more says whether records follow the last one returned. Only the
// payloads returned are read into memory: the sizes are read first.
func (j *Journal) PageBytes(ctx context.Context, after int64, limit int, maxBytes int64) (recs []Record, more bool, err error) {
	if j.closed.Load() {
		return nil, false, ErrClosed
	}
	if limit <= 0 {
		return []Record{}, false, nil
	}
	n, more, err := j.fitting(ctx, after, limit, maxBytes)
	if err != nil {
		return nil, false, fmt.Errorf("journal: page after %d: %w", after, err)
	}
	recs, err = j.page(ctx, after, n)
	if err != nil {
		return nil, false, fmt.Errorf("journal: page after %d: %w", after, err)
	}
	return recs, more, nil
}

// fitting returns how many records after the cursor fit in limit and
// maxBytes of payload, and whether any follow them.
func (j *Journal) fitting(ctx context.Context, after int64, limit int, maxBytes int64) (n int, more bool, err error) {
	// length() of a blob is read from the record's header: SQLite does not
	// load the payload to answer it.
	rows, err := j.rdb.QueryContext(ctx, `
		SELECT length(payload) FROM events WHERE seq > ? ORDER BY seq LIMIT ?`, after, limit+1)
	if err != nil {
		return 0, false, j.readErr(err)
	}
	defer rows.Close()
	var total int64
	for rows.Next() {
		var size int64
		if err := rows.Scan(&size); err != nil {
			return 0, false, err
		}
		if n == limit || (n > 0 && total+size > maxBytes) {
			more = true
			break
		}
		total += size
		n++
	}
	if err := rows.Err(); err != nil {
		return 0, false, j.readErr(err)
	}
	return n, more, nil
}
