// Package report answers chatdeck report: the board's own figures over any
// span of the journal, one row per group (agent, department, hour, day or
// source). It replays the journal through a real board whose Observer
// (board.Observer) it is, and sums what the board counts, where and when
// the board places it: the figures are the board's by construction.
//
// Memory is bounded by the groups and the span, not by the journal: the
// events stream through (hub.ReplayEvents), the board keeps only its
// retention, and the report keeps one total per group (and, by agent, the
// status changes and chats inside the span, which the medians need).
package report

import (
	"cmp"
	"context"
	"fmt"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/chatdeck/chatdeck/ingest/board"
	"github.com/chatdeck/chatdeck/ingest/event"
	"github.com/chatdeck/chatdeck/ingest/hub"
)

// By is what a report groups by.
type By string

// The groupings.
const (
	ByAgent      By = "agent"
	ByDepartment By = "department"
	ByHour       By = "hour"
	ByDay        By = "day"
	BySource     By = "source"
)

// ParseBy reads a grouping's name.
func ParseBy(s string) (By, error) {
	switch b := By(s); b {
	case ByAgent, ByDepartment, ByHour, ByDay, BySource:
		return b, nil
	}
	return "", fmt.Errorf("%q is not agent, department, hour, day or source", s)
}

// Options say what to report.
type Options struct {
	// Board is the board's configuration (SL target, window, short
	// abandons...): the same as the server's, for the same figures. Its
	// Location is the report's time zone (hours, days, "today").
	Board board.Config
	// Since and Until bound the span: counts placed in [Since, Until];
	// an agent's chats placed in (Since, Until] and their status time
	// between the two, as the board's per-agent figures.
	Since, Until time.Time
	By           By
	// Progress, if set, is told the cursor of the events applied so far,
	// now and then, from the replaying goroutine.
	Progress func(cursor int64)
}

// Report is a report's result.
type Report struct {
	From     time.Time `json:"from"`
	Until    time.Time `json:"until"`
	By       By        `json:"by"`
	Timezone string    `json:"timezone"`
	// Groups (any By but agent) or Agents (by agent) are the rows.
	Groups []GroupRow `json:"-"`
	Agents []AgentRow `json:"-"`
	// Events is how many events were replayed; Undecodable how many of
	// them no longer decode (counted as unrecognised, as on the board).
	Events      int `json:"-"`
	Undecodable int `json:"-"`
	// Board is the board as the replay left it.
	Board *board.Board `json:"-"`
}

// GroupRow is one department, hour, day or source: the counts placed in
// it and the board's ratios of them.
type GroupRow struct {
	// Key names the group: a department ("" for chats with none), a source,
	// an hour's start (RFC 3339 in the zone) or a day (2006-01-02).
	Key string
	// Start is the hour's or day's start; zero for the others.
	Start  time.Time
	Counts board.Counts
	Period board.Period
}

// AgentRow is one agent: who, and what they did in the span.
type AgentRow struct {
	Source event.Source
	ID     string
	Name   string
	board.AgentPeriod
}

// Run replays the journal read through j and returns the report.
func Run(ctx context.Context, j hub.Replayer, opts Options) (*Report, error) {
	if opts.Board.Location == nil {
		opts.Board.Location = time.UTC
	}
	if opts.Until.Before(opts.Since) {
		return nil, fmt.Errorf("report: since %s is after until %s", opts.Since.Format(time.RFC3339), opts.Until.Format(time.RFC3339))
	}
	agg := NewCollector(opts)
	cfg := opts.Board
	cfg.Observer = agg
	b := board.New(cfg)
	var n int
	apply := func(ev *event.Event) {
		b.Apply(ev)
		if n++; opts.Progress != nil && n%4096 == 0 {
			opts.Progress(ev.Seq)
		}
	}
	events, bad, err := hub.ReplayEvents(ctx, j, 0, runtime.GOMAXPROCS(0), apply)
	if err != nil {
		return nil, fmt.Errorf("report: %w", err)
	}
	r := agg.Report(b)
	r.Events, r.Undecodable = events, bad
	return r, nil
}

// Report returns the report of what b counted, b being the board c
// observed (its agents are the report's by agent).
func (c *Collector) Report(b *board.Board) *Report {
	r := &Report{From: c.since, Until: c.until, By: c.by, Timezone: c.loc.String(), Board: b}
	if c.by == ByAgent {
		r.Agents = c.agentRows(b)
	} else {
		r.Groups = c.groupRows()
	}
	return r
}

// Collector is a board's Observer that sums what the board counts into a
// report's groups. Run uses one; NewCollector makes one for a board of
// one's own.
type Collector struct {
	since, until time.Time
	by           By
	loc          *time.Location
	groups       map[string]*GroupRow
	agents       map[agentKey]*agentAcc
	slots        map[slotKey]*board.AgentChat // chats credited in (since, until], by chat and slot
}

type agentKey struct {
	src event.Source
	id  string
}

type slotKey struct {
	src  event.Source
	chat string
	slot int
}

// agentAcc is what one agent did that the span needs: the last status
// change at or before since (base), the ones after it up to until, and
// the chats credited in the span.
type agentAcc struct {
	base  *board.StatusChange
	spans []board.StatusChange
	chats []*board.AgentChat
}

// NewCollector returns a collector for the report opts describe (their
// Board.Location is its zone, UTC if nil).
func NewCollector(opts Options) *Collector {
	if opts.Board.Location == nil {
		opts.Board.Location = time.UTC
	}
	return &Collector{since: opts.Since, until: opts.Until, by: opts.By, loc: opts.Board.Location,
		groups: map[string]*GroupRow{}, agents: map[agentKey]*agentAcc{}, slots: map[slotKey]*board.AgentChat{}}
}

// Counted sums c into its group when it is placed in [since, until].
func (a *Collector) Counted(c board.Count) {
	if a.by == ByAgent || c.At.Before(a.since) || c.At.After(a.until) {
		return
	}
	var key string
	var start time.Time
	switch a.by {
	case ByDepartment:
		key = c.Department
	case BySource:
		key = string(c.Source)
	case ByHour:
		start = hourStart(c.At, a.loc)
		key = start.Format(time.RFC3339)
	case ByDay:
		start = dayStart(c.At, a.loc)
		key = start.Format(time.DateOnly)
	}
	g := a.groups[key]
	if g == nil {
		g = &GroupRow{Key: key, Start: start}
		a.groups[key] = g
	}
	g.Counts.Add(c.Counts)
}

// StatusChanged keeps a status change that bears on the span.
func (a *Collector) StatusChanged(s board.StatusChange) {
	if a.by != ByAgent || s.At.After(a.until) {
		return
	}
	acc := a.agent(s.Source, s.Agent)
	if s.At.After(a.since) {
		// Every poll restates every agent's status: as the board's own
		// history does, keep only changes (a repeat changes no total).
		last := acc.base
		if n := len(acc.spans); n > 0 {
			last = &acc.spans[n-1]
		}
		if last != nil && !s.At.Before(last.At) && last.Status == s.Status && last.Name == s.Name {
			return
		}
		acc.spans = append(acc.spans, s)
		return
	}
	// At or before since only the latest matters (the board sorts late
	// changes after those at the same time: a tie goes to the later).
	if acc.base == nil || !s.At.Before(acc.base.At) {
		acc.base = &s
	}
}

// ChatCredited keeps the chats credited in (since, until], with their
// latest figures.
func (a *Collector) ChatCredited(w board.AgentChat) {
	if a.by != ByAgent {
		return
	}
	k := slotKey{w.Source, w.Chat, w.Slot}
	if w.New {
		if !w.At.After(a.since) || w.At.After(a.until) {
			delete(a.slots, k) // a chat seen anew: the old one's updates end
			return
		}
		// The ids may share the memory of the event's whole payload:
		// copied, so that a chat kept does not keep its payload alive.
		k.chat = strings.Clone(w.Chat)
		rec := w
		rec.Chat, rec.Agent = k.chat, strings.Clone(w.Agent)
		a.slots[k] = &rec
		acc := a.agent(w.Source, w.Agent)
		acc.chats = append(acc.chats, &rec)
		return
	}
	if rec := a.slots[k]; rec != nil {
		rec.At, rec.FirstResponse, rec.Duration, rec.Rating = w.At, w.FirstResponse, w.Duration, w.Rating
	}
}

func (a *Collector) agent(src event.Source, id string) *agentAcc {
	k := agentKey{src, id}
	acc := a.agents[k]
	if acc == nil {
		acc = &agentAcc{}
		a.agents[k] = acc
	}
	return acc
}

// groupRows returns the groups: departments and sources by name (chats
// with no department last), every hour or day of the span in order, those
// with nothing counted too.
func (a *Collector) groupRows() []GroupRow {
	switch a.by {
	case ByHour, ByDay:
		var rows []GroupRow
		for t := a.bucket(a.since); !t.After(a.until); t = a.next(t) {
			key := t.Format(time.RFC3339)
			if a.by == ByDay {
				key = t.Format(time.DateOnly)
			}
			g := a.groups[key]
			if g == nil {
				g = &GroupRow{Key: key, Start: t}
			}
			rows = append(rows, *g)
		}
		return a.periods(rows)
	}
	rows := make([]GroupRow, 0, len(a.groups))
	for _, g := range a.groups {
		rows = append(rows, *g)
	}
	slices.SortFunc(rows, func(x, y GroupRow) int {
		if (x.Key == "") != (y.Key == "") {
			if x.Key == "" {
				return 1
			}
			return -1
		}
		return cmp.Or(cmp.Compare(strings.ToLower(x.Key), strings.ToLower(y.Key)), cmp.Compare(x.Key, y.Key))
	})
	return a.periods(rows)
}

// periods fills in each row's Period: the board's ratios of its counts.
func (a *Collector) periods(rows []GroupRow) []GroupRow {
	for i := range rows {
		from := rows[i].Start
		if from.IsZero() || from.Before(a.since) {
			from = a.since
		}
		rows[i].Period = board.PeriodOf(from, rows[i].Counts)
	}
	return rows
}

func (a *Collector) bucket(t time.Time) time.Time {
	if a.by == ByDay {
		return dayStart(t, a.loc)
	}
	return hourStart(t, a.loc)
}

// next is the start of the bucket after the one starting at t.
func (a *Collector) next(t time.Time) time.Time {
	if a.by == ByDay {
		l := t.In(a.loc)
		return time.Date(l.Year(), l.Month(), l.Day()+1, 0, 0, 0, 0, a.loc)
	}
	// An hour on, back to its start: right across a change of offset
	// (two 01:00 hours when the clocks go back, none skipped).
	n := hourStart(t.Add(time.Hour), a.loc)
	if !n.After(t) {
		n = t.Add(time.Hour)
	}
	return n
}

// hourStart is the start of t's hour on the wall clock of loc.
func hourStart(t time.Time, loc *time.Location) time.Time {
	l := t.In(loc)
	return l.Add(-time.Duration(l.Minute())*time.Minute - time.Duration(l.Second())*time.Second - time.Duration(l.Nanosecond()))
}

// dayStart is the midnight that starts t's day in loc.
func dayStart(t time.Time, loc *time.Location) time.Time {
	l := t.In(loc)
	return time.Date(l.Year(), l.Month(), l.Day(), 0, 0, 0, 0, loc)
}

// agentRows returns every agent the board knows, by source and name, with
// what they did in the span.
func (a *Collector) agentRows(b *board.Board) []AgentRow {
	agents := b.Agents()
	rows := make([]AgentRow, 0, len(agents))
	for _, ag := range agents {
		var spans []board.StatusChange
		var chats []board.AgentChat
		if acc := a.agents[agentKey{ag.Source, ag.ID}]; acc != nil {
			if acc.base != nil {
				spans = append(spans, *acc.base)
			}
			spans = append(spans, acc.spans...)
			for _, c := range acc.chats {
				chats = append(chats, *c)
			}
		}
		rows = append(rows, AgentRow{Source: ag.Source, ID: ag.ID, Name: ag.Name,
			AgentPeriod: board.AgentFigures(spans, chats, a.since, a.until)})
	}
	slices.SortFunc(rows, func(x, y AgentRow) int {
		return cmp.Or(cmp.Compare(x.Source, y.Source), cmp.Compare(strings.ToLower(x.Name), strings.ToLower(y.Name)), cmp.Compare(x.ID, y.ID))
	})
	return rows
}
