package hub

import (
	"bytes"
	"context"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/chatdeck/chatdeck/ingest/board"
	"github.com/chatdeck/chatdeck/ingest/decode"
	"github.com/chatdeck/chatdeck/ingest/event"
	"github.com/chatdeck/chatdeck/ingest/journal"
	"github.com/chatdeck/chatdeck/ingest/wire"
)

// Message is one message of the stream, as JSON. Type says which fields
// are set: "snapshot" (Cursor, Config, Board, State, Polls), "event"
// (Cursor, Event), "polls" (Polls), "action_result" (ID, OK, Error, Code,
// Cursor, Agent, Visitor), "part" (Part, Parts, Data: a run of a message
// too big to send whole; see package stream).
type Message struct {
	Type    string                           `json:"type"`
	Cursor  string                           `json:"cursor,omitempty"`
	Event   *event.Event                     `json:"event,omitempty"`
	Config  *BoardConfig                     `json:"config,omitempty"`
	Board   *board.View                      `json:"board,omitempty"`
	State   *board.State                     `json:"state,omitempty"`
	Polls   map[event.Source]board.PollState `json:"polls,omitempty"`
	ID      string                           `json:"id,omitempty"`
	OK      bool                             `json:"ok,omitempty"`
	Error   string                           `json:"error,omitempty"`
	Code    string                           `json:"code,omitempty"`
	Agent   *event.Agent                     `json:"agent,omitempty"`
	Visitor *event.Visitor                   `json:"visitor,omitempty"`
	Part    int                              `json:"part,omitempty"`
	Parts   int                              `json:"parts,omitempty"`
	Data    []byte                           `json:"data,omitempty"`
}

// BoardConfig is a board's configuration as JSON, so that a replica
// computes the same metrics as the server.
type BoardConfig struct {
	SLTarget     time.Duration `json:"sl_target_ns"`
	Window       time.Duration `json:"window_ns"`
	ShortAbandon time.Duration `json:"short_abandon_ns"`
	Capacity     int           `json:"capacity"`
	KeepEnded    time.Duration `json:"keep_ended_ns"`
	MaxEnded     int           `json:"max_ended"`
	StaleAfter   time.Duration `json:"stale_after_ns"`
	KeepHistory  time.Duration `json:"keep_history_ns"`
	InboxSize    int           `json:"inbox_size"`
	Location     string        `json:"location"`
}

// ToBoardConfig converts back; an unknown location is UTC.
func (c BoardConfig) ToBoardConfig() board.Config {
	loc, err := time.LoadLocation(c.Location)
	if err != nil {
		loc = time.UTC
	}
	return board.Config{SLTarget: c.SLTarget, Window: c.Window, ShortAbandon: c.ShortAbandon, Capacity: c.Capacity,
		KeepEnded: c.KeepEnded, MaxEnded: c.MaxEnded, StaleAfter: c.StaleAfter, KeepHistory: c.KeepHistory,
		InboxSize: c.InboxSize, Location: loc}
}

func boardConfig(c board.Config) *BoardConfig {
	return &BoardConfig{SLTarget: c.SLTarget, Window: c.Window, ShortAbandon: c.ShortAbandon, Capacity: c.Capacity,
		KeepEnded: c.KeepEnded, MaxEnded: c.MaxEnded, StaleAfter: c.StaleAfter, KeepHistory: c.KeepHistory,
		InboxSize: c.InboxSize, Location: c.Location.String()}
}

// Subscription receives every event applied after its Start cursor, each
// encoded once for all subscribers. A subscriber that falls Buffer
// messages behind is dropped (Dropped closes): it must reconnect with its
// cursor and catch up from the journal. Ingest never waits for it.
type Subscription struct {
	// Start is the cursor of the last event applied before the
	// subscription began; C carries every later one, in order.
	Start int64
	C     <-chan []byte
	// Dropped is closed when the subscriber was too slow.
	Dropped <-chan struct{}

	hub     *Hub
	ch      chan []byte
	dropped chan struct{}
	once    sync.Once
}

// Close ends the subscription.
func (s *Subscription) Close() {
	s.hub.mu.Lock()
	defer s.hub.mu.Unlock()
	s.hub.unsubscribeLocked(s)
}

// unsubscribeLocked takes s out of the subscribers. h.mu must be held.
func (h *Hub) unsubscribeLocked(s *Subscription) {
	if _, ok := h.subs[s]; ok {
		delete(h.subs, s)
		h.streaming.Add(-1)
	}
}

func (s *Subscription) drop() {
	s.once.Do(func() { close(s.dropped) })
}

// Subscribe starts a subscription with room for buffer messages.
func (h *Hub) Subscribe(buffer int) *Subscription {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.subscribeLocked(buffer)
}

func (h *Hub) subscribeLocked(buffer int) *Subscription {
	s := &Subscription{hub: h, ch: make(chan []byte, max(buffer, 1)), dropped: make(chan struct{}), Start: h.board.Cursor()}
	s.C, s.Dropped = s.ch, s.dropped
	h.subs[s] = struct{}{}
	h.streaming.Add(1)
	return s
}

// SubscribeSnapshot starts a subscription together with a snapshot of the
// board as of its Start: the snapshot message, encoded.
//
// The board is copied under the lock and encoded after it is let go, so
// that a client connecting does not hold up ingest while a large board is
// encoded.
func (h *Hub) SubscribeSnapshot(buffer int, now time.Time) (*Subscription, []byte, error) {
	h.mu.Lock()
	st := h.board.State()
	view := h.board.View(now)
	msg := Message{Type: "snapshot", Cursor: strconv.FormatInt(h.board.Cursor(), 10), Config: boardConfig(h.board.Config()),
		Board: &view, State: &st, Polls: h.pollsLocked()}
	sub := h.subscribeLocked(buffer)
	h.mu.Unlock()
	b, err := h.guard.Marshal("snapshot", msg)
	if err != nil {
		sub.Close()
		return nil, nil, fmt.Errorf("hub: snapshot: %w", err)
	}
	return sub, b, nil
}

// broadcastLocked sends one encoded message to every subscriber, dropping
// those whose buffer is full. h.mu must be held.
func (h *Hub) broadcastLocked(msg []byte) {
	for s := range h.subs {
		select {
		case s.ch <- msg:
		default:
			h.unsubscribeLocked(s)
			s.drop()
			h.drops++
		}
	}
}

// EncodeEvent encodes an event as a stream message, and says what it
// had to replace to keep the message decodable (see package wire): values
// JSON cannot carry, and a payload nested so deep that the message would
// pass wire.MaxDepth, which is sent as a JSON string of its text with
// "payload_as_string": true beside it.
//
// The event's payload, valid JSON already (the listener and the journal
// keep it so), is copied into the message as it is, not re-encoded: for a
// webhook of a few kilobytes that is most of the encoding's cost. (The
// message holds the payload's bytes as received, white space and all,
// where encoding/json would compact it: the same JSON value.)
func EncodeEvent(ev *event.Event) ([]byte, []wire.Fix, error) {
	cursor := strconv.FormatInt(ev.Seq, 10)
	if len(ev.Raw) == 0 || !decode.Valid(ev.Raw) {
		return wire.Marshal(Message{Type: "event", Cursor: cursor, Event: ev})
	}
	bare := *ev
	bare.Raw = nil
	msg, fixes, err := wire.Marshal(Message{Type: "event", Cursor: cursor, Event: &bare})
	if err != nil {
		return nil, fixes, err
	}
	raw, payload := []byte(ev.Raw), `,"payload":`
	if !wire.Fits(raw, payloadDepth) {
		fixes = append(fixes, wire.Fix{Path: ".Event.Raw", Reason: wire.ReasonDepth,
			Detail: "nested " + strconv.Itoa(wire.Depth(raw)) + " deep"})
		raw, payload = wire.AsString(raw), `,"payload_as_string":true,"payload":`
	}
	// msg ends with the event's closing brace and the message's.
	if !bytes.HasSuffix(msg, []byte("}}")) {
		bare.Raw = raw
		msg, more, err := wire.Marshal(Message{Type: "event", Cursor: cursor, Event: &bare})
		return msg, append(fixes, more...), err
	}
	out := make([]byte, 0, len(msg)+len(payload)+len(raw))
	out = append(out, msg[:len(msg)-2]...)
	out = append(out, payload...)
	out = append(out, raw...)
	return append(out, "}}"...), fixes, nil
}

// payloadDepth is how deep an event's payload sits in its stream message:
// inside the message and the event.
const payloadDepth = 2

// Subscribers returns how many subscriptions are live, and how many were
// dropped for being slow since the start.
func (h *Hub) Subscribers() (live int, dropped int64) {
	h.mu.RLock()
	defer h.mu.RUnlock()
	return len(h.subs), h.drops
}

// OldestCursor returns the cursor before the oldest event the journal
// still holds: a client can catch up from any cursor at or after it.
func (h *Hub) OldestCursor(ctx context.Context) (int64, error) {
	recs, err := h.journal.Page(ctx, 0, 1)
	if err != nil {
		return 0, fmt.Errorf("hub: %w", err)
	}
	if len(recs) == 0 {
		return h.Cursor(), nil
	}
	return recs[0].Seq - 1, nil
}

// Cursor returns the cursor of the last event on the board.
func (h *Hub) Cursor() int64 {
	h.mu.RLock()
	defer h.mu.RUnlock()
	return h.board.Cursor()
}

// Replay calls fn with every journalled event in (after, upTo], in order.
func (h *Hub) Replay(ctx context.Context, after, upTo int64, fn func(ev *event.Event) error) error {
	errStop := fmt.Errorf("stop")
	err := h.journal.Replay(ctx, after, func(r journal.Record) error {
		if r.Seq > upTo {
			return errStop
		}
		ev, _ := RecordEvent(r)
		return fn(&ev)
	})
	if err == errStop {
		return nil
	}
	return err
}
