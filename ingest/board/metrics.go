package board

import (
	"sort"
	"time"

	"github.com/chatdeck/chatdeck/ingest/event"
)

// outcome is what one event adds to the counts the metrics are made of.
type outcome struct {
	arrivals       int64         // chats that appeared (requested, or first seen)
	answered       int64         // chats an agent answered
	answeredKnown  int64         // ... of which the wait is known
	withinTarget   int64         // ... of which the wait was at most SLTarget
	waitSum        time.Duration // sum of the known waits
	abandoned      int64         // chats ended unanswered after ShortAbandon
	shortAbandoned int64         // chats ended unanswered sooner
	good, bad      int64         // ratings
}

func (o *outcome) plus(p outcome) {
	o.arrivals += p.arrivals
	o.answered += p.answered
	o.answeredKnown += p.answeredKnown
	o.withinTarget += p.withinTarget
	o.waitSum += p.waitSum
	o.abandoned += p.abandoned
	o.shortAbandoned += p.shortAbandoned
	o.good += p.good
	o.bad += p.bad
}

func (o outcome) minus(p outcome) outcome {
	return outcome{
		arrivals: o.arrivals - p.arrivals, answered: o.answered - p.answered,
		answeredKnown: o.answeredKnown - p.answeredKnown, withinTarget: o.withinTarget - p.withinTarget,
		waitSum: o.waitSum - p.waitSum, abandoned: o.abandoned - p.abandoned,
		shortAbandoned: o.shortAbandoned - p.shortAbandoned, good: o.good - p.good, bad: o.bad - p.bad,
	}
}

// outcomeLog is a time-ordered log of outcomes with running totals, so the
// totals between any two times cost two binary searches, whatever the
// traffic.
type outcomeLog struct {
	log  []outcomeEntry // in time order
	base outcome        // sum of the entries pruned away

	// log is arr[head:]: pruning leaves the entries it drops at the front
	// of arr, whose room add takes back when arr is full, so a log that is
	// pruned as fast as it grows allocates nothing.
	arr  []outcomeEntry
	head int
}

// outcomeEntry is one entry of an outcomeLog: its time, and the sum of the
// entries up to and including it, plus the log's base. (One slice of
// both, so that an add writes one run of memory.)
type outcomeEntry struct {
	at  time.Time
	cum outcome
}

// room makes room for one more entry at the end of arr.
func (l *outcomeLog) room() {
	n := len(l.log)
	if l.head > 0 && l.head >= n/4 {
		copy(l.arr, l.log)
		clear(l.arr[n:])
		l.arr = l.arr[:n]
	} else {
		arr := make([]outcomeEntry, n, max(2*n, 64))
		copy(arr, l.log)
		l.arr = arr
	}
	l.head = 0
	l.log = l.arr
}

// set replaces the log with entries log.
func (l *outcomeLog) set(log []outcomeEntry) {
	l.arr, l.head, l.log = log, 0, log
}

// after returns the index of the first entry after t (len(l.log) if none).
func (l *outcomeLog) after(t time.Time) int {
	return sort.Search(len(l.log), func(j int) bool { return l.log[j].at.After(t) })
}

func (l *outcomeLog) add(at time.Time, o outcome) {
	i := len(l.log)
	if i > 0 && at.Before(l.log[i-1].at) {
		i = l.after(at)
	}
	prev := l.base
	if i > 0 {
		prev = l.log[i-1].cum
	}
	if len(l.arr) == cap(l.arr) {
		l.room()
	}
	prev.plus(o)
	l.arr = append(l.arr, outcomeEntry{at, prev})
	l.log = l.arr[l.head:]
	if i < len(l.log)-1 {
		// Out of time order: move the later entries up and add o to
		// their totals.
		copy(l.log[i+1:], l.log[i:])
		l.log[i] = outcomeEntry{at, prev}
		for j := i + 1; j < len(l.log); j++ {
			l.log[j].cum.plus(o)
		}
	}
}

// total returns everything since the start of the log up to t inclusive.
func (l *outcomeLog) total(t time.Time) outcome {
	i := l.after(t)
	if i == 0 {
		return l.base
	}
	return l.log[i-1].cum
}

// between returns the outcomes in (from, to].
func (l *outcomeLog) between(from, to time.Time) outcome {
	return l.total(to).minus(l.total(from))
}

// prune drops entries at or before t.
func (l *outcomeLog) prune(t time.Time) {
	i := l.after(t)
	if i == 0 {
		return
	}
	l.base = l.log[i-1].cum
	l.head += i
	l.log = l.arr[l.head:]
}

// Period holds the metrics of one span of time (the rolling window, today).
// Each chat counts once (outcomes.go; docs/METRICS.md):
//   - Arrivals: chats a visitor asked for; Answered, Abandoned and
//     ShortAbandoned: how they went (short: a known wait under
//     ShortAbandon; such visitors count in neither ratio below).
//   - ASA (average speed of answer): the mean wait of answered chats whose
//     wait is known, the best known (the vendor's figure, even later).
//   - ServiceLevel = answered within T / (answered with a known wait +
//     abandoned). nil when nothing was offered.
//   - AbandonmentRate = abandoned / (answered + abandoned). nil when nothing
//     was offered.
//   - CSAT: Good and Bad ratings received in the span; CSATShare =
//     good / (good + bad), nil without ratings.
type Period struct {
	From             time.Time `json:"from"`
	Arrivals         int64     `json:"arrivals"`
	Answered         int64     `json:"answered"`
	AnsweredInTarget int64     `json:"answered_within_target"`
	Abandoned        int64     `json:"abandoned"`
	ShortAbandoned   int64     `json:"short_abandoned"`
	ASASeconds       *float64  `json:"asa_seconds"`
	ServiceLevel     *float64  `json:"service_level"`
	AbandonmentRate  *float64  `json:"abandonment_rate"`
	CSATGood         int64     `json:"csat_good"`
	CSATBad          int64     `json:"csat_bad"`
	CSATShare        *float64  `json:"csat_share"`
}

func period(from time.Time, o outcome) Period {
	p := Period{
		From: from, Arrivals: o.arrivals, Answered: o.answered, AnsweredInTarget: o.withinTarget,
		Abandoned: o.abandoned, ShortAbandoned: o.shortAbandoned, CSATGood: o.good, CSATBad: o.bad,
	}
	if o.answeredKnown > 0 {
		p.ASASeconds = ratio(o.waitSum.Seconds(), float64(o.answeredKnown))
	}
	p.ServiceLevel = ratio(float64(o.withinTarget), float64(o.answeredKnown+o.abandoned))
	p.AbandonmentRate = ratio(float64(o.abandoned), float64(o.answered+o.abandoned))
	p.CSATShare = ratio(float64(o.good), float64(o.good+o.bad))
	return p
}

func ratio(a, b float64) *float64 {
	if b <= 0 {
		return nil
	}
	r := a / b
	return &r
}

// Metrics are the headline numbers, as of a given now.
//
//   - QueueLength: visitors waiting now. LongestWaitSeconds: how long the
//     one who has waited longest has waited (0 with an empty queue).
//   - ActiveChats: chats in progress.
//   - Agents*: agents by status, as presence sources said (Comm100 status
//     webhooks and polls, chatdeck's own status changes); AgentsUnknown
//     counts those only seen in chats; AgentsTotal all known agents.
//   - Utilisation = active chats / (agents serving × Capacity), serving =
//     online, or of any status while holding a chat (an agent who goes
//     away with chats still holds their slots). nil when nobody serves.
//   - ChatsPerHour: chats that arrived in the last 60 minutes.
//   - Window: the Period of the last Config.Window; Today: since midnight
//     in Config.Location.
type Metrics struct {
	At                  time.Time `json:"at"`
	QueueLength         int       `json:"queue_length"`
	LongestWaitSeconds  float64   `json:"longest_wait_seconds"`
	ActiveChats         int       `json:"active_chats"`
	AgentsOnline        int       `json:"agents_online"`
	AgentsAway          int       `json:"agents_away"`
	AgentsOffline       int       `json:"agents_offline"`
	AgentsUnknown       int       `json:"agents_unknown"`
	AgentsServing       int       `json:"agents_serving"`
	AgentsTotal         int       `json:"agents_total"`
	Capacity            int       `json:"capacity_per_agent"`
	Utilisation         *float64  `json:"utilisation"`
	ChatsPerHour        int64     `json:"chats_per_hour"`
	SLTargetSeconds     float64   `json:"service_level_target_seconds"`
	WindowMinutes       float64   `json:"window_minutes"`
	ShortAbandonSeconds float64   `json:"short_abandon_seconds"`
	Window              Period    `json:"window"`
	Today               Period    `json:"today"`
}

// Metrics computes the headline numbers as of now.
func (b *Board) Metrics(now time.Time) Metrics {
	m := Metrics{
		At:                  now,
		QueueLength:         len(b.waiting),
		Capacity:            b.cfg.Capacity,
		SLTargetSeconds:     b.cfg.SLTarget.Seconds(),
		WindowMinutes:       b.cfg.Window.Minutes(),
		ShortAbandonSeconds: b.cfg.ShortAbandon.Seconds(),
	}
	if len(b.waiting) > 0 {
		if w := now.Sub(b.waiting[0].RequestedAt); w > 0 {
			m.LongestWaitSeconds = w.Seconds()
		}
	}
	m.ActiveChats = b.active
	m.AgentsTotal = len(b.agents)
	m.AgentsOnline = b.statusCount[event.AgentOnline]
	m.AgentsAway = b.statusCount[event.AgentAway]
	m.AgentsOffline = b.statusCount[event.AgentOffline]
	m.AgentsUnknown = b.statusCount[event.AgentUnknown]
	m.AgentsServing = m.AgentsOnline
	for _, a := range b.holding {
		if a.Status != event.AgentOnline {
			m.AgentsServing++
		}
	}
	m.Utilisation = ratio(float64(m.ActiveChats), float64(m.AgentsServing*b.cfg.Capacity))
	m.ChatsPerHour = b.outcomes.between(now.Add(-time.Hour), now).arrivals
	from := now.Add(-b.cfg.Window)
	m.Window = period(from, b.outcomes.between(from, now))
	local := now.In(b.cfg.Location)
	midnight := time.Date(local.Year(), local.Month(), local.Day(), 0, 0, 0, 0, b.cfg.Location)
	m.Today = period(midnight, b.outcomes.between(midnight.Add(-time.Nanosecond), now))
	return m
}
