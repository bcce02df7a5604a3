package journal

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestSecondWriterIsRefused: while a journal is open, opening it again
// (here from the same process; flock locks belong to the open file, so
// this is what another process meets) fails at once with ErrLocked,
// naming the holder's PID; once the first closes, the second opens.
func TestSecondWriterIsRefused(t *testing.T) {
	path := filepath.Join(t.TempDir(), "j.db")
	first, err := Open(t.Context(), Options{Path: path, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	appendT(t, first, Record{Source: "s", Payload: []byte(`{"n":1}`)}, DedupeContent)
	start := time.Now()
	second, err := Open(t.Context(), Options{Path: path, Logger: quiet})
	if err == nil {
		second.Close()
		t.Fatal("a second Open of a journal in use succeeded")
	}
	if !errors.Is(err, ErrLocked) || !strings.Contains(err.Error(), fmt.Sprintf("process %d", os.Getpid())) ||
		!strings.Contains(err.Error(), path+".lock") {
		t.Errorf("second Open: %v, want ErrLocked naming process %d and the lock file", err, os.Getpid())
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("the refusal took %v, want at once", d)
	}
	if pid, err := os.ReadFile(path + ".lock"); err != nil || strings.TrimSpace(string(pid)) != fmt.Sprint(os.Getpid()) {
		t.Errorf("lock file holds %q, %v; want the holder's PID", pid, err)
	}
	if err := first.Close(); err != nil {
		t.Fatal(err)
	}
	again := openT(t, Options{Path: path})
	if recs := pageAll(t, again); len(recs) != 1 {
		t.Errorf("after the first closed: %d records, want 1", len(recs))
	}
}

// TestDeletedFileIsRefusedAndRescued deletes the journal's file under the
// open journal: appends fail with ErrUnavailable and ErrMoved (nothing is
// acknowledged into a file no path names), Ping says the file was deleted
// and where its content was saved, and the saved copy, opened as a
// journal, holds every acknowledged record and none refused.
func TestDeletedFileIsRefusedAndRescued(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "j.db")
	j := openT(t, Options{Path: path, ProbeEvery: -1})
	for i := range 3 {
		appendT(t, j, Record{Source: "s", Payload: fmt.Appendf(nil, `{"n":%d}`, i)}, DedupeContent)
	}
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	for i := range 2 {
		_, _, err := j.Append(t.Context(), Record{Source: "s", Payload: fmt.Appendf(nil, `{"refused":%d}`, i)}, DedupeContent)
		if !errors.Is(err, ErrUnavailable) || !errors.Is(err, ErrMoved) || !strings.Contains(err.Error(), "deleted") {
			t.Fatalf("Append after the file was deleted: %v, want ErrUnavailable, ErrMoved, deleted", err)
		}
	}
	err := j.Ping(t.Context())
	if !errors.Is(err, ErrUnavailable) || !strings.Contains(err.Error(), path+" was deleted") ||
		!strings.Contains(err.Error(), "saved in "+path+".rescued-") {
		t.Fatalf("Ping after the file was deleted: %v, want it deleted and where it is saved", err)
	}
	// New reader connections (the pool opens them under load) fail
	// rather than create an empty file at the path.
	var conns []*sql.Conn
	for range 4 {
		c, err := j.rdb.Conn(t.Context())
		if err != nil {
			break
		}
		conns = append(conns, c)
		var n int
		_ = c.QueryRowContext(t.Context(), "SELECT count(*) FROM events").Scan(&n)
	}
	for _, c := range conns {
		c.Close()
	}
	saved, _ := filepath.Glob(path + ".rescued-*")
	if len(saved) != 1 {
		t.Fatalf("saved copies: %v, want one", saved)
	}
	if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the journal's path was written (%v): the operator's to restore", err)
	}
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(saved[0], path); err != nil {
		t.Fatal(err)
	}
	back := openT(t, Options{Path: path})
	var got []string
	for _, r := range pageAll(t, back) {
		got = append(got, fmt.Sprintf("%d:%s", r.Seq, r.Payload))
	}
	if want := []string{`1:{"n":0}`, `2:{"n":1}`, `3:{"n":2}`}; strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("the rescued journal holds %v, want %v", got, want)
	}
	if seq := appendT2(t, back, `{"n":3}`); seq != 4 {
		t.Errorf("the next append to the rescued journal got seq %d, want 4", seq)
	}
}

func appendT2(t *testing.T, j *Journal, payload string) int64 {
	t.Helper()
	seq, _ := appendT(t, j, Record{Source: "s", Payload: []byte(payload)}, DedupeContent)
	return seq
}

// TestReplacedFileIsRefusedUntilPutBack moves the journal's file aside
// and puts another file in its place: appends and Ping are refused naming
// the replacement, nothing is saved (the file lives on under its new
// name), and when the file is put back appends are taken again at once.
// After a reopen the journal holds what was acknowledged and nothing
// refused.
func TestReplacedFileIsRefusedUntilPutBack(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "j.db")
	aside := filepath.Join(dir, "aside.db")
	j := openT(t, Options{Path: path, ProbeEvery: -1})
	appendT2(t, j, `{"n":1}`)
	if err := os.Rename(path, aside); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	_, _, err := j.Append(t.Context(), Record{Source: "s", Payload: []byte(`{"refused":1}`)}, DedupeContent)
	if !errors.Is(err, ErrMoved) || !strings.Contains(err.Error(), "replaced by another file") {
		t.Fatalf("Append with the file replaced: %v, want ErrMoved, replaced", err)
	}
	if err := j.Ping(t.Context()); !errors.Is(err, ErrUnavailable) || !strings.Contains(err.Error(), path+" was replaced") {
		t.Errorf("Ping with the file replaced: %v", err)
	}
	if saved, _ := filepath.Glob(path + ".rescued-*"); len(saved) != 0 {
		t.Errorf("a copy was saved (%v) though the file is still reachable", saved)
	}
	if err := os.Rename(aside, path); err != nil {
		t.Fatal(err)
	}
	if err := j.Ping(t.Context()); err != nil {
		t.Errorf("Ping with the file back: %v", err)
	}
	if seq := appendT2(t, j, `{"n":2}`); seq != 2 {
		t.Errorf("append with the file back: seq %d, want 2", seq)
	}
	j.Close()
	back := openT(t, Options{Path: path})
	var got []string
	for _, r := range pageAll(t, back) {
		got = append(got, string(r.Payload))
	}
	if strings.Join(got, " ") != `{"n":1} {"n":2}` {
		t.Errorf("after reopen: %v, want the two acknowledged", got)
	}
}

// holdWriteLock takes SQLite's write lock on path from another
// connection, as a stuck process would, until the test ends or release.
func holdWriteLock(t *testing.T, path string) (release func()) {
	t.Helper()
	ctx := context.Background()
	other, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	conn, err := other.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := conn.ExecContext(ctx, "BEGIN EXCLUSIVE"); err != nil {
		t.Fatal(err)
	}
	done := false
	release = func() {
		if done {
			return
		}
		done = true
		_, _ = conn.ExecContext(ctx, "ROLLBACK")
		conn.Close()
		other.Close()
	}
	t.Cleanup(release)
	return release
}

// TestProbeAtStartReportsAJournalThatCannotWrite opens a journal whose
// file cannot be written (another connection holds the write lock): Open
// succeeds, reads work, and Ping reports the failed write probe before
// any append was tried.
func TestProbeAtStartReportsAJournalThatCannotWrite(t *testing.T) {
	path := filepath.Join(t.TempDir(), "j.db")
	j := openT(t, Options{Path: path})
	appendT2(t, j, `{"n":1}`)
	j.Close()
	holdWriteLock(t, path)
	j = openT(t, Options{Path: path, BusyTimeout: 20 * time.Millisecond, ProbeEvery: -1})
	if recs := pageAll(t, j); len(recs) != 1 {
		t.Errorf("reads: %d records, want 1", len(recs))
	}
	if err := j.Ping(t.Context()); !errors.Is(err, ErrUnavailable) || !strings.Contains(err.Error(), "write probe") {
		t.Errorf("Ping right after Open on a journal that cannot write: %v, want the failed write probe", err)
	}
}

// TestProbeReportsAndClearsWithoutAppends: with no appends at all, the
// periodic probe finds that the journal cannot write (Ping says so) and
// then that it can again (Ping is nil).
func TestProbeReportsAndClearsWithoutAppends(t *testing.T) {
	path := filepath.Join(t.TempDir(), "j.db")
	j := openT(t, Options{Path: path, BusyTimeout: 20 * time.Millisecond, ProbeEvery: 30 * time.Millisecond})
	if err := j.Ping(t.Context()); err != nil {
		t.Fatalf("Ping of a fresh journal: %v", err)
	}
	release := holdWriteLock(t, path)
	waitFor(t, "Ping to report the failed probe", func() bool {
		err := j.Ping(t.Context())
		return errors.Is(err, ErrUnavailable) && strings.Contains(err.Error(), "write probe")
	})
	release()
	waitFor(t, "Ping to clear after a probe writes", func() bool { return j.Ping(t.Context()) == nil })
	// The probe is no record.
	if n, _ := stats(t, j); n != 0 {
		t.Errorf("records after probes: %d, want 0", n)
	}
}
