package tui

// Test helpers that reach into the root's components.

func (m Model) queuePane() *queuePane   { return m.panes[m.paneByID("queue")].(*queuePane) }
func (m Model) agentsPane() *agentsPane { return m.panes[m.paneByID("agents")].(*agentsPane) }
func (m Model) transcriptPane() *transcriptPane {
	return m.panes[m.paneByID("transcript")].(*transcriptPane)
}

// total is the focused list's rows, after filters.
func (m Model) total() int {
	if l, ok := m.focused().(interface{ Total() int }); ok {
		return l.Total()
	}
	return 0
}

// move moves the focused list's cursor and reads the frame again.
func (m *Model) move(d int) {
	if l, ok := m.focused().(interface{ Move(int) }); ok {
		l.Move(d)
	}
	m.refresh()
}
