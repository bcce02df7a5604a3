package tui

import (
	"strings"
	"time"

	"github.com/chatdeck/chatdeck/ingest/event"
)

// Context is what every component reads and only the root changes: one per
// program, shared by pointer, so that a new theme, clock or department
// reaches every component at once.
type Context struct {
	Theme  Theme
	Keys   KeyMap
	Alerts Alerts
	// Now is the clock of the frame being drawn.
	Now time.Time
	// Dept is the department filter ("" for all).
	Dept string
	// Pending is the status change in flight per agent id.
	Pending map[string]string
}

// deptOK reports whether a row of department d passes the department filter.
func (c *Context) deptOK(d string) bool { return c.Dept == "" || strings.EqualFold(d, c.Dept) }

// Common is embedded in every component: the shared Context, the
// component's own size (given by the root's layout) and whether it has
// the focus.
type Common struct {
	*Context
	Width, Height int
	Focused       bool
}

// SetSize sets the component's size.
func (c *Common) SetSize(w, h int) { c.Width, c.Height = max(w, 0), max(h, 0) }

// SetFocused says whether the component has the focus.
func (c *Common) SetFocused(f bool) { c.Focused = f }

// rowRef names a thing on the board: a chat, an agent or a visitor.
type rowRef struct {
	Source event.Source
	ID     string
	Label  string
}

// identity is a thing's identity on the board, whatever its label or row.
func identity(s event.Source, id string) string { return string(s) + "\x00" + id }
