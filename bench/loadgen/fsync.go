package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"time"
)

// probeFsync appends size bytes to a file in dir and fsyncs it, n times,
// and prints the median and p99 time of one append + fsync: the floor
// under one journal commit on this disk (SQLite's WAL commit with
// synchronous=FULL writes at least one page and fsyncs once). With c
// connections each waiting for its commit, serve answers at most c per
// commit, so c / median is a ceiling on its requests/s whatever its CPU.
func probeFsync(ctx context.Context, dir string, size, n int, out io.Writer) error {
	f, err := os.CreateTemp(dir, "fsync-probe-*")
	if err != nil {
		return fmt.Errorf("fsync probe: %w", err)
	}
	defer func() {
		_ = f.Close()
		_ = os.Remove(f.Name())
	}()
	buf := make([]byte, size)
	times := make([]time.Duration, 0, n)
	for range n {
		if err := ctx.Err(); err != nil {
			return err
		}
		t0 := time.Now()
		if _, err := f.Write(buf); err != nil {
			return fmt.Errorf("fsync probe: write %s: %w", filepath.Base(f.Name()), err)
		}
		if err := f.Sync(); err != nil {
			return fmt.Errorf("fsync probe: sync %s: %w", filepath.Base(f.Name()), err)
		}
		times = append(times, time.Since(t0))
	}
	slices.Sort(times)
	p := func(q float64) float64 { return float64(times[int(q*float64(len(times)-1))].Microseconds()) }
	_, err = fmt.Fprintf(out, "FSYNC bytes=%d n=%d p50_us=%.0f p99_us=%.0f\n", size, n, p(0.5), p(0.99))
	return err
}
