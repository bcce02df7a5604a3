package journal

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestReaderBesideWriter reads a journal while its writer appends: the
// reader sees every record committed before it started, in order, never
// blocks an append (one is made in the middle of the replay, between two
// chunks), cannot write, and reads a journal closed cleanly (no -wal file
// left) too.
func TestReaderBesideWriter(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "journal.db")
	j := openT(t, Options{Path: path})
	for i := range 25 {
		appendT(t, j, Record{Source: "comm100", Kind: "chat_request", Payload: fmt.Appendf(nil, `{"n":%d}`, i)}, DedupeNone)
	}
	r, err := OpenReader(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	r.j.replayChunk = 10
	first, last, err := r.Span(ctx)
	if err != nil || first != 1 || last != 25 {
		t.Fatalf("Span = %d, %d, %v; want 1, 25", first, last, err)
	}
	var seqs []int64
	err = r.Replay(ctx, 0, func(rec Record) error {
		if rec.Seq == 5 {
			// An append while the reader is between reads: it must not wait
			// for the reader.
			actx, cancel := context.WithTimeout(ctx, 2*time.Second)
			defer cancel()
			if _, _, err := j.Append(actx, Record{Source: "comm100", Kind: "chat_ended", Payload: []byte(`{"late":1}`)}, DedupeNone); err != nil {
				return fmt.Errorf("append beside the reader: %w", err)
			}
		}
		seqs = append(seqs, rec.Seq)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(seqs) < 25 || seqs[0] != 1 || seqs[24] != 25 {
		t.Fatalf("replayed %v", seqs)
	}
	if _, err := r.j.rdb.ExecContext(ctx, "DELETE FROM events"); err == nil {
		t.Fatal("the reader could delete")
	}
	if n := len(pageAll(t, j)); n != 26 {
		t.Fatalf("journal holds %d records, want 26", n)
	}
	r.Close()
	j.Close()
	if _, err := os.Stat(path + "-wal"); !errors.Is(err, os.ErrNotExist) {
		t.Logf("-wal left after a clean close: %v", err)
	}
	r2, err := OpenReader(ctx, path)
	if err != nil {
		t.Fatalf("reading a closed journal: %v", err)
	}
	defer r2.Close()
	if _, last, err := r2.Span(ctx); err != nil || last != 26 {
		t.Fatalf("Span after close = %d, %v; want 26", last, err)
	}
}

// TestReaderRefuses: a missing file is an error naming it (and is not
// created), as is a file that is not a journal.
func TestReaderRefuses(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	missing := filepath.Join(dir, "none.db")
	if _, err := OpenReader(ctx, missing); err == nil || !strings.Contains(err.Error(), missing) {
		t.Errorf("missing file: %v", err)
	}
	if _, err := os.Stat(missing); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("OpenReader created %s", missing)
	}
	empty := filepath.Join(dir, "empty.db")
	if err := os.WriteFile(empty, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := OpenReader(ctx, empty); err == nil || !strings.Contains(err.Error(), "not a chatdeck journal") {
		t.Errorf("empty file: %v", err)
	}
}
