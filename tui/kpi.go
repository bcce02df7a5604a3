package tui

import (
	"fmt"
	"strings"
	"time"

	"charm.land/lipgloss/v2"

	"github.com/chatdeck/chatdeck/ingest/board"
)

// trendSpan is how far back the wall's sparklines reach.
const trendSpan = time.Hour

// kpiBand is the wall's band: a tile per headline number, the four that
// move fastest with a sparkline of the last hour under them, and, where
// the board has departments, a table of each one's floor on the right.
type kpiBand struct {
	Common
	snap  *snapshot
	depts deptCache
}

// deptsMaxAge is how long the departments read at a cursor are used while
// the board does not change: their waits go on with the clock, but the
// rolling window's service levels move as answers leave it.
const deptsMaxAge = 5 * time.Second

// deptCache keeps the departments between reads of an unchanged board:
// breaking the floor down walks the whole queue, which the frames of an
// idle wall need not do every second.
type deptCache struct {
	ok     bool
	cursor int64
	at     time.Time
	depts  []board.DepartmentStats
}

// read is the departments as of now: from the cache while the board is
// at the same cursor and the cache is young, the waits moved on.
func (c *deptCache) read(b *board.Board, now time.Time, cursor int64) []board.DepartmentStats {
	if age := now.Sub(c.at); !c.ok || c.cursor != cursor || age < 0 || age >= deptsMaxAge {
		c.ok, c.cursor, c.at, c.depts = true, cursor, now, b.Departments(now)
		return c.depts
	}
	age := now.Sub(c.at).Seconds()
	out := make([]board.DepartmentStats, len(c.depts))
	copy(out, c.depts)
	for i := range out {
		if out[i].Queue > 0 && out[i].LongestWaitSeconds > 0 {
			out[i].LongestWaitSeconds += age
		}
	}
	return out
}

// tile is one KPI tile: a label, the number, and under it a sparkline (or
// a line of detail) and a caption.
type tile struct {
	label, value string
	sub          string  // a line of detail, for tiles without a trend
	trend        *series // nil: no sparkline
	pick         func(a, b float64) float64
	top          float64 // the sparkline's full height; 0: its largest value
	caption      func(s series) string
}

// kpiRows is the band's text lines (the rule below excluded) for the
// departments it shows.
func kpiRows(depts int) int { return min(max(4, 1+depts), 7) }

// bandRows is the band's height, its rule included.
func (k *kpiBand) bandRows() int {
	if k.snap == nil {
		return kpiRows(0) + 1
	}
	return kpiRows(len(k.snap.depts)) + 1
}

// trendOf is one field of the trend points as a series.
func trendOf(pts []board.TrendPoint, f func(p *board.TrendPoint) (float64, bool)) *series {
	s := &series{vals: make([]float64, len(pts)), known: make([]bool, len(pts))}
	for i := range pts {
		s.vals[i], s.known[i] = f(&pts[i])
	}
	return s
}

func (k *kpiBand) tiles() []tile {
	t, mt, a, pts := &k.Theme, k.snap.metrics, k.Alerts, k.snap.trend
	queue, active := mt.QueueLength, mt.ActiveChats
	wait := time.Duration(mt.LongestWaitSeconds * float64(time.Second))
	if d := k.snap.dept; d != nil {
		queue, active = d.queue, d.active
		wait = time.Duration(d.longestWait * float64(time.Second))
	}
	// With a department set, the tiles the board keeps by department
	// are the department's; the others, and the trends, which the board
	// keeps for the whole site, say so.
	sl, asa, aband := mt.Window.ServiceLevel, mt.Window.ASASeconds, mt.Window.AbandonmentRate
	scope, site, own := "60m", "", ""
	if k.Dept != "" {
		scope, site, own = "all depts", "all depts", k.Dept
		sl, asa, aband = nil, nil, nil
		for _, d := range k.snap.depts {
			if strings.EqualFold(d.Department, k.Dept) {
				sl, asa = d.ServiceLevel, d.ASASeconds
				if n := d.Answered + d.Abandoned; n > 0 {
					r := float64(d.Abandoned) / float64(n)
					aband = &r
				}
			}
		}
	}
	or := func(s, dflt string) string {
		if s != "" {
			return s
		}
		return dflt
	}
	slPlain := t.Bold
	if sl != nil {
		slPlain = t.OK
	}
	peak := func(unit func(float64) string) func(series) string {
		return func(s series) string {
			if _, hi, ok := s.span(); ok {
				return scope + " ▲" + unit(hi)
			}
			return scope + " (none yet)"
		}
	}
	count := func(v float64) string { return fmt.Sprintf("%.0f", v) }
	known := func(f func(p *board.TrendPoint) float64) func(p *board.TrendPoint) (float64, bool) {
		return func(p *board.TrendPoint) (float64, bool) { return f(p), p.Known }
	}
	return []tile{
		{label: "QUEUE", value: queueLevel(queue, mt.AgentsOnline).render(t, t.Bold, fmt.Sprint(queue)),
			trend: trendOf(pts, known(func(p *board.TrendPoint) float64 { return float64(p.Queue) })), pick: maxf, caption: peak(count)},
		{label: "LONGEST WAIT", value: waitLevel(a, wait).render(t, t.OK, dur(wait)),
			trend: trendOf(pts, known(func(p *board.TrendPoint) float64 { return p.LongestWaitSeconds })), pick: maxf,
			caption: peak(func(v float64) string { return dur(time.Duration(v * float64(time.Second))) })},
		{label: fmt.Sprintf("SL %.0fs", mt.SLTargetSeconds), value: slLevel(a, sl).render(t, slPlain, pct(sl)),
			trend: trendOf(pts, func(p *board.TrendPoint) (float64, bool) {
				if p.ServiceLevel == nil {
					return 0, false
				}
				return *p.ServiceLevel, true
			}), pick: minf, top: 1,
			caption: func(s series) string {
				if lo, _, ok := s.span(); ok {
					return scope + " ▼" + pct(&lo)
				}
				return scope + " (none yet)"
			}},
		{label: "ARRIVALS", value: t.Bold.Render(fmt.Sprintf("%d/h", mt.ChatsPerHour)),
			// Arrivals are counted from the outcome log, known for any
			// minute it holds; before the board's first event, blank.
			trend: trendOf(pts, func(p *board.TrendPoint) (float64, bool) { return float64(p.Arrivals), p.Known || p.Arrivals > 0 }), pick: maxf,
			caption: peak(func(v float64) string { return count(v) + "/min" })},
		{label: "ASA", value: t.Bold.Render(secs(asa)), sub: or(own, "to answer")},
		{label: "ABANDON", value: t.Bold.Render(pct(aband)), sub: or(own, "of offered")},
		{label: "ACTIVE", value: t.Bold.Render(fmt.Sprint(active)), sub: or(own, "chats")},
		{label: "AGENTS", value: t.OK.Render(fmt.Sprint(mt.AgentsOnline)) + "/" + t.Warn.Render(fmt.Sprint(mt.AgentsAway)) + "/" + fmt.Sprint(mt.AgentsTotal),
			sub: or(site, "on/away/all")},
		{label: "UTIL", value: utilLevel(mt.Utilisation).render(t, t.Bold, pct(mt.Utilisation)), sub: or(site, "of slots")},
		{label: "CSAT", value: t.Bold.Render(pct(mt.Window.CSATShare)), sub: or(site, "good")},
		{label: "TODAY", value: t.Bold.Render(fmt.Sprintf("%d chats", mt.Today.Answered+mt.Today.Abandoned)),
			sub: strings.TrimSpace("SL " + pct(mt.Today.ServiceLevel) + " " + site)},
	}
}

// deptWidth is the departments table's width.
const deptWidth = 46

// View draws the band in its size: the tiles, the departments, the rule.
func (k *kpiBand) View() string {
	rows := k.Height - 1
	tilesW := k.Width
	var dept []string
	if len(k.snap.depts) > 0 && k.Width >= 2*deptWidth {
		tilesW = k.Width - deptWidth - 1
		dept = k.departments(rows)
	}
	lines := k.tileLines(tilesW, rows)
	for i := range lines {
		if dept != nil {
			lines[i] = fit(lines[i], tilesW) + " " + fit(dept[i], deptWidth)
		}
	}
	lines = append(lines, k.Theme.Dim.Render(strings.Repeat("─", k.Width)))
	return strings.Join(padLines(lines, k.Width, k.Height), "\n")
}

// tileLines lays the tiles out in w cells: the tiles without a trend at
// the width of their text, those with one sharing what is left.
func (k *kpiBand) tileLines(w, rows int) []string {
	tiles := k.tiles()
	widths := make([]int, len(tiles))
	fixed, trends := 0, 0
	for i, tl := range tiles {
		if tl.trend != nil {
			trends++
			continue
		}
		widths[i] = max(lipgloss.Width(tl.label), lipgloss.Width(tl.value), lipgloss.Width(tl.sub)) + 3
		fixed += widths[i]
	}
	each := max((w-fixed)/max(trends, 1), 12)
	for i, tl := range tiles {
		if tl.trend != nil {
			widths[i] = each
		}
	}
	out := make([]string, rows)
	used := 0
	for i, tl := range tiles {
		tw := widths[i]
		if used+tw > w {
			break // a tile that does not fit whole is left out, not cut
		}
		used += tw
		inner := tw - 3
		col := []string{k.Theme.Dim.Render(tl.label), tl.value, k.Theme.Dim.Render(tl.sub), ""}
		if tl.trend != nil {
			col[2] = k.Theme.Info.Render(sparkline(*tl.trend, inner, tl.top, tl.pick))
			// The caption's peak or low is the series' own: bucketing by
			// pick keeps it.
			col[3] = k.Theme.Dim.Render(tl.caption(*tl.trend))
		}
		for r := range out {
			s := ""
			if r < len(col) {
				s = col[r]
			}
			out[r] += " " + fit(s, inner) + " " + k.Theme.Dim.Render("│")
		}
	}
	return out
}

// departments is the table of departments in rows lines: a header, then a
// department a line, the filter's marked.
func (k *kpiBand) departments(rows int) []string {
	t := &k.Theme
	out := []string{t.Header.Render(fmt.Sprintf(" %-15s%-7s%-9s%-8s%s", "DEPARTMENT", "QUEUE", "WAIT", "ACTIVE", "SL"))}
	ds := k.snap.depts
	room := rows - 1
	more := 0
	if len(ds) > room {
		more = len(ds) - room + 1
		ds = ds[:room-1]
	}
	for _, d := range ds {
		name := d.Department
		if name == "" {
			name = "(none)"
		}
		lead := " "
		if k.Dept != "" && strings.EqualFold(d.Department, k.Dept) {
			lead = "▶"
		}
		wait := time.Duration(d.LongestWaitSeconds * float64(time.Second))
		out = append(out, lead+cell(name, 15)+cell(fmt.Sprint(d.Queue), 7)+
			fit(waitLevel(k.Alerts, wait).render(t, lipgloss.NewStyle(), dur(wait)), 8)+" "+
			cell(fmt.Sprint(d.Active), 8)+slLevel(k.Alerts, d.ServiceLevel).render(t, lipgloss.NewStyle(), pct(d.ServiceLevel)))
	}
	if more > 0 {
		out = append(out, t.Dim.Render(fmt.Sprintf(" +%d more", more)))
	}
	for len(out) < rows {
		out = append(out, "")
	}
	return out
}
