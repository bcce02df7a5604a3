// Package board is chatdeck's live state: a pure reducer that folds events
// into the waiting queue, agents, chats, offline messages and an inbox, and
// answers the metrics a supervisor steers by. It does no I/O, reads no clock
// (every query takes now) and starts no goroutines, so the server, the local
// TUI and a remote TUI compute the same board from the same events.
//
// A Board is not safe for concurrent use; its owner serialises access.
// Metric definitions are in metrics.go and docs/METRICS.md.
package board

import (
	"time"

	"github.com/chatdeck/chatdeck/ingest/event"
)

// Config tunes the board. Zero fields take the defaults of DefaultConfig.
type Config struct {
	// SLTarget is the service level's answer-time target (T).
	SLTarget time.Duration
	// Window is the rolling window of the windowed metrics.
	Window time.Duration
	// ShortAbandon: a visitor who leaves the queue sooner than this is a
	// short abandon, counted in neither the service level nor abandonment.
	ShortAbandon time.Duration
	// Capacity is how many chats one agent can hold at once.
	Capacity int
	// KeepEnded is how long ended and missed chats stay on the board.
	KeepEnded time.Duration
	// MaxEnded caps the ended and missed chats kept (oldest go first).
	MaxEnded int
	// StaleAfter drops waiting and active chats that saw no event for this
	// long (a vendor that never sent the end).
	StaleAfter time.Duration
	// KeepHistory is how long a visitor's history (earlier chats, last
	// rating, last agent) is remembered after their last chat.
	KeepHistory time.Duration
	// InboxSize caps the offline messages and the inbox (newest kept).
	InboxSize int
	// Location is the time zone "today" is counted in.
	Location *time.Location
	// Observer, if set, is told every count as the board makes it
	// (observer.go).
	Observer Observer
}

// DefaultConfig returns the defaults: T = 30 s over 30 min, short abandons
// under 5 s, 3 chats per agent, ended chats kept 24 h (at most 5,000),
// stale chats dropped after 8 h, visitor history kept 90 days, 1,000 inbox
// entries, "today" in UTC.
func DefaultConfig() Config {
	return Config{
		SLTarget:     30 * time.Second,
		Window:       30 * time.Minute,
		ShortAbandon: 5 * time.Second,
		Capacity:     3,
		KeepEnded:    24 * time.Hour,
		MaxEnded:     5000,
		StaleAfter:   8 * time.Hour,
		KeepHistory:  90 * 24 * time.Hour,
		InboxSize:    1000,
		Location:     time.UTC,
	}
}

func (c Config) withDefaults() Config {
	d := DefaultConfig()
	if c.SLTarget <= 0 {
		c.SLTarget = d.SLTarget
	}
	if c.Window <= 0 {
		c.Window = d.Window
	}
	if c.ShortAbandon <= 0 {
		c.ShortAbandon = d.ShortAbandon
	}
	if c.Capacity <= 0 {
		c.Capacity = d.Capacity
	}
	if c.KeepEnded <= 0 {
		c.KeepEnded = d.KeepEnded
	}
	if c.MaxEnded <= 0 {
		c.MaxEnded = d.MaxEnded
	}
	if c.StaleAfter <= 0 {
		c.StaleAfter = d.StaleAfter
	}
	if c.KeepHistory <= 0 {
		c.KeepHistory = d.KeepHistory
	}
	if c.InboxSize <= 0 {
		c.InboxSize = d.InboxSize
	}
	if c.Location == nil {
		c.Location = d.Location
	}
	return c
}

// Board is the live state. Create it with New.
type Board struct {
	cfg Config
	// srcs numbers the sources that keys hold (keys.go).
	srcs sourceCodes

	chats    table[*Chat]
	waiting  []*Chat        // waiting chats, oldest request first
	open     map[key]*Chat  // waiting or active chats by visitor
	ended    []*Chat        // ended and missed chats, in the order they ended; nil where one was taken out (see ended.go)
	agents   map[key]*Agent // by source and id
	history  table[*History]
	offline  ring[OfflineItem]
	inbox    ring[InboxItem]
	outcomes outcomeLog
	// deptOutcomes are the answers and abandons by department (no
	// arrivals or ratings: the breakdown shows the queue and SL).
	deptOutcomes map[string]*outcomeLog
	trend        trend
	sources      map[event.Source]*SourceState
	sourceAt     []*SourceState            // sources by code, filled in as noteSource looks them up
	statuses     map[event.Source][]string // statuses agents can be set to
	seq          int64
	latest       time.Time
	lastPrune    time.Time

	// Indexes kept as events are applied, so that what a frame asks costs
	// O(rows shown), not O(board); Restore rebuilds them (see index.go).
	byState     [chatGroups]ordered[chatEntry] // chats on the board by state group, in reverse Chats order
	unplaced    *Chat                          // the chat whose place in byState is to be found (placeLater)
	agentOrder  ordered[*Agent]                // agents in Agents order
	load        map[key]int                    // active chats per agent key
	overCap     map[key]*Agent                 // agents holding more chats than Capacity
	holding     map[key]*Agent                 // agents holding any chats (agentChats)
	active      int                            // active chats on the board
	statusCount map[event.AgentStatus]int      // agents by status
	expiries    expiryHeap                     // when visitors' histories expire
	endedOff    int                            // entries trimmed from the front of ended so far
	endedLive   int                            // entries of ended that are not nil
	endedGone   []*Chat                        // chats in ended the board forgot since the last prune
}

// New returns an empty board.
func New(cfg Config) *Board {
	cfg = cfg.withDefaults()
	b := &Board{
		cfg:          cfg,
		srcs:         newSourceCodes(),
		chats:        newTable[*Chat](),
		open:         map[key]*Chat{},
		agents:       map[key]*Agent{},
		history:      newTable[*History](),
		offline:      ring[OfflineItem]{max: cfg.InboxSize},
		inbox:        ring[InboxItem]{max: cfg.InboxSize},
		sources:      map[event.Source]*SourceState{},
		statuses:     map[event.Source][]string{},
		agentOrder:   newOrdered(compareAgents),
		load:         map[key]int{},
		overCap:      map[key]*Agent{},
		holding:      map[key]*Agent{},
		statusCount:  map[event.AgentStatus]int{},
		deptOutcomes: map[string]*outcomeLog{},
	}
	for g := range b.byState {
		b.byState[g] = newOrdered(chatsOldestFirst)
	}
	return b
}

// Config returns the board's configuration, defaults filled in.
func (b *Board) Config() Config { return b.cfg }

// Cursor is the Seq of the last event applied.
func (b *Board) Cursor() int64 { return b.seq }

// Apply folds one event into the board. Events are applied in journal
// order; an event's time is its ReceivedAt (the vendor's own times are kept
// on the chat where they say something the receipt time does not).
//
// The board keeps parts of ev (its transcript, rating, visitor's
// department, ...) without copying them, and never writes to them: ev must
// not be changed after Apply.
func (b *Board) Apply(ev *event.Event) {
	if ev.Seq > b.seq {
		b.seq = ev.Seq
	}
	at := ev.ReceivedAt
	if at.After(b.latest) {
		b.sampleTo(at)
		b.latest = at
	}
	b.noteSource(ev)
	switch kindOf(ev) {
	case untrustedKind:
		b.browserEvent(ev)
	case event.ChatRequested:
		b.chatRequested(ev)
	case event.ChatStarted, event.ChatAccepted, event.ChatTransferred:
		b.chatAnswered(ev)
	case event.ChatUpdated, event.ChatAssigned:
		b.chatUpdated(ev)
	case event.ChatEnded:
		b.chatEnded(ev)
	case event.ChatWrappedUp:
		b.chatWrappedUp(ev)
	case event.VisitorUnanswered:
		b.visitorUnanswered(ev)
	case event.Feedback:
		b.feedback(ev)
	case event.OfflineMessage:
		b.offlineMessage(ev)
	case event.CallEvent:
		b.callEvent(ev)
	case event.AgentStatusChanged:
		b.agentStatus(ev)
	case event.AgentsSnapshot:
		b.agentsSnapshot(ev)
	case event.VisitorsSnapshot:
		b.visitorsSnapshot(ev)
	case event.VisitorUpdated:
		b.visitorUpdated(ev)
	default:
		b.inbox.push(InboxItem{Type: InboxUnrecognised, Source: ev.Source, At: at, Seq: ev.Seq,
			VendorEvent: ev.VendorEvent, Text: preview(withNotes(ev, string(ev.Raw)), 200)})
	}
	b.placeNow()
	if b.latest.Sub(b.lastPrune) >= time.Minute {
		b.prune(b.latest)
		b.lastPrune = b.latest
	}
}

// SourceState is what is known of one source's freshness: the board fills
// in the events it applied; the hub adds its poller's state.
type SourceState struct {
	Source      event.Source `json:"source"`
	LastEventAt time.Time    `json:"last_event_at,omitzero"`
	LastKind    event.Kind   `json:"last_kind,omitempty"`
	Events      int64        `json:"events"`
	// Poll is the state of the source's API poller, when it has one.
	Poll *PollState `json:"poll,omitempty"`
}

// PollState is a poller's freshness: when it last succeeded, and its last
// error while it is failing.
type PollState struct {
	LastAttemptAt time.Time `json:"last_attempt_at,omitzero"`
	LastOKAt      time.Time `json:"last_ok_at,omitzero"`
	LastError     string    `json:"last_error,omitempty"`
	LastErrorAt   time.Time `json:"last_error_at,omitzero"`
}

func (b *Board) noteSource(ev *event.Event) {
	code := b.srcs.code(ev.Source)
	var s *SourceState
	if int(code) < len(b.sourceAt) {
		s = b.sourceAt[code]
	}
	if s == nil {
		s = b.sources[ev.Source]
		if s == nil {
			s = &SourceState{Source: ev.Source}
			b.sources[ev.Source] = s
		}
		if int(code) >= len(b.sourceAt) {
			b.sourceAt = append(b.sourceAt, make([]*SourceState, int(code)+1-len(b.sourceAt))...)
		}
		b.sourceAt[code] = s
	}
	s.Events++
	s.LastKind = ev.Kind
	if ev.ReceivedAt.After(s.LastEventAt) {
		s.LastEventAt = ev.ReceivedAt
	}
}

// timed is an item that has a time: the rings' items.
type timed interface{ when() time.Time }

// ring keeps the newest max items (and up to a quarter more, dropped in
// bulk). disorder counts neighbours out of time order, so that readers know
// whether the items are in time order (disorder == 0).
type ring[T timed] struct {
	items    []T
	max      int
	disorder int
}

func (r *ring[T]) push(v T) {
	if n := len(r.items); n > 0 && v.when().Before(r.items[n-1].when()) {
		r.disorder++
	}
	r.items = append(r.items, v)
	if len(r.items) > r.max+r.max/4 {
		n := copy(r.items, r.items[len(r.items)-r.max:])
		clear(r.items[n:])
		r.items = r.items[:n]
		r.recount()
	}
}

// recount counts the neighbours out of time order again.
func (r *ring[T]) recount() {
	r.disorder = 0
	for i := 1; i < len(r.items); i++ {
		if r.items[i].when().Before(r.items[i-1].when()) {
			r.disorder++
		}
	}
}

// len is how many items newest(-1) returns.
func (r *ring[T]) len() int { return min(len(r.items), r.max) }

// newest returns up to n items, newest first.
func (r *ring[T]) newest(n int) []T {
	if n < 0 || n > r.max {
		n = r.max
	}
	if n > len(r.items) {
		n = len(r.items)
	}
	out := make([]T, 0, n)
	for i := len(r.items) - 1; i >= 0 && len(out) < n; i-- {
		out = append(out, r.items[i])
	}
	return out
}

func preview(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := n
	for cut > 0 && s[cut]&0xC0 == 0x80 {
		cut--
	}
	return s[:cut] + "…"
}
