package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/charmbracelet/x/term"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/chatdeck/chatdeck/ingest/board"
	"github.com/chatdeck/chatdeck/ingest/journal"
	"github.com/chatdeck/chatdeck/ingest/report"
)

// usageError is a bad flag or value: chatdeck exits 2 with it.
type usageError struct{ error }

func (e usageError) Unwrap() error { return e.error }

// exitCode is the process's exit status for err: 2 for a usage error, 1
// for any other, 0 for none.
func exitCode(err error) int {
	var u usageError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &u):
		return 2
	}
	return 1
}

// reportSettings are the settings report reads: where the journal is,
// and the board's definitions (the server's, for the same figures).
var reportSettings = []string{"db", "timezone", "sl_target", "window", "short_abandon", "capacity"}

func newReport() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "report",
		Short: "Print the board's figures over a span of the journal, one row per group",
		Long: `report reads the journal (read-only: safe beside a running server) and prints
one row per agent, department, hour, day or source, with the board's own
figures for the span: counts where and when the board places them.

WHEN is an RFC 3339 time, a date (2026-12-01: midnight in the zone) or a
duration back from now (90m, 24h, 7d). Since defaults to today's midnight,
until to now. Bad flags or times exit 2.`,
		Example: `  chatdeck report --by department
  chatdeck report --since 7d --by day --format csv > week.csv
  chatdeck report --since 2026-12-01 --until 2026-12-02 --by agent --format json`,
		Args: func(_ *cobra.Command, args []string) error {
			if len(args) > 0 {
				return usageError{fmt.Errorf("report takes no arguments, got %q", args[0])}
			}
			return nil
		},
		RunE: runReport,
	}
	fs := cmd.Flags()
	// The flags of the settings report reads, as the other commands
	// declare them (typed: a bad duration is a flag error).
	all := pflag.NewFlagSet("settings", pflag.ContinueOnError)
	addFlags(all, forAll)
	fs.AddFlag(all.Lookup("config"))
	for _, s := range settings {
		if slices.Contains(reportSettings, s.key) {
			fs.AddFlag(all.Lookup(s.flag))
		}
	}
	fs.String("since", "", "start of the span: RFC 3339, a date, or a duration back from now (default: today's midnight)")
	fs.String("until", "", "end of the span, as --since (default: now)")
	fs.String("by", "department", "group by agent, department, hour, day or source")
	fs.String("format", "table", "table, csv or json")
	cmd.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageError{err} })
	return cmd
}

func runReport(cmd *cobra.Command, _ []string) error {
	fs := cmd.Flags()
	cfg, _, err := loadConfig(fs, os.Environ)
	if err != nil {
		return usageError{err}
	}
	opts, format, err := reportOptions(fs, cfg, time.Now())
	if err != nil {
		return usageError{err}
	}
	r, err := journal.OpenReader(cmd.Context(), cfg.DB)
	if err != nil {
		return fmt.Errorf("report: %w", err)
	}
	defer r.Close()
	bar := newProgressBar(cmd.ErrOrStderr())
	if bar != nil {
		first, last, err := r.Span(cmd.Context())
		if err != nil {
			return fmt.Errorf("report: %w", err)
		}
		opts.Progress = func(cursor int64) { bar.show(cursor, first, last) }
	}
	rep, err := report.Run(cmd.Context(), r, opts)
	bar.done()
	if err != nil {
		return err
	}
	return report.Write(cmd.OutOrStdout(), rep, format)
}

// reportOptions reads the report's flags, naming the flag and the value
// of any that is wrong.
func reportOptions(fs *pflag.FlagSet, cfg Config, now time.Time) (report.Options, report.Format, error) {
	var opts report.Options
	loc, err := time.LoadLocation(cfg.Timezone)
	if err != nil {
		return opts, "", fmt.Errorf("--timezone %q: %w", cfg.Timezone, err)
	}
	opts.Board = board.Config{SLTarget: cfg.SLTarget, Window: cfg.Window, ShortAbandon: cfg.ShortAbandon,
		Capacity: cfg.Capacity, Location: loc}
	byName, _ := fs.GetString("by")
	if opts.By, err = report.ParseBy(byName); err != nil {
		return opts, "", fmt.Errorf("--by %w", err)
	}
	formatName, _ := fs.GetString("format")
	format, err := report.ParseFormat(formatName)
	if err != nil {
		return opts, "", fmt.Errorf("--format %w", err)
	}
	opts.Since, opts.Until = report.Midnight(now, loc), now
	for _, b := range []struct {
		flag string
		to   *time.Time
	}{{"since", &opts.Since}, {"until", &opts.Until}} {
		v, _ := fs.GetString(b.flag)
		if !fs.Changed(b.flag) {
			continue
		}
		if *b.to, err = report.ParseWhen(v, now, loc); err != nil {
			return opts, "", fmt.Errorf("--%s %q: %w", b.flag, v, err)
		}
	}
	if opts.Until.Before(opts.Since) {
		s, _ := fs.GetString("since")
		u, _ := fs.GetString("until")
		return opts, "", fmt.Errorf("--since %q (%s) is after --until %q (%s)", s, opts.Since.In(loc).Format(time.RFC3339),
			u, opts.Until.In(loc).Format(time.RFC3339))
	}
	return opts, format, nil
}

// progressBar shows on a terminal how far the replay is, at most ten
// times a second; nil (showing nothing) when stderr is not a terminal.
// (bubbles' progress bar would need a module this build does not have;
// one line of blocks does the job.)
type progressBar struct {
	w     io.Writer
	mu    sync.Mutex
	last  time.Time
	shown bool
}

func newProgressBar(w io.Writer) *progressBar {
	f, ok := w.(*os.File)
	if !ok || !term.IsTerminal(f.Fd()) {
		return nil
	}
	return &progressBar{w: w}
}

// barWidth is the bar's width in cells.
const barWidth = 40

func (p *progressBar) show(cursor, first, last int64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if time.Since(p.last) < 100*time.Millisecond || last <= first {
		return
	}
	p.last = time.Now()
	frac := min(max(float64(cursor-first)/float64(last-first), 0), 1)
	full := int(frac * barWidth)
	fmt.Fprintf(p.w, "\rreading the journal %s%s %3.0f%%", strings.Repeat("█", full), strings.Repeat("░", barWidth-full), frac*100)
	p.shown = true
}

// done clears the bar's line.
func (p *progressBar) done() {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.shown {
		fmt.Fprint(p.w, "\r\x1b[2K")
	}
}
