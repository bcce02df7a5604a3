// Package hub owns chatdeck's live data path: it journals each event, then
// applies it to the board in journal order, and answers reads of the board
// and the journal. Replaying the journal at start rebuilds the board.
package hub

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/chatdeck/chatdeck/ingest/board"
	"github.com/chatdeck/chatdeck/ingest/decode"
	"github.com/chatdeck/chatdeck/ingest/event"
	"github.com/chatdeck/chatdeck/ingest/journal"
	"github.com/chatdeck/chatdeck/ingest/wire"
)

// Config configures a Hub.
type Config struct {
	// Journal is the journal's options; the hub sets OnCommit.
	Journal journal.Options
	// OpenJournal opens the journal; nil: the SQLite journal at
	// Journal.Path (journal.Open).
	OpenJournal OpenJournal
	Board       board.Config
	Logger      *slog.Logger
	// ObserveCommit, if set, is told how long each Ingest waited for its
	// durable commit.
	ObserveCommit func(time.Duration)
	// CheckpointEvery is how often the board is saved in the journal (and
	// it is saved on Close), so that start-up replays only what came after
	// (checkpoint.go). Zero means every 5 minutes; negative means never:
	// start-up then replays the whole journal.
	CheckpointEvery time.Duration
	// Guard reports the values replaced so that what the hub encodes (the
	// stream's messages, snapshots, checkpoints) stays decodable; nil: a
	// guard that logs to Logger and counts nothing.
	Guard *wire.Guard
}

// Hub is the journal and the board behind one lock. Create it with Open.
type Hub struct {
	log     *slog.Logger
	journal Journal
	observe func(time.Duration)
	guard   *wire.Guard

	mu    sync.RWMutex
	board *board.Board
	polls map[string]board.PollState // by source; not journalled: freshness is not history
	// changed is closed (and replaced) whenever the board changes.
	changed chan struct{}
	subs    map[*Subscription]struct{}
	drops   int64
	// streaming is len(subs), readable without the lock.
	streaming atomic.Int64

	// next is the Seq the board expects to apply next (under mu): the
	// journal hands its records over in Seq order, one after another, so
	// another Seq means records the board never applied (written by
	// another process, or lost by a failed OnCommit). missed then says
	// which, and no checkpoint is saved (checkpoint.go): one would cover
	// them, and every start-up after would miss them too.
	next   int64
	missed string

	// Checkpoints (checkpoint.go): saving serialises saves; savedSeq is
	// the cursor saved last (under saving, or before the hub is shared).
	fingerprint string
	saving      sync.Mutex
	savedSeq    int64
	stopSaving  chan struct{} // nil when checkpoints are off
	saverDone   chan struct{}
	closeSaver  sync.Once
}

// PollStatus is a poller's freshness, as the poller reports it.
type PollStatus = board.PollState

// Open opens the journal, replays it into a new board, and returns the hub.
// The replay's figures are logged.
func Open(ctx context.Context, cfg Config) (*Hub, error) {
	h := &Hub{log: cfg.Logger, board: board.New(cfg.Board), polls: map[string]board.PollState{}, changed: make(chan struct{}),
		subs: map[*Subscription]struct{}{}}
	if h.log == nil {
		h.log = slog.Default()
	}
	h.observe = cfg.ObserveCommit
	h.guard = cfg.Guard
	if h.guard == nil {
		h.guard = wire.NewGuard(h.log, nil)
	}
	jopts := cfg.Journal
	jopts.OnCommit = h.applyCommitted
	if jopts.Logger == nil {
		jopts.Logger = h.log
	}
	open := cfg.OpenJournal
	if open == nil {
		open = openSQLite
	}
	j, err := open(ctx, jopts)
	if err != nil {
		return nil, fmt.Errorf("hub: %w", err)
	}
	h.journal = j
	h.fingerprint = fingerprint(h.board.Config())
	if err := h.replay(ctx, cfg.CheckpointEvery >= 0); err != nil {
		_ = j.Close()
		return nil, fmt.Errorf("hub: replay: %w", err)
	}
	head, err := j.Head(ctx)
	if err != nil {
		_ = j.Close()
		return nil, fmt.Errorf("hub: %w", err)
	}
	h.next = head + 1
	if cfg.CheckpointEvery >= 0 {
		every := cfg.CheckpointEvery
		if every == 0 {
			every = defaultCheckpointEvery
		}
		h.stopSaving, h.saverDone = make(chan struct{}), make(chan struct{})
		go func() {
			defer close(h.saverDone)
			h.checkpoints(every, h.stopSaving)
		}()
	}
	if s, ok := j.(Starter); ok {
		if err := s.Start(ctx); err != nil {
			_ = h.Close()
			return nil, fmt.Errorf("hub: start the journal's feed: %w", err)
		}
	}
	return h, nil
}

// replay rebuilds the board: from the checkpoint, if useCheckpoint and
// there is one it can use, then from the events journalled after it.
func (h *Hub) replay(ctx context.Context, useCheckpoint bool) error {
	start := time.Now()
	h.mu.Lock()
	defer h.mu.Unlock()
	var after int64
	if useCheckpoint {
		after = h.restore(ctx)
	}
	restored := time.Since(start)
	n, bad, err := replayJournal(ctx, h.journal, after, runtime.GOMAXPROCS(0), h.board.Apply)
	if err != nil {
		return err
	}
	took := time.Since(start)
	h.log.Info("journal replayed", "checkpoint_cursor", after, "checkpoint_restore", restored.Round(time.Millisecond),
		"events", n, "undecodable", bad, "took", took.Round(time.Millisecond),
		"events_per_sec", int(float64(n)/max((took-restored).Seconds(), 1e-9)))
	return nil
}

// replayBatch is a run of records read from the journal and, once done is
// closed, their events.
type replayBatch struct {
	recs []journal.Record
	evs  []event.Event
	bad  int // records that no longer decode
	done chan struct{}
}

// replayBatchSize is how many records a decoder takes at a time.
const replayBatchSize = 256

// replayJournal reads the whole journal and calls apply with each event, in
// journal order. Decoding, which is most of the work, runs on workers
// goroutines while the journal is read and the events applied: the
// journal is read ahead a few batches at most, so memory stays bounded
// whatever its size. It returns the events applied and how many of them
// no longer decoded (applied as Unrecognised, see RecordEvent).
func replayJournal(parent context.Context, j Replayer, after int64, workers int, apply func(*event.Event)) (n, bad int, err error) {
	ctx, cancel := context.WithCancel(parent)
	defer cancel()
	workers = max(workers, 1)
	work := make(chan *replayBatch, 2*workers)  // to the decoders
	order := make(chan *replayBatch, 4*workers) // to the applier, in journal order
	var decoders sync.WaitGroup
	for range workers {
		decoders.Go(func() {
			for b := range work {
				b.evs = make([]event.Event, len(b.recs))
				for i, r := range b.recs {
					var err error
					if b.evs[i], err = RecordEvent(r); err != nil {
						b.bad++
					}
				}
				b.recs = nil
				close(b.done)
			}
		})
	}
	read := make(chan error, 1)
	go func() {
		defer close(order)
		defer close(work)
		send := func(b *replayBatch) error {
			for _, ch := range []chan *replayBatch{order, work} {
				select {
				case ch <- b:
				case <-ctx.Done():
					return ctx.Err()
				}
			}
			return nil
		}
		b := &replayBatch{done: make(chan struct{})}
		err := j.Replay(ctx, after, func(r journal.Record) error {
			b.recs = append(b.recs, r)
			if len(b.recs) < replayBatchSize {
				return nil
			}
			full := b
			b = &replayBatch{done: make(chan struct{})}
			return send(full)
		})
		if err == nil && len(b.recs) > 0 {
			err = send(b)
		}
		read <- err
	}()
	for b := range order {
		select {
		case <-b.done:
		case <-ctx.Done():
		}
		if ctx.Err() != nil {
			break
		}
		for i := range b.evs {
			apply(&b.evs[i])
		}
		n += len(b.evs)
		bad += b.bad
	}
	// Here the reader is done (it reported before closing order), or ctx
	// ended: then cancel stops it.
	stopped := ctx.Err() != nil
	cancel()
	decoders.Wait()
	err = <-read
	if stopped {
		return n, bad, parent.Err()
	}
	return n, bad, err
}

// RecordEvent decodes a journal record back into its event. A record that
// no longer decodes (a decoder changed) comes back as Unrecognised, with the
// error, so that nothing journalled is ever lost from view.
func RecordEvent(r journal.Record) (event.Event, error) {
	ev, err := decode.Decode(decode.Input{Source: event.Source(r.Source), Hint: r.Hint, Body: r.Payload, ReceivedAt: r.ReceivedAt})
	if err != nil {
		ev = event.Event{Source: event.Source(r.Source), Kind: event.Unrecognised, VendorEvent: r.Kind,
			ReceivedAt: r.ReceivedAt, Raw: r.Payload}
	}
	ev.Seq = r.Seq
	return ev, err
}

// applyCommitted runs in the journal's writer after each commit, before the
// appends return: so a webhook's 2xx means the board shows it. The events
// are encoded for the stream before the lock is taken, so that readers of
// the board wait only while the events are applied and handed over.
func (h *Hub) applyCommitted(recs []journal.Record) {
	evs := make([]*event.Event, len(recs))
	for i, r := range recs {
		ev, ok := r.Value.(*event.Event)
		if !ok {
			e, _ := RecordEvent(r)
			ev = &e
		}
		ev.Seq = r.Seq
		evs[i] = ev
	}
	gaps := h.gapsHeld(evs)
	var msgs [][]byte
	if h.streaming.Load() > 0 {
		msgs = make([][]byte, len(evs))
		for i, ev := range evs {
			msgs[i] = h.encode(ev)
		}
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	for i, ev := range evs {
		if ev.Seq < h.next || gaps[ev.Seq] {
			h.missedLocked(ev.Seq)
		}
		h.board.Apply(ev)
		h.next = ev.Seq + 1
		if len(h.subs) == 0 {
			continue
		}
		var msg []byte
		if msgs != nil {
			msg = msgs[i]
		} else {
			msg = h.encode(ev) // a subscriber came meanwhile
		}
		if msg != nil {
			h.broadcastLocked(msg)
		}
	}
	h.notifyLocked()
}

// gapsHeld returns the Seqs of evs before which the journal holds a
// record the board was not given: the Seqs may skip numbers (see Journal),
// but not records. It runs in the journal's notifier, the only writer of
// h.next after Open, and reads the journal only at a gap: the SQLite
// journal has none unless another process wrote to its file; a cluster
// copy has one at each repeated status or snapshot it dropped (one read
// of an index, on the notifier, not on a webhook's path).
func (h *Hub) gapsHeld(evs []*event.Event) map[int64]bool {
	h.mu.RLock()
	next := h.next
	h.mu.RUnlock()
	var gaps map[int64]bool
	for _, ev := range evs {
		if ev.Seq > next {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			recs, err := h.journal.Page(ctx, next-1, 1)
			cancel()
			if err != nil || len(recs) == 1 && recs[0].Seq < ev.Seq {
				if gaps == nil {
					gaps = map[int64]bool{}
				}
				gaps[ev.Seq] = true
			}
		}
		next = ev.Seq + 1
	}
	return gaps
}

// missedLocked notes that the board was handed seq when it expected
// h.next. h.mu must be held.
func (h *Hub) missedLocked(seq int64) {
	what := fmt.Sprintf("the board expected journal cursor %d but got %d", h.next, seq)
	if seq > h.next {
		what = fmt.Sprintf("the board never applied journal cursors %d to %d (written by another process?)", h.next, seq-1)
	}
	h.log.Error("hub: the board is missing events: checkpoints stop, the next start-up replays them", "problem", what)
	if h.missed == "" {
		h.missed = what + "; checkpoints are off and a restart rebuilds the board"
	}
}

// encode is StreamMessage, logging a failure (the event is then not
// streamed: a client that misses it sees a gap in the cursors).
func (h *Hub) encode(ev *event.Event) []byte {
	msg, err := h.StreamMessage(ev)
	if err != nil {
		h.log.Error("hub: encoding an event for the stream", "cursor", ev.Seq, "err", err)
		return nil
	}
	return msg
}

// StreamMessage is EncodeEvent, with its replacements reported by the
// hub's guard.
func (h *Hub) StreamMessage(ev *event.Event) ([]byte, error) {
	msg, fixes, err := EncodeEvent(ev)
	h.guard.Report("event", fixes)
	return msg, err
}

// Guard returns the guard that reports the hub's replacements, for the
// other parts that encode what the hub holds.
func (h *Hub) Guard() *wire.Guard { return h.guard }

// notifyLocked wakes everyone waiting on Changed. h.mu must be held.
func (h *Hub) notifyLocked() {
	close(h.changed)
	h.changed = make(chan struct{})
}

// Changed returns a channel that is closed at the next change of the board
// or of a poller's freshness. Take a new one after each change.
func (h *Hub) Changed() <-chan struct{} {
	h.mu.RLock()
	defer h.mu.RUnlock()
	return h.changed
}

// Polls returns the pollers' freshness by source.
func (h *Hub) Polls() map[event.Source]board.PollState {
	h.mu.RLock()
	defer h.mu.RUnlock()
	return h.pollsLocked()
}

func (h *Hub) pollsLocked() map[event.Source]board.PollState {
	out := make(map[event.Source]board.PollState, len(h.polls))
	for k, v := range h.polls {
		out[event.Source(k)] = v
	}
	return out
}

// Result is what Ingest did with an event.
type Result struct {
	Seq       int64
	Duplicate bool
}

// ErrUnavailable means the journal cannot take the event now (disk full,
// read-only file): nothing was acknowledged; the sender should retry.
var ErrUnavailable = journal.ErrUnavailable

// Ingest journals ev (decoded from a payload with the given route hint) and
// applies it to the board. When Ingest returns without error the event is
// durable and on the board; Duplicate says it was a retry of one already
// journalled, which changes nothing.
func (h *Hub) Ingest(ctx context.Context, ev *event.Event, hint string) (Result, error) {
	rec := journal.Record{
		ReceivedAt: ev.ReceivedAt,
		Source:     string(ev.Source),
		Kind:       string(ev.Kind),
		Hint:       hint,
		Payload:    ev.Raw,
		Value:      ev,
		// Every caller checked Raw is JSON: the listener and actions with
		// decode.Normalise, the poller with json.Valid.
		ValidJSON: true,
	}
	mode := journal.DedupeContent
	switch ev.Kind {
	case event.AgentStatusChanged:
		// "away" can legitimately follow "online" with the same payload
		// as an earlier "away": a retry only if it repeats the latest.
		mode = journal.DedupeLatest
		if len(ev.Agents) > 0 {
			rec.Subject = "agent:" + string(ev.Source) + ":" + ev.Agents[0].ID
		}
	case event.AgentsSnapshot, event.VisitorsSnapshot:
		// A poll that finds nothing changed is not worth a record.
		mode = journal.DedupeLatest
		rec.Subject = "snapshot:" + string(ev.Source) + ":" + string(ev.Kind)
	}
	start := time.Now()
	seq, dup, err := h.journal.Append(ctx, rec, mode)
	if h.observe != nil && err == nil {
		h.observe(time.Since(start))
	}
	if err != nil {
		return Result{}, fmt.Errorf("hub: ingest %s %s: %w", ev.Source, ev.Kind, err)
	}
	return Result{Seq: seq, Duplicate: dup}, nil
}

// SetPoll records a poller's freshness, shown with its source.
func (h *Hub) SetPoll(source string, st PollStatus) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.polls[source] = st
	if len(h.subs) > 0 {
		if msg, err := h.guard.Marshal("polls", Message{Type: "polls", Polls: h.pollsLocked()}); err == nil {
			h.broadcastLocked(msg)
		}
	}
	h.notifyLocked()
}

// View returns the whole board as of now, with the pollers' freshness.
func (h *Hub) View(now time.Time) board.View {
	h.mu.RLock()
	defer h.mu.RUnlock()
	v := h.board.View(now)
	for src, st := range h.polls {
		s := v.Sources[event.Source(src)]
		s.Source = event.Source(src)
		s.Poll = &st
		v.Sources[event.Source(src)] = s
	}
	return v
}

// Read calls fn with the board, under a read lock: fn must not keep it.
func (h *Hub) Read(fn func(b *board.Board)) {
	h.mu.RLock()
	defer h.mu.RUnlock()
	fn(h.board)
}

// Events returns up to limit journal records after the cursor, and no
// more payload bytes than maxBytes beyond the first record's; more says
// whether records follow (see journal.PageBytes).
func (h *Hub) Events(ctx context.Context, after int64, limit int, maxBytes int64) (recs []journal.Record, more bool, err error) {
	recs, more, err = h.journal.PageBytes(ctx, after, limit, maxBytes)
	if err != nil {
		return nil, false, fmt.Errorf("hub: events: %w", err)
	}
	return recs, more, nil
}

// Health reports what is wrong, by part. unhealthy is true when the
// journal cannot be used (nothing can be acknowledged); a failing poller
// only degrades the board.
func (h *Hub) Health(ctx context.Context) (problems map[string]string, unhealthy bool) {
	problems = map[string]string{}
	if err := h.journal.Ping(ctx); err != nil {
		problems["journal"] = err.Error()
		unhealthy = true
	}
	h.mu.RLock()
	if h.missed != "" {
		problems["board"] = h.missed
	}
	h.mu.RUnlock()
	for src, p := range h.Polls() {
		if p.LastError != "" {
			msg := p.LastError
			if !p.LastOKAt.IsZero() {
				msg += " (last good poll " + p.LastOKAt.UTC().Format(time.RFC3339) + ")"
			}
			problems[string(src)+"_api"] = msg
		}
	}
	return problems, unhealthy
}

// Close saves the board's checkpoint (unless checkpoints are off) and
// closes the journal. Ingest after Close fails. A failed save is logged:
// the next start-up then replays more of the journal, nothing is lost.
func (h *Hub) Close() error {
	h.closeSaver.Do(func() {
		if h.stopSaving == nil {
			return
		}
		close(h.stopSaving)
		<-h.saverDone
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if err := h.Checkpoint(ctx); err != nil && !errors.Is(err, journal.ErrClosed) {
			h.log.Error("hub: saving the board's checkpoint on close", "err", err)
		}
	})
	if err := h.journal.Close(); err != nil && !errors.Is(err, journal.ErrClosed) {
		return fmt.Errorf("hub: close: %w", err)
	}
	return nil
}
