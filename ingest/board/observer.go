package board

import (
	"slices"
	"time"

	"github.com/chatdeck/chatdeck/ingest/event"
)

// Observer is told what the board counts, as it counts it: every addition
// to its outcome log (with the time it is placed at), every status change
// of an agent, and every chat an agent is credited with. A report built
// from these is the board's own figures over any span, by construction
// (chatdeck report). Set it in Config; nil costs one check per count.
//
// The board calls it from Apply, synchronously: it must be quick and must
// not call back into the board.
type Observer interface {
	// Counted: c was added to the outcome log.
	Counted(c Count)
	// StatusChanged: an agent entered a status.
	StatusChanged(s StatusChange)
	// ChatCredited: an agent's chat was credited (New) or what it is
	// credited with changed as the chat went on.
	ChatCredited(w AgentChat)
}

// Counts are what one addition to the outcome log adds (Period's counts,
// with the sums its ratios are made of). A correction (a better wait
// known later) can carry negative fields.
type Counts struct {
	Arrivals       int64         `json:"arrivals"`
	Answered       int64         `json:"answered"`
	AnsweredKnown  int64         `json:"answered_known_wait"`
	WithinTarget   int64         `json:"answered_within_target"`
	WaitSum        time.Duration `json:"wait_sum"`
	Abandoned      int64         `json:"abandoned"`
	ShortAbandoned int64         `json:"short_abandoned"`
	Good           int64         `json:"csat_good"`
	Bad            int64         `json:"csat_bad"`
}

// Add adds d to c.
func (c *Counts) Add(d Counts) {
	o := c.outcome()
	o.plus(d.outcome())
	*c = countsOf(o)
}

func (c Counts) outcome() outcome {
	return outcome{arrivals: c.Arrivals, answered: c.Answered, answeredKnown: c.AnsweredKnown,
		withinTarget: c.WithinTarget, waitSum: c.WaitSum, abandoned: c.Abandoned,
		shortAbandoned: c.ShortAbandoned, good: c.Good, bad: c.Bad}
}

func countsOf(o outcome) Counts {
	return Counts{Arrivals: o.arrivals, Answered: o.answered, AnsweredKnown: o.answeredKnown,
		WithinTarget: o.withinTarget, WaitSum: o.waitSum, Abandoned: o.abandoned,
		ShortAbandoned: o.shortAbandoned, Good: o.good, Bad: o.bad}
}

// PeriodOf is the Period from from with counts c: the board's own ratios
// (service level, ASA, abandonment, CSAT share).
func PeriodOf(from time.Time, c Counts) Period { return period(from, c.outcome()) }

// Count is one addition to the outcome log.
type Count struct {
	// At is where the board placed it (docs/METRICS.md, "Clocks").
	At     time.Time
	Source event.Source
	Chat   string
	// Department is where it counts: for an answer, an abandon and a
	// correction of an answer's wait, the department the chat was in when
	// it was answered or given up on (as the board's breakdown by
	// department); for an arrival or a rating, the chat's department then.
	Department string
	Counts     Counts
}

// StatusChange says an agent entered a status at At.
type StatusChange struct {
	Source event.Source
	Agent  string // the agent's id
	At     time.Time
	Status event.AgentStatus
	Name   string // the vendor's name for it
}

// AgentChat is a chat an agent is credited with, as the board knows it so
// far. Chat and Slot identify it: the board credits a chat's agents once,
// slot by slot (New, with Agent), then tells each slot's figures again
// whenever they may have changed (without Agent). A chat the board forgot
// and sees again is credited anew.
type AgentChat struct {
	Source event.Source
	Chat   string
	Slot   int
	New    bool
	Agent  string // the agent's id; set when New
	// At is where the chat's answer is placed.
	At time.Time
	// FirstResponse and Duration are < 0 when unknown.
	FirstResponse time.Duration
	Duration      time.Duration
	Rating        event.Sentiment
}

// AgentFigures is what an agent did in (from, to] (AgentPeriod, by the
// board's own rules: status time, nearest-rank quantiles) given their
// status changes (in the order the board was told them) and the chats they
// were credited with.
func AgentFigures(spans []StatusChange, chats []AgentChat, from, to time.Time) AgentPeriod {
	ag := &Agent{spans: make([]statusSpan, 0, len(spans)), work: make([]*agentWork, 0, len(chats))}
	for _, s := range spans {
		ag.spans = append(ag.spans, statusSpan{at: s.At, status: s.Status, name: s.Name})
	}
	// As noteStatus inserts a late change: after those at the same time.
	slices.SortStableFunc(ag.spans, func(a, b statusSpan) int { return a.at.Compare(b.at) })
	for _, c := range chats {
		ag.work = append(ag.work, &agentWork{chat: c.Chat, at: c.At, response: c.FirstResponse,
			duration: c.Duration, rating: c.Rating})
	}
	return agentPeriod(ag, from, to)
}

// observe tells the observer, if any, that o was added to the log at at
// for c, counted in department dept.
func (b *Board) observe(at time.Time, c *Chat, dept string, o outcome) {
	if obs := b.cfg.Observer; obs != nil {
		obs.Counted(Count{At: at, Source: c.Source, Chat: c.ID, Department: dept, Counts: countsOf(o)})
	}
}

// observeStatus tells the observer, if any, that ag entered s at at.
func (b *Board) observeStatus(ag *Agent, s event.AgentStatus, name string, at time.Time) {
	if obs := b.cfg.Observer; obs != nil {
		obs.StatusChanged(StatusChange{Source: ag.Source, Agent: ag.ID, At: at, Status: s, Name: name})
	}
}

// observeCredit tells the observer, if any, that ag is credited with c's
// latest slot of work (its figures follow, from observeWork).
func (b *Board) observeCredit(c *Chat, ag *Agent) {
	if obs := b.cfg.Observer; obs != nil {
		obs.ChatCredited(AgentChat{Source: c.Source, Chat: c.ID, Slot: len(c.work) - 1, New: true, Agent: ag.ID,
			At: c.work[len(c.work)-1].at, FirstResponse: -1, Duration: -1})
	}
}

// observeWork tells the observer, if any, what each of c's slots is
// credited with now.
func (b *Board) observeWork(c *Chat) {
	if obs := b.cfg.Observer; obs != nil {
		workTo(obs, c)
	}
}

func workTo(obs Observer, c *Chat) {
	for i, w := range c.work {
		obs.ChatCredited(AgentChat{Source: c.Source, Chat: c.ID, Slot: i, At: w.at,
			FirstResponse: w.response, Duration: w.duration, Rating: w.rating})
	}
}
