package tui

import (
	"fmt"
	"strings"
	"time"

	"github.com/charmbracelet/x/ansi"
)

// fit cuts or pads a line to exactly w cells. It measures the line once
// (twice when it cuts): measuring is most of what drawing a frame costs.
func fit(s string, w int) string {
	n := ansi.StringWidth(s)
	if n > w {
		s = ansi.Truncate(s, w, "…")
		n = ansi.StringWidth(s)
	}
	if pad := w - n; pad > 0 {
		s += strings.Repeat(" ", pad)
	}
	return s
}

// cell cuts or pads plain text to w cells, the last of them a space that
// separates it from the next column.
func cell(s string, w int) string {
	s = strings.Map(func(r rune) rune {
		if r == '\n' || r == '\r' || r == '\t' {
			return ' '
		}
		return r
	}, s)
	if w < 2 {
		return fit(s, w)
	}
	return fit(s, w-1) + " "
}

// roughAgo is d in its largest unit, at most 3 characters ("45s", "12m",
// "3h", "20d"), for narrow columns.
func roughAgo(d time.Duration) string {
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%ds", max(int(d.Seconds()), 0))
	case d < time.Hour:
		return fmt.Sprintf("%dm", int(d.Minutes()))
	case d < 24*time.Hour:
		return fmt.Sprintf("%dh", int(d.Hours()))
	}
	return fmt.Sprintf("%dd", int(d.Hours()/24))
}

// dur prints a duration for a clock column: 45s, 3m05s, 2h03m.
func dur(d time.Duration) string {
	if d < 0 {
		d = 0
	}
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%ds", int(d.Seconds()))
	case d < time.Hour:
		return fmt.Sprintf("%dm%02ds", int(d.Minutes()), int(d.Seconds())%60)
	case d < 100*time.Hour:
		return fmt.Sprintf("%dh%02dm", int(d.Hours()), int(d.Minutes())%60)
	}
	return fmt.Sprintf("%dd", int(d.Hours()/24))
}

func ago(t, now time.Time) string {
	if t.IsZero() {
		return "never"
	}
	return dur(now.Sub(t)) + " ago"
}

// pct prints a ratio as a percentage, or – when undefined.
func pct(r *float64) string {
	if r == nil {
		return "–"
	}
	return fmt.Sprintf("%.0f%%", *r*100)
}

func secs(s *float64) string {
	if s == nil {
		return "–"
	}
	return dur(time.Duration(*s * float64(time.Second)))
}

func nameOr(name, id string) string {
	if name != "" {
		return name
	}
	return id
}

// matches reports whether any field contains filter (lower case already).
func matches(filter string, fields ...string) bool {
	if filter == "" {
		return true
	}
	for _, f := range fields {
		if strings.Contains(strings.ToLower(f), filter) {
			return true
		}
	}
	return false
}

// padLines makes lines exactly h lines of exactly w cells.
func padLines(lines []string, w, h int) []string {
	out := make([]string, h)
	for i := range out {
		if i < len(lines) {
			out[i] = fit(lines[i], w)
		} else {
			out[i] = strings.Repeat(" ", max(w, 0))
		}
	}
	return out
}
