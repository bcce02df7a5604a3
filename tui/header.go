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
}

// header is the sources line and the headline numbers.
type header struct {
	Common
	mode, listen string
	snap         *snapshot
	conn         stream.Conn
	remote       bool
}

// Lines is the header: the sources, then the numbers (or, while a remote
// server is unreachable, a banner that says so).
func (h *header) Lines() []string {
	numbers := h.numbers()
	if h.remote && !h.conn.Connected {
		numbers = h.Theme.Alert.Reverse(true).Render(fit(fmt.Sprintf(" SERVER UNREACHABLE since %s: the board below is stale. Reconnecting (attempt %d)… %s",
			h.conn.Since.In(h.Now.Location()).Format("15:04:05"), h.conn.Attempt, h.conn.Err), h.Width))
	}
	return []string{h.sources(), numbers}
}

func (h *header) sources() string {
	t, now := &h.Theme, h.Now
	parts := []string{t.Title.Render("chatdeck")}
	if h.mode != "" {
		parts = append(parts, t.Info.Render(h.mode))
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

// chips are the headline numbers, each coloured by its threshold.
func (h *header) chips() []string {
	t, mt, a := &h.Theme, h.snap.metrics, h.Alerts
	wait := time.Duration(mt.LongestWaitSeconds * float64(time.Second))
	waitStyle := t.OK
	switch {
	case a.WaitAlert > 0 && wait >= a.WaitAlert:
		waitStyle = t.Alert
	case a.WaitWarn > 0 && wait >= a.WaitWarn:
		waitStyle = t.Warn
	}
	slStyle := t.Bold
	if sl := mt.Window.ServiceLevel; sl != nil {
		slStyle = t.OK
		if *sl < a.ServiceLevel {
			slStyle = t.Alert
		} else if *sl < a.ServiceLevel+(1-a.ServiceLevel)/2 {
			slStyle = t.Warn
		}
	}
	utilStyle := t.Bold
	if u := mt.Utilisation; u != nil && *u >= 0.9 {
		utilStyle = t.Alert
	} else if u != nil && *u >= 0.75 {
		utilStyle = t.Warn
	}
	qStyle := t.Bold
	if mt.QueueLength > 0 && mt.AgentsOnline == 0 {
		qStyle = t.Alert
	}
	return []string{
		"Queue " + qStyle.Render(fmt.Sprint(mt.QueueLength)),
		"Wait " + waitStyle.Render(dur(wait)),
		"SL " + slStyle.Render(pct(mt.Window.ServiceLevel)) + t.Dim.Render("/"+fmt.Sprintf("%.0fs", mt.SLTargetSeconds)),
		"ASA " + t.Bold.Render(secs(mt.Window.ASASeconds)),
		"Active " + t.Bold.Render(fmt.Sprint(mt.ActiveChats)),
		"Agents " + t.OK.Render(fmt.Sprint(mt.AgentsOnline)) + "/" + t.Warn.Render(fmt.Sprint(mt.AgentsAway)) + "/" + fmt.Sprint(mt.AgentsTotal),
		"Util " + utilStyle.Render(pct(mt.Utilisation)),
		"CSAT " + t.Bold.Render(pct(mt.Window.CSATShare)),
		"Aband " + t.Bold.Render(pct(mt.Window.AbandonmentRate)),
		"Today " + t.Dim.Render(fmt.Sprintf("%d chats, SL %s", mt.Today.Answered+mt.Today.Abandoned, pct(mt.Today.ServiceLevel))),
	}
}

func (h *header) numbers() string {
	out := ""
	for _, c := range h.chips() {
		if out != "" && lipgloss.Width(out)+2+lipgloss.Width(c) > h.Width {
			break
		}
		if out != "" {
			out += "  "
		}
		out += c
	}
	return out
}
