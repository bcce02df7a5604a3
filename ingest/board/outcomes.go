package board

import (
	"time"

	"github.com/chatdeck/chatdeck/ingest/event"
)

// What each chat adds to the outcome log, and when (docs/METRICS.md):
//   - its arrival, once, when the first event that says a visitor asked
//     (a request, an answer, an end, a visitor not answered) is placed;
//   - its outcome, once: answered, abandoned or short abandoned;
//   - the wait of its answer, the best known: when a better figure comes
//     later (the vendor's waiting_time on chat_ended), the log is corrected
//     where the answer was counted, so the chat still counts once;
//   - its rating, once.
//
// Every wait is measured on one clock: the vendor's to the vendor's, or
// chatdeck's receipts to chatdeck's receipts, never one end on each.

// outcomeKind is how a chat's outcome was counted.
type outcomeKind uint8

const (
	noOutcome outcomeKind = iota
	answeredOutcome
	abandonedOutcome
	shortAbandonedOutcome
)

// tally is what a chat has added to the outcome log.
type tally struct {
	arrived bool
	// provisional: put on the board as ended by a wrap-up or feedback,
	// before any event that says how the chat went.
	provisional bool
	outcome     outcomeKind
	at          time.Time     // where the outcome is in the log
	waitKnown   bool          // the answer was counted with a known wait ...
	wait        time.Duration // ... of this
	rated       bool          // its rating is in the log
	endRecv     time.Time     // chatdeck's receipt of the end
	dept        string        // the department its outcome is counted in
}

// arrive counts c's arrival, once. Polled visitors count nothing:
// chatdeck cannot know how their wait ended.
func (b *Board) arrive(c *Chat, ev *event.Event) {
	if c.FromPoll || c.tally.arrived {
		return
	}
	c.tally.arrived = true
	b.outcomes.add(place(ev), outcome{arrivals: 1})
	b.observe(place(ev), c, c.Department, outcome{arrivals: 1})
}

// waitOutcome is what an answer's wait adds to the log.
func (b *Board) waitOutcome(w time.Duration, known bool) outcome {
	if !known {
		return outcome{}
	}
	o := outcome{answeredKnown: 1, waitSum: w}
	if w <= b.cfg.SLTarget {
		o.withinTarget = 1
	}
	return o
}

// countAnswer counts c as answered at at, once, with the best wait known.
func (b *Board) countAnswer(c *Chat, at time.Time) {
	if c.FromPoll || c.tally.outcome != noOutcome {
		return
	}
	w, ok := b.answerWait(c)
	c.tally.wait, c.tally.waitKnown = w, ok
	o := b.waitOutcome(w, ok)
	o.answered = 1
	b.countOutcome(c, answeredOutcome, at, o)
}

// countOutcome counts c's outcome k at at, adding o to the log and to its
// department's, the department it has now: a chat counts where it was
// when it was answered or given up on, even if it moves later.
func (b *Board) countOutcome(c *Chat, k outcomeKind, at time.Time, o outcome) {
	c.tally.outcome, c.tally.at, c.tally.dept = k, at, c.Department
	b.outcomes.add(at, o)
	b.deptLog(c.tally.dept).add(at, o)
	b.observe(at, c, c.tally.dept, o)
}

// deptLog is the outcome log of department d.
func (b *Board) deptLog(d string) *outcomeLog {
	l := b.deptOutcomes[d]
	if l == nil {
		l = &outcomeLog{}
		b.deptOutcomes[d] = l
	}
	return l
}

// countAbandon counts c, which ended unanswered, at at, once: short
// abandoned when its wait is known and under ShortAbandon, else abandoned
// (a visitor whose wait cannot be measured is not assumed to have left at
// once).
func (b *Board) countAbandon(c *Chat, at time.Time) {
	if c.FromPoll || c.tally.outcome != noOutcome {
		return
	}
	if w, ok := b.missWait(c); ok && w < b.cfg.ShortAbandon {
		b.countOutcome(c, shortAbandonedOutcome, at, outcome{shortAbandoned: 1})
		return
	}
	b.countOutcome(c, abandonedOutcome, at, outcome{abandoned: 1})
}

// settle corrects the wait an answered chat was counted with, where it was
// counted, when the board now knows a better one.
func (b *Board) settle(c *Chat) {
	if c.tally.outcome != answeredOutcome {
		return
	}
	w, ok := b.answerWait(c)
	if ok == c.tally.waitKnown && w == c.tally.wait {
		return
	}
	fix := b.waitOutcome(w, ok).minus(b.waitOutcome(c.tally.wait, c.tally.waitKnown))
	c.tally.wait, c.tally.waitKnown = w, ok
	b.outcomes.add(c.tally.at, fix)
	b.deptLog(c.tally.dept).add(c.tally.at, fix)
	b.observe(c.tally.at, c, c.tally.dept, fix)
}

// countRating counts c's rating at at, once: the first good or bad one.
func (b *Board) countRating(c *Chat, at time.Time) {
	if c.tally.rated || c.Rating == nil {
		return
	}
	switch c.Rating.Sentiment {
	case event.Good:
		b.outcomes.add(at, outcome{good: 1})
		b.observe(at, c, c.Department, outcome{good: 1})
	case event.Bad:
		b.outcomes.add(at, outcome{bad: 1})
		b.observe(at, c, c.Department, outcome{bad: 1})
	default:
		return
	}
	c.tally.rated = true
}

// answerWait is how long c's visitor waited for the answer, if known:
//  1. the vendor's own figure (Comm100 waiting_time), whenever it came;
//  2. Chatlio: the first agent message's sentAt − the chat's startedAt
//     (else its first visitor message), both the vendor's;
//  3. the receipt of the answer − the receipt that began the wait.
func (b *Board) answerWait(c *Chat) (time.Duration, bool) {
	if c.Info != nil && c.Info.HasWait {
		return c.Info.Wait, true
	}
	if c.Source == event.Chatlio {
		if w, ok := span(vendorStart(c), firstMessageAt(c.Messages, event.FromAgent)); ok {
			return w, true
		}
	}
	return span(c.RequestedAt, c.AnsweredAt)
}

// missWait is how long c's visitor waited before the chat ended
// unanswered, if known: the vendor's figure; Chatlio endedAt − startedAt;
// else receipt to receipt. (Jivo sends no request: unknown.)
func (b *Board) missWait(c *Chat) (time.Duration, bool) {
	if c.Info != nil && c.Info.HasWait {
		return c.Info.Wait, true
	}
	if c.Source == event.Chatlio && c.Info != nil {
		if w, ok := span(vendorStart(c), c.Info.EndedAt); ok {
			return w, true
		}
	}
	return span(c.RequestedAt, c.tally.endRecv)
}

// vendorStart is when the vendor says c began: its start time, else the
// visitor's first message.
func vendorStart(c *Chat) time.Time {
	if c.Info != nil && !c.Info.StartedAt.IsZero() {
		return c.Info.StartedAt
	}
	return firstMessageAt(c.Messages, event.FromVisitor)
}

// span is to − from, when both are known and in order.
func span(from, to time.Time) (time.Duration, bool) {
	if from.IsZero() || to.IsZero() || to.Before(from) {
		return 0, false
	}
	return to.Sub(from), true
}
