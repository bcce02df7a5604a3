package tui

// The commands the root starts: status changes, tags and polls, each
// bounded by the model's context and reported back as a message.

import (
	"context"
	"fmt"
	"strings"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/chatdeck/chatdeck/ingest/event"
)

func (m *Model) startStatus(ag rowRef, status string) tea.Cmd {
	if ag.Source != event.Comm100 {
		m.setFlash(fmt.Sprintf("%s is a %s agent: only Comm100 statuses can be changed from here", ag.Label, ag.Source), true)
		return nil
	}
	if m.opt.Actions == nil {
		m.setFlash("no Comm100 API configured: status changes need COMM100_API_BASE and credentials", true)
		return nil
	}
	if _, busy := m.ctx.Pending[ag.ID]; busy {
		m.setFlash(ag.Label+" already has a change pending", true)
		return nil
	}
	m.ctx.Pending[ag.ID] = status
	m.setFlash(fmt.Sprintf("→ %s: %s…", ag.Label, status), false)
	acts, ctx := m.opt.Actions, m.opt.Context
	return func() tea.Msg {
		c, cancel := context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
		out, err := acts.SetAgentStatus(c, ag.ID, status)
		return actionMsg{agent: ag.ID, label: ag.Label, status: status, out: out, err: err}
	}
}

func (m Model) startTag(v rowRef, val string) tea.Cmd {
	name, value, ok := strings.Cut(val, "=")
	if !ok || strings.TrimSpace(name) == "" {
		return func() tea.Msg { return tagMsg{label: v.Label, err: fmt.Errorf("want name=value, got %q", val)} }
	}
	acts, ctx := m.opt.Actions, m.opt.Context
	return func() tea.Msg {
		c, cancel := context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
		_, err := acts.TagVisitor(c, v.ID, strings.TrimSpace(name), strings.TrimSpace(value))
		return tagMsg{label: v.Label + " " + val, err: err}
	}
}

func (m Model) doRefresh() tea.Cmd {
	if m.opt.Refresh == nil {
		return func() tea.Msg { return refreshMsg{} }
	}
	fn, ctx := m.opt.Refresh, m.opt.Context
	return func() tea.Msg {
		c, cancel := context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
		return refreshMsg{err: fn(c)}
	}
}
