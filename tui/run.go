package tui

import (
	"context"
	"errors"
	"fmt"
	"io"

	tea "charm.land/bubbletea/v2"
)

// fps is how often, at most, the screen is redrawn: Bubble Tea's renderer
// wakes up this many times a second to see whether the view changed. 30
// keeps typing and scrolling smooth; Bubble Tea's 60 doubles the wake-ups
// of a dashboard that, idle, changes once a second (bench/idle.sh).
const fps = 30

// Run runs the dashboard on the terminal until the user quits or ctx ends.
// Bubble Tea restores the terminal on the way out, after a panic too.
func Run(ctx context.Context, opt Options, in io.Reader, out io.Writer) error {
	opt.Context = ctx
	p := tea.NewProgram(New(opt), tea.WithContext(ctx), tea.WithInput(in), tea.WithOutput(out), tea.WithFPS(fps))
	_, err := p.Run()
	if err != nil && !(errors.Is(err, tea.ErrProgramKilled) && ctx.Err() != nil) {
		return fmt.Errorf("dashboard: %w", err)
	}
	return nil
}
