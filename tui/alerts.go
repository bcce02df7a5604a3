package tui

import (
	"fmt"
	"strings"
	"time"

	tea "charm.land/bubbletea/v2"
)

// Alerts are the thresholds that flash (and ring the bell, if Bell).
type Alerts struct {
	WaitWarn     time.Duration // longest wait shown in yellow from here
	WaitAlert    time.Duration // ... in red, and alerts
	ServiceLevel float64       // the window's SL below this alerts (0–1)
	Bell         bool
}

// DefaultAlerts: yellow from 30 s, red and an alert from 60 s, SL under 80 %.
func DefaultAlerts() Alerts {
	return Alerts{WaitWarn: 30 * time.Second, WaitAlert: 60 * time.Second, ServiceLevel: 0.8}
}

// checkAlerts raises alerts that have newly become true: a flash, and the
// bell if configured.
func (m *Model) checkAlerts() tea.Cmd {
	a := m.opt.Alerts
	mt := m.snap.metrics
	now := map[string]string{}
	if a.WaitAlert > 0 && mt.LongestWaitSeconds >= a.WaitAlert.Seconds() {
		now["wait"] = fmt.Sprintf("⚠ a visitor has waited %s", dur(time.Duration(mt.LongestWaitSeconds*float64(time.Second))))
	}
	if sl := mt.Window.ServiceLevel; sl != nil && a.ServiceLevel > 0 && *sl < a.ServiceLevel {
		now["sl"] = fmt.Sprintf("⚠ service level %s is under %s", pct(sl), pct(&a.ServiceLevel))
	}
	if mt.QueueLength > 0 && mt.AgentsOnline == 0 && mt.AgentsTotal > 0 {
		now["nobody"] = "⚠ visitors are waiting and nobody is online"
	}
	for _, ag := range m.snap.overCapacity {
		now["cap:"+ag] = "⚠ " + ag + " is over capacity"
	}
	var raised []string
	for k, text := range now {
		if !m.alerting[k] {
			raised = append(raised, text)
		}
	}
	m.alerting = map[string]bool{}
	for k := range now {
		m.alerting[k] = true
	}
	if len(raised) == 0 {
		return nil
	}
	m.setFlash(strings.Join(raised, "  "), true)
	if a.Bell {
		return tea.Raw("\a")
	}
	return nil
}
