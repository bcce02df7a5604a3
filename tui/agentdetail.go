package tui

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"charm.land/lipgloss/v2"

	"github.com/chatdeck/chatdeck/ingest/board"
	"github.com/chatdeck/chatdeck/ingest/event"
)

// daySlots is the resolution of an agent's day as the pane reads it: a
// slot of 15 minutes. The bar draws 96, 48, 24 or 12 cells of it, as the
// width allows.
const (
	daySlots = 96
	slotLen  = 24 * time.Hour / daySlots
)

// recentChats is how many of an agent's last chats the detail lists.
const recentChats = 20

// agentDetail is what the agents pane shows of its selected agent, copied
// from the board in Load so that drawing never reads it.
type agentDetail struct {
	ok      bool
	theme   *Theme
	agent   board.Agent
	name    string
	pending string
	now     time.Time
	today   board.AgentPeriod
	// slots is the day so far, oldest first, a status a slot: as many as
	// have begun since midnight (today.From, in the board's time zone).
	slots  []event.AgentStatus
	recent []board.RecentChat
}

// readAgentDetail reads the agent's detail from the board, as of now.
func readAgentDetail(b *board.Board, a *board.Agent, now time.Time, pending string) agentDetail {
	d := agentDetail{ok: true, agent: *a, name: nameOr(a.Name, a.ID), pending: pending, now: now}
	d.today, _ = b.AgentDay(a.Source, a.ID, now)
	if begun := int((now.Sub(d.today.From) + slotLen - 1) / slotLen); begun > 0 {
		begun = min(begun, daySlots)
		d.slots = b.AgentTimeline(a.Source, a.ID, d.today.From, d.today.From.Add(time.Duration(begun)*slotLen), begun)
	}
	d.recent = b.AgentRecentChats(a.Source, a.ID, recentChats)
	return d
}

// statusBlock is the bar's character for a status: the blocks tell the
// statuses apart without colour. A status the board does not rank draws
// as online, as the board lists it.
func statusBlock(s event.AgentStatus) rune {
	switch s {
	case event.AgentAway:
		return '▒'
	case event.AgentOffline:
		return '░'
	case event.AgentUnknown:
		return '·'
	}
	return '█'
}

// timelineLegend explains the bar's characters; a blank is a part of the
// day still to come.
const timelineLegend = "█ online  ▒ away  ░ offline  · unknown"

// barCells is how many cells the day's bar takes in w: the most of 96,
// 48, 24 and 12 that fit (12 if none does).
func barCells(w int) int {
	for _, n := range []int{96, 48, 24} {
		if n <= w {
			return n
		}
	}
	return 12
}

// timelineBar draws a day of slots (daySlots of them when the day is over,
// fewer while it goes on) in n cells, n dividing daySlots: each cell the
// status most of its slots were in (the first of online, away, offline,
// unknown on a tie), blank for a part of the day not begun.
func timelineBar(slots []event.AgentStatus, n int) string {
	per := daySlots / n
	order := []event.AgentStatus{event.AgentOnline, event.AgentAway, event.AgentOffline, event.AgentUnknown}
	var b strings.Builder
	for c := range n {
		count := map[rune]int{}
		for i := c * per; i < (c+1)*per && i < len(slots); i++ {
			count[statusBlock(slots[i])]++
		}
		best, most := ' ', 0
		for _, s := range order {
			if r := statusBlock(s); count[r] > most {
				best, most = r, count[r]
			}
		}
		b.WriteRune(best)
	}
	return b.String()
}

// timelineTicks labels the bar's hours: every 1, 2, 3, 6 or 12 hours, the
// closest that leaves room for the labels.
func timelineTicks(n int) string {
	every := 12
	for _, h := range []int{1, 2, 3, 6} {
		if h*n/24 >= 3 {
			every = h
			break
		}
	}
	line := []rune(strings.Repeat(" ", n))
	for h := 0; h < 24; h += every {
		at, label := h*n/24, fmt.Sprint(h)
		if at+len(label) <= n {
			copy(line[at:], []rune(label))
		}
	}
	return string(line)
}

// statusTimes is the time in each status today: online, away (and by
// reason, longest first: reasons named alike but for case are one, and a
// lone reason that is just "away" is not repeated), offline and unknown.
func statusTimes(t *board.AgentPeriod) string {
	d := func(s float64) string { return dur(time.Duration(s * float64(time.Second))) }
	type reason struct {
		name string
		secs float64
	}
	var reasons []reason
	at := map[string]int{}
	for r, secs := range t.AwayByReason {
		name := nameOr(r, "away")
		k := strings.ToLower(name)
		i, ok := at[k]
		if !ok {
			i, at[k] = len(reasons), len(reasons)
			reasons = append(reasons, reason{name: name})
		}
		reasons[i].secs += secs
		if name < reasons[i].name { // the same name whatever the map's order: "Away" before "away"
			reasons[i].name = name
		}
	}
	sort.Slice(reasons, func(i, j int) bool {
		x, y := reasons[i], reasons[j]
		return x.secs > y.secs || x.secs == y.secs && x.name < y.name
	})
	away := "away " + d(t.AwaySeconds)
	if len(reasons) > 1 || len(reasons) == 1 && !strings.EqualFold(reasons[0].name, "away") {
		parts := make([]string, len(reasons))
		for i, r := range reasons {
			parts[i] = r.name + " " + d(r.secs)
		}
		away += " (" + strings.Join(parts, ", ") + ")"
	}
	return strings.Join([]string{"online " + d(t.OnlineSeconds), away, "offline " + d(t.OfflineSeconds),
		"unknown " + d(t.UnknownSeconds)}, " · ")
}

// statusStyle is the style a status is drawn in.
func (t *Theme) statusStyle(s event.AgentStatus) *lipgloss.Style {
	switch s {
	case event.AgentOnline:
		return &t.OK
	case event.AgentAway:
		return &t.Warn
	}
	return &t.Dim
}

// lines draws the detail in w cells: every line at most w wide.
func (d *agentDetail) lines(w int) []string {
	if !d.ok {
		return nil
	}
	t, a := d.theme, &d.agent
	dl := &detailLines{w: w}
	add, wrap := dl.add, dl.wrap
	status := t.statusStyle(a.Status).Render(statusLabel(a))
	switch {
	case a.Status == event.AgentUnknown && !a.LastSeenAt.IsZero():
		status += t.Dim.Render(", seen in a chat " + ago(a.LastSeenAt, d.now))
	case !a.Since.IsZero():
		status += " for " + dur(d.now.Sub(a.Since))
	}
	if d.pending != "" {
		status += t.Pending.Render("  → " + d.pending + "…")
	}
	add(t.Title.Render(d.name) + "  " + status)
	ids := []string{string(a.Source), a.ID}
	if a.Email != "" {
		ids = append(ids, a.Email)
	}
	add(t.Dim.Render(strings.Join(ids, " · ")))
	add("")
	from := d.today.From
	add(t.Bold.Render("Today") + t.Dim.Render(" since "+from.Format("Mon 2 Jan 15:04 MST")))
	n := barCells(w)
	add(timelineBar(d.slots, n))
	add(t.Dim.Render(timelineTicks(n)))
	add(t.Dim.Render(timelineLegend))
	wrap(statusTimes(&d.today))
	add("")
	add(fmt.Sprintf("Chats %d today · now %d/%d", d.today.Chats, a.Chats, a.Capacity))
	add(fmt.Sprintf("First response median %s · p90 %s", secs(d.today.FirstResponseMedian), secs(d.today.FirstResponseP90)))
	add(fmt.Sprintf("Duration median %s", secs(d.today.DurationMedian)))
	add(fmt.Sprintf("CSAT %d good · %d bad", d.today.CSATGood, d.today.CSATBad))
	add("")
	if len(d.recent) == 0 {
		add(t.Dim.Render("No chats taken lately"))
		return dl.out
	}
	add(t.Bold.Render("Recent chats"))
	add(t.Dim.Render(recentRow("WHEN", "CHAT", "VISITOR", "STATE", "1ST RESP", "LASTED", "CSAT")))
	loc := from.Location()
	for _, r := range d.recent {
		state := string(r.State)
		if state == "" {
			state = "gone"
		}
		add(recentRow(r.At.In(loc).Format("15:04"), r.ChatID, r.Visitor, state, durOrDash(r.FirstResponse),
			durOrDash(r.Duration), sentiment(r.Rating)))
	}
	return dl.out
}

// recentRow is a row of the recent chats' table.
func recentRow(when, chat, visitor, state, resp, lasted, csat string) string {
	return cell(when, 6) + cell(chat, 10) + cell(visitor, 14) + cell(state, 8) + cell(resp, 9) + cell(lasted, 8) + csat
}

// durOrDash is d, or – when unknown (< 0).
func durOrDash(d time.Duration) string {
	if d < 0 {
		return "–"
	}
	return dur(d)
}

func sentiment(s event.Sentiment) string {
	switch s {
	case event.Good:
		return "good"
	case event.Bad:
		return "bad"
	}
	return ""
}

// detailBox is lines cut to h lines of w cells: a Detail.
func detailBox(lines []string, w, h int) string {
	if w <= 0 || h <= 0 {
		return ""
	}
	return strings.Join(padLines(lines, w, h), "\n")
}
