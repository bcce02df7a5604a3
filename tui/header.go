package tui

import (
	"fmt"
	"strings"
	"time"

	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/chatdeck/chatdeck/ingest/board"
	"github.com/chatdeck/chatdeck/ingest/event"
	"github.com/chatdeck/chatdeck/ingest/stream"
)

// snapshot is what the root copied from the board for the frame, besides
// the panes' rows: the headline numbers and the sources' freshness.
type snapshot struct {
	cursor        int64
	metrics       board.Metrics
	sources       map[event.Source]board.SourceState
	polls         map[event.Source]board.PollState
	statusOptions []string
	overCapacity  []string
	dept          *deptFigures // the department filter's own numbers, when one is set
	// trend and depts are read for the wall only: the last hour, a point
	// a minute, and the floor by department.
	trend []board.TrendPoint
	depts []board.DepartmentStats
}

// deptFigures are the headline numbers the department filter narrows: the
// board's other figures (service level, ASA, agents, utilisation, CSAT,
// abandonment, today) are kept for all departments together.
type deptFigures struct {
	name        string
	queue       int
	longestWait float64
	active      int
}

// readDept computes the department's figures from its rows.
func readDept(b *board.Board, now time.Time, dept string) *deptFigures {
	d := &deptFigures{name: dept}
	in := func(s string) bool { return strings.EqualFold(s, dept) }
	var first []board.QueueEntry
	d.queue, first = b.QueueWhere(now, func(e *board.QueueEntry) bool { return in(e.Department) }, 0, 1)
	if len(first) > 0 {
		d.longestWait = first[0].WaitSeconds
	}
	d.active, _ = b.ChatSummariesWhere(func(c *board.ChatSummary) bool { return c.State == board.Active && in(c.Department) }, 0, 0)
	return d
}

// header is the sources line and the headline numbers.
type header struct {
	Common
	mode, listen string
	snap         *snapshot
	conn         stream.Conn
	remote       bool
	// compact drops the numbers: the wall's tiles show them.
	compact bool
	// pausedAt is when the screen was paused; zero while live.
	pausedAt time.Time
}

// Lines is the header: the sources, then the numbers, wrapped onto as
// many lines as the width needs (or, while a remote server is
// unreachable, a banner that says so).
func (h *header) Lines() []string {
	if h.remote && !h.conn.Connected {
		return []string{h.sources(), h.Theme.Alert.Reverse(true).Render(fit(fmt.Sprintf(" SERVER UNREACHABLE since %s: the board below is stale. Reconnecting (attempt %d)… %s",
			h.conn.Since.In(h.Now.Location()).Format("15:04:05"), h.conn.Attempt, h.conn.Err), h.Width))}
	}
	if h.compact {
		return []string{h.sources()}
	}
	return append([]string{h.sources()}, h.numbers()...)
}

// Rows is how many lines Lines has at width w.
func (h *header) Rows(w int) int {
	if h.remote && !h.conn.Connected {
		return 2
	}
	if h.compact {
		return 1
	}
	return 1 + len(wrapChips(h.chips(), w))
}

func (h *header) sources() string {
	t, now := &h.Theme, h.Now
	parts := []string{t.Title.Render("chatdeck")}
	if h.mode != "" {
		parts = append(parts, t.Info.Render(h.mode))
	}
	if !h.pausedAt.IsZero() {
		// Reverse video: seen without colour too.
		parts = append(parts, t.TabActive.Render(" PAUSED at "+h.pausedAt.In(now.Location()).Format("15:04:05")+" · "+
			h.Keys.Pause.Help().Key+" resumes "))
	}
	var last time.Time
	for _, src := range []event.Source{event.Comm100, event.Chatlio, event.JivoChat} {
		if s, ok := h.snap.sources[src]; ok && s.LastEventAt.After(last) {
			last = s.LastEventAt
		}
	}
	if h.remote {
		if h.conn.Connected {
			parts = append(parts, t.OK.Render("●")+" server "+h.conn.Server)
		} else {
			parts = append(parts, t.Alert.Render("✗ server "+h.conn.Server+" gone "+ago(h.conn.Since, now)))
		}
	}
	hook := "webhooks"
	if h.listen != "" && h.Width >= 120 {
		hook += " on " + h.listen
	}
	if last.IsZero() {
		parts = append(parts, t.Dim.Render("● "+hook+": none yet"))
	} else {
		parts = append(parts, t.OK.Render("●")+" "+hook+": last "+ago(last, now))
	}
	if p, ok := h.snap.polls[event.Comm100]; ok {
		switch {
		case p.LastError != "":
			since := "never ok"
			if !p.LastOKAt.IsZero() {
				since = "stale " + ago(p.LastOKAt, now)
			}
			parts = append(parts, t.Alert.Render("● comm100 API "+since+": "+p.LastError))
		default:
			parts = append(parts, t.OK.Render("●")+" comm100 API "+ago(p.LastOKAt, now))
		}
	} else if h.mode != "attach" {
		parts = append(parts, t.Dim.Render("● comm100 API: not configured"))
	}
	left := strings.Join(parts, "  ")
	clock := now.Format("15:04:05")
	if room := h.Width - len(clock) - 1; lipgloss.Width(left) > room {
		left = ansi.Truncate(left, max(room, 0), "…")
	}
	gap := max(h.Width-lipgloss.Width(left)-len(clock), 1)
	return left + strings.Repeat(" ", gap) + t.Bold.Render(clock)
}

// chips are the headline numbers, each coloured and marked by its
// threshold.
func (h *header) chips() []string {
	t, mt, a := &h.Theme, h.snap.metrics, h.Alerts
	wait := time.Duration(mt.LongestWaitSeconds * float64(time.Second))
	queue, active := mt.QueueLength, mt.ActiveChats
	if d := h.snap.dept; d != nil {
		queue, active = d.queue, d.active
		wait = time.Duration(d.longestWait * float64(time.Second))
	}
	var (
		qc = "Queue " + queueLevel(queue, mt.AgentsOnline).render(t, t.Bold, fmt.Sprint(queue))
		wc = "Wait " + waitLevel(a, wait).render(t, t.OK, dur(wait))
		ac = "Active " + t.Bold.Render(fmt.Sprint(active))
	)
	slPlain := t.Bold
	if mt.Window.ServiceLevel != nil {
		slPlain = t.OK
	}
	site := []string{
		"SL " + slLevel(a, mt.Window.ServiceLevel).render(t, slPlain, pct(mt.Window.ServiceLevel)) + t.Dim.Render("/"+fmt.Sprintf("%.0fs", mt.SLTargetSeconds)),
		"ASA " + t.Bold.Render(secs(mt.Window.ASASeconds)),
		"Agents " + t.OK.Render(fmt.Sprint(mt.AgentsOnline)) + "/" + t.Warn.Render(fmt.Sprint(mt.AgentsAway)) + "/" + fmt.Sprint(mt.AgentsTotal),
		"Util " + utilLevel(mt.Utilisation).render(t, t.Bold, pct(mt.Utilisation)),
		"CSAT " + t.Bold.Render(pct(mt.Window.CSATShare)),
		"Aband " + t.Bold.Render(pct(mt.Window.AbandonmentRate)),
		"Today " + t.Dim.Render(fmt.Sprintf("%d chats, SL %s", mt.Today.Answered+mt.Today.Abandoned, pct(mt.Today.ServiceLevel))),
	}
	if d := h.snap.dept; d != nil {
		// The department's own numbers first, then, said so, the rest
		// for all departments: the board keeps those site-wide.
		return append([]string{t.Info.Render(d.name+":") + " " + qc, wc, ac, t.Dim.Render("│ all departments:") + " " + site[0]}, site[1:]...)
	}
	return append([]string{qc, wc, site[0], site[1], ac}, site[2:]...)
}

// numbers is the chips wrapped to the width.
func (h *header) numbers() []string { return wrapChips(h.chips(), h.Width) }

// wrapChips lays chips out in lines of at most w cells, two spaces apart,
// never dropping one (a chip wider than a line has a line of its own).
func wrapChips(chips []string, w int) []string {
	var lines []string
	cur := ""
	for _, c := range chips {
		if cur != "" && lipgloss.Width(cur)+2+lipgloss.Width(c) > w {
			lines = append(lines, cur)
			cur = ""
		}
		if cur != "" {
			cur += "  "
		}
		cur += c
	}
	return append(lines, cur)
}
