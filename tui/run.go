package tui

import (
	"context"
	"errors"
	"fmt"
	"io"

	tea "charm.land/bubbletea/v2"
)

// fps is how often, at most, the screen is redrawn: Bubble Tea's renderer
// wakes up this many times a second, whatever happens, to see whether the
// view changed, and on a VM each wake-up costs more than the redraw of a
// dashboard that, idle, changes once a second. Measured with bench/idle.sh
// (200x50, nothing arriving): 60 (Bubble Tea's default) and 30 use 1.2-1.3%
// of a CPU, 20 about 0.9%, 12 about 0.7%. At 12 a key shows on screen
// within 83 ms (42 on average), under the ~100 ms a user perceives as
// instant.
const fps = 12

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
