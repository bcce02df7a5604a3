package board

import (
	"cmp"
	"errors"
	"slices"
	"strings"
	"time"
)

// The board's trends: the queue as it stood at the start of every minute of
// the last day, sampled as events arrive (the queue changes only when one
// does), and the outcome log's counts over the same minutes. Bounded: one
// small sample a minute, a day of them.
const (
	// TrendStep is the trends' resolution.
	TrendStep = time.Minute
	// TrendSpan is how far back the trends reach.
	TrendSpan = 24 * time.Hour
	trendLen  = int(TrendSpan / TrendStep)
)

// sample is the queue at the start of one minute.
type sample struct {
	minute int64 // minutes since the Unix epoch; 0 for a slot never sampled
	queue  int32
	active int32
	oldest time.Time // when the visitor waiting longest asked; zero with no queue
}

// trend is a ring of samples by minute.
type trend struct {
	ring []sample // trendLen slots once the first sample is taken
	last int64    // the latest minute sampled
}

func minuteOf(t time.Time) int64 {
	return t.Unix() / int64(TrendStep/time.Second)
}

// sampleTo records the board as it stands for every minute that began
// after the latest sampled and by at, before the event at at changes it.
// The first event starts the trend: the minutes before it are unknown.
func (b *Board) sampleTo(at time.Time) {
	m := minuteOf(at)
	tr := &b.trend
	if tr.last == 0 {
		tr.last = m
		return
	}
	if m <= tr.last {
		return
	}
	if tr.ring == nil {
		tr.ring = make([]sample, trendLen)
	}
	s := b.sampleNow()
	for k := max(tr.last+1, m-int64(trendLen)+1); k <= m; k++ {
		s.minute = k
		tr.ring[k%int64(trendLen)] = s
	}
	tr.last = m
}

// sampleNow is the board as it stands.
func (b *Board) sampleNow() sample {
	s := sample{queue: int32(len(b.waiting)), active: int32(b.active)}
	if len(b.waiting) > 0 {
		s.oldest = b.waiting[0].RequestedAt
	}
	return s
}

// TrendPoint is the floor at one minute: the queue as it stood at its start
// (Known false where the board has no record: before its first event, or
// over TrendSpan ago), the chats that arrived during it, and the window's
// metrics as they stood at its end.
type TrendPoint struct {
	At                 time.Time `json:"at"`
	Known              bool      `json:"known"`
	Queue              int       `json:"queue"`
	LongestWaitSeconds float64   `json:"longest_wait_seconds"`
	Active             int       `json:"active"`
	Arrivals           int64     `json:"arrivals"`
	// ServiceLevel, ASASeconds and AbandonmentRate are those of the
	// Config.Window that ends with the minute, as the header shows them;
	// nil when nothing was offered in it.
	ServiceLevel    *float64 `json:"service_level"`
	ASASeconds      *float64 `json:"asa_seconds"`
	AbandonmentRate *float64 `json:"abandonment_rate"`
}

// Trend returns one point a minute for the span up to now (at most
// TrendSpan), oldest first; the last point is the minute now is in, up to
// now.
func (b *Board) Trend(now time.Time, span time.Duration) []TrendPoint {
	span = min(span, TrendSpan)
	n := int(span / TrendStep)
	if n <= 0 {
		return nil
	}
	cur := minuteOf(now)
	out := make([]TrendPoint, n)
	live := b.sampleNow()
	for i := range out {
		m := cur - int64(n-1-i)
		start := time.Unix(m*int64(TrendStep/time.Second), 0).UTC()
		end := start.Add(TrendStep)
		if end.After(now) {
			end = now
		}
		p := TrendPoint{At: start}
		if s, ok := b.sampleAt(m, live); ok {
			p.Known = true
			p.Queue, p.Active = int(s.queue), int(s.active)
			if !s.oldest.IsZero() && start.After(s.oldest) {
				p.LongestWaitSeconds = start.Sub(s.oldest).Seconds()
			}
		}
		p.Arrivals = b.outcomes.between(start.Add(-time.Nanosecond), end.Add(-time.Nanosecond)).arrivals
		w := period(end.Add(-b.cfg.Window), b.outcomes.between(end.Add(-b.cfg.Window), end))
		p.ServiceLevel, p.ASASeconds, p.AbandonmentRate = w.ServiceLevel, w.ASASeconds, w.AbandonmentRate
		out[i] = p
	}
	return out
}

// sampleAt is the sample of minute m: recorded, or (for a minute after the
// latest sampled, when nothing has arrived since) the board as it stands.
func (b *Board) sampleAt(m int64, live sample) (sample, bool) {
	tr := &b.trend
	switch {
	case tr.last == 0 || m <= 0:
		return sample{}, false
	case m > tr.last:
		return live, true
	case tr.ring == nil:
		return sample{}, false
	}
	s := tr.ring[m%int64(trendLen)]
	return s, s.minute == m
}

// state returns the samples taken, oldest first, and the latest minute.
func (tr *trend) state() ([]StateSample, int64) {
	var out []StateSample
	for k := tr.last - int64(trendLen) + 1; tr.ring != nil && k <= tr.last; k++ {
		if s := tr.ring[k%int64(trendLen)]; s.minute == k && k > 0 {
			out = append(out, StateSample{Minute: s.minute, Queue: s.queue, Active: s.active, Oldest: s.oldest})
		}
	}
	return out, tr.last
}

func (tr *trend) restore(samples []StateSample, last int64) error {
	tr.last = last
	if len(samples) == 0 {
		return nil
	}
	tr.ring = make([]sample, trendLen)
	for i, s := range samples {
		if s.Minute <= 0 || s.Minute > last || (i > 0 && s.Minute <= samples[i-1].Minute) {
			return errors.New("board: state's trend samples are out of order or after its latest minute")
		}
		if s.Minute <= last-int64(trendLen) {
			continue
		}
		tr.ring[s.Minute%int64(trendLen)] = sample{minute: s.Minute, queue: s.Queue, active: s.Active, oldest: s.Oldest}
	}
	return nil
}

// DepartmentStats is one department's floor: its queue, its longest wait,
// its active chats, and the rolling window's answers and abandons counted
// in it (where the chat was when answered or given up on).
type DepartmentStats struct {
	Department         string   `json:"department"`
	Queue              int      `json:"queue"`
	LongestWaitSeconds float64  `json:"longest_wait_seconds"`
	Active             int      `json:"active"`
	Answered           int64    `json:"answered"`
	Abandoned          int64    `json:"abandoned"`
	ServiceLevel       *float64 `json:"service_level"`
	ASASeconds         *float64 `json:"asa_seconds"`
}

// Departments returns the floor by department as of now, by name, the
// chats without one last as "". Nil when no chat on the board or in the
// window has a department: there is nothing to break down.
func (b *Board) Departments(now time.Time) []DepartmentStats {
	by := map[string]*DepartmentStats{}
	get := func(d string) *DepartmentStats {
		s := by[d]
		if s == nil {
			s = &DepartmentStats{Department: d}
			by[d] = s
		}
		return s
	}
	for _, c := range b.waiting { // oldest request first
		s := get(c.Department)
		if s.Queue == 0 && now.After(c.RequestedAt) {
			s.LongestWaitSeconds = now.Sub(c.RequestedAt).Seconds()
		}
		s.Queue++
	}
	b.byState[chatGroup(Active)].each(0, func(e chatEntry) bool {
		if e.c.State == Active {
			get(e.c.Department).Active++
		}
		return true
	})
	from := now.Add(-b.cfg.Window)
	for d, l := range b.deptOutcomes {
		o := l.between(from, now)
		if o.answered == 0 && o.abandoned == 0 && by[d] == nil {
			continue
		}
		p := period(from, o)
		s := get(d)
		s.Answered, s.Abandoned, s.ServiceLevel, s.ASASeconds = p.Answered, p.Abandoned, p.ServiceLevel, p.ASASeconds
	}
	if _, none := by[""]; len(by) == 0 || (none && len(by) == 1) {
		return nil
	}
	out := make([]DepartmentStats, 0, len(by))
	for _, s := range by {
		out = append(out, *s)
	}
	slices.SortFunc(out, func(x, y DepartmentStats) int {
		if (x.Department == "") != (y.Department == "") {
			return cmp.Compare(y.Department, x.Department) // "" last
		}
		return cmp.Compare(strings.ToLower(x.Department), strings.ToLower(y.Department))
	})
	return out
}
