// Command idleprof runs the dashboard as `chatdeck run` does (on a hub with
// an empty journal, no Comm100 API), in the terminal it is started in,
// and writes a CPU profile of it: what the dashboard spends when nothing
// happens (bench/idle.sh measures the real binary). Quit with q.
//
//	tmux new-session -d -x 200 -y 50 'idleprof -db /tmp/j.db -cpuprofile /tmp/idle.prof'
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/chatdeck/chatdeck/bench/internal/prof"
	"github.com/chatdeck/chatdeck/ingest/hub"
	"github.com/chatdeck/chatdeck/ingest/journal"
	"github.com/chatdeck/chatdeck/tui"
)

func main() {
	db := flag.String("db", "", "journal file")
	cpuprofile := flag.String("cpuprofile", "", "CPU profile to write")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, *db, *cpuprofile); err != nil {
		fmt.Fprintln(os.Stderr, "idleprof:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, db, cpuprofile string) error {
	if db == "" || cpuprofile == "" {
		return errors.New("-db and -cpuprofile are required")
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	h, err := hub.Open(ctx, hub.Config{Journal: journal.Options{Path: db}, Logger: log})
	if err != nil {
		return err
	}
	defer h.Close()
	stopProfile, err := prof.StartCPU(cpuprofile)
	if err != nil {
		return err
	}
	defer stopProfile()
	return tui.Run(ctx, tui.Options{Source: h, Mode: "live", Listen: "127.0.0.1:0"}, os.Stdin, os.Stdout)
}
