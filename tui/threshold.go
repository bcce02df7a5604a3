package tui

import (
	"time"

	"charm.land/lipgloss/v2"
)

// level is where a number stands against its thresholds. Each level has a
// colour and a mark written beside the number, so that a screen without
// colour (NO_COLOR, a monochrome terminal, a colour-blind reader) still
// shows it: "!" a warning, "!!" an alert.
type level int

const (
	levelOK level = iota
	levelWarn
	levelAlert
)

// mark is the level's text mark: "", "!" or "!!".
func (lv level) mark() string {
	switch lv {
	case levelWarn:
		return "!"
	case levelAlert:
		return "!!"
	}
	return ""
}

// style is the level's style; plain is the style of a number at levelOK.
func (lv level) style(t *Theme, plain lipgloss.Style) lipgloss.Style {
	switch lv {
	case levelWarn:
		return t.Warn
	case levelAlert:
		return t.Alert
	}
	return plain
}

// render is text styled for the level with its mark.
func (lv level) render(t *Theme, plain lipgloss.Style, text string) string {
	return lv.style(t, plain).Render(text + lv.mark())
}

// waitLevel is a wait against the wait thresholds.
func waitLevel(a Alerts, wait time.Duration) level {
	switch {
	case a.WaitAlert > 0 && wait >= a.WaitAlert:
		return levelAlert
	case a.WaitWarn > 0 && wait >= a.WaitWarn:
		return levelWarn
	}
	return levelOK
}

// slLevel is a service level against its target: an alert under it, a
// warning in the lower half of what is left above it.
func slLevel(a Alerts, sl *float64) level {
	switch {
	case sl == nil || a.ServiceLevel <= 0:
		return levelOK
	case *sl < a.ServiceLevel:
		return levelAlert
	case *sl < a.ServiceLevel+(1-a.ServiceLevel)/2:
		return levelWarn
	}
	return levelOK
}

// utilLevel is the agents' utilisation: a warning from 75%, an alert
// from 90%.
func utilLevel(u *float64) level {
	switch {
	case u != nil && *u >= 0.9:
		return levelAlert
	case u != nil && *u >= 0.75:
		return levelWarn
	}
	return levelOK
}

// queueLevel is an alert when visitors wait and nobody is online.
func queueLevel(queue, online int) level {
	if queue > 0 && online == 0 {
		return levelAlert
	}
	return levelOK
}
