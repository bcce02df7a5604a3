package tui

// Pausing: the screen stops following the board while the supervisor
// reads. The board, the hub and the journal go on (the model just stops
// reading them on its clock and on changes); the waits stop at the paused
// clock; what the user asks for (a filter, the department, a chat opened)
// is still read when asked. Resuming reads the live board at once.

import "time"

// togglePause pauses or resumes the screen.
func (m *Model) togglePause() {
	if m.paused {
		m.paused = false
		m.header.pausedAt = time.Time{}
		m.ctx.Now = m.opt.Now()
		m.setFlash("▶ live again", false)
		m.read()
		return
	}
	m.ctx.Now = m.opt.Now()
	m.paused = true
	m.header.pausedAt = m.ctx.Now
	// Every pane's page as it stands, so that moving the focus while
	// paused shows what was there when the screen stopped.
	m.read()
	m.setFlash("⏸ paused: the data keeps arriving underneath; "+m.ctx.Keys.Pause.Help().Key+" resumes at the live board", false)
}

// freeze is the frame while paused: no read; each list's cursor moves
// only among the rows it holds.
func (m *Model) freeze() {
	for _, p := range m.panes {
		if f, ok := p.(interface{ keepToPage() }); ok {
			f.keepToPage()
		}
	}
}
