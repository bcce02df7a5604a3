package cluster

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// ErrNoQuorum means the stream could not acknowledge a publish in time:
// no leader, or a leader without a quorum of replicas to commit it (two of
// three nodes down, or this node cut off from the others). Nothing was
// acknowledged: the listener answers 503 with Retry-After so that the
// sender retries. The record may still be committed later, when a quorum
// returns; a retry with the same message id is then a duplicate.
var ErrNoQuorum = errors.New("cluster: the journal stream has no quorum")

// Entry is one record of the replicated journal: the fields of a
// journal.Record that are stored, with the stream sequence as its cursor.
type Entry struct {
	Seq        int64     // the stream sequence, assigned by the stream; the cursor, the same on every node
	ReceivedAt time.Time // kept with nanosecond precision, returned in UTC
	Source     string
	Kind       string
	Hint       string
	Subject    string // what the event is about (journal.DedupeLatest), may be ""
	Payload    []byte
	// MsgID is the Nats-Msg-Id it was published with ("" for none).
	MsgID string
	// Latest says a follower is to drop it if it repeats the latest record
	// of its Subject (journal.DedupeLatest): such kinds legitimately
	// repeat, so they carry no MsgID and each follower decides alike.
	Latest bool
}

// The headers that carry an Entry's fields beside its payload.
const (
	hdrReceivedAt = "Chatdeck-Received-At" // unix nanoseconds, decimal
	hdrSource     = "Chatdeck-Source"
	hdrKind       = "Chatdeck-Kind"
	hdrHint       = "Chatdeck-Hint"
	hdrSubject    = "Chatdeck-Subject"
	hdrDedupe     = "Chatdeck-Dedupe" // "latest" when Entry.Latest
)

// JournalConfig configures the replicated journal's stream. Zero values
// take the defaults.
type JournalConfig struct {
	// Stream is the stream's name; default "CHATDECK_JOURNAL".
	Stream string
	// Subject is the one subject the journal is published on; default
	// "chatdeck.journal".
	Subject string
	// Replicas is the stream's replica count; default 3. A publish is
	// acknowledged once a majority of them has it on disk.
	Replicas int
	// MaxAge and MaxBytes are the retention (--retention-age,
	// --retention-bytes): the oldest records go first. 0 means no limit.
	MaxAge   time.Duration
	MaxBytes int64
	// DedupeWindow is how long a message id is remembered; default 24 h,
	// and never more than MaxAge. The SQLite journal remembers a content
	// key for as long as the record is kept: vendors retry within minutes,
	// so a day is ample, and it bounds the ids the servers hold in memory.
	DedupeWindow time.Duration
	// PublishTimeout bounds one Publish: past it, Publish gives
	// ErrNoQuorum; default 5 s (the vendor's own timeout is longer).
	PublishTimeout time.Duration
	// FollowHeartbeat is how often the server tells Follow it is still
	// there while the stream is idle; two missed heartbeats make Follow
	// re-create its consumer (after a stream leader's death, say). Default
	// 1 s: the client library's 5 s left a follower 10 s behind after a
	// failover.
	FollowHeartbeat time.Duration
	// Logger; default the node's.
	Logger *slog.Logger
}

// Defaults for JournalConfig.
const (
	DefaultStream         = "CHATDECK_JOURNAL"
	DefaultSubject        = "chatdeck.journal"
	defaultReplicas       = 3
	defaultDedupeWindow   = 24 * time.Hour
	defaultPublishTimeout = 5 * time.Second
	defaultHeartbeat      = time.Second
	setupRetry            = 250 * time.Millisecond
	setupAttempt          = 2 * time.Second
	// errCodeNoPeers is JetStream's "no suitable peers for placement":
	// while the cluster forms, its meta leader may know fewer servers than
	// the replicas asked for (a 400 that goes once the others have joined).
	errCodeNoPeers jetstream.ErrorCode = 10005
)

// Journal is the replicated journal: one JetStream stream. Its methods are
// safe for concurrent use.
type Journal struct {
	cfg JournalConfig
	js  jetstream.JetStream
	log *slog.Logger
}

// OpenJournal creates the journal's stream, or updates its retention, and
// returns the journal. Every node calls it with the same configuration. It
// retries while the cluster has no leader yet, until ctx ends.
func OpenJournal(ctx context.Context, n *Node, cfg JournalConfig) (*Journal, error) {
	if cfg.Stream == "" {
		cfg.Stream = DefaultStream
	}
	if cfg.Subject == "" {
		cfg.Subject = DefaultSubject
	}
	if cfg.Replicas == 0 {
		cfg.Replicas = defaultReplicas
	}
	if cfg.DedupeWindow == 0 {
		cfg.DedupeWindow = defaultDedupeWindow
	}
	if cfg.MaxAge > 0 {
		cfg.DedupeWindow = min(cfg.DedupeWindow, cfg.MaxAge)
	}
	if cfg.PublishTimeout <= 0 {
		cfg.PublishTimeout = defaultPublishTimeout
	}
	if cfg.FollowHeartbeat <= 0 {
		cfg.FollowHeartbeat = defaultHeartbeat
	}
	if cfg.Logger == nil {
		cfg.Logger = n.log
	}
	if cfg.Replicas < 0 || cfg.MaxAge < 0 || cfg.MaxBytes < 0 || cfg.DedupeWindow < 0 {
		return nil, fmt.Errorf("cluster: open journal %s: negative option", cfg.Stream)
	}
	maxBytes := cfg.MaxBytes
	if maxBytes == 0 {
		maxBytes = -1
	}
	scfg := jetstream.StreamConfig{
		Name:       cfg.Stream,
		Subjects:   []string{cfg.Subject},
		Storage:    jetstream.FileStorage,
		Replicas:   cfg.Replicas,
		Retention:  jetstream.LimitsPolicy,
		Discard:    jetstream.DiscardOld,
		MaxAge:     cfg.MaxAge,
		MaxBytes:   maxBytes,
		Duplicates: cfg.DedupeWindow,
	}
	err := retry(ctx, func(ctx context.Context) error {
		_, err := n.js.CreateOrUpdateStream(ctx, scfg)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("cluster: open journal %s (%d replicas): %w", cfg.Stream, cfg.Replicas, err)
	}
	return &Journal{cfg: cfg, js: n.js, log: cfg.Logger}, nil
}

// retry calls fn with a short deadline until it succeeds or ctx ends,
// returning the last error then: the cluster answers set-up requests only
// once it has elected its leader.
func retry(ctx context.Context, fn func(context.Context) error) error {
	for {
		// Short attempts: while the cluster forms a request often gets no
		// answer at all, and waiting long for it only delays the next.
		rctx, cancel := context.WithTimeout(ctx, setupAttempt)
		err := fn(rctx)
		cancel()
		if err == nil {
			return nil
		}
		var apiErr *jetstream.APIError
		if errors.As(err, &apiErr) && apiErr.Code >= 400 && apiErr.Code < 500 && apiErr.ErrorCode != errCodeNoPeers {
			return err // a refusal, not a cluster still forming
		}
		if serr := sleep(ctx, setupRetry); serr != nil {
			return errors.Join(err, serr)
		}
	}
}

// sleep waits for d or until ctx ends, returning ctx.Err() then.
func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// Publish appends e (e.Seq and e.MsgID are ignored; a zero ReceivedAt
// becomes now) and returns once the stream's quorum has acknowledged it,
// with its stream sequence. msgID, if not empty, is its Nats-Msg-Id: a
// second publish with the same id within the dedupe window stores nothing
// and returns duplicate=true and the first one's sequence.
//
// When no quorum acknowledges it within JournalConfig.PublishTimeout (or
// the connection is down) the error wraps ErrNoQuorum; when ctx ends first,
// it wraps ctx.Err(). Either way the record may yet be stored.
func (j *Journal) Publish(ctx context.Context, e Entry, msgID string) (seq int64, duplicate bool, err error) {
	if e.ReceivedAt.IsZero() {
		e.ReceivedAt = time.Now()
	}
	m := &nats.Msg{Subject: j.cfg.Subject, Data: e.Payload, Header: nats.Header{}}
	m.Header.Set(hdrReceivedAt, strconv.FormatInt(e.ReceivedAt.UnixNano(), 10))
	m.Header.Set(hdrSource, e.Source)
	m.Header.Set(hdrKind, e.Kind)
	if e.Hint != "" {
		m.Header.Set(hdrHint, e.Hint)
	}
	if e.Subject != "" {
		m.Header.Set(hdrSubject, e.Subject)
	}
	if e.Latest {
		m.Header.Set(hdrDedupe, "latest")
	}
	opts := []jetstream.PublishOpt{jetstream.WithExpectStream(j.cfg.Stream)}
	if msgID != "" {
		opts = append(opts, jetstream.WithMsgID(msgID))
	}
	pctx, cancel := context.WithTimeout(ctx, j.cfg.PublishTimeout)
	defer cancel()
	ack, err := j.js.PublishMsg(pctx, m, opts...)
	if err != nil {
		if ctx.Err() != nil {
			return 0, false, fmt.Errorf("cluster: publish %s %s: %w", e.Source, e.Kind, ctx.Err())
		}
		if unavailable(err) {
			return 0, false, fmt.Errorf("cluster: publish %s %s: %w: %w", e.Source, e.Kind, ErrNoQuorum, err)
		}
		return 0, false, fmt.Errorf("cluster: publish %s %s: %w", e.Source, e.Kind, err)
	}
	return int64(ack.Sequence), ack.Duplicate, nil
}

// unavailable says whether a publish failed for want of a stream that can
// commit (no leader, no quorum, no connection) rather than a refusal.
func unavailable(err error) bool {
	var apiErr *jetstream.APIError
	if errors.As(err, &apiErr) {
		return apiErr.Code == 503
	}
	return errors.Is(err, context.DeadlineExceeded) || errors.Is(err, nats.ErrTimeout) ||
		errors.Is(err, nats.ErrNoResponders) || errors.Is(err, jetstream.ErrNoStreamResponse) ||
		errors.Is(err, nats.ErrConnectionClosed) || errors.Is(err, nats.ErrConnectionReconnecting) ||
		errors.Is(err, nats.ErrConnectionDraining)
}

// Follow calls fn with every record whose sequence is above after, in
// sequence order, and then with each new one as the stream commits it,
// until ctx ends (it then returns ctx.Err()) or fn returns an error (it
// returns that). It uses an ordered consumer: a gap or a lost consumer is
// repaired by re-creating it from the last sequence delivered, so fn sees
// each sequence once and in order. Records the retention has dropped are
// skipped: the first one fn sees may then be above after+1.
//
// fn runs on Follow's goroutine; while it runs, no other record is
// delivered.
func (j *Journal) Follow(ctx context.Context, after int64, fn func(Entry) error) error {
	if after < 0 {
		return fmt.Errorf("cluster: follow %s: negative cursor %d", j.cfg.Stream, after)
	}
	occ := jetstream.OrderedConsumerConfig{DeliverPolicy: jetstream.DeliverAllPolicy, MaxResetAttempts: -1}
	if after > 0 {
		occ.DeliverPolicy = jetstream.DeliverByStartSequencePolicy
		occ.OptStartSeq = uint64(after) + 1
	}
	var cons jetstream.Consumer
	err := retry(ctx, func(ctx context.Context) error {
		var err error
		cons, err = j.js.OrderedConsumer(ctx, j.cfg.Stream, occ)
		return err
	})
	if err != nil {
		return fmt.Errorf("cluster: follow %s after %d: %w", j.cfg.Stream, after, err)
	}
	it, err := cons.Messages(jetstream.PullHeartbeat(j.cfg.FollowHeartbeat))
	if err != nil {
		return fmt.Errorf("cluster: follow %s after %d: %w", j.cfg.Stream, after, err)
	}
	stopped := make(chan struct{})
	defer close(stopped)
	go func() {
		// Next blocks without a context: Stop ends it when ctx does.
		select {
		case <-ctx.Done():
		case <-stopped:
		}
		it.Stop()
	}()
	for {
		m, err := it.Next()
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			if errors.Is(err, jetstream.ErrMsgIteratorClosed) {
				return fmt.Errorf("cluster: follow %s: %w", j.cfg.Stream, err)
			}
			j.log.Warn("cluster: following the journal", "stream", j.cfg.Stream, "after", after, "err", err)
			if err := sleep(ctx, setupRetry); err != nil {
				return err
			}
			continue
		}
		e, err := entry(m)
		if err != nil {
			return fmt.Errorf("cluster: follow %s after %d: %w", j.cfg.Stream, after, err)
		}
		if e.Seq <= after {
			continue // a re-created consumer may repeat the last one
		}
		if err := fn(e); err != nil {
			return err
		}
		after = e.Seq
	}
}

// entry reads an Entry back from a stream message.
func entry(m jetstream.Msg) (Entry, error) {
	md, err := m.Metadata()
	if err != nil {
		return Entry{}, fmt.Errorf("message metadata: %w", err)
	}
	h := m.Headers()
	e := Entry{
		Seq:     int64(md.Sequence.Stream),
		Source:  h.Get(hdrSource),
		Kind:    h.Get(hdrKind),
		Hint:    h.Get(hdrHint),
		Subject: h.Get(hdrSubject),
		MsgID:   h.Get(jetstream.MsgIDHeader),
		Latest:  h.Get(hdrDedupe) == "latest",
		Payload: m.Data(),
	}
	if e.Payload == nil {
		e.Payload = []byte{}
	}
	ns, err := strconv.ParseInt(h.Get(hdrReceivedAt), 10, 64)
	if err != nil {
		// Not one of ours (published by hand): the stream's own time.
		e.ReceivedAt = md.Timestamp.UTC()
	} else {
		e.ReceivedAt = time.Unix(0, ns).UTC()
	}
	return e, nil
}

// LastSeq is the stream's last sequence as its leader reports it (for the
// followers' lag).
func (j *Journal) LastSeq(ctx context.Context) (int64, error) {
	s, err := j.js.Stream(ctx, j.cfg.Stream)
	if err != nil {
		return 0, fmt.Errorf("cluster: stream %s info: %w", j.cfg.Stream, err)
	}
	return int64(s.CachedInfo().State.LastSeq), nil
}

// StreamState is what one look at the stream tells.
type StreamState struct {
	// LastSeq is the stream's last sequence.
	LastSeq int64
	// Leader is the stream's leader, "" when the stream cannot commit now:
	// it has no leader, or its leader sees fewer replicas than a quorum
	// (itself included) online and heard from within replicaSilence. (A
	// leader cut off from the others goes on calling itself leader for a
	// while.)
	Leader string
	// Peers are the names of the servers holding the stream's replicas,
	// its leader (as it calls itself) first.
	Peers []string
}

// State looks at the stream once: its last sequence, leader and peers.
func (j *Journal) State(ctx context.Context) (StreamState, error) {
	s, err := j.js.Stream(ctx, j.cfg.Stream)
	if err != nil {
		return StreamState{}, fmt.Errorf("cluster: stream %s info: %w", j.cfg.Stream, err)
	}
	info := s.CachedInfo()
	st := StreamState{LastSeq: int64(info.State.LastSeq), Peers: []string{}}
	ci := info.Cluster
	if ci == nil {
		st.Leader = "(single server)"
		return st, nil
	}
	if ci.Leader != "" {
		st.Peers = append(st.Peers, ci.Leader)
		live := 1
		for _, r := range ci.Replicas {
			if !r.Offline && r.Active < replicaSilence {
				live++
			}
		}
		if live >= (len(ci.Replicas)+1)/2+1 {
			st.Leader = ci.Leader
		}
	}
	for _, r := range ci.Replicas {
		st.Peers = append(st.Peers, r.Name)
	}
	return st, nil
}

// Status is State's last sequence and leader.
func (j *Journal) Status(ctx context.Context) (lastSeq int64, leader string, err error) {
	st, err := j.State(ctx)
	return st.LastSeq, st.Leader, err
}

// replicaSilence is how long a replica may go unheard before Status stops
// counting it: Raft heartbeats come every second.
const replicaSilence = 5 * time.Second

// PublishTimeout is how long a Publish waits for the quorum.
func (j *Journal) PublishTimeout() time.Duration { return j.cfg.PublishTimeout }
