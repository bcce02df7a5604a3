package journal

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Imported is what Import did with one record.
type Imported struct {
	// Seq is the record's own Seq when it was stored; when Duplicate, the
	// Seq of the record it repeats.
	Seq       int64
	Duplicate bool
}

// Import stores recs at the Seqs they carry, for a journal that is a copy
// of a replicated stream whose sequences are the cursors: each Seq above
// every Seq stored before and above the one before it (gaps allowed). Only
// DedupeLatest is decided here, as Append decides it (the latest record of
// the subject, the ones of this batch included): a repeat is not stored
// and comes back Duplicate. Every other mode stores the record as it is:
// the stream deduplicated it. Deciding from the records alone, every copy
// of the same stream keeps the same records.
//
// The batch is one transaction and one fsync, and OnCommit is called with
// the stored records as for Append, before Import returns. A failure to
// write wraps ErrUnavailable and stores nothing. The records belong to the
// journal once passed.
func (j *Journal) Import(ctx context.Context, recs []Record, modes []Dedupe) ([]Imported, error) {
	if len(modes) != len(recs) {
		return nil, fmt.Errorf("journal: import: %d records, %d dedupe modes", len(recs), len(modes))
	}
	if len(recs) == 0 {
		return nil, nil
	}
	if j.closed.Load() {
		return nil, ErrClosed
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	batch := make([]*request, len(recs))
	for i, r := range recs {
		if r.Seq <= 0 || i > 0 && r.Seq <= recs[i-1].Seq {
			return nil, fmt.Errorf("journal: import: record %d has Seq %d: Seqs must be positive and rise", i, r.Seq)
		}
		if r.ReceivedAt.IsZero() || r.ReceivedAt.Before(minReceivedAt) || r.ReceivedAt.After(maxReceivedAt) {
			return nil, fmt.Errorf("journal: import: record %d: received_at %v out of range", r.Seq, r.ReceivedAt)
		}
		r.ReceivedAt = time.Unix(0, r.ReceivedAt.UnixNano()).UTC()
		if r.Payload == nil {
			r.Payload = []byte{}
		}
		d := modes[i]
		if d != DedupeLatest {
			d = DedupeNone
		}
		batch[i] = &request{rec: r, dedupe: d, at: true,
			key: r.ContentKey(), resp: make(chan result, 1)}
	}
	select {
	case j.imports <- batch:
	case <-ctx.Done():
		return nil, ctx.Err()
	case <-j.quit:
		return nil, ErrClosed
	}
	out := make([]Imported, len(batch))
	var err error
	for i, req := range batch {
		res := <-req.resp
		if res.err != nil && err == nil {
			err = res.err // one transaction: every request carries the same error
		}
		out[i] = Imported{Seq: res.seq, Duplicate: res.duplicate}
	}
	if err != nil {
		return nil, err
	}
	return out, nil
}

// errImportOrder is a batch whose first Seq is not above the journal's
// head: it would reuse a cursor.
var errImportOrder = errors.New("a Seq at or below the journal's head")
