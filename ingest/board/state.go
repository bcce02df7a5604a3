package board

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/chatdeck/chatdeck/ingest/event"
)

// StateVersion is the version of State that State writes and Restore reads.
const StateVersion = 2

// State is a board's whole state in a form that survives JSON: what a
// remote replica restores from. Its fields are exported for encoding only.
//
// Every chat the board refers to is in Chats once; the board's indexes
// (the waiting queue, the ended order, the open-by-visitor index) refer to
// chats by their position in Chats. Positions, not chat keys, because an
// index can still hold a chat the board has since forgotten (Gone), whose
// key may now name another chat.
type State struct {
	Version int `json:"version"`
	// Seq is the board's cursor: the Seq of the last event applied.
	Seq int64 `json:"cursor,omitempty,string"`
	// Latest is the latest event time seen; LastPrune when the board last
	// pruned.
	Latest    time.Time `json:"latest,omitzero"`
	LastPrune time.Time `json:"last_prune,omitzero"`

	// Chats: the chats on the board by source and id, then the chats only
	// an index still holds.
	Chats []StateChat `json:"chats,omitempty"`
	// Waiting is the waiting queue, oldest request first.
	Waiting []int `json:"waiting,omitempty"`
	// Ended is the ended and missed chats in the order they ended.
	Ended []int `json:"ended,omitempty"`
	// Open is the waiting or active chat of each visitor, by source and
	// visitor key.
	Open map[event.Source]map[string]int `json:"open,omitempty"`

	Agents []StateAgent `json:"agents,omitempty"`
	// History is visitors' history by source and visitor key.
	History map[event.Source]map[string]StateHistory `json:"history,omitempty"`
	// Offline and Inbox hold the rings' items, oldest first.
	Offline []OfflineItem `json:"offline,omitempty"`
	Inbox   []InboxItem   `json:"inbox,omitempty"`
	// Outcomes is the metrics' outcome log.
	Outcomes StateOutcomes `json:"outcomes,omitzero"`
	// DepartmentOutcomes are the answers and abandons by department.
	DepartmentOutcomes map[string]StateOutcomes `json:"department_outcomes,omitempty"`
	// Trend is the queue's samples, oldest first; TrendLast the latest
	// minute sampled (minutes since the Unix epoch).
	Trend     []StateSample                `json:"trend,omitempty"`
	TrendLast int64                        `json:"trend_last,omitempty"`
	Sources   map[event.Source]SourceState `json:"sources,omitempty"`
	// Statuses are the statuses agents can be set to, by source.
	Statuses map[event.Source][]string `json:"statuses,omitempty"`
}

// StateSample is the queue at the start of one minute (see trend.go).
type StateSample struct {
	Minute int64     `json:"minute"`
	Queue  int32     `json:"queue,omitempty"`
	Active int32     `json:"active,omitempty"`
	Oldest time.Time `json:"oldest,omitzero"`
}

// StateChat is a chat with the board's bookkeeping on it.
type StateChat struct {
	Chat
	// Tally is what the chat has added to the outcome log.
	Tally StateTally `json:"tally,omitzero"`
	// Gone: the board no longer holds the chat; only an index does.
	Gone bool `json:"gone,omitempty"`
}

// StateTally is what a chat has added to the outcome log (see tally).
type StateTally struct {
	Arrived     bool          `json:"arrived,omitempty"`
	Provisional bool          `json:"provisional,omitempty"`
	Outcome     uint8         `json:"outcome,omitempty"`
	At          time.Time     `json:"at,omitzero"`
	WaitKnown   bool          `json:"wait_known,omitempty"`
	Wait        time.Duration `json:"wait_ns,omitempty"`
	Rated       bool          `json:"rated,omitempty"`
	EndRecv     time.Time     `json:"end_received_at,omitzero"`
	Department  string        `json:"department,omitempty"`
}

func stateTally(t tally) StateTally {
	return StateTally{Arrived: t.arrived, Provisional: t.provisional, Outcome: uint8(t.outcome), At: t.at,
		WaitKnown: t.waitKnown, Wait: t.wait, Rated: t.rated, EndRecv: t.endRecv, Department: t.dept}
}

func (s StateTally) tally() tally {
	return tally{arrived: s.Arrived, provisional: s.Provisional, outcome: outcomeKind(s.Outcome), at: s.At,
		waitKnown: s.WaitKnown, wait: s.Wait, rated: s.Rated, endRecv: s.EndRecv, dept: s.Department}
}

// StateAgent is an agent with the board's bookkeeping on them.
type StateAgent struct {
	Agent
	// FromPoll: an agents snapshot listed the agent.
	FromPoll bool `json:"from_poll,omitempty"`
	// Spans are the agent's status changes, oldest first; Work the chats
	// they took (agentstats.go).
	Spans []StateSpan `json:"spans,omitempty"`
	Work  []StateWork `json:"work,omitempty"`
}

// StateSpan is one status change of an agent.
type StateSpan struct {
	At     time.Time         `json:"at"`
	Status event.AgentStatus `json:"status"`
	Name   string            `json:"name,omitempty"`
}

// StateWork is one chat an agent took; durations are -1 when unknown.
type StateWork struct {
	Chat     string          `json:"chat"`
	At       time.Time       `json:"at"`
	Response time.Duration   `json:"response_ns"`
	Duration time.Duration   `json:"duration_ns"`
	Rating   event.Sentiment `json:"rating,omitempty"`
}

// StateHistory is a visitor's history with the board's bookkeeping on it.
type StateHistory struct {
	History
	// LastChat is the id of the visitor's chat counted last.
	LastChat string `json:"last_chat,omitempty"`
}

// StateOutcomes is the outcome log: the totals of the entries pruned away
// (Base), then each entry with its own counts, in time order. The running
// totals are rebuilt from them.
type StateOutcomes struct {
	Base StateOutcome   `json:"base,omitzero"`
	Log  []StateOutcome `json:"log,omitempty"`
}

// StateOutcome is one entry of the outcome log (At is zero for the base).
type StateOutcome struct {
	At             time.Time     `json:"t,omitzero"`
	Arrivals       int64         `json:"n,omitempty"`
	Answered       int64         `json:"a,omitempty"`
	AnsweredKnown  int64         `json:"k,omitempty"`
	WithinTarget   int64         `json:"in,omitempty"`
	WaitSum        time.Duration `json:"w,omitempty"`
	Abandoned      int64         `json:"ab,omitempty"`
	ShortAbandoned int64         `json:"sa,omitempty"`
	Good           int64         `json:"g,omitempty"`
	Bad            int64         `json:"b,omitempty"`
}

func (l *outcomeLog) state() StateOutcomes {
	st := StateOutcomes{Base: stateOutcome(time.Time{}, l.base)}
	if n := len(l.log); n > 0 {
		st.Log = make([]StateOutcome, n)
		prev := l.base
		for i, e := range l.log {
			st.Log[i] = stateOutcome(e.at, e.cum.minus(prev))
			prev = e.cum
		}
	}
	return st
}

func (l *outcomeLog) restore(st StateOutcomes) error {
	l.base = st.Base.outcome()
	if n := len(st.Log); n > 0 {
		log := make([]outcomeEntry, n)
		sum := l.base
		for i, e := range st.Log {
			if i > 0 && e.At.Before(log[i-1].at) {
				return errors.New("board: state's outcome log is out of time order")
			}
			sum.plus(e.outcome())
			log[i] = outcomeEntry{e.At, sum}
		}
		l.set(log)
	}
	return nil
}

func stateOutcome(at time.Time, o outcome) StateOutcome {
	return StateOutcome{At: at, Arrivals: o.arrivals, Answered: o.answered, AnsweredKnown: o.answeredKnown,
		WithinTarget: o.withinTarget, WaitSum: o.waitSum, Abandoned: o.abandoned,
		ShortAbandoned: o.shortAbandoned, Good: o.good, Bad: o.bad}
}

func (s StateOutcome) outcome() outcome {
	return outcome{arrivals: s.Arrivals, answered: s.Answered, answeredKnown: s.AnsweredKnown,
		withinTarget: s.WithinTarget, waitSum: s.WaitSum, abandoned: s.Abandoned,
		shortAbandoned: s.ShortAbandoned, good: s.Good, bad: s.Bad}
}

// State returns the board's state. It shares no memory with the board:
// later Apply calls on b do not change it.
func (b *Board) State() State {
	st := State{Version: StateVersion, Seq: b.seq, Latest: b.latest, LastPrune: b.lastPrune}

	// Chats: those on the board in key order, then any only an index holds.
	pos := make(map[*Chat]int, b.chats.len())
	keys := make([]key, 0, b.chats.len())
	b.chats.all(func(k key, _ *Chat) { keys = append(keys, k) })
	slices.SortFunc(keys, b.compareKeys)
	if len(keys) > 0 {
		st.Chats = make([]StateChat, 0, len(keys))
	}
	for _, k := range keys {
		c := b.chats.get(k)
		pos[c] = len(st.Chats)
		st.Chats = append(st.Chats, stateChat(c, false))
	}
	ref := func(c *Chat) int {
		i, ok := pos[c]
		if !ok {
			i = len(st.Chats)
			pos[c] = i
			st.Chats = append(st.Chats, stateChat(c, true))
		}
		return i
	}
	if len(b.waiting) > 0 {
		st.Waiting = make([]int, len(b.waiting))
		for i, c := range b.waiting {
			st.Waiting[i] = ref(c)
		}
	}
	if b.endedLive > 0 {
		st.Ended = make([]int, 0, b.endedLive)
		for _, c := range b.ended {
			if c != nil {
				st.Ended = append(st.Ended, ref(c))
			}
		}
	}
	if len(b.open) > 0 {
		open := make([]key, 0, len(b.open))
		for k := range b.open {
			open = append(open, k)
		}
		slices.SortFunc(open, b.compareKeys)
		st.Open = map[event.Source]map[string]int{}
		for _, k := range open {
			m := st.Open[b.source(k)]
			if m == nil {
				m = map[string]int{}
				st.Open[b.source(k)] = m
			}
			m[k.id] = ref(b.open[k])
		}
	}

	if len(b.agents) > 0 {
		st.Agents = make([]StateAgent, 0, len(b.agents))
		for _, a := range b.agents {
			sa := StateAgent{Agent: *a, FromPoll: a.fromPoll}
			sa.k, sa.ordRank, sa.ordName, sa.ordNameOf, sa.spans, sa.work = key{}, 0, "", "", nil, nil
			for _, sp := range a.spans {
				sa.Spans = append(sa.Spans, StateSpan{At: sp.at, Status: sp.status, Name: sp.name})
			}
			for _, w := range a.work {
				sa.Work = append(sa.Work, StateWork{Chat: w.chat, At: w.at, Response: w.response, Duration: w.duration, Rating: w.rating})
			}
			st.Agents = append(st.Agents, sa)
		}
		slices.SortFunc(st.Agents, func(x, y StateAgent) int {
			return cmp.Or(cmp.Compare(x.Source, y.Source), cmp.Compare(strings.ToLower(x.ID), strings.ToLower(y.ID)))
		})
	}
	if b.history.len() > 0 {
		st.History = map[event.Source]map[string]StateHistory{}
		b.history.all(func(k key, h *History) {
			m := st.History[b.source(k)]
			if m == nil {
				m = map[string]StateHistory{}
				st.History[b.source(k)] = m
			}
			sh := StateHistory{History: *h, LastChat: h.lastChat}
			sh.k, sh.heapAt = key{}, 0
			m[k.id] = sh
		})
	}
	st.Offline = cloneOffline(b.offline.items)
	st.Inbox = cloneInbox(b.inbox.items)

	st.Outcomes = b.outcomes.state()
	if len(b.deptOutcomes) > 0 {
		st.DepartmentOutcomes = make(map[string]StateOutcomes, len(b.deptOutcomes))
		for d, l := range b.deptOutcomes {
			st.DepartmentOutcomes[d] = l.state()
		}
	}
	if len(b.sources) > 0 {
		st.Sources = make(map[event.Source]SourceState, len(b.sources))
		for src, s := range b.sources {
			st.Sources[src] = cloneSource(s)
		}
	}
	if len(b.statuses) > 0 {
		st.Statuses = make(map[event.Source][]string, len(b.statuses))
		for src, list := range b.statuses {
			st.Statuses[src] = slices.Clone(list)
		}
	}
	st.Trend, st.TrendLast = b.trend.state()
	return st
}

// Restore returns a board with cfg (defaults filled as New does) whose state
// is st. The board shares no memory with st. A board restored from
// another's State answers every query as the other does, and stays so as
// both apply the same events.
func Restore(cfg Config, st State) (*Board, error) {
	if st.Version != StateVersion {
		return nil, fmt.Errorf("board: state version %d, want %d", st.Version, StateVersion)
	}
	b := New(cfg)
	b.seq, b.latest, b.lastPrune = st.Seq, st.Latest, st.LastPrune

	chats := make([]*Chat, len(st.Chats))
	for i := range st.Chats {
		sc := &st.Chats[i]
		c := new(Chat)
		*c = cloneChat(&sc.Chat)
		c.tally, c.waitIndex, c.visitorKnows = sc.Tally.tally(), -1, c.Visitor.Known()
		c.onBoard, c.inEnded, c.ordGroup, c.ordAt, c.openKey, c.k, c.kHash = false, false, 0, time.Time{}, "", key{}, 0
		chats[i] = c
		if sc.Gone {
			continue
		}
		k := b.key(c.Source, c.ID)
		if b.chats.get(k) != nil {
			return nil, fmt.Errorf("board: state holds chat %s/%s twice", c.Source, c.ID)
		}
		c.k = k
		c.kHash = b.chats.put(k, c)
	}
	ref := func(what string, i int) (*Chat, error) {
		if i < 0 || i >= len(chats) {
			return nil, fmt.Errorf("board: state's %s refers to chat %d of %d", what, i, len(chats))
		}
		return chats[i], nil
	}
	if len(st.Waiting) > 0 {
		b.waiting = make([]*Chat, len(st.Waiting))
		for j, i := range st.Waiting {
			c, err := ref("waiting queue", i)
			if err != nil {
				return nil, err
			}
			if c.waitIndex >= 0 {
				return nil, fmt.Errorf("board: state's waiting queue holds chat %s/%s twice", c.Source, c.ID)
			}
			c.waitIndex = j
			b.waiting[j] = c
		}
	}
	if len(st.Ended) > 0 {
		b.ended = make([]*Chat, 0, len(st.Ended))
		for _, i := range st.Ended {
			c, err := ref("ended list", i)
			if err != nil {
				return nil, err
			}
			if c.inEnded {
				return nil, fmt.Errorf("board: state's ended list holds chat %s/%s twice", c.Source, c.ID)
			}
			if !st.Chats[i].Gone && c.State != Ended && c.State != Missed {
				return nil, fmt.Errorf("board: state's ended list holds chat %s/%s, which is %s", c.Source, c.ID, c.State)
			}
			b.pushEnded(c)
			if st.Chats[i].Gone {
				b.endedGone = append(b.endedGone, c)
			}
		}
	}
	for src, m := range st.Open {
		for id, i := range m {
			c, err := ref("open index", i)
			if err != nil {
				return nil, err
			}
			b.setOpen(b.key(src, id), c)
		}
	}

	for _, sa := range st.Agents {
		a := sa.Agent
		a.fromPoll = sa.FromPoll
		a.k, a.ordRank, a.ordName, a.ordNameOf, a.spans, a.work = key{}, 0, "", "", nil, nil
		k := agentKey(b.srcs.code(a.Source), a.ID)
		if b.agents[k] != nil {
			return nil, fmt.Errorf("board: state holds agent %s/%s twice", a.Source, a.ID)
		}
		for i, sp := range sa.Spans {
			if i > 0 && sp.At.Before(sa.Spans[i-1].At) {
				return nil, fmt.Errorf("board: state's agent %s/%s has status changes out of time order", a.Source, a.ID)
			}
			a.spans = append(a.spans, statusSpan{at: sp.At, status: sp.Status, name: sp.Name})
		}
		for _, sw := range sa.Work {
			w := &agentWork{chat: sw.Chat, at: sw.At, response: sw.Response, duration: sw.Duration, rating: sw.Rating}
			a.work = append(a.work, w)
			if c := b.chats.get(b.key(a.Source, sw.Chat)); c != nil {
				c.work = append(c.work, w)
			}
		}
		b.agents[k] = &a
	}
	for src, m := range st.History {
		for id, sh := range m {
			h := sh.History
			k := b.key(src, id)
			h.lastChat, h.k, h.heapAt = sh.LastChat, k, 0
			b.history.put(k, &h)
		}
	}
	b.offline.items = cloneOffline(st.Offline)
	b.inbox.items = cloneInbox(st.Inbox)

	if err := b.outcomes.restore(st.Outcomes); err != nil {
		return nil, err
	}
	for d, so := range st.DepartmentOutcomes {
		l := &outcomeLog{}
		if err := l.restore(so); err != nil {
			return nil, fmt.Errorf("department %q: %w", d, err)
		}
		b.deptOutcomes[d] = l
	}
	for src, s := range st.Sources {
		s := cloneSource(&s)
		b.sources[src] = &s
	}
	for src, list := range st.Statuses {
		b.statuses[src] = slices.Clone(list)
	}
	if err := b.trend.restore(st.Trend, st.TrendLast); err != nil {
		return nil, err
	}
	for _, c := range chats {
		if !c.inEnded && (c.State == Ended || c.State == Missed) && b.chats.get(b.key(c.Source, c.ID)) == c {
			return nil, fmt.Errorf("board: state's chat %s/%s is %s but not in the ended list", c.Source, c.ID, c.State)
		}
	}
	b.offline.recount()
	b.inbox.recount()
	b.rebuildIndexes()
	return b, nil
}

func stateChat(c *Chat, gone bool) StateChat {
	sc := StateChat{Chat: cloneChat(c), Tally: stateTally(c.tally), Gone: gone}
	sc.onBoard, sc.inEnded, sc.ordGroup, sc.ordAt, sc.openKey, sc.k, sc.kHash, sc.visitorKnows = false, false, 0, time.Time{}, "", key{}, 0, 0
	return sc
}

// cloneChat copies a chat and everything it points to, so that neither copy
// sees the other's later changes (merge edits Info in place and appends to
// the slices).
func cloneChat(c *Chat) Chat {
	out := *c
	out.work = nil
	out.LastVisitorMessageAt = lastVisitorMessageAt(c.Messages)
	out.Visitor = cloneVisitor(c.Visitor)
	out.Agents = slices.Clone(c.Agents)
	out.Messages = slices.Clone(c.Messages)
	out.Rating = clonePtr(c.Rating)
	if c.WrapUp != nil {
		w := *c.WrapUp
		w.Fields = slices.Clone(w.Fields)
		out.WrapUp = &w
	}
	if c.Info != nil {
		info := *c.Info
		info.Attachments = slices.Clone(info.Attachments)
		info.Tags = slices.Clone(info.Tags)
		out.Info = &info
	}
	out.Call = clonePtr(c.Call)
	return out
}

// cloneVisitor copies v and what it points to; an empty visitor for nil.
func cloneVisitor(v *event.Visitor) *event.Visitor {
	out := &event.Visitor{}
	if v != nil {
		*out = *v
	}
	out.Department = clonePtr(out.Department)
	out.Fields = slices.Clone(out.Fields)
	out.Variables = slices.Clone(out.Variables)
	return out
}

func cloneOffline(items []OfflineItem) []OfflineItem {
	out := slices.Clone(items)
	for i := range out {
		out[i].Attachments = slices.Clone(out[i].Attachments)
	}
	return out
}

func cloneInbox(items []InboxItem) []InboxItem {
	out := slices.Clone(items)
	for i := range out {
		out[i].Rating = clonePtr(out[i].Rating)
	}
	return out
}

func cloneSource(s *SourceState) SourceState {
	out := *s
	out.Poll = clonePtr(s.Poll)
	return out
}

func clonePtr[T any](p *T) *T {
	if p == nil {
		return nil
	}
	v := *p
	return &v
}
