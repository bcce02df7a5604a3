package board

import (
	"slices"
	"sort"
	"time"

	"github.com/chatdeck/chatdeck/ingest/event"
)

// Per-agent history (docs/METRICS.md, "Per agent"): each agent's status
// timeline and the chats they took, kept for as long as the outcome log
// (two days and a window), so that today and the rolling window can be
// told for every agent.

// statusSpan says the agent entered status at at.
type statusSpan struct {
	at     time.Time
	status event.AgentStatus
	name   string
}

// agentWork is one chat an agent took: when its answer is placed, and
// what is known of it so far (updated as the chat goes on).
type agentWork struct {
	chat     string // the chat's id, to find it again after a Restore
	at       time.Time
	response time.Duration // first response; < 0 unknown
	duration time.Duration // answer to end; < 0 unknown
	rating   event.Sentiment
}

// workSeen is what a chat's credit was last worked out from.
type workSeen struct {
	ended, rated bool
	msgs         int
	at           time.Time
}

// noteStatus records that ag entered s (named name) at at.
func (ag *Agent) noteStatus(s event.AgentStatus, name string, at time.Time) {
	span := statusSpan{at: at, status: s, name: name}
	n := len(ag.spans)
	if n == 0 || !at.Before(ag.spans[n-1].at) {
		if n > 0 && ag.spans[n-1].status == s && ag.spans[n-1].name == name {
			return
		}
		ag.spans = append(ag.spans, span)
		return
	}
	i := sort.Search(n, func(i int) bool { return ag.spans[i].at.After(at) })
	ag.spans = slices.Insert(ag.spans, i, span)
}

// done ends every chat handler: the wait settled, the chat's agents
// credited with it once answered, and what they are credited with brought
// up to date.
func (b *Board) done(c *Chat) {
	b.settle(c)
	if c.tally.outcome != answeredOutcome || c.FromPoll {
		return
	}
	if c.work == nil && len(c.Agents) > 0 {
		for _, a := range c.Agents {
			if ag := b.agent(c.Source, a); ag != nil {
				w := &agentWork{chat: c.ID, at: c.tally.at}
				ag.work = append(ag.work, w)
				c.work = append(c.work, w)
				b.observeCredit(c, ag)
			}
		}
	}
	// What the agents are credited with changes when the chat ends, its
	// transcript grows or its rating is counted; most events change none
	// of these, and reading a transcript on each would cost more than the
	// rest of Apply.
	seen := workSeen{ended: c.State == Ended, msgs: len(c.Messages), rated: c.tally.rated, at: c.tally.at}
	if len(c.work) == 0 || seen == c.workSeen {
		return
	}
	c.workSeen = seen
	resp, dur := firstResponse(c), chatDuration(c)
	var rating event.Sentiment
	if c.tally.rated && c.Rating != nil {
		rating = c.Rating.Sentiment
	}
	for _, w := range c.work {
		w.at, w.response, w.duration, w.rating = c.tally.at, resp, dur, rating
	}
	b.observeWork(c)
}

// firstResponse is the time from the visitor's first message to the
// agents' first message after it, on the vendor's clock; < 0 if unknown.
func firstResponse(c *Chat) time.Duration {
	var asked time.Time
	for _, m := range c.Messages {
		switch {
		case m.At.IsZero():
		case m.From == event.FromVisitor && asked.IsZero():
			asked = m.At
		case m.From == event.FromAgent && !asked.IsZero() && !m.At.Before(asked):
			return m.At.Sub(asked)
		}
	}
	return -1
}

// chatDuration is how long the chat lasted from its answer to its end: on
// chatdeck's receipts when it saw both, else on the vendor's clock from the
// agents' first message to the vendor's end (or the last message); < 0 if
// unknown or not ended.
func chatDuration(c *Chat) time.Duration {
	if c.State != Ended {
		return -1
	}
	if !c.AnsweredAt.IsZero() && !c.tally.endRecv.IsZero() && !c.tally.endRecv.Before(c.AnsweredAt) {
		return c.tally.endRecv.Sub(c.AnsweredAt)
	}
	var first, last time.Time
	for _, m := range c.Messages {
		if m.At.IsZero() {
			continue
		}
		if m.From == event.FromAgent && first.IsZero() {
			first = m.At
		}
		last = m.At
	}
	if c.Info != nil && !c.Info.EndedAt.IsZero() {
		last = c.Info.EndedAt
	}
	if first.IsZero() || last.Before(first) {
		return -1
	}
	return last.Sub(first)
}

// AgentPeriod is what one agent did in a span of time: the seconds spent in
// each status (AwayByReason splits Away by the vendor's name for it;
// Unknown is time before any presence source spoke of them), the chats they
// took (answered with them named; a transferred chat counts for each
// agent named when it was answered), the median and 90th percentile first
// response and the median duration of those chats where known, and their
// ratings.
type AgentPeriod struct {
	From                time.Time          `json:"from"`
	OnlineSeconds       float64            `json:"online_seconds"`
	AwaySeconds         float64            `json:"away_seconds"`
	AwayByReason        map[string]float64 `json:"away_by_reason,omitempty"`
	OfflineSeconds      float64            `json:"offline_seconds"`
	UnknownSeconds      float64            `json:"unknown_seconds"`
	Chats               int                `json:"chats"`
	FirstResponseMedian *float64           `json:"first_response_median_seconds"`
	FirstResponseP90    *float64           `json:"first_response_p90_seconds"`
	DurationMedian      *float64           `json:"duration_median_seconds"`
	CSATGood            int                `json:"csat_good"`
	CSATBad             int                `json:"csat_bad"`
}

// agentPeriod is what ag did in (from, to].
func agentPeriod(ag *Agent, from, to time.Time) AgentPeriod {
	p := AgentPeriod{From: from}
	if !to.After(from) {
		return p
	}
	add := func(s statusSpan, a, z time.Time) {
		if a.Before(from) {
			a = from
		}
		if z.After(to) {
			z = to
		}
		if !z.After(a) {
			return
		}
		d := z.Sub(a).Seconds()
		switch s.status {
		case event.AgentOnline:
			p.OnlineSeconds += d
		case event.AgentAway:
			p.AwaySeconds += d
			if p.AwayByReason == nil {
				p.AwayByReason = map[string]float64{}
			}
			p.AwayByReason[s.name] += d
		case event.AgentOffline:
			p.OfflineSeconds += d
		default:
			p.UnknownSeconds += d
		}
	}
	start := to
	if len(ag.spans) > 0 {
		start = ag.spans[0].at
	}
	add(statusSpan{status: event.AgentUnknown}, from, start)
	for i, s := range ag.spans {
		end := to
		if i+1 < len(ag.spans) {
			end = ag.spans[i+1].at
		}
		add(s, s.at, end)
	}
	var resp, dur []time.Duration
	for _, w := range ag.work {
		if !w.at.After(from) || w.at.After(to) {
			continue
		}
		p.Chats++
		if w.response >= 0 {
			resp = append(resp, w.response)
		}
		if w.duration >= 0 {
			dur = append(dur, w.duration)
		}
		switch w.rating {
		case event.Good:
			p.CSATGood++
		case event.Bad:
			p.CSATBad++
		}
	}
	p.FirstResponseMedian, p.FirstResponseP90 = quantile(resp, 0.5), quantile(resp, 0.9)
	p.DurationMedian = quantile(dur, 0.5)
	return p
}

// quantile is the q-quantile of ds in seconds by the nearest-rank method
// (the smallest value with at least q of them at or below it); nil for no
// values.
func quantile(ds []time.Duration, q float64) *float64 {
	if len(ds) == 0 {
		return nil
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	rank := int(q*float64(len(s)) + 0.999999999)
	rank = min(max(rank, 1), len(s))
	v := s[rank-1].Seconds()
	return &v
}

// AgentToday returns what the agent did today (since midnight in the
// board's zone) and in the rolling window, as of now.
func (b *Board) AgentToday(source event.Source, id string, now time.Time) (today, window AgentPeriod, ok bool) {
	ag := b.findAgent(b.srcs.code(source), id)
	if ag == nil {
		return AgentPeriod{}, AgentPeriod{}, false
	}
	return agentPeriod(ag, b.midnight(now), now), agentPeriod(ag, now.Add(-b.cfg.Window), now), true
}

// AgentDay returns what the agent did today (since midnight in the board's
// zone), as of now: AgentToday's today alone, at half its cost, for a list
// that reads every agent's day.
func (b *Board) AgentDay(source event.Source, id string, now time.Time) (AgentPeriod, bool) {
	ag := b.findAgent(b.srcs.code(source), id)
	if ag == nil {
		return AgentPeriod{}, false
	}
	return agentPeriod(ag, b.midnight(now), now), true
}

// midnight is the start of now's day in the board's zone.
func (b *Board) midnight(now time.Time) time.Time {
	local := now.In(b.cfg.Location)
	return time.Date(local.Year(), local.Month(), local.Day(), 0, 0, 0, 0, b.cfg.Location)
}

// pruneAgentHistory drops what is wholly before keep: spans followed by a
// later one at or before keep, and the chats at the front of the list
// placed at or before it. Chats are credited about in time order; one
// placed far back (a late payload) leaves with the chats around it, within
// the retention, and queries skip it by its time meanwhile. Each prune
// costs what it drops, not what is kept.
func (b *Board) pruneAgentHistory(keep time.Time) {
	for _, ag := range b.agents {
		i := 0
		for i+1 < len(ag.spans) && !ag.spans[i+1].at.After(keep) {
			i++
		}
		if i > 0 {
			ag.spans = slices.Delete(ag.spans, 0, i)
		}
		j := 0
		for j < len(ag.work) && !ag.work[j].at.After(keep) {
			j++
		}
		if j > 0 {
			ag.work = slices.Delete(ag.work, 0, j)
		}
	}
}

// AgentTimeline returns the agent's status over [from, to) in n equal
// slots, oldest first: each slot the status the agent spent most of it in
// (unknown before any presence source spoke of them). Nil if the board
// does not know the agent or n < 1. For a bar such as ████▒▒░░███.
func (b *Board) AgentTimeline(source event.Source, id string, from, to time.Time, n int) []event.AgentStatus {
	ag := b.findAgent(b.srcs.code(source), id)
	if ag == nil || n < 1 || !to.After(from) {
		return nil
	}
	step := to.Sub(from) / time.Duration(n)
	out := make([]event.AgentStatus, n)
	for i := range out {
		a := from.Add(time.Duration(i) * step)
		p := agentPeriod(ag, a, a.Add(step))
		best, most := event.AgentUnknown, p.UnknownSeconds
		for _, c := range []struct {
			s event.AgentStatus
			d float64
		}{{event.AgentOnline, p.OnlineSeconds}, {event.AgentAway, p.AwaySeconds}, {event.AgentOffline, p.OfflineSeconds}} {
			if c.d > most {
				best, most = c.s, c.d
			}
		}
		out[i] = best
	}
	return out
}

// RecentChat is a chat an agent took, for their detail: where its answer
// is placed, what the board still knows of the chat (its state and
// visitor; State is "" once the board has forgotten it), and what the
// agent is credited with for it.
type RecentChat struct {
	Source  event.Source
	ChatID  string
	At      time.Time
	State   ChatState
	Visitor string
	// FirstResponse and Duration are < 0 when unknown.
	FirstResponse time.Duration
	Duration      time.Duration
	Rating        event.Sentiment
}

// AgentRecentChats returns the last n chats the agent took (those
// AgentPeriod counts in Chats), newest first. It costs O(chats the agent
// took in the retention) and a lookup for each of the n returned.
func (b *Board) AgentRecentChats(source event.Source, id string, n int) []RecentChat {
	src := b.srcs.code(source)
	ag := b.findAgent(src, id)
	if ag == nil || n < 1 || len(ag.work) == 0 {
		return nil
	}
	work := slices.Clone(ag.work)
	slices.SortStableFunc(work, func(x, y *agentWork) int { return y.at.Compare(x.at) })
	work = work[:min(n, len(work))]
	out := make([]RecentChat, len(work))
	for i, w := range work {
		r := RecentChat{Source: source, ChatID: w.chat, At: w.at, FirstResponse: w.response,
			Duration: w.duration, Rating: w.rating}
		if c := b.chats.get(key{src, w.chat}); c != nil {
			r.State, r.Visitor = c.State, visitorLabel(c.Visitor)
		}
		out[i] = r
	}
	return out
}
