package journal

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"time"
)

// The journal's file under a running process: one writer at a time (a
// lock on a sidecar file, lock_unix.go), the path still naming the file
// that is open (checked before and after every commit, on every Ping and
// on the probe's tick), and a write probe at start-up and periodically, so
// that health reports a journal that cannot write before an append finds
// out.

// ErrLocked is wrapped by Open when another process holds the journal:
// one journal has one writer.
var ErrLocked = errors.New("journal in use by another process")

// ErrMoved is wrapped (with ErrUnavailable) by Append and Ping while the
// journal's path does not name the file the journal has open: it was
// deleted, renamed or replaced under the running process. Nothing is
// acknowledged meanwhile: an append committed to a file that no path
// names would be lost at the next start. It clears by itself when the
// path names the open file again (the file is put back).
var ErrMoved = errors.New("the journal's path no longer names its open file")

// defaultProbeEvery is how often the writer checks, when it has written
// nothing for that long, that the journal can still write.
const defaultProbeEvery = 5 * time.Second

// openIdentity opens the journal's own read-only descriptor on the
// database file, whose identity (device and inode) says which file is
// open. It must stay open until the databases are closed: closing any
// descriptor on a file drops the process's POSIX locks on it, which SQLite
// relies on.
func (j *Journal) openIdentity() error {
	f, err := os.Open(j.opts.Path)
	if err != nil {
		return fmt.Errorf("identity: %w", err)
	}
	j.file = f
	return nil
}

// checkFile returns an error wrapping ErrMoved unless the journal's path
// names the file it has open.
func (j *Journal) checkFile() error {
	if j.file == nil {
		return nil
	}
	own, err := j.file.Stat()
	if err != nil {
		return fmt.Errorf("%w: cannot stat the open journal file: %w", ErrMoved, err)
	}
	fi, err := os.Stat(j.opts.Path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("%w: %s was deleted while in use%s", ErrMoved, j.opts.Path, j.rescueNote())
	case err != nil:
		return fmt.Errorf("%w: cannot tell that %s is still the open journal file: %w", ErrMoved, j.opts.Path, err)
	case !os.SameFile(fi, own):
		return fmt.Errorf("%w: %s was replaced by another file while in use (put the journal's file back there to resume)%s",
			ErrMoved, j.opts.Path, j.rescueNote())
	}
	return nil
}

// rescueNote says where the open journal's content was saved, if it was.
func (j *Journal) rescueNote() string {
	p := j.rescued.Load()
	if p == nil {
		return "; nothing is acknowledged until it is back"
	}
	return fmt.Sprintf("; nothing is acknowledged, and everything acknowledged before is saved in %s: stop chatdeck, then move that file to %s",
		*p, j.opts.Path)
}

// fileProblem is the writer's reaction to checkFile's error: log it once
// per incident and, if the open file has no name left (deleted, or
// replaced and so unlinked), save its content beside the path, since
// nothing else would keep it past this process.
func (j *Journal) fileProblem(ctx context.Context, err error) {
	if j.w.fileErr == "" {
		j.log.Error("journal: refusing appends", "err", err)
	}
	j.w.fileErr = err.Error()
	if j.rescued.Load() != nil {
		return
	}
	own, serr := j.file.Stat()
	if serr != nil {
		return
	}
	if n, ok := linkCount(own); !ok || n > 0 {
		return // still reachable under another name: the operator moved it
	}
	name := fmt.Sprintf("%s.rescued-%s", j.opts.Path, time.Now().UTC().Format("20060102T150405.000Z"))
	if _, verr := j.wdb.ExecContext(ctx, "VACUUM INTO ?", name); verr != nil {
		j.log.Error("journal: saving the deleted journal's content failed", "to", name, "err", verr)
		return
	}
	j.rescued.Store(&name)
	j.log.Error("journal: the journal file was deleted while in use; its content is saved: stop chatdeck, then move the saved file to the journal's path",
		"saved", name, "path", j.opts.Path)
}

// fileOK notes that the path names the open file (again).
func (j *Journal) fileOK() {
	if j.w.fileErr != "" {
		j.log.Info("journal: the path names the open journal file again; taking appends", "was", j.w.fileErr)
		j.w.fileErr = ""
	}
}

// probeTick runs on the writer's probe ticker: it checks the file and,
// if nothing was written lately or the last write failed,
// probes that the journal can write.
func (j *Journal) probeTick(ctx context.Context) {
	if err := j.checkFile(); err != nil {
		j.fileProblem(ctx, err)
		return
	}
	j.fileOK()
	// Half an interval: a write just after the last tick does not put
	// the next probe off by a whole interval more.
	if j.writeErr.Load() == nil && time.Since(j.w.lastWrite) < j.opts.ProbeEvery/2 {
		return // an append has just shown that writes work
	}
	j.probe(ctx)
}

// probe writes one row in a table of its own, a real transaction with a
// page in the WAL and an fsync, so that it fails where an append would
// (disk full, read-only file, I/O error), and records the outcome where
// Ping sees it.
func (j *Journal) probe(ctx context.Context) {
	err := j.writeProbe(ctx)
	if err != nil {
		err = fmt.Errorf("journal: write probe: %w: %w", ErrUnavailable, err)
		if j.writeErr.Load() == nil {
			j.log.Error("journal: cannot write", "err", err)
		}
		j.writeErr.Store(&writeFailure{at: j.opts.Now(), err: err})
		return
	}
	j.w.lastWrite = time.Now()
	if f := j.writeErr.Swap(nil); f != nil {
		j.log.Info("journal: writes succeed again", "failing_since", f.at.UTC().Format(time.RFC3339))
	}
}

func (j *Journal) writeProbe(ctx context.Context) error {
	tx, err := j.wdb.BeginTx(ctx, nil) // BEGIN IMMEDIATE, see dsn
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	defer tx.Rollback() //nolint:errcheck // a no-op after Commit
	if _, err := tx.ExecContext(ctx,
		`CREATE TABLE IF NOT EXISTS probe (id INTEGER PRIMARY KEY CHECK (id = 1), written_at INTEGER NOT NULL)`); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO probe (id, written_at) VALUES (1, ?)
		ON CONFLICT (id) DO UPDATE SET written_at = excluded.written_at`, time.Now().UnixNano()); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}
