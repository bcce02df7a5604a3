// Command replay measures chatdeck's start-up on a large journal:
//
//	replay -make -events 1000000 -db DIR/journal.db
//	    journals that many webhooks of the demo scenario (four times the
//	    demo's pace, so that a million fit in the default 30-day retention,
//	    ending now) through the hub, as serve would: decoded, deduplicated,
//	    group-committed. Skipped if the journal already holds them.
//	replay -db DIR/journal.db
//	    opens the hub on it as serve does at start with no checkpoint to
//	    start from (the board rebuilt by replaying the whole journal) and
//	    prints how long that took, the events per second, the heap left
//	    live once replayed, and the process's peak resident memory.
//	replay -checkpoint -tail N -db DIR/journal.db
//	    saves a checkpoint of the board as it was N events before the
//	    journal's end (N = 0: as a clean exit leaves it).
//	replay -from-checkpoint -db DIR/journal.db
//	    opens the hub as serve does at start: the checkpoint restored,
//	    then the events after it replayed; prints the same figures, the
//	    events replayed being the tail. The checkpoint is put back as it
//	    was afterwards, so that runs can repeat.
//
// bench/replay.sh runs the measuring forms several times, each in a fresh
// process, and prints the medians.
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/chatdeck/chatdeck/bench/internal/prof"
	"github.com/chatdeck/chatdeck/fixtures/traffic"
	"github.com/chatdeck/chatdeck/ingest/board"
	"github.com/chatdeck/chatdeck/ingest/event"
	"github.com/chatdeck/chatdeck/ingest/hub"
	"github.com/chatdeck/chatdeck/ingest/journal"
)

func main() {
	mk := flag.Bool("make", false, "make the journal")
	events := flag.Int("events", 1_000_000, "events to journal (-make)")
	db := flag.String("db", "", "the journal file")
	cpuprofile := flag.String("cpuprofile", "", "write a CPU profile of the replay here")
	checkpoint := flag.Bool("checkpoint", false, "save a checkpoint -tail events before the end")
	tail := flag.Int64("tail", 0, "events after the checkpoint (-checkpoint)")
	fromCheckpoint := flag.Bool("from-checkpoint", false, "measure a start-up from the checkpoint")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	var err error
	switch {
	case *db == "":
		err = errors.New("-db is required")
	case *mk:
		err = makeJournal(ctx, *db, *events, os.Stdout)
	case *checkpoint:
		err = saveCheckpoint(ctx, *db, *tail, os.Stdout)
	default:
		err = measure(ctx, *db, *cpuprofile, *fromCheckpoint, os.Stdout)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "replay:", err)
		os.Exit(1)
	}
}

// options are serve's: the default retention and board; checkpoints off
// (the whole journal replayed at start) unless checkpoints.
func options(path string, checkpoints bool) hub.Config {
	every := time.Duration(-1)
	if checkpoints {
		every = 0
	}
	return hub.Config{Journal: journal.Options{Path: path, MaxAge: 720 * time.Hour, MaxBytes: 2 << 30},
		Board: board.Config{}, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), CheckpointEvery: every}
}

// saveCheckpoint saves the checkpoint serve would have saved tail events
// before the journal's end.
func saveCheckpoint(ctx context.Context, path string, tail int64, out io.Writer) error {
	cfg := options(path, false)
	j, err := journal.Open(ctx, cfg.Journal)
	if err != nil {
		return err
	}
	defer j.Close()
	last, err := j.LastSeq(ctx)
	if err != nil {
		return err
	}
	upTo := last - tail
	b := board.New(cfg.Board)
	err = j.Replay(ctx, 0, func(r journal.Record) error {
		if r.Seq > upTo {
			return errStop
		}
		ev, _ := hub.RecordEvent(r)
		b.Apply(&ev)
		return nil
	})
	if err != nil && !errors.Is(err, errStop) {
		return err
	}
	state, err := json.Marshal(b.State())
	if err != nil {
		return err
	}
	cp := journal.Checkpoint{Seq: b.Cursor(), SavedAt: time.Now().UTC(), Fingerprint: hub.Fingerprint(cfg.Board), State: state}
	if err := j.SaveCheckpoint(ctx, cp); err != nil {
		return err
	}
	fmt.Fprintf(out, "checkpoint at %d of %d (%d events after it), %.1f MiB\n", cp.Seq, last, last-cp.Seq, float64(len(state))/(1<<20))
	return nil
}

var errStop = errors.New("stop")

func makeJournal(ctx context.Context, path string, n int, out io.Writer) error {
	h, err := hub.Open(ctx, options(path, false))
	if err != nil {
		return err
	}
	have := h.Cursor()
	switch {
	case have >= int64(n):
		fmt.Fprintf(out, "journal %s holds %d events already\n", path, have)
		return h.Close()
	case have > 0:
		_ = h.Close()
		return fmt.Errorf("journal %s holds %d events, fewer than %d: remove it to make a new one", path, have, n)
	}
	const speed = 4 // the demo at four times its pace: ~20 days for a million
	start := time.Now().Add(-21 * 24 * time.Hour)
	fmt.Fprintf(out, "journalling %d events of the demo scenario into %s ...\n", n, path)
	t0 := time.Now()
	gen := traffic.NewGenerator(42, start, speed)
	// Many ingests in flight, as many webhooks would be: group commits
	// of hundreds. Each worker takes the next webhook in order, so the
	// journal is in nearly the scenario's order.
	var next sync.Mutex
	made := 0
	var wg sync.WaitGroup
	errs := make(chan error, 1)
	fail := func(err error) {
		select {
		case errs <- err:
		default:
		}
	}
	for range 256 {
		wg.Go(func() {
			for ctx.Err() == nil {
				next.Lock()
				// Some webhooks repeat one already journalled (the
				// journal keeps one): go on until n are stored.
				if made >= n && h.Cursor() >= int64(n) {
					next.Unlock()
					return
				}
				w, err := gen.Next()
				made++
				next.Unlock()
				var ev event.Event
				if err == nil {
					ev, err = traffic.Decode(w)
				}
				if err == nil {
					_, err = h.Ingest(ctx, &ev, w.Hint)
				}
				if err != nil {
					fail(err)
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	err = errors.Join(<-errs, ctx.Err())
	fmt.Fprintf(out, "journalled %d events in %s\n", h.Cursor(), time.Since(t0).Round(time.Second))
	return errors.Join(err, h.Close())
}

func measure(ctx context.Context, path, cpuprofile string, fromCheckpoint bool, out io.Writer) error {
	if _, err := os.Stat(path); err != nil {
		return fmt.Errorf("no journal: %w (make it with -make)", err)
	}
	var cp journal.Checkpoint
	if fromCheckpoint {
		// The hub saves a new checkpoint on Close: put this one back after.
		j, err := journal.Open(ctx, options(path, false).Journal)
		if err != nil {
			return err
		}
		var ok bool
		cp, ok, err = j.LoadCheckpoint(ctx)
		_ = j.Close()
		if err != nil || !ok {
			return fmt.Errorf("no checkpoint (make it with -checkpoint): %w", err)
		}
		defer func() {
			j, err := journal.Open(ctx, options(path, false).Journal)
			if err == nil {
				err = errors.Join(j.SaveCheckpoint(ctx, cp), j.Close())
			}
			if err != nil {
				fmt.Fprintln(os.Stderr, "replay: putting the checkpoint back:", err)
			}
		}()
	}
	stopProfile, err := prof.StartCPU(cpuprofile)
	if err != nil {
		return err
	}
	t0 := time.Now()
	h, err := hub.Open(ctx, options(path, fromCheckpoint))
	stopProfile()
	if err != nil {
		return err
	}
	took := time.Since(t0)
	n := h.Cursor() - cp.Seq
	var chats, agents int
	h.Read(func(b *board.Board) { chats, agents = len(b.Chats()), len(b.Agents()) })
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	fmt.Fprintf(out, "REPLAY from_checkpoint=%d events=%d seconds=%.2f events_per_s=%.0f live_heap_mb=%.1f peak_rss_mb=%.1f board_chats=%d board_agents=%d\n",
		cp.Seq, n, took.Seconds(), float64(n)/took.Seconds(), float64(ms.HeapAlloc)/(1<<20), peakRSS()/(1<<10), chats, agents)
	return h.Close()
}

// peakRSS is the process's peak resident set in KiB (VmHWM), 0 if unknown.
func peakRSS() float64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmHWM:"); ok {
			var kb float64
			if _, err := fmt.Sscanf(strings.TrimSpace(v), "%f", &kb); err == nil {
				return kb
			}
		}
	}
	return 0
}
