// Package clusterjournal is the hub's journal in cluster mode (a
// hub.Journal): appends go to the replicated stream (ingest/cluster), and
// every node follows the stream in order into a local SQLite copy
// (ingest/journal, same schema, the stream's sequences as the cursors) and,
// through the copy's OnCommit, into its board. Reads, catch-up and
// checkpoints are the local copy's.
package clusterjournal

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/chatdeck/chatdeck/ingest/cluster"
	"github.com/chatdeck/chatdeck/ingest/journal"
)

// Config configures a Journal.
type Config struct {
	// Stream is the replicated journal. Required.
	Stream *cluster.Journal
	// CatchUpTimeout bounds how long Open brings the local copy up to the
	// stream's last sequence before the board is rebuilt from it; what is
	// left is followed after Start. Default 30 s.
	CatchUpTimeout time.Duration
	// ApplyTimeout bounds how long an Append, once the stream acknowledged
	// it, waits for this node's copy and board to apply it; past it the
	// append fails (the sender retries, and the retry is a duplicate).
	// Default the stream's publish timeout.
	ApplyTimeout time.Duration
	// MaxBatch is the most records stored in one transaction of the copy;
	// default 512.
	MaxBatch int
	// Logger; default slog.Default().
	Logger *slog.Logger
}

// Journal is the replicated journal with its local copy. Create it with
// Open; the hub calls Start.
type Journal struct {
	cfg    Config
	stream *cluster.Journal
	local  *journal.Journal
	log    *slog.Logger

	onCommit func([]journal.Record) // the hub's
	deliver  atomic.Bool            // pass the copy's commits to onCommit (after Start)

	mu      sync.Mutex
	applied int64           // the highest stream sequence the copy has decided (stored or dropped)
	dropped map[int64]int64 // sequence → the record it repeated, for recent DedupeLatest drops
	changed chan struct{}   // closed (and replaced) when applied moves

	stop    context.CancelFunc // ends the follower started by Start
	stopped chan struct{}
	closing sync.Once
}

// Defaults for Config.
const (
	defaultCatchUp  = 30 * time.Second
	defaultMaxBatch = 512
	// keepDropped is how many sequences back a drop is remembered for an
	// Append that waits for it: appends wait seconds, not thousands.
	keepDropped = 1 << 16
	retryEvery  = 500 * time.Millisecond
)

// Open opens the local copy at opts.Path (opts.OnCommit is the hub's,
// called for every record the copy stores once Start has run) and brings
// it up to the stream's last sequence, within Config.CatchUpTimeout. A copy
// that holds cursors past the stream's last belongs to another stream and
// is refused.
func Open(ctx context.Context, cfg Config, opts journal.Options) (*Journal, error) {
	if cfg.Stream == nil {
		return nil, errors.New("clusterjournal: open: no stream")
	}
	if cfg.CatchUpTimeout <= 0 {
		cfg.CatchUpTimeout = defaultCatchUp
	}
	if cfg.ApplyTimeout <= 0 {
		cfg.ApplyTimeout = cfg.Stream.PublishTimeout()
	}
	if cfg.MaxBatch <= 0 {
		cfg.MaxBatch = defaultMaxBatch
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	j := &Journal{cfg: cfg, stream: cfg.Stream, log: cfg.Logger, onCommit: opts.OnCommit,
		dropped: map[int64]int64{}, changed: make(chan struct{})}
	opts.OnCommit = j.committed
	if opts.Logger == nil {
		opts.Logger = cfg.Logger
	}
	local, err := journal.Open(ctx, opts)
	if err != nil {
		return nil, fmt.Errorf("clusterjournal: local copy: %w", err)
	}
	j.local = local
	if err := j.catchUp(ctx); err != nil {
		_ = local.Close()
		return nil, err
	}
	return j, nil
}

// catchUp brings the copy up to the stream's last sequence as Open finds
// it, or as far as it gets within CatchUpTimeout.
func (j *Journal) catchUp(ctx context.Context) error {
	head, err := j.local.Head(ctx)
	if err != nil {
		return fmt.Errorf("clusterjournal: local copy: %w", err)
	}
	j.applied = head
	sctx, cancel := context.WithTimeout(ctx, j.cfg.CatchUpTimeout)
	defer cancel()
	var last int64
	err = retry(sctx, func() error {
		var err error
		last, _, err = j.stream.Status(sctx)
		return err
	})
	if err != nil {
		j.log.Warn("clusterjournal: the stream did not answer: serving the local copy, following once it does",
			"local_cursor", head, "err", err)
		return nil
	}
	if head > last {
		return fmt.Errorf("clusterjournal: the local copy holds cursors up to %d but the stream's last is %d: "+
			"it is the copy of another stream; move it away and the node rebuilds it from the stream", head, last)
	}
	if head == last {
		return nil
	}
	start := time.Now()
	err = j.follow(sctx, last)
	if err != nil && ctx.Err() != nil {
		return ctx.Err()
	}
	j.mu.Lock()
	applied := j.applied
	j.mu.Unlock()
	if applied < last {
		j.log.Warn("clusterjournal: the local copy is still behind the stream; following after start",
			"local_cursor", applied, "stream_last", last, "within", j.cfg.CatchUpTimeout)
		return nil
	}
	j.log.Info("clusterjournal: local copy caught up with the stream", "from", head, "to", applied,
		"took", time.Since(start).Round(time.Millisecond))
	return nil
}

// retry calls fn until it succeeds or ctx ends (then the last error).
func retry(ctx context.Context, fn func() error) error {
	for {
		err := fn()
		if err == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(retryEvery):
		}
	}
}

// Start starts following the stream into the copy and the board; Close
// stops it.
func (j *Journal) Start(context.Context) error {
	j.deliver.Store(true)
	ctx, cancel := context.WithCancel(context.Background())
	j.stop, j.stopped = cancel, make(chan struct{})
	go func() {
		defer close(j.stopped)
		_ = j.follow(ctx, 0)
	}()
	return nil
}

// committed is the copy's OnCommit: the hub's, once started.
func (j *Journal) committed(recs []journal.Record) {
	if j.deliver.Load() && j.onCommit != nil {
		j.onCommit(recs)
	}
}

// follow copies the stream into the local copy from where the copy is,
// until ctx ends or, if until > 0, the copy has reached until. Stream
// records arrive on one goroutine and are stored in batches of what has
// arrived meanwhile, so the copy pays one fsync per batch.
func (j *Journal) follow(ctx context.Context, until int64) error {
	ctx, cancel := context.WithCancel(ctx)
	j.mu.Lock()
	after := j.applied
	j.mu.Unlock()
	entries := make(chan cluster.Entry, j.cfg.MaxBatch)
	var wg sync.WaitGroup
	defer wg.Wait()
	defer cancel()
	wg.Go(func() {
		for ctx.Err() == nil {
			fctx, restart := context.WithCancel(ctx)
			var watching sync.WaitGroup
			watching.Go(func() { j.watch(fctx, restart, func() int { return len(entries) }) })
			err := j.stream.Follow(fctx, after, func(e cluster.Entry) error {
				select {
				case entries <- e:
					after = e.Seq
					return nil
				case <-fctx.Done():
					return fctx.Err()
				}
			})
			restart()
			watching.Wait()
			if ctx.Err() != nil {
				return
			}
			j.log.Warn("clusterjournal: following the stream, resuming", "after", after, "err", err)
			select {
			case <-ctx.Done():
			case <-time.After(retryEvery):
			}
		}
	})
	batch := make([]cluster.Entry, 0, j.cfg.MaxBatch)
	for {
		if until > 0 && j.Applied() >= until {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case e := <-entries:
			batch = append(batch[:0], e)
		}
	drain:
		for len(batch) < j.cfg.MaxBatch {
			select {
			case e := <-entries:
				batch = append(batch, e)
			default:
				break drain
			}
		}
		if err := j.store(ctx, batch); err != nil {
			return err
		}
	}
}

// stallCheck is how often the follower's progress is checked.
const stallCheck = 3 * time.Second

// watch restarts a Follow that has stopped delivering: when the copy has
// not moved for a stallCheck, nothing it was handed waits to be stored,
// and the stream holds more. The ordered consumer is meant to repair
// itself after a stream leader's death, but nats.go can leave it waiting
// (a "leadership change" answer resets its pending count without sending
// a new pull request); a new one from the copy's cursor costs nothing.
func (j *Journal) watch(ctx context.Context, restart context.CancelFunc, queued func() int) {
	t := time.NewTicker(stallCheck)
	defer t.Stop()
	seen := j.Applied()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		now := j.Applied()
		if now != seen || queued() > 0 {
			seen = now
			continue
		}
		sctx, cancel := context.WithTimeout(ctx, time.Second)
		last, leader, err := j.stream.Status(sctx)
		cancel()
		if err == nil && leader != "" && last > now {
			j.log.Warn("clusterjournal: the stream's follower stalled, restarting it", "applied", now, "stream_last", last)
			restart()
			return
		}
	}
}

// store imports one batch into the copy, retrying until it is stored or
// ctx ends: the stream holds it, so a failing disk only delays the copy.
func (j *Journal) store(ctx context.Context, batch []cluster.Entry) error {
	recs := make([]journal.Record, len(batch))
	modes := make([]journal.Dedupe, len(batch))
	for i, e := range batch {
		recs[i] = journal.Record{Seq: e.Seq, ReceivedAt: e.ReceivedAt, Source: e.Source, Kind: e.Kind, Hint: e.Hint,
			Subject: e.Subject, Payload: e.Payload}
		modes[i] = journal.DedupeNone
		if e.Latest {
			modes[i] = journal.DedupeLatest
		}
	}
	for {
		got, err := j.local.Import(ctx, recs, modes)
		if err == nil {
			j.advance(batch, got)
			return nil
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		j.log.Error("clusterjournal: storing stream records in the local copy, retrying", "first", batch[0].Seq,
			"records", len(batch), "err", err)
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(retryEvery):
		}
	}
}

// advance notes what the copy did with a stored batch and wakes the
// appends waiting for it.
func (j *Journal) advance(batch []cluster.Entry, got []journal.Imported) {
	j.mu.Lock()
	defer j.mu.Unlock()
	for i, g := range got {
		if g.Duplicate {
			j.dropped[batch[i].Seq] = g.Seq
		}
	}
	j.applied = batch[len(batch)-1].Seq
	if len(j.dropped) > keepDropped {
		for s := range j.dropped {
			if s < j.applied-keepDropped {
				delete(j.dropped, s)
			}
		}
	}
	close(j.changed)
	j.changed = make(chan struct{})
}

// Applied is the highest stream sequence this node's copy (and, once
// started, its board) has applied.
func (j *Journal) Applied() int64 {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.applied
}

// Append publishes r to the stream and returns once the stream's quorum
// acknowledged it and this node's copy and board applied it. Content kinds
// carry their content key as the message id, so the stream drops a retry;
// DedupeLatest kinds (agent status, snapshots) carry none and each copy
// drops a repeat of its subject's latest record, alike on every node: the
// answer is then this node's copy's decision. A failure wraps
// journal.ErrUnavailable (and cluster.ErrNoQuorum when the stream could
// not commit).
func (j *Journal) Append(ctx context.Context, r journal.Record, d journal.Dedupe) (seq int64, duplicate bool, err error) {
	e := cluster.Entry{ReceivedAt: r.ReceivedAt, Source: r.Source, Kind: r.Kind, Hint: r.Hint, Subject: r.Subject, Payload: r.Payload}
	var msgID string
	switch {
	case d == journal.DedupeLatest && r.Subject != "":
		e.Latest = true
	case d == journal.DedupeNone:
	default:
		key := r.ContentKey()
		msgID = hex.EncodeToString(key[:])
	}
	seq, dup, err := j.stream.Publish(ctx, e, msgID)
	if err != nil {
		if ctx.Err() != nil {
			return 0, false, ctx.Err()
		}
		return 0, false, fmt.Errorf("clusterjournal: append: %w: %w", journal.ErrUnavailable, err)
	}
	repeats, err := j.waitApplied(ctx, seq)
	if err != nil {
		return 0, false, err
	}
	if repeats > 0 {
		return repeats, true, nil
	}
	return seq, dup, nil
}

// waitApplied waits until the copy has applied seq, and says which record
// it repeats if the copy dropped it (0: stored).
func (j *Journal) waitApplied(ctx context.Context, seq int64) (repeats int64, err error) {
	timer := time.NewTimer(j.cfg.ApplyTimeout)
	defer timer.Stop()
	for {
		j.mu.Lock()
		if j.applied >= seq {
			repeats = j.dropped[seq]
			j.mu.Unlock()
			return repeats, nil
		}
		ch := j.changed
		applied := j.applied
		j.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return 0, ctx.Err()
		case <-timer.C:
			return 0, fmt.Errorf("clusterjournal: append: %w: the stream acknowledged cursor %d but this node's copy "+
				"applied only up to %d within %v", journal.ErrUnavailable, seq, applied, j.cfg.ApplyTimeout)
		}
	}
}

// Ping checks the local copy and that the stream has a leader (without
// one nothing can be committed).
func (j *Journal) Ping(ctx context.Context) error {
	if err := j.local.Ping(ctx); err != nil {
		return err
	}
	if err := j.StreamOK(ctx); err != nil {
		return fmt.Errorf("clusterjournal: ping: %w: %w", journal.ErrUnavailable, err)
	}
	return nil
}

// StreamOK says why the stream cannot commit now, nil when it can (it
// has a leader).
func (j *Journal) StreamOK(ctx context.Context) error {
	sctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	_, leader, err := j.stream.Status(sctx)
	if err != nil {
		return err
	}
	if leader == "" {
		return cluster.ErrNoQuorum
	}
	return nil
}

// Lag is how many stream sequences this node's copy is behind the
// stream's last.
func (j *Journal) Lag(ctx context.Context) (int64, error) {
	last, _, err := j.stream.Status(ctx)
	if err != nil {
		return 0, err
	}
	return max(last-j.Applied(), 0), nil
}

// Close stops following (after the batch in hand) and closes the copy.
func (j *Journal) Close() error {
	j.closing.Do(func() {
		if j.stop != nil {
			j.stop()
			<-j.stopped
		}
	})
	return j.local.Close()
}

// The reads are the local copy's.

// Replay is the local copy's Replay.
func (j *Journal) Replay(ctx context.Context, after int64, fn func(journal.Record) error) error {
	return j.local.Replay(ctx, after, fn)
}

// Page is the local copy's Page.
func (j *Journal) Page(ctx context.Context, after int64, limit int) ([]journal.Record, error) {
	return j.local.Page(ctx, after, limit)
}

// PageBytes is the local copy's PageBytes.
func (j *Journal) PageBytes(ctx context.Context, after int64, limit int, maxBytes int64) ([]journal.Record, bool, error) {
	return j.local.PageBytes(ctx, after, limit, maxBytes)
}

// LastSeq is the local copy's LastSeq.
func (j *Journal) LastSeq(ctx context.Context) (int64, error) { return j.local.LastSeq(ctx) }

// Head is the local copy's Head: the last stream sequence it stored.
func (j *Journal) Head(ctx context.Context) (int64, error) { return j.local.Head(ctx) }

// LoadCheckpoint is the local copy's: each node checkpoints its own board.
func (j *Journal) LoadCheckpoint(ctx context.Context) (journal.Checkpoint, bool, error) {
	return j.local.LoadCheckpoint(ctx)
}

// SaveCheckpoint is the local copy's.
func (j *Journal) SaveCheckpoint(ctx context.Context, cp journal.Checkpoint) error {
	return j.local.SaveCheckpoint(ctx, cp)
}
